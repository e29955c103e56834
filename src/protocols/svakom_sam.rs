//! Svakom Sam Neo (`svakom-sam`): vibrator `[12 01 03 00 M s]` and suction `[12 06 01 c]` to
//! `tx`. The hardware generation comes from the characteristics the device exposes: `txmode` or
//! `firmware` means gen2 (M = 4 while running, else 0), neither means gen1 (M fixed at 5).

use async_trait::async_trait;

use super::shared::values::byte;
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

pub struct SvakomSam {
    gen2: bool,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SvakomSam { gen2: true })
}

/// Whether a device with these endpoints is a second-generation unit. (The reference's warning
/// for "firmware but no txmode" claims one vibration speed, but it selects gen2 all the same; so
/// do we.)
fn is_gen2(endpoints: &[Endpoint]) -> bool {
    endpoints.contains(&Endpoint::TxMode) || endpoints.contains(&Endpoint::Firmware)
}

#[async_trait]
impl ProtocolHandler for SvakomSam {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        // Notifications on rx are subscribed (the device expects it) but carry nothing we use.
        io.subscribe(Endpoint::Rx).await?;
        self.gen2 = is_gen2(&io.transport().endpoints());
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let packet = match command {
            OutputCommand::Vibrate(v) => {
                let s = byte(v.value);
                let mode = match (self.gen2, s > 0) {
                    (false, _) => 0x05,
                    (true, true) => 0x04,
                    (true, false) => 0x00,
                };
                vec![0x12, 0x01, 0x03, 0x00, mode, s]
            }
            OutputCommand::Constrict(v) => vec![0x12, 0x06, 0x01, byte(v.value)],
            _ => return Err(unsupported_output(&command)),
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet,
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, drain, feature, hex, only_write,
        sim_io, writes,
    };
    use crate::wire::OutputType::{Constrict, Oscillate, Vibrate};

    #[test]
    fn gen2_packets() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let f1 = feature(1, &[(Constrict, 0, 1)]);
        let mut p = SvakomSam { gen2: true };
        let out = p.encode_output(&f0, cmd(Vibrate, 6)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("12 01 03 00 04 06"), false)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(w(&f1, cmd(Constrict, 1)), hex("12 06 01 01"));
        assert_eq!(w(&f0, cmd(Vibrate, 0)), hex("12 01 03 00 00 00"));
        assert_eq!(w(&f1, cmd(Constrict, 0)), hex("12 06 01 00"));
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn gen1_packets() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let mut p = SvakomSam { gen2: false };
        let out = p.encode_output(&f0, cmd(Vibrate, 6)).unwrap();
        assert_eq!(only_write(&out), hex("12 01 03 00 05 06"));
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("12 01 03 00 05 00"));
    }

    #[test]
    fn generation_from_endpoints() {
        assert!(is_gen2(&[Endpoint::Tx, Endpoint::Rx, Endpoint::TxMode]));
        assert!(is_gen2(&[Endpoint::Tx, Endpoint::Rx, Endpoint::Firmware]));
        assert!(!is_gen2(&[Endpoint::Tx, Endpoint::Rx]));
    }

    async fn initialized(endpoints: &[Endpoint]) -> (SvakomSam, Vec<SimOp>) {
        let (_dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("Sam Neo", "sam"), endpoints).await;
        let mut p = SvakomSam { gen2: true };
        let def = db_resolve("svakom-sam", Some("Sam Neo"));
        p.initialize(&mut io, &def).await.unwrap();
        (p, drain(&mut ops))
    }

    #[tokio::test]
    async fn initialize_subscribes_and_picks_generation() {
        let (p, ops) = initialized(&[Endpoint::Tx, Endpoint::Rx]).await;
        assert_eq!(
            ops,
            vec![SimOp::Subscribe {
                endpoint: Endpoint::Rx
            }]
        );
        assert!(!p.gen2);
        let all = [
            Endpoint::Tx,
            Endpoint::Rx,
            Endpoint::TxMode,
            Endpoint::Firmware,
        ];
        assert!(initialized(&all).await.0.gen2);
        assert!(
            initialized(&[Endpoint::Tx, Endpoint::Rx, Endpoint::Firmware])
                .await
                .0
                .gen2
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-sam") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
