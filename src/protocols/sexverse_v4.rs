//! Sexverse v4 (`sexverse-v4`): one vibrator, `[BB 01 s 66]` to `tx` with response.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| {
            [0xBB, 0x01, v.clamp(0, 255) as u8, 0x66]
        })
        .with_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, feature, hex, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 99)]);
        let mut p = create();
        let mut w = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(50), vec![(Endpoint::Tx, hex("BB 01 32 66"), true)]);
        assert_eq!(w(75)[0].1, hex("BB 01 4B 66"));
        assert_eq!(w(0)[0].1, hex("BB 01 00 66"));
        assert!(create().encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn duplicate_bc1847_resolves_to_the_later_entry() {
        let def = db_resolve("sexverse-v4", Some("BC1847"));
        assert_eq!(def.name, "Sexverse Dark Knight");
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sexverse-v4") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
