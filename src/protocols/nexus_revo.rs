//! Nexus Revo (`nexus-revo`): a vibrator (0–10) and a two-speed signed rotator, each with its
//! own 6-byte `AA 01` packet on `tx`, with response.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet).with_response())
}

/// The packet of a command; `None` for an output type without one.
fn packet(_index: u32, command: OutputCommand) -> Option<[u8; 6]> {
    let v = command.value();
    match command {
        OutputCommand::Vibrate(_) => Some([0xAA, 0x01, 0x01, 0x00, 0x01, byte(v)]),
        // Mode 1–2: counter-clockwise slow/fast; 3–4: clockwise slow/fast; 0: stop.
        OutputCommand::Rotate(_) => {
            let mode = byte(v.saturating_abs()).min(2) + if v > 0 { 2 } else { 0 };
            Some([0xAA, 0x01, 0x02, 0x00, mode, 0x00])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};
    use crate::wire::OutputType::{Rotate, Vibrate};

    fn tx(b: [u8; 6]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), true)
    }

    #[test]
    fn sheet_examples() {
        let (vib, rot) = (
            feature(0, &[(Vibrate, 0, 10)]),
            feature(1, &[(Rotate, -2, 2)]),
        );
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &vib, cmd(Vibrate, 5))),
            vec![tx([0xAA, 0x01, 0x01, 0x00, 0x01, 0x05])]
        );
        let modes: Vec<u8> = [-2, -1, 0, 1, 2]
            .iter()
            .map(|r| writes(&encode(h.as_mut(), &rot, cmd(Rotate, *r)))[0].1[4])
            .collect();
        assert_eq!(modes, vec![2, 1, 0, 3, 4]);
        assert_eq!(
            writes(&encode(h.as_mut(), &rot, cmd(Rotate, 1))),
            vec![tx([0xAA, 0x01, 0x02, 0x00, 0x03, 0x00])]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&vib, &rot])),
            vec![
                tx([0xAA, 0x01, 0x01, 0x00, 0x01, 0x00]),
                tx([0xAA, 0x01, 0x02, 0x00, 0x00, 0x00])
            ]
        );
    }
}
