//! Svakom Sam Neo 2 (`svakom-sam2`): vibrator `[55 03 00 00 M s 00]` (M = 5 while running) and
//! suction `[55 09 00 00 F c 00]`, written to `tx` with response.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::svakom::flag;
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet).with_response())
}

/// The packet of a command; `None` for an output type without one.
fn packet(_index: u32, command: OutputCommand) -> Option<[u8; 7]> {
    match command {
        OutputCommand::Vibrate(v) => {
            let s = byte(v.value);
            let m = if s > 0 { 0x05 } else { 0x00 };
            Some([0x55, 0x03, 0x00, 0x00, m, s, 0x00])
        }
        OutputCommand::Constrict(v) => {
            let c = byte(v.value);
            Some([0x55, 0x09, 0x00, 0x00, flag(c), c, 0x00])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Constrict, Oscillate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let f1 = feature(1, &[(Constrict, 0, 5)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 00 00 05 05 00"), true)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(w(&f0, cmd(Vibrate, 8)), hex("55 03 00 00 05 08 00"));
        assert_eq!(w(&f1, cmd(Constrict, 3)), hex("55 09 00 00 01 03 00"));
        assert_eq!(w(&f0, cmd(Vibrate, 0)), hex("55 03 00 00 00 00 00"));
        assert_eq!(w(&f1, cmd(Constrict, 0)), hex("55 09 00 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-sam2") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
