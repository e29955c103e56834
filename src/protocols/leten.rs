//! Leten (`leten`): `[04 01]` at connect, vibrate `[02 v]` on `tx`, all with response. The
//! device stops without traffic, so the last packet is repeated after 1 s of idleness (and a stop
//! is sent right after connecting to seed it).

use std::time::Duration;

use async_trait::async_trait;

use super::{
    DeviceIo, HardwareCommand, Keepalive, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

const KEEPALIVE: Duration = Duration::from_millis(1000);

#[derive(Default)]
pub struct Leten;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Leten)
}

#[async_trait]
impl ProtocolHandler for Leten {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        // The vendor app sometimes sends [04 00] and waits for [01] first; the reference skips
        // that, and the device works without it.
        io.write(Endpoint::Tx, &[0x04, 0x01], true).await
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
            [0x02, v.value.clamp(0, 255) as u8],
            true,
        )])
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::RepeatLast(KEEPALIVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::*;

    #[tokio::test]
    async fn connect_vibrate_stop() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 25)])]);
        let mut h = Leten;
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("T528-LT", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(drain(&mut ops), vec![write_op(Endpoint::Tx, &[4, 1], true)]);
        assert!(h.stop_on_connect());
        assert_eq!(h.keepalive(), Keepalive::RepeatLast(KEEPALIVE));
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 13))),
            vec![(Endpoint::Tx, vec![2, 0x0D], true)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 19))),
            vec![vec![2, 0x13]]
        );
        assert_eq!(
            writes(&stop(&mut h, &def.features)),
            vec![(Endpoint::Tx, vec![2, 0], true)]
        );
    }
}
