//! Svakom Fatima Pro (`svakom-fatima`): one packet per command on `tx`, keyed by its feature:
//! vibrate `[55 03 00 00 on v]`, suction (constrict) `[55 09 00 00 on v]`, thrust pattern
//! (oscillate) `[55 08 00 00 p FF]`, heat (temperature) `[55 05 01 37 02 00 00]` / off
//! `[55 05 00 00 02 00 00]`. See docs/protocols/svakom-fatima.md.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::svakom::flag;
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(|_, command| packet(command)))
}

/// The packet of a command; `None` for an output type without one.
fn packet(command: OutputCommand) -> Option<Vec<u8>> {
    let v = byte(command.value());
    Some(match command {
        OutputCommand::Vibrate(_) => vec![0x55, 0x03, 0x00, 0x00, flag(v), v],
        OutputCommand::Constrict(_) => vec![0x55, 0x09, 0x00, 0x00, flag(v), v],
        // The step is a pattern number (1-7), not a speed.
        OutputCommand::Oscillate(_) if v > 0 => vec![0x55, 0x08, 0x00, 0x00, v, 0xFF],
        OutputCommand::Oscillate(_) => vec![0x55, 0x08, 0x00, 0x00, 0x00, 0x00],
        OutputCommand::Temperature(_) if v > 0 => vec![0x55, 0x05, 0x01, 0x37, 0x02, 0x00, 0x00],
        OutputCommand::Temperature(_) => vec![0x55, 0x05, 0x00, 0x00, 0x02, 0x00, 0x00],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{Constrict, Oscillate, Rotate, Temperature, Vibrate};

    fn fatima() -> crate::device_config::DeviceDefinition {
        definition(vec![
            feature(0, &[(Vibrate, 0, 10)]),
            feature(1, &[(Constrict, 0, 10)]),
            feature(2, &[(Oscillate, 0, 7)]),
            feature(3, &[(Temperature, 0, 1)]),
        ])
    }

    /// The sheet's worked examples.
    #[test]
    fn outputs() {
        let def = fatima();
        let f = &def.features;
        let mut h = create();
        let mut one = |i: usize, t, v| only_write(&encode(h.as_mut(), &f[i], cmd(t, v)));
        assert_eq!(one(0, Vibrate, 5), hex("55 03 00 00 01 05"));
        assert_eq!(one(0, Vibrate, 10), hex("55 03 00 00 01 0A"));
        assert_eq!(one(1, Constrict, 7), hex("55 09 00 00 01 07"));
        assert_eq!(one(2, Oscillate, 3), hex("55 08 00 00 03 FF"));
        assert_eq!(one(3, Temperature, 1), hex("55 05 01 37 02 00 00"));
        assert_eq!(one(3, Temperature, 0), hex("55 05 00 00 02 00 00"));
        let out = encode(h.as_mut(), &f[0], cmd(Vibrate, 1));
        assert_eq!(writes(&out)[0].0, Endpoint::Tx);
        assert!(!writes(&out)[0].2, "written without response");
        assert!(h.encode_output(&f[0], cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn stop_writes_all_four_in_feature_order() {
        let def = fatima();
        assert_eq!(
            data(&stop(create().as_mut(), &def.features)),
            vec![
                hex("55 03 00 00 00 00"),
                hex("55 09 00 00 00 00"),
                hex("55 08 00 00 00 00"),
                hex("55 05 00 00 02 00 00"),
            ]
        );
    }

    /// The database's Fatima Pro: the sheet's four outputs, stopped in feature order.
    #[test]
    fn database_model() {
        let def = db_resolve("svakom-fatima", Some("SL278B"));
        assert_eq!(def.name, "Svakom Fatima Pro");
        assert_eq!(
            data(&stop(create().as_mut(), &def.features)),
            data(&stop(create().as_mut(), &fatima().features))
        );
        let heat = def.feature(3).and_then(|f| f.output(Temperature));
        assert_eq!(heat.map(|o| o.base_range), Some((0, 1)));
    }
}
