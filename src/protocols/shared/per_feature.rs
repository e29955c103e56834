//! The encoder of every protocol that answers an output command with one packet for that feature
//! alone: the protocol gives the packet's bytes, [`Packets`] refuses what has no packet and writes
//! the packet to `tx` keyed by its feature, so it supersedes only that feature's unsent packets.

use super::packets::{Encoder, Packets};
use crate::device_config::FeatureDefinition;
use crate::protocols::CoalesceKey;
use crate::wire::{OutputCommand, OutputType};

/// The bytes of a command on feature `index`; `None` when the protocol has no packet for it.
type Packet = Box<dyn FnMut(u32, OutputCommand) -> Option<Vec<u8>> + Send>;

/// One packet per output command, for its feature alone.
pub struct PerFeature(Packet);

impl PerFeature {
    /// Packets `packet(feature index, command)` (`None`: refused as not implemented).
    pub fn new<P: Into<Vec<u8>>>(
        mut packet: impl FnMut(u32, OutputCommand) -> Option<P> + Send + 'static,
    ) -> Packets<PerFeature> {
        Packets::new(PerFeature(Box::new(move |index, command| {
            packet(index, command).map(Into::into)
        })))
    }

    /// Commands of one output type only, whose step `packet(feature index, step)` turns into
    /// bytes.
    pub fn of<P: Into<Vec<u8>>>(
        output: OutputType,
        mut packet: impl FnMut(u32, i32) -> P + Send + 'static,
    ) -> Packets<PerFeature> {
        PerFeature::new(move |index, command: OutputCommand| {
            (command.output_type() == output).then(|| packet(index, command.value()))
        })
    }
}

impl Encoder for PerFeature {
    fn packet(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Option<(Vec<u8>, CoalesceKey)> {
        let data = (self.0)(feature.index, command)?;
        Some((data, CoalesceKey::feature(feature.index)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, feature, writes};
    use crate::protocols::{ProtocolHandler, unsupported_output};
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn one_keyed_packet_per_command() {
        let mut h = PerFeature::of(Vibrate, |index, step| [index as u8, step as u8]);
        let f = feature(3, &[(Vibrate, 0, 10)]);
        let out = h.encode_output(&f, cmd(Vibrate, 7)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![3, 7], false)]);
        assert_eq!(out[0].key, CoalesceKey::feature(3));
        let e = h.encode_output(&f, cmd(Rotate, 7)).unwrap_err();
        assert_eq!(e, unsupported_output(&cmd(Rotate, 7)));
    }

    #[test]
    fn packets_may_refuse_and_keep_state() {
        let mut n = 0;
        let mut h = PerFeature::new(move |_, c: OutputCommand| {
            n += 1;
            (c.value() > 0).then_some(vec![n])
        });
        let f = feature(0, &[(Vibrate, 0, 10)]);
        assert!(h.encode_output(&f, cmd(Vibrate, 0)).is_err());
        let out = h.encode_output(&f, cmd(Vibrate, 1)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![2], false)]);
    }
}
