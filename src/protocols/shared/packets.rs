//! The handler of every protocol that answers an output command with one packet on `tx`. How
//! the packet is made is the [`Encoder`]'s business: one packet for the feature alone
//! ([`super::per_feature`]) or one carrying the whole device's state
//! ([`super::whole_device`]). The options cover what the sheets vary around it: writes with
//! response, writes at connect, a battery (the standard BLE one or the protocol's own plan) and a
//! keep-alive.

use async_trait::async_trait;

use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocols::{
    CoalesceKey, DeviceIo, HardwareCommand, InputPlan, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_input, unsupported_output,
};
use crate::wire::{InputCommandType, InputType, OutputCommand};

/// Makes the packet of one output command.
pub trait Encoder: Send + 'static {
    /// The packet's bytes and coalescing key; `None` when the protocol has no packet for it.
    fn packet(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Option<(Vec<u8>, CoalesceKey)>;

    /// Size up the resolved definition at connect.
    fn setup(&mut self, _definition: &DeviceDefinition) {}
}

/// One packet on `tx` per output command.
pub struct Packets<E> {
    pub(super) encoder: E,
    with_response: bool,
    /// How to read the battery, if the protocol can.
    battery: Option<fn() -> InputPlan>,
    /// Written to `tx` at connect, in order: (bytes, with response).
    connect: Vec<(Vec<u8>, bool)>,
    keepalive: Keepalive,
}

impl<E: Encoder> Packets<E> {
    /// Packets from `encoder`, written without response; nothing at connect, no battery, no
    /// keep-alive.
    pub fn new(encoder: E) -> Packets<E> {
        Packets {
            encoder,
            with_response: false,
            battery: None,
            connect: Vec::new(),
            keepalive: Keepalive::None,
        }
    }

    /// Write with response.
    pub fn with_response(mut self) -> Packets<E> {
        self.with_response = true;
        self
    }

    /// Battery reads from the standard BLE battery characteristic ([`InputPlan::ble_battery`]).
    pub fn with_ble_battery(self) -> Packets<E> {
        self.with_battery(InputPlan::ble_battery)
    }

    /// Battery reads following the protocol's own `plan`.
    pub fn with_battery(mut self, plan: fn() -> InputPlan) -> Packets<E> {
        self.battery = Some(plan);
        self
    }

    /// At connect (initialize), write `data` to `tx`, after the writes added before.
    pub fn on_connect(mut self, data: impl Into<Vec<u8>>, with_response: bool) -> Packets<E> {
        self.connect.push((data.into(), with_response));
        self
    }

    /// The protocol's keep-alive (by default none).
    pub fn with_keepalive(mut self, keepalive: Keepalive) -> Packets<E> {
        self.keepalive = keepalive;
        self
    }

    /// Size up a definition (what initialize does besides the connect writes).
    pub fn setup(&mut self, definition: &DeviceDefinition) {
        self.encoder.setup(definition);
    }
}

#[async_trait]
impl<E: Encoder> ProtocolHandler for Packets<E> {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.setup(definition);
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
        let (data, key) = self
            .encoder
            .packet(feature, command)
            .ok_or_else(|| unsupported_output(&command))?;
        Ok(vec![HardwareCommand::write(
            Endpoint::Tx,
            data,
            self.with_response,
            key,
        )])
    }

    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        match self.battery {
            Some(plan) if input == InputType::Battery => Ok(plan()),
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
    use crate::protocols::shared::testing::{
        battery, cmd, definition, drain, feature, sim_io, write_op, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    /// `[step]` keyed by custom identity 0, for vibrate commands only.
    struct Step;

    impl Encoder for Step {
        fn packet(
            &mut self,
            _feature: &FeatureDefinition,
            command: OutputCommand,
        ) -> Option<(Vec<u8>, CoalesceKey)> {
            let OutputCommand::Vibrate(v) = command else {
                return None;
            };
            Some((vec![v.value as u8], CoalesceKey::custom(0)))
        }
    }

    #[test]
    fn one_write_per_command() {
        let f = feature(0, &[(Vibrate, 0, 10)]);
        let mut h = Packets::new(Step);
        let out = h.encode_output(&f, cmd(Vibrate, 7)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![7], false)]);
        assert_eq!(out[0].key, CoalesceKey::custom(0));
        let e = h.encode_output(&f, cmd(Rotate, 7)).unwrap_err();
        assert_eq!(e, unsupported_output(&cmd(Rotate, 7)));
        assert!(h.read_input(&battery(1), InputType::Battery).is_err());
        assert_eq!(h.keepalive(), Keepalive::None);
    }

    #[test]
    fn response_and_battery() {
        let f = feature(0, &[(Vibrate, 0, 10)]);
        let mut h = Packets::new(Step).with_response().with_ble_battery();
        let out = h.encode_output(&f, cmd(Vibrate, 1)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![1], true)]);
        assert!(h.read_input(&battery(1), InputType::Battery).is_ok());
        assert!(h.read_input(&battery(1), InputType::Pressure).is_err());
    }

    #[tokio::test]
    async fn connect_writes_and_keepalive() {
        let mut h = Packets::new(Step)
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
        assert!(!Packets::new(Step).stop_on_connect());
    }
}
