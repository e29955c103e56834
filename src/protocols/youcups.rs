//! Youcups (`youcups`): the ASCII text `$SYS,<step>?` on `tx` without response.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        format!("$SYS,{}?", v).into_bytes()
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
        let f = feature(0, &[(Vibrate, 0, 8)]);
        let w = writes(&create().encode_output(&f, cmd(Vibrate, 4)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("24 53 59 53 2C 34 3F"), false)]);
        let out = create().encode_output(&f, cmd(Vibrate, 8)).unwrap();
        assert_eq!(only_write(&out), hex("24 53 59 53 2C 38 3F"));
        let out = create().encode_output(&f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("24 53 59 53 2C 30 3F"));
        assert!(create().encode_output(&f, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("youcups") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
