//! Vibratissimo (`vibratissimo`): the model comes from the Device Information model-number
//! read; every vibrate command writes `[03, FF]` to `txmode`, then one speed byte per motor to
//! `txvibrate`. Battery from the standard battery characteristic. See
//! docs/protocols/vibratissimo.md.
//!
//! Stops: buttplug_server 12 coalesces a stop's packets so that every `[03, FF]` mode write is
//! dropped and only the `txvibrate` packets are written. Teleplug writes every stop: the mode
//! write and the speeds, for each motor.

use std::time::Duration;

use async_trait::async_trait;

use super::{
    DeviceIo, HardwareCommand, Identification, InputPlan, ProtocolError, ProtocolHandler,
    unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{InputType, OutputCommand, OutputType};

const MODEL_READ_TIMEOUT: Duration = Duration::from_millis(500);
const MODEL_MAX_LEN: usize = 128;

#[derive(Default)]
pub struct Vibratissimo {
    /// Vibrate feature indexes in ascending order, with each motor's last speed.
    motors: Vec<(u32, u8)>,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Vibratissimo::default())
}

impl Vibratissimo {
    fn sized(definition: &DeviceDefinition) -> Vibratissimo {
        Vibratissimo {
            motors: definition
                .features
                .iter()
                .filter(|f| f.output(OutputType::Vibrate).is_some())
                .map(|f| (f.index, 0))
                .collect(),
        }
    }

    /// The `txvibrate` payload: one byte per motor, padded to two bytes for a single motor.
    fn speeds(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self.motors.iter().map(|(_, s)| *s).collect();
        if out.len() == 1 {
            out.push(0x00);
        }
        out
    }
}

/// The identifier from a model-number read: the text verbatim, else the BLE name.
fn identifier_from_model(data: Vec<u8>, name: &str) -> String {
    String::from_utf8(data).unwrap_or_else(|_| name.to_string())
}

