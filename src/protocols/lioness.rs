//! Lioness (`lioness`): subscribe `rx`, then `[01 AA AA BB CC 10]` with response at connect
//! (fails when the toy is not paired with the OS); vibrate `[02 AA BB CC CC v]` on `tx`.

use async_trait::async_trait;

use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct Lioness;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Lioness)
}

#[async_trait]
impl ProtocolHandler for Lioness {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        io.write(Endpoint::Tx, &[0x01, 0xAA, 0xAA, 0xBB, 0xCC, 0x10], true)
            .await
            .map_err(|e| {
                ProtocolError::InvalidReply(format!(
                    "{e}: the Lioness probably needs to be paired with the operating system \
                     first (PIN 6496 or 006496)"
                ))
            })
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
            [0x02, 0xAA, 0xBB, 0xCC, 0xCC, v.value.clamp(0, 255) as u8],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    #[tokio::test]
    async fn connect_vibrate_stop() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)])]);
        let mut h = Lioness;
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("Lioness", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                SimOp::Subscribe {
                    endpoint: Endpoint::Rx
                },
                write_op(Endpoint::Tx, &[1, 0xAA, 0xAA, 0xBB, 0xCC, 0x10], true)
            ]
        );
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![2, 0xAA, 0xBB, 0xCC, 0xCC, 0x32], false)]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![2, 0xAA, 0xBB, 0xCC, 0xCC, 0]]
        );
        // A failing init write explains the pairing.
        let (_dev, mut io, _ops) =
            sim_io(SimulatedDeviceSpec::new("Lioness", "a"), &[Endpoint::Rx]).await;
        let e = h.initialize(&mut io, &def).await.unwrap_err();
        assert!(e.to_string().contains("6496"));
    }
}
