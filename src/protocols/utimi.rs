//! Utimi (`utimi`: Prostate Massager, KnotVibe ThrustMaster): one packet
//! `[A0 03 m0 m1 m2 m3 m4 AA]` on `tx` carries five motor slots, the slot being the feature
//! index (vibrate on 0, thrust on 1); a newer packet supersedes an unsent older one. A feature
//! index of 5 or more is refused (the reference crashes). See docs/protocols/utimi.md.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType::{Oscillate, Vibrate};

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(WholeDevice::new(&[Vibrate, Oscillate], |m: &[i32; 5]| {
        let mut packet = vec![0xA0, 0x03];
        packet.extend(m.iter().map(|v| byte(*v)));
        packet.push(0xAA);
        packet
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::*;

    /// The sheet's worked examples.
    #[test]
    fn outputs_and_stop() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 255)]),
            feature(1, &[(Oscillate, 0, 255)]),
        ]);
        let f = &def.features;
        let mut h = create();
        assert_eq!(
            only_write(&encode(h.as_mut(), &f[0], cmd(Vibrate, 128))),
            hex("A0 03 80 00 00 00 00 AA")
        );
        assert_eq!(
            only_write(&encode(h.as_mut(), &f[1], cmd(Oscillate, 255))),
            hex("A0 03 80 FF 00 00 00 AA")
        );
        let out = message(
            h.as_mut(),
            &[(&f[0], cmd(Vibrate, 10)), (&f[1], cmd(Oscillate, 20))],
        );
        assert_eq!(data(&out), vec![hex("A0 03 0A 14 00 00 00 AA")]);
        assert_eq!(
            data(&stop(h.as_mut(), f)),
            vec![hex("A0 03 00 00 00 00 00 AA")]
        );
    }

    #[test]
    fn a_sixth_slot_is_refused() {
        let mut h = create();
        let f5 = feature(5, &[(Vibrate, 0, 255)]);
        assert!(h.encode_output(&f5, cmd(Vibrate, 1)).is_err());
        let f4 = feature(4, &[(Vibrate, 0, 255)]);
        assert_eq!(
            only_write(&encode(h.as_mut(), &f4, cmd(Vibrate, 1))),
            hex("A0 03 00 00 00 00 01 AA")
        );
    }

    /// The database's models inherit the defaults: vibrate on 0, thrust on 1.
    #[test]
    fn database_models() {
        for id in ["Utimi", "Utimi000040"] {
            let def = db_resolve("utimi", Some(id));
            let f = &def.features;
            let mut h = create();
            let out = message(
                h.as_mut(),
                &[(&f[0], cmd(Vibrate, 10)), (&f[1], cmd(Oscillate, 20))],
            );
            assert_eq!(
                data(&out),
                vec![hex("A0 03 0A 14 00 00 00 AA")],
                "{}",
                def.name
            );
        }
        assert_eq!(
            db_resolve("utimi", Some("Utimi000040")).name,
            "Utimi KnotVibe ThrustMaster"
        );
    }
}
