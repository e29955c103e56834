//! Satisfyer (`satisfyer`): the model number (4 bytes, big-endian) from the advertisement's
//! manufacturer data or the `rxblemodel` characteristic picks the definition; `[01]` to `command`
//! at connection; then every motor's speed four times over in one packet to `tx`, repeated after
//! 500 ms of idleness or the device stops. See docs/protocols/satisfyer.md.
//!
//! Adopted from buttplug_server 12: the keep-alive period went from 3 s to 500 ms (the reference's
//! fix for toys that stopped between repeats).

use std::time::Duration;

use async_trait::async_trait;

use super::{
    DeviceIo, HardwareCommand, Identification, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::{Advertisement, Endpoint};
use crate::wire::OutputCommand;

const MODEL_READ_TIMEOUT: Duration = Duration::from_millis(500);
const KEEPALIVE: Duration = Duration::from_millis(500);
const SATISFYER_COMPANY: u16 = 0x005D;

#[derive(Default)]
pub struct Satisfyer {
    /// (feature index, speed) of every output feature, in feature order.
    speeds: Vec<(u32, u8)>,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Satisfyer::default())
}

/// The database identifier of a model number: the decimal big-endian u32 of exactly 4 bytes,
/// else "0" (which matches no configuration, so the defaults apply).
fn model_identifier(bytes: &[u8]) -> String {
    match <[u8; 4]>::try_from(bytes) {
        Ok(b) => u32::from_be_bytes(b).to_string(),
        Err(_) => "0".into(),
    }
}

/// The manufacturer payload to identify from, if the advertisement carried any: Satisfyer's
/// own company id first, else the first entry.
fn advertised_model(ad: &Advertisement) -> Option<&[u8]> {
    ad.manufacturer_data
        .iter()
        .find(|(company, _)| *company == SATISFYER_COMPANY)
        .or_else(|| ad.manufacturer_data.first())
        .map(|(_, payload)| payload.as_slice())
}

impl Satisfyer {
    fn setup(&mut self, def: &DeviceDefinition) {
        self.speeds = def
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .map(|f| (f.index, 0))
            .collect();
    }

    fn packet(&self) -> Vec<u8> {
        self.speeds.iter().flat_map(|(_, s)| [*s; 4]).collect()
    }
}

