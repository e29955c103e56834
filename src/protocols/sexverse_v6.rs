//! Sexverse V6 (`sexverse-v6`: Aether, Sirius): one packet `[AA 03 03 vibe osc suck]` on `tx`
//! carries every output, the slot chosen by output type (Vibrate, Oscillate, Constrict), not by
//! feature; a newer packet supersedes an unsent older one. See docs/protocols/sexverse-v6.md.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType::{Constrict, Oscillate, Vibrate};

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        WholeDevice::new(&[Vibrate, Oscillate, Constrict], |[v, o, c]: &[i32; 3]| {
            [0xAA, 0x03, 0x03, byte(*v), byte(*o), byte(*c)]
        })
        .slots_by_output_type(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Rotate;

    #[test]
    fn aether() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Oscillate, 0, 100)]),
        ]);
        let mut h = create();
        let f = &def.features;
        assert_eq!(
            only_write(&encode(h.as_mut(), &f[0], cmd(Vibrate, 50))),
            hex("AA 03 03 32 00 00")
        );
        assert_eq!(
            only_write(&encode(h.as_mut(), &f[1], cmd(Oscillate, 100))),
            hex("AA 03 03 32 64 00")
        );
        assert_eq!(data(&stop(h.as_mut(), f)), vec![hex("AA 03 03 00 00 00")]);
        assert!(h.encode_output(&f[0], cmd(Rotate, 1)).is_err());
    }

    /// The database's models: Sirius has suction, written with the other two in one packet
    /// per message; Aether has the defaults' two outputs.
    #[test]
    fn database_models() {
        let sirius = db_resolve("sexverse-v6", Some("A14M01C"));
        assert_eq!(sirius.name, "Sexverse Sirius");
        let f = &sirius.features;
        let mut h = create();
        let out = message(
            h.as_mut(),
            &[
                (&f[0], cmd(Vibrate, 20)),
                (&f[1], cmd(Oscillate, 40)),
                (&f[2], cmd(Constrict, 60)),
            ],
        );
        assert_eq!(data(&out), vec![hex("AA 03 03 14 28 3C")]);
        assert_eq!(data(&stop(h.as_mut(), f)), vec![hex("AA 03 03 00 00 00")]);
        let aether = db_resolve("sexverse-v6", Some("A06K01C"));
        assert_eq!(aether.name, "Sexverse Aether");
        assert_eq!(aether.features.len(), 2);
        assert!(aether.features[1].output(Oscillate).is_some());
    }
}
