//! Motorbunny (`motorbunny`): a vibrator and a signed rotator, each with its own `tx` packet: a
//! 6-byte off packet for 0, otherwise a header, seven (value, constant) or (direction, speed)
//! pairs, an 8-bit sum of the pairs and `EC`.

use super::ProtocolHandler;
use super::shared::checksum::sum8;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet))
}

/// The packet of a command; `None` for an output type without one.
fn packet(_index: u32, command: OutputCommand) -> Option<Vec<u8>> {
    let v = command.value();
    Some(match command {
        OutputCommand::Vibrate(_) if v == 0 => vec![0xF0, 0x00, 0x00, 0x00, 0x00, 0xEC],
        OutputCommand::Vibrate(_) => running(0xFF, [byte(v), 0x14]),
        OutputCommand::Rotate(_) if v == 0 => vec![0xA0, 0x00, 0x00, 0x00, 0x00, 0xEC],
        OutputCommand::Rotate(_) => {
            let direction = if v > 0 { 0x2A } else { 0x29 };
            running(0xAF, [direction, byte(v.saturating_abs())])
        }
        _ => return None,
    })
}

/// `header`, seven copies of `pair`, the sum of those 14 bytes, `EC`.
fn running(header: u8, pair: [u8; 2]) -> Vec<u8> {
    let pairs: Vec<u8> = pair.repeat(7);
    let mut p = vec![header];
    p.extend(&pairs);
    p.push(sum8(&pairs));
    p.push(0xEC);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, hex, stop, writes};
    use crate::wire::OutputType::{Rotate, Vibrate};

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), false)
    }

    #[test]
    fn sheet_examples() {
        let (vib, rot) = (
            feature(0, &[(Vibrate, 0, 255)]),
            feature(1, &[(Rotate, -255, 255)]),
        );
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &vib, cmd(Vibrate, 128))),
            vec![tx("FF 80 14 80 14 80 14 80 14 80 14 80 14 80 14 0C EC")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &vib, cmd(Vibrate, 192))),
            vec![tx("FF C0 14 C0 14 C0 14 C0 14 C0 14 C0 14 C0 14 CC EC")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &rot, cmd(Rotate, 128))),
            vec![tx("AF 2A 80 2A 80 2A 80 2A 80 2A 80 2A 80 2A 80 A6 EC")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &rot, cmd(Rotate, -192))),
            vec![tx("AF 29 C0 29 C0 29 C0 29 C0 29 C0 29 C0 29 C0 5F EC")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&vib, &rot])),
            vec![tx("F0 00 00 00 00 EC"), tx("A0 00 00 00 00 EC")]
        );
    }
}