#[async_trait]
impl ProtocolHandler for Satisfyer {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        // Advertised model data wins, and then GATT is not read (even if it is malformed).
        if let Some(payload) = advertised_model(io.advertisement()) {
            return Ok(Identification::identifier(model_identifier(payload)));
        }
        let model = io
            .read(Endpoint::RxBleModel, 128, MODEL_READ_TIMEOUT)
            .await?;
        Ok(Identification::identifier(model_identifier(&model)))
    }

    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.write(Endpoint::Command, &[0x01], true).await?;
        self.setup(def);
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
        let Some(slot) = self.speeds.iter_mut().find(|(i, _)| *i == feature.index) else {
            return Err(unsupported_output(&command));
        };
        slot.1 = v.value.clamp(0, 255) as u8;
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            self.packet(),
            false,
        )])
    }

    /// On every platform: the motors stop when no packet comes for a while.
    fn keepalive(&self) -> Keepalive {
        Keepalive::RepeatLast(KEEPALIVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, drain, hex, only_write, sim_io,
        write_op,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    const ENDPOINTS: [Endpoint; 3] = [Endpoint::Command, Endpoint::RxBleModel, Endpoint::Tx];

    fn setup(id: &str) -> (Satisfyer, DeviceDefinition) {
        let def = db_resolve("satisfyer", Some(id));
        let mut p = Satisfyer::default();
        p.setup(&def);
        (p, def)
    }

    #[test]
    fn identifiers() {
        assert_eq!(model_identifier(&hex("00 00 27 15")), "10005");
        assert_eq!(model_identifier(&hex("00 00 27 B0")), "10160");
        assert_eq!(model_identifier(&hex("00 00 28 43")), "10307");
        assert_eq!(model_identifier(&hex("00 00 27")), "0");
        assert_eq!(model_identifier(&hex("00 00 27 15 00")), "0");
        assert_eq!(model_identifier(&[]), "0");
    }

    #[test]
    fn packets_carry_every_motor() {
        let (mut p, def) = setup("10005");
        assert_eq!(def.name, "Satisfyer Hot Spot");
        let out = p.encode_output(&def.features[0], cmd(Vibrate, 50)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(only_write(&out), hex("32 32 32 32"));
        let out = p.encode_output(&def.features[0], cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("00 00 00 00"));
        assert!(p.encode_output(&def.features[0], cmd(Rotate, 1)).is_err());

        let (mut p, def) = setup("10160");
        p.encode_output(&def.features[0], cmd(Vibrate, 50)).unwrap();
        let out = p.encode_output(&def.features[1], cmd(Vibrate, 25)).unwrap();
        assert_eq!(only_write(&out), hex("32 32 32 32 19 19 19 19"));

        let (mut p, def) = setup("10065");
        assert_eq!(def.features.len(), 3);
        p.encode_output(&def.features[0], cmd(Vibrate, 75)).unwrap();
        let out = p.encode_output(&def.features[1], cmd(Vibrate, 50)).unwrap();
        assert_eq!(only_write(&out), hex("4B 4B 4B 4B 32 32 32 32 00 00 00 00"));
        let out = p.encode_output(&def.features[2], cmd(Vibrate, 25)).unwrap();
        assert_eq!(only_write(&out), hex("4B 4B 4B 4B 32 32 32 32 19 19 19 19"));
    }

    #[test]
    fn keeps_alive_every_500_ms() {
        let p = Satisfyer::default();
        assert_eq!(
            p.keepalive(),
            Keepalive::RepeatLast(Duration::from_millis(500))
        );
        assert!(p.stop_on_connect());
    }

    /// Through the server's device task: the zero packet at connect, then the last packet again
    /// after every 500 ms without a command.
    #[tokio::test(start_paused = true)]
    async fn repeats_the_last_packet_after_500_ms_idle() {
        use crate::protocols::shared::testing::{served, written};
        let def = db_resolve("satisfyer", Some("10005"));
        let spec = SimulatedDeviceSpec::new("SF Hot Spot", "sf");
        let mut d = served(create(), def, spec, &ENDPOINTS, Duration::ZERO).await;
        tokio::time::sleep(Duration::from_millis(499)).await;
        assert_eq!(written(&d.ops()), vec![(Endpoint::Tx, hex("00 00 00 00"))]);
        let sent = written(&d.message(&[(0, cmd(Vibrate, 50))]).await);
        assert_eq!(sent, vec![(Endpoint::Tx, hex("32 32 32 32"))]);
        tokio::time::sleep(Duration::from_millis(499)).await;
        assert!(d.ops().is_empty());
        tokio::time::sleep(Duration::from_millis(502)).await;
        assert_eq!(
            written(&d.ops()),
            vec![(Endpoint::Tx, hex("32 32 32 32")); 2]
        );
    }

    #[tokio::test]
    async fn identify_reads_the_model_then_initializes() {
        let (dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("SF Whatever", "sf"), &ENDPOINTS).await;
        dev.queue_read(Endpoint::RxBleModel, hex("00 00 27 B0"));
        let mut p = create();
        let id = p.identify(&mut io).await.unwrap();
        assert_eq!(id, Identification::identifier("10160"));
        let def = db_resolve("satisfyer", id.identifier.as_deref());
        p.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                SimOp::Read {
                    endpoint: Endpoint::RxBleModel
                },
                write_op(Endpoint::Command, &[0x01], true),
            ]
        );
        let out = p.encode_output(&def.features[1], cmd(Vibrate, 1)).unwrap();
        assert_eq!(only_write(&out), hex("00 00 00 00 01 01 01 01"));
    }

    #[tokio::test]
    async fn identify_from_advertised_model_skips_the_read() {
        let mut spec = SimulatedDeviceSpec::new("SF Pro 2", "sf2");
        spec.manufacturer_data = vec![(0x0006, hex("01 02")), (0x005D, hex("00 00 28 43"))];
        let (_dev, mut io, mut ops) = sim_io(spec, &ENDPOINTS).await;
        let id = create().identify(&mut io).await.unwrap();
        assert_eq!(id, Identification::identifier("10307"));
        assert!(drain(&mut ops).is_empty());

        let mut spec = SimulatedDeviceSpec::new("SF Odd", "sf3");
        spec.manufacturer_data = vec![(0x005D, hex("00 00 28 43 01"))];
        let (_dev, mut io, mut ops) = sim_io(spec, &ENDPOINTS).await;
        let id = create().identify(&mut io).await.unwrap();
        assert_eq!(id, Identification::identifier("0"));
        assert!(drain(&mut ops).is_empty());
    }

    #[tokio::test]
    async fn identify_fails_when_the_model_read_fails() {
        let (_dev, mut io, _ops) =
            sim_io(SimulatedDeviceSpec::new("SF Whatever", "sf"), &ENDPOINTS).await;
        // Nothing queued: the read times out.
        assert!(create().identify(&mut io).await.is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("satisfyer") {
            let mut p = Satisfyer::default();
            p.setup(&def);
            assert_encodes_all(&mut p, &def);
        }
    }
}
