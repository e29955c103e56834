//! Yiciyuan (`yiciyuan`: FJB-01, FJB-02): one 16-byte frame `[35 12 stroke vibe axis_c 00 × 11]`
//! on `tx` carries the three motors (feature 0 stroke, 1 vibrate, 2 axis c) as levels 0–20
//! (`v / 5` rounded half up); a newer frame supersedes an unsent older one. The battery comes in
//! `35 13 01 P …` notifications on the vendor characteristic the database calls `rxblebattery`.
//! See docs/protocols/yiciyuan.md.

use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use super::{HardwareCommand, InputPlan, ProtocolHandler};
use crate::hardware::Endpoint;
use crate::wire::OutputType::{Oscillate, Vibrate};

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        WholeDevice::new(&[Oscillate, Vibrate], |steps: &[i32; 3]| {
            let mut frame = [0u8; 16];
            frame[..2].copy_from_slice(&[0x35, 0x12]);
            for (slot, step) in frame[2..5].iter_mut().zip(steps) {
                *slot = level(*step);
            }
            frame
        })
        .with_battery(battery_plan),
    )
}

/// The device's level 0–20 of a step 0–100: `(min(v, 100) × 20 + 50) / 100`.
fn level(step: i32) -> u8 {
    byte((step.clamp(0, 100) * 20 + 50) / 100)
}

/// Subscribe to the vendor characteristic (left on) and take the first `35 13` frame on it:
/// the percent is byte 3. The device pushes one about every second.
fn battery_plan() -> InputPlan {
    InputPlan::Notification {
        before: vec![HardwareCommand::subscribe(Endpoint::RxBleBattery)],
        parse: Box::new(|endpoint, data| match data {
            [0x35, 0x13, _, percent, ..] if endpoint == Endpoint::RxBleBattery => {
                Some(i32::from(*percent))
            }
            _ => None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::HardwareOp;
    use crate::protocols::shared::testing::*;
    use crate::wire::InputType;
    use crate::wire::OutputType::Rotate;

    fn frame(stroke: u8, vibe: u8, axis: u8) -> Vec<u8> {
        let mut f = vec![0x35, 0x12, stroke, vibe, axis];
        f.resize(16, 0);
        f
    }

    #[test]
    fn levels() {
        let cases = [
            (0, 0),
            (2, 0),
            (3, 1),
            (7, 1),
            (8, 2),
            (50, 10),
            (97, 19),
            (98, 20),
        ];
        for (step, want) in cases {
            assert_eq!(level(step), want, "step {step}");
        }
        assert_eq!(level(100), 20);
        assert_eq!(level(1000), 20);
        assert_eq!(level(-5), 0);
    }

    /// The sheet's worked examples.
    #[test]
    fn frames_and_stop() {
        let def = definition(vec![
            feature(0, &[(Oscillate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
            feature(2, &[(Vibrate, 0, 100)]),
            battery(3),
        ]);
        let f = &def.features;
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f[0], cmd(Oscillate, 50))),
            vec![(Endpoint::Tx, frame(0x0A, 0, 0), false)]
        );
        assert_eq!(
            only_write(&encode(h.as_mut(), &f[1], cmd(Vibrate, 100))),
            frame(0x0A, 0x14, 0)
        );
        assert_eq!(
            only_write(&encode(h.as_mut(), &f[2], cmd(Vibrate, 33))),
            frame(0x0A, 0x14, 0x07)
        );
        assert_eq!(data(&stop(h.as_mut(), &f[..3])), vec![frame(0, 0, 0)]);
        assert!(h.encode_output(&f[0], cmd(Rotate, 1)).is_err());
        let f3 = feature(3, &[(Vibrate, 0, 100)]);
        assert!(h.encode_output(&f3, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn battery_from_the_vendor_notification() {
        let mut h = create();
        let Ok(InputPlan::Notification { before, mut parse }) =
            h.read_input(&battery(3), InputType::Battery)
        else {
            panic!("battery is a notification");
        };
        assert_eq!(before.len(), 1);
        assert_eq!(before[0].op, HardwareOp::Subscribe(Endpoint::RxBleBattery));
        let e = Endpoint::RxBleBattery;
        assert_eq!(parse(e, &hex("35 14 00 00 12")), None, "uptime tick");
        assert_eq!(parse(e, &hex("35 10 01 02 03")), None, "device info");
        assert_eq!(parse(e, &hex("35 13 01")), None, "too short");
        assert_eq!(
            parse(Endpoint::Tx, &hex("35 13 01 57")),
            None,
            "other endpoint"
        );
        assert_eq!(parse(e, &hex("35 13 01 57 00 00")), Some(87));
        assert!(h.read_input(&battery(3), InputType::Pressure).is_err());
    }

    /// The database's FJB-01: three motors and a readable battery on feature 3.
    #[test]
    fn database_model() {
        let def = db_resolve("yiciyuan", Some("YCY-FJB-01"));
        assert_eq!(def.name, "Yiciyuan FJB-01");
        let mut h = create();
        let out = encode(h.as_mut(), &def.features[0], cmd(Oscillate, 50));
        assert_eq!(data(&out), vec![frame(0x0A, 0, 0)]);
        let battery = def.feature(3).expect("battery feature");
        assert!(matches!(
            h.read_input(battery, InputType::Battery),
            Ok(InputPlan::Notification { .. })
        ));
    }
}
