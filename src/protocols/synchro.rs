//! Synchro (`synchro`): one signed rotator. `[A1, 01, D, 77, 55]` on `tx` without response,
//! `D = |r|`, with bit 7 set for counter-clockwise (negative) rotation.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Rotate, |_, r| packet(r)))
}

/// The packet for signed step `r`.
fn packet(r: i32) -> [u8; 5] {
    let speed = r.unsigned_abs().min(0x7F) as u8;
    let d = if r < 0 { speed | 0x80 } else { speed };
    [0xA1, 0x01, d, 0x77, 0x55]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn rotate_both_directions_and_stop() {
        let f = feature(0, &[(Rotate, -6, 6)]);
        let mut p = create();
        let w = writes(&p.encode_output(&f, cmd(Rotate, 3)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("A1 01 03 77 55"), false)]);
        let w = writes(&p.encode_output(&f, cmd(Rotate, -6)).unwrap());
        assert_eq!(w[0].1, hex("A1 01 86 77 55"));
        let w = writes(&p.encode_output(&f, cmd(Rotate, 0)).unwrap());
        assert_eq!(w[0].1, hex("A1 01 00 77 55"));
        assert!(p.encode_output(&f, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("synchro") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