#[async_trait]
impl ProtocolHandler for Vibratissimo {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        let data = io
            .read(Endpoint::RxBleModel, MODEL_MAX_LEN, MODEL_READ_TIMEOUT)
            .await?;
        Ok(Identification::identifier(identifier_from_model(
            data,
            &io.advertisement().name,
        )))
    }

    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        *self = Vibratissimo::sized(definition);
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
        let Some(motor) = self.motors.iter_mut().find(|(i, _)| *i == feature.index) else {
            return Err(unsupported_output(&command));
        };
        motor.1 = v.value.clamp(0, 255) as u8;
        // Both writes every time: the reference's batching can drop the mode write when other
        // commands are pending; ours never splits one command's packets.
        Ok(vec![
            HardwareCommand::feature_write(feature.index, Endpoint::TxMode, [0x03, 0xFF], false),
            HardwareCommand::feature_write(
                feature.index,
                Endpoint::TxVibrate,
                self.speeds(),
                false,
            ),
        ])
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
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, drain, hex, sim_io, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    fn vibes(def: &DeviceDefinition) -> Vec<FeatureDefinition> {
        def.features
            .iter()
            .filter(|f| f.output(Vibrate).is_some())
            .cloned()
            .collect()
    }

    fn mode_and_speeds(speeds: &str) -> Vec<(Endpoint, Vec<u8>, bool)> {
        vec![
            (Endpoint::TxMode, vec![0x03, 0xFF], false),
            (Endpoint::TxVibrate, hex(speeds), false),
        ]
    }

    #[test]
    fn single_motor() {
        let def = db_resolve("vibratissimo", None);
        let mut p = Vibratissimo::sized(&def);
        let f = &vibes(&def)[0];
        let w = writes(&p.encode_output(f, cmd(Vibrate, 128)).unwrap());
        assert_eq!(w, mode_and_speeds("80 00"));
        let w = writes(&p.encode_output(f, cmd(Vibrate, 0)).unwrap());
        assert_eq!(w, mode_and_speeds("00 00"));
        assert!(p.encode_output(f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn licker_and_rabbit() {
        let def = db_resolve("vibratissimo", Some("Licker"));
        let mut p = Vibratissimo::sized(&def);
        let f = vibes(&def);
        p.encode_output(&f[0], cmd(Vibrate, 16)).unwrap();
        let w = writes(&p.encode_output(&f[1], cmd(Vibrate, 255)).unwrap());
        assert_eq!(w, mode_and_speeds("10 FF"));

        let def = db_resolve("vibratissimo", Some("Rabbit"));
        assert_eq!(def.name, "Vibratissimo Rabbit");
        let mut p = Vibratissimo::sized(&def);
        let f = vibes(&def);
        let w = writes(&p.encode_output(&f[2], cmd(Vibrate, 2)).unwrap());
        assert_eq!(w, mode_and_speeds("00 00 02"));
        let w = writes(&p.encode_output(&f[2], cmd(Vibrate, 0)).unwrap());
        assert_eq!(w, mode_and_speeds("00 00 00"));
    }

    #[test]
    fn battery_read() {
        let def = db_resolve("vibratissimo", None);
        let battery = def.features.iter().find(|f| !f.inputs.is_empty()).unwrap();
        let mut p = Vibratissimo::sized(&def);
        let InputPlan::Read {
            endpoint,
            mut parse,
            ..
        } = p.read_input(battery, InputType::Battery).unwrap()
        else {
            panic!("battery is a read");
        };
        assert_eq!(endpoint, Endpoint::RxBleBattery);
        assert_eq!(parse(endpoint, &[0x4B]), Some(75));
        assert!(p.read_input(battery, InputType::Pressure).is_err());
    }

    async fn identify_with(model: &[u8]) -> Result<Identification, ProtocolError> {
        let (dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("Vibratissimo", "a"),
            &[Endpoint::TxMode, Endpoint::TxVibrate, Endpoint::RxBleModel],
        )
        .await;
        if !model.is_empty() {
            dev.queue_read(Endpoint::RxBleModel, model.to_vec());
        }
        let id = Vibratissimo::default().identify(&mut io).await;
        assert_eq!(
            drain(&mut ops),
            vec![SimOp::Read {
                endpoint: Endpoint::RxBleModel
            }]
        );
        id
    }

    #[tokio::test]
    async fn identify_by_model_read() {
        let id = identify_with(b"Rabbit").await.unwrap();
        assert_eq!(id, Identification::identifier("Rabbit"));
        let id = identify_with(&[0xFF, 0xFE]).await.unwrap();
        assert_eq!(id, Identification::identifier("Vibratissimo"));
        // No answer: the read times out and the connection fails.
        assert!(identify_with(b"").await.is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("vibratissimo") {
            assert_encodes_all(&mut Vibratissimo::sized(&def), &def);
        }
    }

    /// Through the server's device task (BLE message gap, the stop landing while the gap after
    /// a command runs): Licker at (50, 30) stops with the mode write before each motor's speeds;
    /// buttplug_server 12 writes only `[00 1E]` and `[00 00]`.
    #[tokio::test(start_paused = true)]
    async fn a_stop_writes_a_zero_for_every_motor() {
        use crate::protocols::shared::testing::{served, written};
        let def = db_resolve("vibratissimo", Some("Licker"));
        let (m0, m1) = {
            let v = vibes(&def);
            (v[0].index, v[1].index)
        };
        let endpoints = [Endpoint::TxMode, Endpoint::TxVibrate, Endpoint::RxBleModel];
        let spec = SimulatedDeviceSpec::new("Vibratissimo", "a");
        let gap = Duration::from_millis(75);
        let mut d = served(create(), def, spec, &endpoints, gap).await;
        d.message(&[(m0, cmd(Vibrate, 50)), (m1, cmd(Vibrate, 30))])
            .await;
        let mode = (Endpoint::TxMode, vec![0x03, 0xFF]);
        assert_eq!(
            written(&d.stop().await),
            vec![
                mode.clone(),
                (Endpoint::TxVibrate, hex("00 1E")),
                mode,
                (Endpoint::TxVibrate, hex("00 00")),
            ]
        );
    }
}
