//! Hismith (`hismith`): legacy Hismith machines. The model is read from `rxblemodel` (hex string
//! of its bytes); models other than the six legacy ones are handed over to `hismith-mini`.
//! Packets: `[AA, id, val, id + val]` on `tx`, one per feature.

use async_trait::async_trait;

use super::{
    DeviceIo, HardwareCommand, Identification, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

const LEGACY_MODELS: [&str; 6] = ["1001", "1002", "1003", "3001", "2001", "1006"];

#[derive(Default)]
pub struct Hismith;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Hismith)
}

/// Read the model number from `rxblemodel` as a lowercase hex string (`20 01` → `"2001"`).
/// Shared with `hismith-mini`.
pub(super) async fn read_model(io: &mut DeviceIo) -> Result<String, ProtocolError> {
    let bytes = io
        .read(
            Endpoint::RxBleModel,
            128,
            std::time::Duration::from_millis(500),
        )
        .await?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `[prefix, id, val, id + val]`.
pub(super) fn packet(prefix: u8, id: u8, val: u8) -> [u8; 4] {
    [prefix, id, val, id.wrapping_add(val)]
}

fn identification(model: String) -> Identification {
    if LEGACY_MODELS.contains(&model.as_str()) {
        Identification::identifier(model)
    } else {
        Identification {
            identifier: Some(model),
            switch_to: Some("hismith-mini"),
        }
    }
}

#[async_trait]
impl ProtocolHandler for Hismith {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        Ok(identification(read_model(io).await?))
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let v = command.value().clamp(0, 255) as u8;
        let (id, val) = match command {
            OutputCommand::Oscillate(_) => (0x04, v),
            OutputCommand::Vibrate(_) if feature.index == 0 => (0x04, v),
            // The cup/G011 secondary vibrator: off is 0xF0, not 0.
            OutputCommand::Vibrate(_) => (0x06, if v == 0 { 0xF0 } else { v }),
            _ => return Err(unsupported_output(&command)),
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet(0xAA, id, val),
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[tokio::test(start_paused = true)]
    async fn identify_reads_the_model() {
        let spec = SimulatedDeviceSpec::new("HISMITH", "a");
        let (dev, mut io, mut ops) = sim_io(spec, &[Endpoint::RxBleModel, Endpoint::Tx]).await;
        dev.queue_read(Endpoint::RxBleModel, vec![0x20, 0x01]);
        let id = Hismith.identify(&mut io).await.unwrap();
        assert_eq!(id, Identification::identifier("2001"));
        assert_eq!(
            drain(&mut ops),
            vec![SimOp::Read {
                endpoint: Endpoint::RxBleModel
            }]
        );
        let spec = SimulatedDeviceSpec::new("HISMITH", "a");
        let (dev, mut io, _ops) = sim_io(spec, &[Endpoint::RxBleModel]).await;
        dev.queue_read(Endpoint::RxBleModel, vec![0x10, 0x05]);
        let id = Hismith.identify(&mut io).await.unwrap();
        assert_eq!(id.identifier.as_deref(), Some("1005"));
        assert_eq!(id.switch_to, Some("hismith-mini"));
        let (_dev, mut io, _ops) = sim_io(
            SimulatedDeviceSpec::new("HISMITH", "a"),
            &[Endpoint::RxBleModel],
        )
        .await;
        assert!(Hismith.identify(&mut io).await.is_err());
    }

    #[test]
    fn thrusting_cup() {
        let def = definition(vec![
            feature(0, &[(Oscillate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 1)]),
        ]);
        let mut h = Hismith;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Oscillate, 50))),
            vec![(Endpoint::Tx, vec![0xAA, 0x04, 0x32, 0x36], false)]
        );
        let m = message(
            &mut h,
            &[
                (&def.features[0], cmd(Oscillate, 10)),
                (&def.features[1], cmd(Vibrate, 1)),
            ],
        );
        assert_eq!(
            data(&m),
            vec![vec![0xAA, 0x04, 0x0A, 0x0E], vec![0xAA, 0x06, 0x01, 0x07]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0xAA, 0x04, 0x00, 0x04], vec![0xAA, 0x06, 0xF0, 0xF6]]
        );
    }

    #[test]
    fn wildolo() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)])]);
        let mut h = Hismith;
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 50))),
            vec![vec![0xAA, 0x04, 0x32, 0x36]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0xAA, 0x04, 0x00, 0x04]]
        );
    }
}
