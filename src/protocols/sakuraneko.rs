//! Sakuraneko (`sakuraneko`): 12-byte packets to `tx`, vibrate
//! `[A1 08 01 00 00 00 64 s 00 64 DF 55]` and, on the Koikoi, rotate
//! `[A2 08 01 00 00 00 64 r 00 32 DF 55]`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet))
}

/// The packet of a command; `None` for an output type without one.
fn packet(_index: u32, command: OutputCommand) -> Option<[u8; 12]> {
    // The rotation range is 0..100 with no direction.
    let (kind, tail, v) = match command {
        OutputCommand::Vibrate(v) => (0xA1, 0x64, v.value),
        OutputCommand::Rotate(v) => (0xA2, 0x32, v.value),
        _ => return None,
    };
    let s = v.clamp(0, 255) as u8;
    Some([
        kind, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, s, 0x00, tail, 0xDF, 0x55,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Oscillate, Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 100)]);
        let f1 = feature(1, &[(Rotate, 0, 100)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 50)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(
                Endpoint::Tx,
                hex("A1 08 01 00 00 00 64 32 00 64 DF 55"),
                false
            )]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(
            w(&f0, cmd(Vibrate, 75)),
            hex("A1 08 01 00 00 00 64 4B 00 64 DF 55")
        );
        assert_eq!(
            w(&f1, cmd(Rotate, 50)),
            hex("A2 08 01 00 00 00 64 32 00 32 DF 55")
        );
        assert_eq!(
            w(&f0, cmd(Vibrate, 0)),
            hex("A1 08 01 00 00 00 64 00 00 64 DF 55")
        );
        assert_eq!(
            w(&f1, cmd(Rotate, 0)),
            hex("A2 08 01 00 00 00 64 00 00 32 DF 55")
        );
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sakuraneko") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
