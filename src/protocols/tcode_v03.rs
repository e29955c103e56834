//! TCode v0.3 (`tcode-v03`): newline-terminated ASCII commands on `tx` (a serial port at
//! 115200 8N1 in the database; users may add BLE entries). Position drives the L0 and R0 axes,
//! HwPositionWithDuration is `L<i><pos>I<ms>`, Vibrate is `V<i><speed>`. See
//! docs/protocols/tcode-v03.md.
//!
//! TCode reads the digits after the axis as a fraction (`L05` = `L0500` = 50 %). Choice for
//! HwPositionWithDuration: the position gets as many digits as the feature's range needs (those
//! of its maximum minus one: 3 for database v5's 0–999, 2 for a user's 0–100), so every step means
//! the same fraction of travel, and the top of a 0–1000 or 0–100 range is written as 999 or 99
//! (v10 and 12 write `1000` or `100`, a tenth of the travel). With v5's 0–999 range this is
//! exactly buttplug_server 12's 3-digit padding (`L0005I200`); with the 0–100 range of the vector
//! it is v10's `L051I200` (12 writes `L0051`, 5.1 %). Position and Vibrate keep the reference's
//! padding (3 and 2 digits, unchanged in 12). The axis digit is always the feature index (12 now
//! does the same for legacy LinearCmd).

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::{OutputCommand, OutputType};

pub struct TCode;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(TCode)
}

/// Digits of a HwPositionWithDuration position on a feature: those of its range's maximum
/// minus one (at least 1); 3 when the feature does not say.
fn position_digits(feature: &FeatureDefinition) -> usize {
    feature
        .output(OutputType::HwPositionWithDuration)
        .map_or(3, |o| {
            o.base_range.1.saturating_sub(1).max(1).to_string().len()
        })
}

/// `value` as exactly `digits` decimal digits, capped at the largest such number.
fn fraction(value: i32, digits: usize) -> String {
    let top = 10i64.pow(u32::try_from(digits).unwrap_or(9).min(9)) - 1;
    let v = i64::from(value).clamp(0, top);
    format!("{v:0digits$}")
}

/// The command text.
fn text(feature: &FeatureDefinition, command: &OutputCommand) -> Option<String> {
    let i = feature.index;
    Some(match command {
        OutputCommand::Position(p) => format!("L0{:03}\nR0{:03}\n", p.value, p.value),
        OutputCommand::HwPositionWithDuration(p) => {
            let position = fraction(p.value, position_digits(feature));
            format!("L{i}{position}I{}\n", p.duration)
        }
        OutputCommand::Vibrate(v) => format!("V{i}{:02}\n", v.value),
        _ => return None,
    })
}

impl ProtocolHandler for TCode {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let text = text(feature, &command).ok_or_else(|| unsupported_output(&command))?;
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            text,
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, position, writes,
    };
    use crate::wire::OutputType::{HwPositionWithDuration, Position, Rotate, Vibrate};

    fn moved(max: i32, index: u32, step: i32, ms: u32) -> Vec<u8> {
        let f = feature(index, &[(HwPositionWithDuration, 0, max)]);
        only_write(&create().encode_output(&f, position(step, ms)).unwrap())
    }

    /// The vector's user range 0–100: two digits, v10's bytes.
    #[test]
    fn linear_with_duration_on_a_0_100_range() {
        let f = feature(0, &[(HwPositionWithDuration, 0, 100)]);
        let w = writes(&create().encode_output(&f, position(51, 200)).unwrap());
        assert_eq!(
            w,
            vec![(Endpoint::Tx, hex("4C 30 35 31 49 32 30 30 0A"), false)]
        );
        assert_eq!(moved(100, 0, 5, 0), b"L005I0\n");
        assert_eq!(moved(100, 0, 100, 20), b"L099I20\n", "not L0100 (10 %)");
    }

    /// Database v5's 0–999 range: buttplug_server 12's three digits.
    #[test]
    fn linear_with_duration_on_the_v5_range() {
        assert_eq!(moved(999, 0, 500, 1000), b"L0500I1000\n");
        assert_eq!(moved(999, 0, 5, 200), b"L0005I200\n");
        assert_eq!(moved(999, 0, 999, 20), b"L0999I20\n");
        // v4's 0–1000: the same digits, and the top is 99.9 %, not L01000 (10 %).
        assert_eq!(moved(1000, 0, 5, 200), b"L0005I200\n");
        assert_eq!(moved(1000, 0, 1000, 20), b"L0999I20\n");
        // Other ranges, and the axis is the feature index.
        assert_eq!(moved(10, 2, 5, 100), b"L25I100\n");
        assert_eq!(moved(9999, 1, 42, 100), b"L10042I100\n");
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

    /// The database's defaults (v5: 0–999): three digits, buttplug_server 12's bytes.
    #[test]
    fn database_defaults() {
        let def = crate::protocols::shared::testing::db_resolve("tcode-v03", None);
        let f = &def.features[0];
        assert_eq!(position_digits(f), 3);
        let out = create().encode_output(f, position(5, 200)).unwrap();
        assert_eq!(only_write(&out), b"L0005I200\n");
    }
}
