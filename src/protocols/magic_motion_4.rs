//! Magic Motion V4 (`magic-motion-4`): a 17-byte packet on `tx` (with response) carrying two
//! motor slots. Two-motor models keep both values (whole-device packets); one-motor models drive
//! both slots with the same speed. Battery from the standard BLE battery characteristic.

use async_trait::async_trait;

use super::shared::values::{OutputState, byte};
use super::{
    DeviceIo, HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{InputType, OutputCommand};

pub struct MagicMotion4 {
    motors: OutputState,
    /// One output feature: both slots mirror it.
    mirror: bool,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(MagicMotion4 {
        motors: OutputState::with_features(2),
        mirror: true,
    })
}

#[async_trait]
impl ProtocolHandler for MagicMotion4 {
    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        let outputs = definition
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .count();
        self.mirror = outputs < 2;
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let (a, b) = if self.mirror {
            (byte(v.value), byte(v.value))
        } else {
            if !self.motors.set(feature.index, v.value) {
                return Err(unsupported_output(&command));
            }
            (byte(self.motors.get(0)), byte(self.motors.get(1)))
        };
        let packet = [
            0x10, 0xFF, 0x04, 0x0A, 0x32, 0x32, 0x00, 0x04, 0x08, a, 0x64, 0x00, 0x04, 0x08, b,
            0x64, 0x01,
        ];
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            packet,
            true,
        )])
    }

    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        InputPlan::ble_battery_only(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{
        battery, cmd, definition, drain, encode, feature, hex, message, sim_io, stop, writes,
    };
    use crate::wire::OutputType::Vibrate;

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), true)
    }

    async fn initialized(features: Vec<FeatureDefinition>) -> Box<dyn ProtocolHandler> {
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("bobi2", "a"),
            &[Endpoint::Tx, Endpoint::RxBleBattery],
        )
        .await;
        let mut h = create();
        h.initialize(&mut io, &definition(features)).await.unwrap();
        assert!(drain(&mut ops).is_empty(), "initialization writes nothing");
        h
    }

    #[tokio::test]
    async fn nyx_mirrors_one_motor() {
        let m0 = feature(0, &[(Vibrate, 0, 100)]);
        let mut h = initialized(vec![m0.clone(), battery(1)]).await;
        assert_eq!(
            writes(&encode(h.as_mut(), &m0, cmd(Vibrate, 50))),
            vec![tx("10 FF 04 0A 32 32 00 04 08 32 64 00 04 08 32 64 01")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &m0, cmd(Vibrate, 75))),
            vec![tx("10 FF 04 0A 32 32 00 04 08 4B 64 00 04 08 4B 64 01")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&m0])),
            vec![tx("10 FF 04 0A 32 32 00 04 08 00 64 00 04 08 00 64 01")]
        );
    }

    #[tokio::test]
    async fn bobi_keeps_both_motors() {
        let (m0, m1) = (
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        );
        let mut h = initialized(vec![m0.clone(), m1.clone(), battery(2)]).await;
        let both = writes(&message(
            h.as_mut(),
            &[
                (&m0, OutputCommand::new(Vibrate, 50, 0)),
                (&m1, OutputCommand::new(Vibrate, 25, 0)),
            ],
        ));
        assert_eq!(
            both,
            vec![tx("10 FF 04 0A 32 32 00 04 08 32 64 00 04 08 19 64 01")]
        );
        let next = writes(&message(
            h.as_mut(),
            &[
                (&m0, OutputCommand::new(Vibrate, 0, 0)),
                (&m1, OutputCommand::new(Vibrate, 50, 0)),
            ],
        ));
        assert_eq!(
            next,
            vec![tx("10 FF 04 0A 32 32 00 04 08 00 64 00 04 08 32 64 01")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&m0, &m1])),
            vec![tx("10 FF 04 0A 32 32 00 04 08 00 64 00 04 08 00 64 01")]
        );
    }
}
