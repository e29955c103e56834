//! Youou (`youou`): a wand vibrator taking 17-byte packets on `tx` without response, with an
//! 8-bit packet counter and an XOR check byte.

use super::ProtocolHandler;
use super::shared::checksum::xor8;
use super::shared::packets::Packets;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

// Identify: the reference looks its devices up under the key `Youou` (capital Y), finds no
// definition and fails to connect. We keep the default identify (the advertised name), which
// resolves to the `youou` defaults since the key has no configurations.
pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler(0))
}

/// The handler, its packet counter at `counter`.
fn handler(mut counter: u8) -> Packets<PerFeature> {
    PerFeature::of(OutputType::Vibrate, move |_, v| {
        let p = packet(counter, v.clamp(0, 255) as u8);
        counter = counter.wrapping_add(1);
        p
    })
}

/// The packet numbered `counter`. Steps above about 247 reportedly select built-in patterns; the
/// database allows 0-255 and the value is sent unchanged.
fn packet(counter: u8, s: u8) -> Vec<u8> {
    let on = u8::from(s > 0);
    let mut p = vec![0xAA, 0x55, counter, 0x02, 0x03, 0x01, s, on];
    p.push(xor8(&p));
    p.extend_from_slice(&[0xFF, 0, 0, 0, 0, 0, 0, 0]);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[test]
    fn counted_packets_and_stop() {
        let f = feature(0, &[(Vibrate, 0, 255)]);
        let mut p = create();
        let w = writes(&p.encode_output(&f, cmd(Vibrate, 128)).unwrap());
        let bytes = hex("AA 55 00 02 03 01 80 01 7E FF 00 00 00 00 00 00 00");
        assert_eq!(w, vec![(Endpoint::Tx, bytes, false)]);
        let out = p.encode_output(&f, cmd(Vibrate, 10)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("AA 55 01 02 03 01 0A 01 F5 FF 00 00 00 00 00 00 00")
        );
        let out = p.encode_output(&f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("AA 55 02 02 03 01 00 00 FD FF 00 00 00 00 00 00 00")
        );
        assert!(p.encode_output(&f, cmd(Oscillate, 1)).is_err());
        let mut p = handler(0xFF);
        p.encode_output(&f, cmd(Vibrate, 1)).unwrap();
        assert_eq!(
            only_write(&p.encode_output(&f, cmd(Vibrate, 1)).unwrap())[2],
            0
        );
    }

    #[test]
    fn advertised_names_resolve_to_the_defaults() {
        let def = db_resolve("youou", Some("VX001_1234"));
        assert_eq!(def.name, "Youou Wand Vibrator");
        assert_eq!(def.features.len(), 1);
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("youou") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
