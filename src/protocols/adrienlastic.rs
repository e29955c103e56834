//! Adrien Lastic (`adrienlastic`): ASCII `MotorValue:%02u;` written to `tx` with response. The
//! devices are matched by their advertised service 0x1320 (they advertise Lovense-like names).

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| {
            let text = format!("MotorValue:{:02};", v.max(0));
            text.into_bytes()
        })
        .with_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, hex, writes};
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 16)]);
        let mut p = create();
        let mut enc = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            enc(8),
            vec![(
                Endpoint::Tx,
                hex("4D 6F 74 6F 72 56 61 6C 75 65 3A 30 38 3B"),
                true
            )]
        );
        assert_eq!(enc(2)[0].1, b"MotorValue:02;");
        assert_eq!(enc(16)[0].1, b"MotorValue:16;");
        assert_eq!(enc(0)[0].1, b"MotorValue:00;");
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("adrienlastic") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
