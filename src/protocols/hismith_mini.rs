//! Hismith Mini (`hismith-mini`): newer Hismith/Sinloli/Eropair machines. The model is read from
//! `rxblemodel`; packets are `[CC, id, val, id + val]` on `tx`, with the channel id chosen from
//! the whole definition (dual vibrators, constrict on feature 1). Rotation sends speed then
//! direction; spray is a one-shot trigger.

use async_trait::async_trait;

use super::hismith::{packet, read_model};
use super::{
    DeviceIo, HardwareCommand, Identification, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{OutputCommand, OutputType};

#[derive(Default)]
pub struct HismithMini {
    /// Two or more features vibrate: feature 0 uses channel 0x03, feature 1 0x05.
    dual_vibe: bool,
    /// The first constrict feature is feature 1: it uses channel 0x05.
    second_constrict: bool,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(HismithMini::default())
}

#[async_trait]
impl ProtocolHandler for HismithMini {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        Ok(Identification::identifier(read_model(io).await?))
    }

    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        let with = |t: OutputType| def.features.iter().filter(move |f| f.output(t).is_some());
        self.dual_vibe = with(OutputType::Vibrate).count() >= 2;
        self.second_constrict = with(OutputType::Constrict)
            .next()
            .is_some_and(|f| f.index == 1);
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let v = command.value();
        let speed = v.unsigned_abs().min(255) as u8;
        let w = |bytes: [u8; 4]| {
            HardwareCommand::feature_write(feature.index, Endpoint::Tx, bytes, false)
        };
        Ok(match command {
            OutputCommand::Oscillate(_) => vec![w(packet(0xCC, 0x03, speed))],
            OutputCommand::Vibrate(_) => {
                let id = if !self.dual_vibe || feature.index == 1 {
                    0x05
                } else {
                    0x03
                };
                vec![w(packet(0xCC, id, speed))]
            }
            OutputCommand::Constrict(_) => {
                let id = if self.second_constrict { 0x05 } else { 0x03 };
                vec![w(packet(0xCC, id, speed))]
            }
            OutputCommand::Rotate(_) => {
                let direction = if v >= 0 { 0xC0 } else { 0xC1 };
                vec![
                    w(packet(0xCC, 0x03, speed)),
                    w(packet(0xCC, 0x01, direction)),
                ]
            }
            // Choice: the spray packet ignores its value, so the reference fires the lube spray
            // when a stop sends spray 0. A stop must not spray: spray 0 writes nothing (no
            // vector covers the Piupiu).
            OutputCommand::Spray(_) if v == 0 => Vec::new(),
            OutputCommand::Spray(_) => vec![w(packet(0xCC, 0x0B, 0x01))],
            _ => return Err(unsupported_output(&command)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{Constrict, Oscillate, Rotate, Spray, Vibrate};

    async fn init(def: &DeviceDefinition) -> HismithMini {
        let mut h = HismithMini::default();
        let (_dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("Sinloli", "a"), &[Endpoint::Tx]).await;
        h.initialize(&mut io, def).await.unwrap();
        assert!(drain(&mut ops).is_empty());
        h
    }

    #[tokio::test]
    async fn identify_reads_the_model() {
        let spec = SimulatedDeviceSpec::new("Sinloli Aston", "a");
        let (dev, mut io, _ops) = sim_io(spec, &[Endpoint::RxBleModel]).await;
        dev.queue_read(Endpoint::RxBleModel, vec![0x22, 0x05]);
        let id = HismithMini::default().identify(&mut io).await.unwrap();
        assert_eq!(id, Identification::identifier("2205"));
    }

    #[tokio::test]
    async fn auxfun_box() {
        let def = definition(vec![feature(0, &[(Oscillate, 0, 100)])]);
        let mut h = init(&def).await;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Oscillate, 50))),
            vec![(Endpoint::Tx, vec![0xCC, 0x03, 0x32, 0x35], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Oscillate, 10))),
            vec![vec![0xCC, 0x03, 0x0A, 0x0D]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0xCC, 0x03, 0x00, 0x03]]
        );
    }

    #[tokio::test]
    async fn sinloli_doll() {
        let def = definition(vec![
            feature(0, &[(Constrict, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        ]);
        let mut h = init(&def).await;
        let m = message(
            &mut h,
            &[
                (&def.features[0], cmd(Constrict, 10)),
                (&def.features[1], cmd(Vibrate, 50)),
            ],
        );
        assert_eq!(
            data(&m),
            vec![vec![0xCC, 0x03, 0x0A, 0x0D], vec![0xCC, 0x05, 0x32, 0x37]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0xCC, 0x03, 0x00, 0x03], vec![0xCC, 0x05, 0x00, 0x05]]
        );
    }

    #[tokio::test]
    async fn channel_ids_follow_the_definition() {
        // Eropair Rabbit: two vibrators.
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        ]);
        let mut h = init(&def).await;
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 50))),
            vec![vec![0xCC, 0x03, 0x32, 0x35]]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[1], cmd(Vibrate, 50))),
            vec![vec![0xCC, 0x05, 0x32, 0x37]]
        );
        // Sinloli Cosima: stroke then pump on feature 1.
        let def = definition(vec![
            feature(0, &[(Oscillate, 0, 100)]),
            feature(1, &[(Constrict, 0, 100)]),
        ]);
        let mut h = init(&def).await;
        assert_eq!(
            data(&encode(&mut h, &def.features[1], cmd(Constrict, 20))),
            vec![vec![0xCC, 0x05, 0x14, 0x19]]
        );
    }

    #[tokio::test]
    async fn aston_rotates_both_ways() {
        let def = definition(vec![feature(0, &[(Rotate, -100, 100)])]);
        let mut h = init(&def).await;
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Rotate, 50))),
            vec![vec![0xCC, 0x03, 0x32, 0x35], vec![0xCC, 0x01, 0xC0, 0xC1]]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Rotate, -100))),
            vec![vec![0xCC, 0x03, 0x64, 0x67], vec![0xCC, 0x01, 0xC1, 0xC2]]
        );
        // Both packets of one command survive coalescing.
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0xCC, 0x03, 0x00, 0x03], vec![0xCC, 0x01, 0xC0, 0xC1]]
        );
    }

    #[tokio::test]
    async fn piupiu_sprays_on_demand_but_not_on_stop() {
        let def = definition(vec![feature(0, &[(Spray, 0, 1)])]);
        let mut h = init(&def).await;
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Spray, 1))),
            vec![vec![0xCC, 0x0B, 0x01, 0x0C]]
        );
        assert!(stop(&mut h, &def.features).is_empty());
    }
}
