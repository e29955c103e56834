//! Vorze SA family (`vorze-sa`): 3-byte packets `[device code, action, value]` on `tx` with
//! response. The database's `protocol_variant` plus the BLE name pick one of five kinds: single
//! rotator (Cyclone SA, UFO SA), dual rotator (UFO TW), single vibrator (Bach, Rocket), dual
//! vibrator (Omorfi) and piston (position with a speed derived from distance and time).

use async_trait::async_trait;

use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

const ROTATE: u8 = 0x01;
const VIBRATE: u8 = 0x03;
const DUAL_ROTATOR: u8 = 0x05;
const DUAL_VIBRATOR: u8 = 0x09;
const PISTON: u8 = 0x03;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    SingleRotator(u8),
    SingleVibrator(u8),
    DualRotator,
    DualVibrator,
    Piston,
}

#[derive(Default)]
pub struct VorzeSa {
    kind: Option<Kind>,
    /// Dual devices: both sides' last values. Piston: the previous position in `pair[0]`.
    pair: [i32; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(VorzeSa::default())
}

/// The kind (and device code) from the definition's variant and the lowercase BLE name.
fn kind(variant: Option<&str>, name: &str) -> Result<Kind, ProtocolError> {
    let name = name.to_lowercase();
    let by_name = |codes: &[(&str, u8)]| {
        codes
            .iter()
            .find(|(part, _)| name.contains(part))
            .map(|(_, code)| *code)
    };
    let kind = match variant {
        Some("vorze-sa-single-rotator") => {
            by_name(&[("cycsa", 0x01), ("ufo", 0x02)]).map(Kind::SingleRotator)
        }
        Some("vorze-sa-single-vibrator") => {
            by_name(&[("bach", 0x06), ("rocket", 0x07)]).map(Kind::SingleVibrator)
        }
        Some("vorze-sa-dual-vibrator") => by_name(&[("omor", 0x09)]).map(|_| Kind::DualVibrator),
        Some("vorze-sa-dual-rotator") => Some(Kind::DualRotator),
        Some("vorze-sa-piston") => Some(Kind::Piston),
        _ => None,
    };
    kind.ok_or_else(|| {
        ProtocolError::Unsupported(format!(
            "Vorze device {name:?} with variant {variant:?} is not implemented"
        ))
    })
}

/// Rotation byte: the magnitude, with bit 7 set for clockwise (including 0).
fn direction_speed(r: i32) -> u8 {
    let speed = r.unsigned_abs().min(0x7F) as u8;
    if r >= 0 { 0x80 | speed } else { speed }
}

/// Piston speed (0-100) for a move from `prev` to `to` in `duration` ms.
fn piston_speed(prev: i32, to: i32, duration: u32) -> u8 {
    let distance = f64::from(prev.abs_diff(to));
    if distance <= 0.0 {
        return 100;
    }
    let t = 200.0 * f64::from(duration) / distance.min(200.0);
    let speed = (t / 6658.0).powf(-1.21);
    // NaN cannot occur (t >= 0); infinity (t = 0) clamps to 100.
    speed.clamp(0.0, 100.0) as u8
}

#[async_trait]
impl ProtocolHandler for VorzeSa {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.kind = Some(kind(
            definition.protocol_variant.as_deref(),
            &io.advertisement().name,
        )?);
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let side = feature.index as usize;
        let fwrite =
            |data: [u8; 3]| HardwareCommand::feature_write(feature.index, Endpoint::Tx, data, true);
        let dwrite = |data: [u8; 3]| HardwareCommand::device_write(Endpoint::Tx, data, true);
        let packet = match (self.kind, command) {
            (Some(Kind::SingleRotator(code)), OutputCommand::Rotate(r)) => {
                fwrite([code, ROTATE, direction_speed(r.value)])
            }
            (Some(Kind::SingleVibrator(code)), OutputCommand::Vibrate(v)) => {
                fwrite([code, VIBRATE, v.value.clamp(0, 255) as u8])
            }
            (Some(Kind::DualRotator), OutputCommand::Rotate(r)) if side < 2 => {
                self.pair[side] = r.value;
                let [a, b] = self.pair.map(direction_speed);
                dwrite([DUAL_ROTATOR, a, b])
            }
            (Some(Kind::DualVibrator), OutputCommand::Vibrate(v)) if side < 2 => {
                self.pair[side] = v.value.clamp(0, 255);
                let [a, b] = self.pair.map(|s| s as u8);
                dwrite([DUAL_VIBRATOR, a, b])
            }
            (Some(Kind::Piston), OutputCommand::HwPositionWithDuration(p)) => {
                let speed = piston_speed(self.pair[0], p.value, p.duration);
                self.pair[0] = p.value;
                fwrite([PISTON, p.value.clamp(0, 255) as u8, speed])
            }
            _ => return Err(unsupported_output(&command)),
        };
        Ok(vec![packet])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, feature, hex, only_write, position,
        sim_io, writes,
    };
    use crate::wire::OutputType::{HwPositionWithDuration, Rotate, Vibrate};

    fn handler(kind: Kind) -> VorzeSa {
        VorzeSa {
            kind: Some(kind),
            pair: [0, 0],
        }
    }

