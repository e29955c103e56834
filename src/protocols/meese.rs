//! Meese (`meese`): up to two vibrators, one 4-byte packet per motor on `tx` with response:
//! `01 80 <motor = feature + 1> <step>`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |index, v| {
            let motor = byte(i32::try_from(index).unwrap_or(i32::MAX).saturating_add(1));
            [0x01, 0x80, motor, byte(v)]
        })
        .with_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, message, stop, writes};
    use crate::wire::OutputCommand;
    use crate::wire::OutputType::Vibrate;

    fn tx(b: [u8; 4]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), true)
    }

    #[test]
    fn tera() {
        let (m0, m1) = (
            feature(0, &[(Vibrate, 0, 10)]),
            feature(1, &[(Vibrate, 0, 3)]),
        );
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &m0, cmd(Vibrate, 5))),
            vec![tx([0x01, 0x80, 0x01, 0x05])]
        );
        let both = writes(&message(
            h.as_mut(),
            &[
                (&m0, OutputCommand::new(Vibrate, 1, 0)),
                (&m1, OutputCommand::new(Vibrate, 2, 0)),
            ],
        ));
        assert_eq!(
            both,
            vec![tx([0x01, 0x80, 0x01, 0x01]), tx([0x01, 0x80, 0x02, 0x02])]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&m0, &m1])),
            vec![tx([0x01, 0x80, 0x01, 0x00]), tx([0x01, 0x80, 0x02, 0x00])]
        );
    }
}
