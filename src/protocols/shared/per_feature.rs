//! The handler of every protocol that answers an output command with one packet for that feature
//! alone: the protocol gives the packet's bytes, this handler refuses what has no packet, writes
//! the packet to `tx` keyed by its feature (so it supersedes only that feature's unsent
//! packets), and reads the standard BLE battery where the protocol has one.

use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::{InputCommandType, InputType, OutputCommand, OutputType};
use crate::protocols::{
    HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_input,
    unsupported_output,
};

/// The bytes of a command on feature `index`; `None` when the protocol has no packet for it.
type Packet = Box<dyn FnMut(u32, OutputCommand) -> Option<Vec<u8>> + Send>;

/// One packet per output command, for its feature alone.
pub struct PerFeature {
    packet: Packet,
    with_response: bool,
    battery: bool,
}

impl PerFeature {
    /// Packets `packet(feature index, command)` (`None`: refused as not implemented), written to
    /// `tx` without response.
    pub fn new<P: Into<Vec<u8>>>(
        mut packet: impl FnMut(u32, OutputCommand) -> Option<P> + Send + 'static,
    ) -> PerFeature {
        PerFeature {
            packet: Box::new(move |index, command| packet(index, command).map(Into::into)),
            with_response: false,
            battery: false,
        }
    }

    /// Commands of one output type only, whose step `packet(feature index, step)` turns into
    /// bytes.
    pub fn of<P: Into<Vec<u8>>>(
        output: OutputType,
        mut packet: impl FnMut(u32, i32) -> P + Send + 'static,
    ) -> PerFeature {
        PerFeature::new(move |index, command: OutputCommand| {
            (command.output_type() == output).then(|| packet(index, command.value()))
        })
    }

    /// Write with response.
    pub fn with_response(mut self) -> PerFeature {
        self.with_response = true;
        self
    }

    /// Battery reads from the standard BLE battery characteristic ([`InputPlan::ble_battery`]).
    pub fn with_ble_battery(mut self) -> PerFeature {
        self.battery = true;
        self
    }

    /// The packet of one command.
    pub fn encode(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let data =
            (self.packet)(feature.index, command).ok_or_else(|| unsupported_output(&command))?;
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            data,
            self.with_response,
        )])
    }
}

impl ProtocolHandler for PerFeature {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        self.encode(feature, command)
    }

    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        match input {
            InputType::Battery if self.battery => Ok(InputPlan::ble_battery()),
            _ => Err(unsupported_input(input, InputCommandType::Read)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Rotate, Vibrate};
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{battery, cmd, feature, writes};

    #[test]
    fn one_keyed_packet_per_command() {
        let mut h = PerFeature::of(Vibrate, |index, step| [index as u8, step as u8]);
        let f = feature(3, &[(Vibrate, 0, 10)]);
        let out = h.encode_output(&f, cmd(Vibrate, 7)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![3, 7], false)]);
        assert_eq!(out[0].key, CoalesceKey::feature(3));
        let e = h.encode_output(&f, cmd(Rotate, 7)).unwrap_err();
        assert_eq!(e, unsupported_output(&cmd(Rotate, 7)));
        assert!(h.read_input(&battery(1), InputType::Battery).is_err());
    }

    #[test]
    fn options() {
        let mut h = PerFeature::new(|_, c: OutputCommand| (c.value() > 0).then_some(vec![1]))
            .with_response()
            .with_ble_battery();
        let f = feature(0, &[(Vibrate, 0, 10)]);
        let out = h.encode_output(&f, cmd(Vibrate, 1)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![1], true)]);
        assert!(h.encode_output(&f, cmd(Vibrate, 0)).is_err());
        assert!(h.read_input(&battery(1), InputType::Battery).is_ok());
        assert!(h.read_input(&battery(1), InputType::Pressure).is_err());
    }
}
