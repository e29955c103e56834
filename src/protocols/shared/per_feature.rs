//! The handler of every protocol that answers an output command with one packet for that feature
//! alone: the protocol gives the packet's bytes, this handler refuses what has no packet, writes
//! the packet to `tx` keyed by its feature (so it supersedes only that feature's unsent
//! packets), and reads the standard BLE battery where the protocol has one. Protocols may add
//! writes at connect and a keep-alive.

use async_trait::async_trait;

use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocol::{InputCommandType, InputType, OutputCommand, OutputType};
use crate::protocols::{
    DeviceIo, HardwareCommand, InputPlan, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_input, unsupported_output,
};

/// The bytes of a command on feature `index`; `None` when the protocol has no packet for it.
type Packet = Box<dyn FnMut(u32, OutputCommand) -> Option<Vec<u8>> + Send>;

/// One packet per output command, for its feature alone.
pub struct PerFeature {
    packet: Packet,
    with_response: bool,
    battery: bool,
    /// Written to `tx` at connect, in order: (bytes, with response).
    connect: Vec<(Vec<u8>, bool)>,
    keepalive: Keepalive,
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
            connect: Vec::new(),
            keepalive: Keepalive::None,
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

    /// At connect (initialize), write `data` to `tx`, after the writes added before.
    pub fn on_connect(mut self, data: impl Into<Vec<u8>>, with_response: bool) -> PerFeature {
        self.connect.push((data.into(), with_response));
        self
    }

    /// The protocol's keep-alive (by default none).
    pub fn with_keepalive(mut self, keepalive: Keepalive) -> PerFeature {
        self.keepalive = keepalive;
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

#[async_trait]
impl ProtocolHandler for PerFeature {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        for (data, with_response) in &self.connect {
            io.write(Endpoint::Tx, data, *with_response).await?;
        }
        Ok(())
    }

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

    fn keepalive(&self) -> Keepalive {
        self.keepalive
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocol::OutputType::{Rotate, Vibrate};
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        battery, cmd, definition, drain, feature, sim_io, write_op, writes,
    };

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

    #[tokio::test]
    async fn connect_writes_and_keepalive() {
        let mut h = PerFeature::of(Vibrate, |_, _| [0])
            .on_connect([1, 2], true)
            .on_connect([3], false)
            .with_keepalive(Keepalive::RepeatLast(std::time::Duration::from_secs(1)));
        let spec = SimulatedDeviceSpec::new("test", "a");
        let (_dev, mut io, mut ops) = sim_io(spec, &[Endpoint::Tx]).await;
        h.initialize(&mut io, &definition(vec![])).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                write_op(Endpoint::Tx, &[1, 2], true),
                write_op(Endpoint::Tx, &[3], false)
            ]
        );
        assert!(h.stop_on_connect());
        assert!(!PerFeature::of(Vibrate, |_, _| [0]).stop_on_connect());
    }
}
