//! TCode v0.3 (`tcode-v03`): newline-terminated ASCII commands on `tx` (a serial port at
//! 115200 8N1 in the database; users may add BLE entries). Position drives the L0 and R0 axes,
//! HwPositionWithDuration is `L<i><pos>I<ms>`, Vibrate is `V<i><speed>`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(|feature, command| text(feature, &command)))
}

/// The command text. The padding widths (3 for Position, 2 for the others) are the reference's:
/// TCode reads the digits as a fraction, so e.g. step 5 of 0-1000 becomes `L005` (5 %, not
/// 0.5 %). We keep them, since they are the bytes existing devices and the vectors expect.
fn text(feature: u32, command: &OutputCommand) -> Option<String> {
    Some(match command {
        OutputCommand::Position(p) => format!("L0{:03}\nR0{:03}\n", p.value, p.value),
        OutputCommand::HwPositionWithDuration(p) => {
            format!("L{feature}{:02}I{}\n", p.value, p.duration)
        }
        OutputCommand::Vibrate(v) => format!("V{feature}{:02}\n", v.value),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, position, writes,
    };
    use crate::wire::OutputType::{Position, Rotate, Vibrate};

    #[test]
    fn linear_with_duration() {
        let f = feature(
            0,
            &[(crate::wire::OutputType::HwPositionWithDuration, 0, 100)],
        );
        let w = writes(&create().encode_output(&f, position(51, 200)).unwrap());
        assert_eq!(
            w,
            vec![(Endpoint::Tx, hex("4C 30 35 31 49 32 30 30 0A"), false)]
        );
        let out = create().encode_output(&f, position(500, 1000)).unwrap();
        assert_eq!(only_write(&out), b"L0500I1000\n");
        // The reference's padding: step 5 is `L005`, step 1000 `L01000`.
        assert_eq!(
            only_write(&create().encode_output(&f, position(5, 0)).unwrap()),
            b"L005I0\n"
        );
        let out = create().encode_output(&f, position(1000, 20)).unwrap();
        assert_eq!(only_write(&out), b"L01000I20\n");
    }

    #[test]
    fn position_drives_l0_and_r0() {
        let f = feature(3, &[(Position, 0, 1000)]);
        let out = create().encode_output(&f, cmd(Position, 500)).unwrap();
        assert_eq!(only_write(&out), b"L0500\nR0500\n");
        let out = create().encode_output(&f, cmd(Position, 7)).unwrap();
        assert_eq!(only_write(&out), b"L0007\nR0007\n");
    }

    #[test]
    fn vibrate_and_stop() {
        let f = feature(1, &[(Vibrate, 0, 99)]);
        let out = create().encode_output(&f, cmd(Vibrate, 99)).unwrap();
        assert_eq!(only_write(&out), hex("56 31 39 39 0A"));
        let out = create().encode_output(&f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("56 31 30 30 0A"));
        assert!(create().encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("tcode-v03") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
