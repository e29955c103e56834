//! Xiuxiuda (`xiuxiuda`): 9-byte vibrate packets `[00 00 00 00 65 3A 30 s 64]` on `tx` without
//! response.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        let s = v.clamp(0, 255) as u8;
        [0x00, 0x00, 0x00, 0x00, 0x65, 0x3A, 0x30, s, 0x64]
    }))
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
    fn vibrate_and_stop() {
        let f = feature(0, &[(Vibrate, 0, 19)]);
        let w = writes(&create().encode_output(&f, cmd(Vibrate, 10)).unwrap());
        assert_eq!(
            w,
            vec![(Endpoint::Tx, hex("00 00 00 00 65 3A 30 0A 64"), false)]
        );
        let out = create().encode_output(&f, cmd(Vibrate, 15)).unwrap();
        assert_eq!(only_write(&out), hex("00 00 00 00 65 3A 30 0F 64"));
        let out = create().encode_output(&f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("00 00 00 00 65 3A 30 00 64"));
        assert!(create().encode_output(&f, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("xiuxiuda") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
