//! Galaku (`galaku`, also Secret Lover, Adorime, Kisstoy): obfuscated 12-byte packets (see
//! [`galaku_encode`]) on `tx`. Single-output models get `[5A 00 00 01 31 v …]`, two-output
//! models one packet `[5A 00 00 01 40 03 s0 s1 …]` carrying both; the `AC695X_1(BLE)` pump
//! takes a plain 16-byte packet. Battery is asked for on `tx` and answered on `rxblebattery`.

use async_trait::async_trait;

use super::shared::galaku::galaku_encode;
use super::{
    DeviceIo, HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_input,
    unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{InputCommandType, InputType, OutputCommand};

/// The "Caiping pump" variant, which takes unencoded packets.
const CAIPING_NAME: &str = "AC695X_1(BLE)";

pub struct Galaku {
    /// Number of output features of the definition (1 or 2).
    outputs: usize,
    caiping: bool,
    slots: [u8; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Galaku {
        outputs: 1,
        caiping: false,
        slots: [0; 2],
    })
}

fn battery_request() -> HardwareCommand {
    let data = galaku_encode([0x5A, 0x00, 0x00, 0x01, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00]);
    HardwareCommand::write(Endpoint::Tx, data, true, super::CoalesceKey(0))
}

#[async_trait]
impl ProtocolHandler for Galaku {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.outputs = definition
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .count();
        self.caiping = io.advertisement().name == CAIPING_NAME;
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        // Choice: the reference has no Rotate encoding, so the Rhino Prostate Massager (G339)
        // could not rotate at all. Rotate is sent like the other outputs, in the feature's slot
        // of the two-output packet (the database gives it an unsigned 0–100 range).
        let v = match command {
            OutputCommand::Vibrate(v)
            | OutputCommand::Oscillate(v)
            | OutputCommand::Constrict(v)
            | OutputCommand::Rotate(v) => v.value.clamp(0, 255) as u8,
            _ => return Err(unsupported_output(&command)),
        };
        if self.outputs >= 2 {
            let slot = self
                .slots
                .get_mut(feature.index as usize)
                .ok_or_else(|| unsupported_output(&command))?;
            *slot = v;
            let [s0, s1] = self.slots;
            let data = galaku_encode([0x5A, 0x00, 0x00, 0x01, 0x40, 0x03, s0, s1, 0x00, 0x00]);
            return Ok(vec![HardwareCommand::device_write(
                Endpoint::Tx,
                data,
                false,
            )]);
        }
        let data = if self.caiping {
            let mut d = vec![0xAA, 0x01, 0x0A, 0x03, v, u8::from(v != 0)];
            d.resize(16, 0);
            d
        } else {
            galaku_encode([0x5A, 0x00, 0x00, 0x01, 0x31, v, 0x00, 0x00, 0x00, 0x00]).to_vec()
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            data,
            false,
        )])
    }

    /// The battery level is byte 0 of the next `rxblebattery` notification, used raw like the
    /// reference does (whether the device encodes its reply is unconfirmed).
    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        if input != InputType::Battery {
            return Err(unsupported_input(input, InputCommandType::Read));
        }
        Ok(InputPlan::Notification {
            before: vec![
                HardwareCommand::subscribe(Endpoint::RxBleBattery),
                battery_request(),
            ],
            parse: Box::new(|endpoint, data| {
                if endpoint != Endpoint::RxBleBattery {
                    return None;
                }
                data.first().map(|b| i32::from(*b))
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions, db_resolve};
    use crate::protocols::shared::testing::{
        battery, cmd, definition, feature, hex, only_write, sim_io, writes,
    };
    use crate::protocols::{CoalesceKey, HardwareOp};
    use crate::wire::OutputType::{Constrict, Oscillate, Position, Rotate, Vibrate};

    async fn connected(name: &str, features: Vec<FeatureDefinition>) -> Box<dyn ProtocolHandler> {
        let (_d, mut io, _ops) = sim_io(
            SimulatedDeviceSpec::new(name, "a"),
            &[Endpoint::Tx, Endpoint::RxBleBattery],
        )
        .await;
        let mut p = create();
        p.initialize(&mut io, &definition(features)).await.unwrap();
        p
    }

    #[tokio::test]
    async fn single_output() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let battery = battery(1);
        let mut p = connected("GX21", vec![f.clone(), battery]).await;
        let mut enc = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            enc(0),
            vec![(
                Endpoint::Tx,
                hex("23 81 BB AB D2 EC 3B 23 BB A3 3B 90"),
                false
            )]
        );
        assert_eq!(enc(100)[0].1, hex("23 81 BB AB D2 EC 57 23 BB A3 3B 44"));
        assert_eq!(enc(50)[0].1, hex("23 81 BB AB D2 EC 29 C3 BB A3 3B D2"));
    }

    #[tokio::test]
    async fn caiping_pump() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut p = connected(CAIPING_NAME, vec![f.clone()]).await;
        let out = only_write(&p.encode_output(&f, cmd(Vibrate, 40)).unwrap());
        assert_eq!(out, hex("AA 01 0A 03 28 01 00 00 00 00 00 00 00 00 00 00"));
        let out = only_write(&p.encode_output(&f, cmd(Vibrate, 0)).unwrap());
        assert_eq!(out, hex("AA 01 0A 03 00 00 00 00 00 00 00 00 00 00 00 00"));
    }

    #[tokio::test]
    async fn two_outputs() {
        let f0 = feature(0, &[(Oscillate, 0, 100)]);
        let f1 = feature(1, &[(Vibrate, 0, 100)]);
        let mut p = connected("G317", vec![f0.clone(), f1.clone()]).await;
        let out = p.encode_output(&f0, cmd(Oscillate, 75)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(only_write(&out), hex("23 81 BB AB D2 7B 44 6A 33 A3 3B 2F"));
        let out = p.encode_output(&f1, cmd(Vibrate, 50)).unwrap();
        assert_eq!(only_write(&out), hex("23 81 BB AB D2 7B 44 6A 25 43 3B 21"));
        p.encode_output(&f0, cmd(Oscillate, 0)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("23 81 BB AB D2 7B 44 33 BB A3 3B F2"));
        assert!(p.encode_output(&f0, cmd(Position, 1)).is_err());
    }

    #[tokio::test]
    async fn constrict_and_rotate_use_their_slot() {
        let f0 = feature(0, &[(Vibrate, 0, 100)]);
        let f1 = feature(1, &[(Rotate, 0, 100)]);
        let mut p = connected("G339", vec![f0, f1.clone()]).await;
        let out = only_write(&p.encode_output(&f1, cmd(Rotate, 75)).unwrap());
        assert_eq!(out, galaku_encode([0x5A, 0, 0, 1, 0x40, 3, 0, 75, 0, 0]));
        let f1 = feature(1, &[(Constrict, 0, 100)]);
        let mut p = connected("G12B", vec![feature(0, &[(Vibrate, 0, 100)]), f1.clone()]).await;
        let out = only_write(&p.encode_output(&f1, cmd(Constrict, 30)).unwrap());
        assert_eq!(out, galaku_encode([0x5A, 0, 0, 1, 0x40, 3, 0, 30, 0, 0]));
    }

    #[test]
    fn battery_plan() {
        let mut p = create();
        let f = battery(1);
        let Ok(InputPlan::Notification { before, mut parse }) =
            p.read_input(&f, InputType::Battery)
        else {
            panic!("notification plan expected");
        };
        assert_eq!(before[0].op, HardwareOp::Subscribe(Endpoint::RxBleBattery));
        assert_eq!(
            writes(&before),
            vec![(
                Endpoint::Tx,
                hex("23 81 BB AB D2 CE D3 23 BB A3 3B C2"),
                true
            )]
        );
        assert_eq!(parse(Endpoint::Tx, &[50]), None);
        assert_eq!(parse(Endpoint::RxBleBattery, &[]), None);
        assert_eq!(parse(Endpoint::RxBleBattery, &[87, 1, 2]), Some(87));
        assert!(p.read_input(&f, InputType::Pressure).is_err());
    }

    #[tokio::test]
    async fn every_database_output_encodes() {
        for def in db_definitions("galaku") {
            let name = def.identifier.clone().unwrap_or_else(|| "GX21".into());
            let mut p = connected(&name, def.features.clone()).await;
            assert_encodes_all(&mut *p, &def);
        }
        // The Rhino's rotation goes in slot 1 of the two-output packet.
        let def = db_resolve("galaku", Some("G339"));
        let mut p = connected("G339", def.features.clone()).await;
        let rotate = def
            .features
            .iter()
            .find(|f| f.output(Rotate).is_some())
            .unwrap();
        let out = only_write(&p.encode_output(rotate, cmd(Rotate, 100)).unwrap());
        assert_eq!(out, galaku_encode([0x5A, 0, 0, 1, 0x40, 3, 0, 100, 0, 0]));
    }
}
