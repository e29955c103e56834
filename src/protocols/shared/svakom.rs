//! Svakom helpers: the on/off flag next to a step, and the packet of the models whose two
//! motors share one speed byte (svakom-barney, -v4, -v5, -v6), with the encoder of the three
//! whose packets are otherwise the same (svakom-barney, -v4, -v6; -v6 adds packets of its own for
//! a third vibrator and for other output types).

use super::packets::{Encoder, Packets};
use super::values::byte;
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::protocols::CoalesceKey;
use crate::wire::{OutputCommand, OutputType};

/// The "running" flag most Svakom packets carry: 1 when the step is not 0.
pub fn flag(step: u8) -> u8 {
    u8::from(step > 0)
}

/// Two motors driven by one packet: a selector says which run, one byte gives their common
/// speed (the larger of the two).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SharedSpeed {
    pub a: u8,
    pub b: u8,
}

impl SharedSpeed {
    /// Store the step of motor 0 or 1; `false` for any other motor.
    pub fn set(&mut self, motor: u32, step: u8) -> bool {
        match motor {
            0 => self.a = step,
            1 => self.b = step,
            _ => return false,
        }
        true
    }

    /// `[55 03 SEL 00 ON max(a, b)]`: SEL is 0 for a one-motor model (`single`), when both or
    /// neither motor runs, else 1 (only motor 0) or 2 (only motor 1); ON is `on` unless both are 0.
    pub fn packet(&self, single: bool, on: u8) -> [u8; 6] {
        let (a, b) = (self.a, self.b);
        let sel = if single || (a > 0 && b > 0) || a == b {
            0x00
        } else if a > 0 {
            0x01
        } else {
            0x02
        };
        let on = if a == 0 && b == 0 { 0x00 } else { on };
        [0x55, 0x03, sel, 0x00, on, a.max(b)]
    }

    /// The coalescing key of these packets: both motors' features, so a newer packet replaces an
    /// unsent older one while packets of other features stay.
    pub fn key() -> CoalesceKey {
        CoalesceKey(CoalesceKey::feature(0).0 | CoalesceKey::feature(1).0)
    }
}

/// svakom-barney, -v4 and -v6: vibrators 0 and 1 share the 7-byte packet
/// `[55 03 SEL 00 ON max(a, b) 00]` (see [`SharedSpeed::packet`]), keyed by both motors; SEL stays
/// 0 when the definition has a single vibrator.
pub struct SharedSpeedVibrators {
    motors: SharedSpeed,
    /// The key of the shared packet: the features of the motors it drives.
    key: CoalesceKey,
    single: bool,
    /// The ON byte while a motor runs.
    on: u8,
    /// The packet of any other vibrator, keyed by its feature (svakom-v6); `None`: refused.
    other: Option<fn(u8) -> [u8; 7]>,
    /// The packet of a command of another output type, keyed by its feature (svakom-v6);
    /// `None`: refused.
    outputs: Option<OutputPacket>,
}

/// The packet of a command of an output type other than Vibrate; `None`: refused.
type OutputPacket = fn(OutputCommand) -> Option<[u8; 7]>;

impl SharedSpeedVibrators {
    /// Two shared-speed vibrators whose packets carry `on` while running, written to `tx`
    /// without response.
    pub fn new(on: u8) -> Packets<SharedSpeedVibrators> {
        Packets::new(SharedSpeedVibrators {
            motors: SharedSpeed::default(),
            key: SharedSpeed::key(),
            single: false,
            on,
            other: None,
            outputs: None,
        })
    }
}

impl Packets<SharedSpeedVibrators> {
    /// A vibrator other than 0 and 1 gets its own packet `packet(step)`.
    pub fn with_other_vibrators(mut self, packet: fn(u8) -> [u8; 7]) -> Self {
        self.encoder.other = Some(packet);
        self
    }

    /// Output types other than Vibrate get their own packet `packet(command)` (`None`: refused).
    pub fn with_other_outputs(mut self, packet: OutputPacket) -> Self {
        self.encoder.outputs = Some(packet);
        self
    }
}

impl Encoder for SharedSpeedVibrators {
    fn packet(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Option<(Vec<u8>, CoalesceKey)> {
        let OutputCommand::Vibrate(v) = command else {
            let packet = self.outputs?(command)?;
            return Some((packet.to_vec(), CoalesceKey::feature(feature.index)));
        };
        let s = byte(v.value);
        if self.motors.set(feature.index, s) {
            let [a, b, c, d, e, f] = self.motors.packet(self.single, self.on);
            return Some((vec![a, b, c, d, e, f, 0x00], self.key));
        }
        let other = self.other?;
        Some((other(s).to_vec(), CoalesceKey::feature(feature.index)))
    }

    /// Count the definition's vibrators; key the shared packet by those at 0 and 1 only, so
    /// that another output at index 1 (Klitty's suction) does not supersede it: a stop of
    /// vibrator 0 followed by that output's stop would otherwise lose the vibrator's.
    fn setup(&mut self, def: &DeviceDefinition) {
        let vibrators: Vec<u32> = def
            .features
            .iter()
            .filter(|f| f.output(OutputType::Vibrate).is_some())
            .map(|f| f.index)
            .collect();
        self.single = vibrators.len() == 1;
        self.key = CoalesceKey(
            vibrators
                .iter()
                .filter(|i| **i < 2)
                .fold(0, |k, i| k | CoalesceKey::feature(*i).0),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_and_speed() {
        let mut s = SharedSpeed::default();
        assert_eq!(s.packet(false, 1), [0x55, 0x03, 0x00, 0x00, 0x00, 0x00]);
        assert!(s.set(0, 4));
        assert_eq!(s.packet(false, 1), [0x55, 0x03, 0x01, 0x00, 0x01, 0x04]);
        assert_eq!(s.packet(true, 1), [0x55, 0x03, 0x00, 0x00, 0x01, 0x04]);
        s.set(1, 7);
        assert_eq!(s.packet(false, 3), [0x55, 0x03, 0x00, 0x00, 0x03, 0x07]);
        s.set(0, 0);
        assert_eq!(s.packet(false, 1), [0x55, 0x03, 0x02, 0x00, 0x01, 0x07]);
        assert!(!s.set(2, 1));
        assert!(SharedSpeed::key().overlaps(CoalesceKey::feature(1)));
        assert!(!SharedSpeed::key().overlaps(CoalesceKey::feature(2)));
        assert_eq!(byte(-3), 0);
        assert_eq!(byte(300), 255);
        assert_eq!(flag(0), 0);
        assert_eq!(flag(9), 1);
    }
}
