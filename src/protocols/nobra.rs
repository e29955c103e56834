//! Nobra's Silicone Dreams (`nobra`, BLE or serial): one vibrator (0–15) driven by single bytes
//! on `tx`: `0x60 + step` while running, `0x70` for off (also written once at connect).

use async_trait::async_trait;

use super::shared::values::byte;
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

const OFF: u8 = 0x70;

pub struct Nobra;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Nobra)
}

#[async_trait]
impl ProtocolHandler for Nobra {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.write(Endpoint::Tx, &[OFF], false).await
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let b = match byte(v.value) {
            0 => OFF,
            s => 0x60 + s.min(15),
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [b],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{
        cmd, definition, drain, encode, feature, sim_io, stop, write_op, writes,
    };

    #[tokio::test]
    async fn connect_then_sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 15)]);
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("NobraController  ", "a"),
            &[Endpoint::Tx],
        )
        .await;
        let mut h = create();
        h.initialize(&mut io, &definition(vec![f.clone()]))
            .await
            .unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::Tx, &[0x70], false)]
        );
        let mut one = |s| {
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, s)))[0]
                .1
                .clone()
        };
        assert_eq!(one(8), vec![0x68]);
        assert_eq!(one(12), vec![0x6C]);
        assert_eq!(one(15), vec![0x6F]);
        assert_eq!(one(1), vec![0x61]);
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![(Endpoint::Tx, vec![0x70], false)]
        );
    }
}
