//! Lelo Harmony (`lelo-harmony`; Tiani Harmony, Ida Wave, Tor 3, …): a security handshake on
//! `whitelist` at connect, then one packet per feature
//! `[0A 12 feature+1 08 00 00 00 00 v 00]` on `tx` (vibrate and rotate alike).

use async_trait::async_trait;

use super::shared::lelo::{AUTH_TIMEOUT, authorise};
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct LeloHarmony;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LeloHarmony)
}

/// The Harmony motor packet, shared with `lelo-f1sv2` devices lacking `whitelist`.
pub(super) fn encode_motor(
    feature: &FeatureDefinition,
    command: OutputCommand,
) -> Result<Vec<HardwareCommand>, ProtocolError> {
    if !matches!(
        command,
        OutputCommand::Vibrate(_) | OutputCommand::Rotate(_)
    ) {
        return Err(unsupported_output(&command));
    }
    let motor = (feature.index as u8).wrapping_add(1);
    let v = command.value().unsigned_abs().min(255) as u8;
    Ok(vec![HardwareCommand::feature_write(
        feature.index,
        Endpoint::Tx,
        [0x0A, 0x12, motor, 0x08, 0x00, 0x00, 0x00, 0x00, v, 0x00],
        false,
    )])
}

#[async_trait]
impl ProtocolHandler for LeloHarmony {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        // The reference waits forever for the button press; we give up after AUTH_TIMEOUT.
        authorise(io, Endpoint::Whitelist, false, AUTH_TIMEOUT).await
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        encode_motor(feature, command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{Rotate, Vibrate};

    fn packet(motor: u8, v: u8) -> Vec<u8> {
        vec![0x0A, 0x12, motor, 0x08, 0, 0, 0, 0, v, 0]
    }

    #[tokio::test]
    async fn ida_wave() {
        let w = Endpoint::Whitelist;
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Rotate, 0, 100)]),
        ]);
        let mut h = LeloHarmony;
        let mut spec = SimulatedDeviceSpec::new("IdaWave", "a");
        spec.subscribe_replies = vec![(w, vec![0]), (w, vec![1, 2, 3, 4, 5, 6, 8]), (w, vec![1])];
        let (_dev, mut io, mut ops) = sim_io(spec, &[Endpoint::Tx, w, Endpoint::Command]).await;
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
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, packet(1, 0x32), false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[1], cmd(Rotate, 50))),
            vec![packet(2, 0x32)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 75))),
            vec![packet(1, 0x4B)]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![packet(1, 0), packet(2, 0)]
        );
    }
}
