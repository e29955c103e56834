//! Lelo F1s V2 (`lelo-f1sv2`; F1s V2/V3, F2S): a security handshake at connect, then either the
//! F1s packets with response (devices with the `whitelist` characteristic) or the Harmony
//! packets (devices without it, handshake on `generic0`).

use async_trait::async_trait;

use super::lelo_f1s::f1s_motors;
use super::lelo_harmony::encode_motor;
use super::shared::lelo::{AUTH_TIMEOUT, authorise};
use super::shared::packets::Packets;
use super::shared::whole_device::WholeDevice;
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

pub struct LeloF1sV2 {
    /// `None` = Harmony mode.
    f1s: Option<Packets<WholeDevice<2>>>,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LeloF1sV2 {
        f1s: Some(f1s_motors().with_response()),
    })
}

#[async_trait]
impl ProtocolHandler for LeloF1sV2 {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        let f1s_mode = io.transport().endpoints().contains(&Endpoint::Whitelist);
        let security = if f1s_mode {
            Endpoint::Whitelist
        } else {
            Endpoint::Generic(0)
        };
        self.f1s = f1s_mode.then(|| f1s_motors().with_response());
        authorise(io, security, true, AUTH_TIMEOUT).await
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        match self.f1s.as_mut() {
            Some(m) => m.encode_output(feature, command),
            // Harmony packets go to this key's `tx` (0xFFF1), as in the reference.
            None => encode_motor(feature, command),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    fn def() -> DeviceDefinition {
        definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        ])
    }

    #[tokio::test]
    async fn f1s_mode() {
        let w = Endpoint::Whitelist;
        let def = def();
        let mut h = create();
        let mut spec = SimulatedDeviceSpec::new("F1SV2A", "a");
        spec.subscribe_replies = vec![
            (w, vec![0; 8]),
            (w, vec![1, 2, 3, 4, 5, 6, 8]),
            (w, vec![1, 0, 0, 0, 0, 0, 0, 0]),
        ];
        let (_dev, mut io, mut ops) = sim_io(spec, &[Endpoint::Tx, w, Endpoint::Generic(0)]).await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                SimOp::Subscribe { endpoint: w },
                SimOp::Unsubscribe { endpoint: w },
                write_op(w, &[1, 2, 3, 4, 5, 6, 8], true),
                SimOp::Subscribe { endpoint: w }
            ]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![1, 0x32, 0], true)]
        );
        let m = message(
            h.as_mut(),
            &[
                (&def.features[0], cmd(Vibrate, 75)),
                (&def.features[1], cmd(Vibrate, 50)),
            ],
        );
        assert_eq!(writes(&m), vec![(Endpoint::Tx, vec![1, 0x4B, 0x32], true)]);
        assert_eq!(
            writes(&stop(h.as_mut(), &def.features)),
            vec![(Endpoint::Tx, vec![1, 0, 0], true)]
        );
    }

    #[tokio::test]
    async fn harmony_mode_without_whitelist() {
        let g = Endpoint::Generic(0);
        let def = def();
        let mut h = create();
        let mut spec = SimulatedDeviceSpec::new("F2", "a");
        spec.subscribe_replies = vec![(g, vec![1, 0, 0, 0, 0, 0, 0, 0])];
        let (_dev, mut io, mut ops) = sim_io(spec, &[Endpoint::Tx, g]).await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(drain(&mut ops), vec![SimOp::Subscribe { endpoint: g }]);
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[1], cmd(Vibrate, 50))),
            vec![(
                Endpoint::Tx,
                vec![0x0A, 0x12, 2, 8, 0, 0, 0, 0, 0x32, 0],
                false
            )]
        );
    }
}
