//! The encoder of every protocol whose packets carry the whole device: a command stores its step
//! in its feature's slot (features 0 to N-1), then one packet made from every slot is written to
//! `tx` by [`Packets`], superseding every unsent packet of the device. The protocol gives the
//! packet; options cover what the sheets vary: a per-feature key, slots chosen by output type
//! instead of feature, and one-vibrator models that repeat motor 0 in every slot.

use super::packets::{Encoder, Packets};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::protocols::CoalesceKey;
use crate::wire::{OutputCommand, OutputType};

/// The bytes of the packet carrying every slot's step.
type Packet<const N: usize> = Box<dyn Fn(&[i32; N]) -> Vec<u8> + Send>;

/// One packet carrying every feature's last step.
pub struct WholeDevice<const N: usize> {
    outputs: &'static [OutputType],
    steps: [i32; N],
    packet: Packet<N>,
    by_feature: bool,
    /// The slot is the position of the command's type in `outputs`, whatever the feature.
    by_type: bool,
    /// Repeat motor 0 in every slot when the definition has at most one vibrator.
    mirror_single: bool,
    mirrored: bool,
}

impl<const N: usize> WholeDevice<N> {
    /// Slots for features 0 to N-1 taking commands of the `outputs` types (anything else is
    /// refused), all 0 at connect; every command writes `packet(steps)`.
    pub fn new<P: Into<Vec<u8>>>(
        outputs: &'static [OutputType],
        packet: impl Fn(&[i32; N]) -> P + Send + 'static,
    ) -> Packets<WholeDevice<N>> {
        Packets::new(WholeDevice {
            outputs,
            steps: [0; N],
            packet: Box::new(move |steps| packet(steps).into()),
            by_feature: false,
            by_type: false,
            mirror_single: false,
            mirrored: false,
        })
    }
}

impl<const N: usize> Packets<WholeDevice<N>> {
    /// Key each packet by the commanded feature instead of the whole device.
    pub fn keyed_by_feature(mut self) -> Packets<WholeDevice<N>> {
        self.encoder.by_feature = true;
        self
    }

    /// Slot `i` holds the step of the `i`-th output type given to [`WholeDevice::new`], whatever
    /// feature the command is for.
    pub fn slots_by_output_type(mut self) -> Packets<WholeDevice<N>> {
        self.encoder.by_type = true;
        self
    }

    /// A definition with at most one vibrator drives every slot from feature 0 (as does the
    /// handler before it knows its definition).
    pub fn mirror_single_vibrator(mut self) -> Packets<WholeDevice<N>> {
        self.encoder.mirror_single = true;
        self.encoder.mirrored = true;
        self
    }

    /// Whether every slot repeats feature 0 (a one-vibrator definition).
    pub fn mirrored(&self) -> bool {
        self.encoder.mirrored
    }
}

impl<const N: usize> Encoder for WholeDevice<N> {
    fn packet(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Option<(Vec<u8>, CoalesceKey)> {
        let position = self
            .outputs
            .iter()
            .position(|t| *t == command.output_type())?;
        let slot = if self.by_type {
            position
        } else {
            feature.index as usize
        };
        *self.steps.get_mut(slot)? = command.value();
        let steps = if self.mirrored {
            [self.steps.first().copied().unwrap_or(0); N]
        } else {
            self.steps
        };
        let key = if self.by_feature {
            CoalesceKey::feature(feature.index)
        } else {
            CoalesceKey::device()
        };
        Some(((self.packet)(&steps), key))
    }

    fn setup(&mut self, definition: &DeviceDefinition) {
        let vibrators = definition
            .features
            .iter()
            .filter(|f| f.output(OutputType::Vibrate).is_some())
            .count();
        self.mirrored = self.mirror_single && vibrators <= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::ProtocolHandler;
    use crate::protocols::shared::testing::{cmd, definition, feature, writes};
    use crate::wire::OutputType::{Rotate, Vibrate};

    fn pair() -> Packets<WholeDevice<2>> {
        WholeDevice::new(&[Vibrate], |[a, b]: &[i32; 2]| [*a as u8, *b as u8])
    }

    #[test]
    fn every_packet_carries_every_slot() {
        let mut h = pair();
        let (f0, f1) = (
            feature(0, &[(Vibrate, 0, 9)]),
            feature(1, &[(Vibrate, 0, 9)]),
        );
        h.encode_output(&f0, cmd(Vibrate, 3)).unwrap();
        let out = h.encode_output(&f1, cmd(Vibrate, 4)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![3, 4], false)]);
        assert_eq!(out[0].key, CoalesceKey::device());
        assert!(h.encode_output(&f0, cmd(Rotate, 1)).is_err());
        let f2 = feature(2, &[(Vibrate, 0, 9)]);
        assert!(h.encode_output(&f2, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn options() {
        let mut h = pair().keyed_by_feature().mirror_single_vibrator();
        assert!(h.mirrored());
        let f0 = feature(0, &[(Vibrate, 0, 9)]);
        h.setup(&definition(vec![f0.clone()]));
        assert!(h.mirrored());
        let out = h.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![5, 5], false)]);
        assert_eq!(out[0].key, CoalesceKey::feature(0));
        let f1 = feature(1, &[(Vibrate, 0, 9)]);
        h.setup(&definition(vec![f0, f1]));
        assert!(!h.mirrored());
    }

    #[test]
    fn slots_by_output_type() {
        let mut h = WholeDevice::new(&[Rotate, Vibrate], |[r, v]: &[i32; 2]| [*r as u8, *v as u8])
            .slots_by_output_type();
        let f5 = feature(5, &[(Vibrate, 0, 9), (Rotate, 0, 9)]);
        h.encode_output(&f5, cmd(Vibrate, 2)).unwrap();
        let out = h.encode_output(&f5, cmd(Rotate, 3)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![3, 2], false)]);
    }
}
