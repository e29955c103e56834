//! Luvmazer (`luvmazer`): vibrate, rotate, oscillate and suction (constrict) motors, each driven
//! by its own 6-byte `A0 …` packet on `tx` (no shared state).

use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct Luvmazer;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Luvmazer)
}

impl ProtocolHandler for Luvmazer {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let v = command.value();
        let packet = match command {
            OutputCommand::Vibrate(_) => {
                [0xA0, 0x01, 0x00, byte(feature.index as i32), 0x64, byte(v)]
            }
            // The value byte is the low byte of the (non-negative) step; the feature index is not
            // encoded.
            OutputCommand::Rotate(_) => [0xA0, 0x0F, 0x00, 0x00, 0x64, v.to_le_bytes()[0]],
            OutputCommand::Oscillate(_) => [0xA0, 0x06, 0x01, 0x00, 0x64, byte(v)],
            OutputCommand::Constrict(_) => [
                0xA0,
                0x0D,
                0x00,
                0x00,
                if v == 0 { 0x00 } else { 0x14 },
                byte(v),
            ],
            _ => return Err(unsupported_output(&command)),
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet,
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Constrict, Oscillate, Rotate, Vibrate};
    use crate::protocols::shared::testing::{cmd, encode, feature, message, stop, writes};

    fn tx(b: &[u8]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn finger_magic() {
        let (vib, rot) = (
            feature(0, &[(Vibrate, 0, 255)]),
            feature(1, &[(Rotate, 0, 255)]),
        );
        let mut h = Luvmazer;
        assert_eq!(
            writes(&encode(&mut h, &vib, cmd(Vibrate, 128))),
            vec![tx(&[0xA0, 0x01, 0x00, 0x00, 0x64, 0x80])]
        );
        let both = writes(&message(
            &mut h,
            &[
                (&vib, OutputCommand::new(Vibrate, 26, 0)),
                (&rot, OutputCommand::new(Rotate, 128, 0)),
            ],
        ));
        assert_eq!(
            both,
            vec![
                tx(&[0xA0, 0x01, 0x00, 0x00, 0x64, 0x1A]),
                tx(&[0xA0, 0x0F, 0x00, 0x00, 0x64, 0x80])
            ]
        );
        assert_eq!(
            writes(&stop(&mut h, [&vib, &rot])),
            vec![
                tx(&[0xA0, 0x01, 0x00, 0x00, 0x64, 0x00]),
                tx(&[0xA0, 0x0F, 0x00, 0x00, 0x64, 0x00])
            ]
        );
    }

    #[test]
    fn other_models() {
        let mut h = Luvmazer;
        // Cock Ring: the second vibrator carries its index.
        assert_eq!(
            writes(&encode(
                &mut h,
                &feature(1, &[(Vibrate, 0, 255)]),
                cmd(Vibrate, 5)
            )),
            vec![tx(&[0xA0, 0x01, 0x00, 0x01, 0x64, 0x05])]
        );
        let osc = feature(1, &[(Oscillate, 0, 255)]);
        assert_eq!(
            writes(&encode(&mut h, &osc, cmd(Oscillate, 200))),
            vec![tx(&[0xA0, 0x06, 0x01, 0x00, 0x64, 0xC8])]
        );
        let suck = feature(2, &[(Constrict, 0, 54)]);
        assert_eq!(
            writes(&encode(&mut h, &suck, cmd(Constrict, 20))),
            vec![tx(&[0xA0, 0x0D, 0x00, 0x00, 0x14, 0x14])]
        );
        assert_eq!(
            writes(&stop(&mut h, [&osc, &suck])),
            vec![
                tx(&[0xA0, 0x06, 0x01, 0x00, 0x64, 0x00]),
                tx(&[0xA0, 0x0D, 0x00, 0x00, 0x00, 0x00])
            ]
        );
    }
}