    #[test]
    fn kinds_from_variant_and_name() {
        let k = |v: &str, n| kind(Some(v), n).ok();
        assert_eq!(
            k("vorze-sa-single-rotator", "CycSA"),
            Some(Kind::SingleRotator(1))
        );
        assert_eq!(
            k("vorze-sa-single-rotator", "UFOSA"),
            Some(Kind::SingleRotator(2))
        );
        assert_eq!(k("vorze-sa-single-rotator", "Other"), None);
        assert_eq!(
            k("vorze-sa-single-vibrator", "Bach smart"),
            Some(Kind::SingleVibrator(6))
        );
        assert_eq!(
            k("vorze-sa-single-vibrator", "ROCKET"),
            Some(Kind::SingleVibrator(7))
        );
        assert_eq!(
            k("vorze-sa-dual-vibrator", "OMOR"),
            Some(Kind::DualVibrator)
        );
        assert_eq!(k("vorze-sa-dual-vibrator", "UFO-TW"), None);
        assert_eq!(
            k("vorze-sa-dual-rotator", "anything"),
            Some(Kind::DualRotator)
        );
        assert_eq!(k("vorze-sa-piston", "VorzePiston"), Some(Kind::Piston));
        assert_eq!(k("vorze-sa-unknown", "CycSA"), None);
        assert!(kind(None, "CycSA").is_err());
    }

    #[test]
    fn single_rotators() {
        let f = feature(0, &[(Rotate, -99, 99)]);
        let mut p = handler(Kind::SingleRotator(1));
        let w = writes(&p.encode_output(&f, cmd(Rotate, 50)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("01 01 B2"), true)]);
        assert_eq!(
            only_write(&p.encode_output(&f, cmd(Rotate, -99)).unwrap()),
            hex("01 01 63")
        );
        assert_eq!(
            only_write(&p.encode_output(&f, cmd(Rotate, 0)).unwrap()),
            hex("01 01 80")
        );
        let mut p = handler(Kind::SingleRotator(2));
        assert_eq!(
            only_write(&p.encode_output(&f, cmd(Rotate, 50)).unwrap()),
            hex("02 01 B2")
        );
        assert!(p.encode_output(&f, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn ufo_tw_carries_both_sides() {
        let f0 = feature(0, &[(Rotate, -99, 99)]);
        let f1 = feature(1, &[(Rotate, -99, 99)]);
        let mut p = handler(Kind::DualRotator);
        let out = p.encode_output(&f0, cmd(Rotate, 50)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(only_write(&out), hex("05 B2 80"));
        assert_eq!(
            only_write(&p.encode_output(&f0, cmd(Rotate, -99)).unwrap()),
            hex("05 63 80")
        );
        assert_eq!(
            only_write(&p.encode_output(&f1, cmd(Rotate, 25)).unwrap()),
            hex("05 63 99")
        );
        assert_eq!(
            only_write(&p.encode_output(&f0, cmd(Rotate, 25)).unwrap()),
            hex("05 99 99")
        );
        p.encode_output(&f0, cmd(Rotate, 0)).unwrap();
        assert_eq!(
            only_write(&p.encode_output(&f1, cmd(Rotate, 0)).unwrap()),
            hex("05 80 80")
        );
    }

    #[test]
    fn vibrators() {
        let f0 = feature(0, &[(Vibrate, 0, 100)]);
        let f1 = feature(1, &[(Vibrate, 0, 99)]);
        let mut p = handler(Kind::SingleVibrator(6));
        assert_eq!(
            only_write(&p.encode_output(&f0, cmd(Vibrate, 60)).unwrap()),
            hex("06 03 3C")
        );
        assert_eq!(
            only_write(&p.encode_output(&f0, cmd(Vibrate, 0)).unwrap()),
            hex("06 03 00")
        );
        let mut p = handler(Kind::DualVibrator);
        let w = writes(&p.encode_output(&f1, cmd(Vibrate, 40)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("09 00 28"), true)]);
        assert_eq!(
            only_write(&p.encode_output(&f1, cmd(Vibrate, 0)).unwrap()),
            hex("09 00 00")
        );
        assert!(
            p.encode_output(&feature(2, &[(Vibrate, 0, 99)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    #[test]
    fn piston_speeds() {
        let f = feature(0, &[(HwPositionWithDuration, 0, 99)]);
        let mut p = handler(Kind::Piston);
        let w = writes(&p.encode_output(&f, position(50, 500)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("03 32 04"), true)]);
        assert_eq!(
            only_write(&p.encode_output(&f, position(0, 200)).unwrap()),
            hex("03 00 0C")
        );
        assert_eq!(
            only_write(&p.encode_output(&f, position(99, 50)).unwrap()),
            hex("03 63 64")
        );
        // Same position, or no time: full speed.
        assert_eq!(piston_speed(99, 99, 1000), 100);
        assert_eq!(piston_speed(0, 50, 0), 100);
        assert_eq!(piston_speed(0, 99, 100_000), 0);
    }

    #[tokio::test]
    async fn initialize_picks_the_kind() {
        let def = db_resolve("vorze-sa", Some("UFOSA"));
        let (_dev, mut io, _ops) =
            sim_io(SimulatedDeviceSpec::new("UFOSA", "a"), &[Endpoint::Tx]).await;
        let mut p = VorzeSa::default();
        let f = def.features[0].clone();
        assert!(
            p.encode_output(&f, cmd(Rotate, 50)).is_err(),
            "not initialized"
        );
        p.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            only_write(&p.encode_output(&f, cmd(Rotate, 50)).unwrap()),
            hex("02 01 B2")
        );
        // The default entry has no variant: the connection fails.
        let def = db_resolve("vorze-sa", Some("nothing"));
        assert!(VorzeSa::default().initialize(&mut io, &def).await.is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("vorze-sa") {
            let name = def.identifier.clone().unwrap_or_default();
            let Ok(k) = kind(def.protocol_variant.as_deref(), &name) else {
                assert!(def.features.is_empty(), "{} has no kind", def.name);
                continue;
            };
            assert_encodes_all(&mut handler(k), &def);
        }
    }
}
