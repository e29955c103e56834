//! Xibao (`xibao`): a masturbation cup driven by 13-byte oscillate packets on `tx` without
//! response; the last byte is the step plus 0xB5 (wrapping).

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Oscillate, |_, v| packet(v)))
}

fn packet(s: i32) -> [u8; 13] {
    let s = s.clamp(0, 255) as u8;
    [
        0x66,
        0x3A,
        0x00,
        0x06,
        0x00,
        0x06,
        0x01,
        0x02,
        0x00,
        0x02,
        0x04,
        s,
        s.wrapping_add(0xB5),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[test]
    fn oscillate_and_stop() {
        let f = feature(0, &[(Oscillate, 0, 99)]);
        let w = writes(&create().encode_output(&f, cmd(Oscillate, 50)).unwrap());
        let bytes = hex("66 3A 00 06 00 06 01 02 00 02 04 32 E7");
        assert_eq!(w, vec![(Endpoint::Tx, bytes, false)]);
        let out = create().encode_output(&f, cmd(Oscillate, 99)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("66 3A 00 06 00 06 01 02 00 02 04 63 18")
        );
        let out = create().encode_output(&f, cmd(Oscillate, 0)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("66 3A 00 06 00 06 01 02 00 02 04 00 B5")
        );
        assert!(create().encode_output(&f, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("xibao") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
