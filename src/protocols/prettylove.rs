//! Pretty Love (`prettylove`, Aogu BLE): one vibrator (0–3), `00 <step>` on `tx` with response.
//! Every device is identified as `Aogu BLE`, whatever it advertises.

use async_trait::async_trait;

use super::shared::values::byte;
use super::{
    DeviceIo, HardwareCommand, Identification, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

const IDENTIFIER: &str = "Aogu BLE";

pub struct PrettyLove;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PrettyLove)
}

#[async_trait]
impl ProtocolHandler for PrettyLove {
    async fn identify(&mut self, _io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        Ok(Identification::identifier(IDENTIFIER))
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x00, byte(v.value)],
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{cmd, drain, encode, feature, sim_io, stop, writes};
    use crate::wire::OutputType::Vibrate;

    fn tx(b: [u8; 2]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), true)
    }

    #[tokio::test]
    async fn identifies_as_aogu_ble() {
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("Aogu BLE 1234", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        let id = PrettyLove.identify(&mut io).await.unwrap();
        assert_eq!(id, Identification::identifier("Aogu BLE"));
        assert!(drain(&mut ops).is_empty());
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut h = PrettyLove;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 1))),
            vec![tx([0x00, 0x01])]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 3))),
            vec![tx([0x00, 0x03])]
        );
        assert_eq!(writes(&stop(&mut h, [&f])), vec![tx([0x00, 0x00])]);
    }
}
