//! Vibio (`vibio`: Clara, Dodson, Elle, Frida, Rivera): the VibCrafter scheme
//! ([`super::shared::vibcrafter`]) with key `jdk#vib%y5fir21a`, an 8-character token, and
//! challenges `TTTT:X;` whose tag is 4 hexadecimal digits and `X` anything but `;`.
//! `MtInt:<m0><m1>;` carries both motors, so it is keyed by the whole device: a stop of a
//! two-motor model writes the one all-zero packet `MtInt:0000;` (the reference also writes the
//! intermediate `MtInt:00xx;`). See docs/protocols/vibio.md.

use super::ProtocolHandler;
use super::shared::vibcrafter::{Scheme, handler, tagged};

pub(super) static SCHEME: Scheme = Scheme {
    key: b"jdk#vib%y5fir21a",
    token_len: 8,
    challenge,
};

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler(&SCHEME))
}

/// The challenge `X` of a `TTTT:X;` message: `^[0-9A-Fa-f]{4}:([^;]+);$`.
fn challenge(text: &str) -> Option<&str> {
    let (tag, x) = tagged(text)?;
    let hex_tag = tag.len() == 4 && tag.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_tag && !x.is_empty() && !x.contains(';')).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimOp;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::*;
    use crate::protocols::shared::vibcrafter::answer;
    use crate::protocols::shared::vibcrafter::device;
    use crate::wire::OutputType::{Rotate, Vibrate};

    /// The sheet's ciphertexts (standard AES-128-ECB + PKCS#7).
    #[test]
    fn cipher_examples() {
        let e = |t| SCHEME.encrypt(t);
        assert_eq!(
            e("MtInt:5000;"),
            hex("31 BA 03 44 18 20 43 AA 58 5B F2 58 1F 1B 95 22")
        );
        assert_eq!(
            e("MtInt:9942;"),
            hex("E6 D4 B5 7A 5B C8 40 40 AF 25 AD 4C 8E 50 EF BC")
        );
        assert_eq!(
            e("MtInt:0099;"),
            hex("91 70 8A D2 4F 05 AE AA E3 4A B1 B7 A0 CE B1 53")
        );
        assert_eq!(
            e("MtInt:0000;"),
            hex("25 52 E7 B4 3B 92 75 30 88 07 0A 6F 5B 71 8D 1D")
        );
        assert_eq!(
            e("Auth:abcd1234;"),
            hex("02 9D A0 70 22 A9 17 77 2F F8 89 CA F8 93 40 E0")
        );
        assert_eq!(
            e("Auth:d5a9;"),
            hex("23 15 63 C7 EC E6 69 E2 E1 D1 4C 79 70 36 C1 FA")
        );
        let ok = hex("73 F4 CB D1 1A 61 E4 18 5E 8E 48 62 83 59 5A 24");
        assert_eq!(SCHEME.decrypt(&ok).as_deref(), Some("OK;"));
    }

    #[test]
    fn challenges() {
        assert_eq!(challenge("1a2B:Xy12abc;"), Some("Xy12abc"));
        assert_eq!(answer("Xy12abc"), "Auth:d5a9;");
        // Any character but `;` in the challenge; the tag must be hexadecimal.
        assert_eq!(challenge("00fF:a-b c!;"), Some("a-b c!"));
        assert_eq!(challenge("Xxxx:abc;"), None);
        assert_eq!(challenge("1a2:abc;"), None);
        assert_eq!(challenge("1a2b:;"), None);
        assert_eq!(challenge("1a2b:a;b;"), None);
        assert_eq!(challenge("1a2b:abc"), None);
        assert_eq!(challenge("OK;"), None);
        let t = SCHEME.random_token();
        assert_eq!(t.len(), 8);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn both_motors_in_every_packet() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 99)]),
            feature(1, &[(Vibrate, 0, 99)]),
        ]);
        let f = &def.features;
        let mut h = create();
        let out = encode(h.as_mut(), &f[0], cmd(Vibrate, 50));
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, SCHEME.encrypt("MtInt:5000;"), false)]
        );
        let out = message(
            h.as_mut(),
            &[(&f[0], cmd(Vibrate, 99)), (&f[1], cmd(Vibrate, 42))],
        );
        assert_eq!(data(&out), vec![SCHEME.encrypt("MtInt:9942;")]);
        assert_eq!(
            data(&stop(h.as_mut(), f)),
            vec![SCHEME.encrypt("MtInt:0000;")]
        );
        assert!(h.encode_output(&f[0], cmd(Rotate, 1)).is_err());
        let f2 = feature(2, &[(Vibrate, 0, 99)]);
        assert!(h.encode_output(&f2, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn one_motor_models_send_motor_1_as_00() {
        let f0 = feature(0, &[(Vibrate, 0, 99)]);
        let mut h = create();
        assert_eq!(
            only_write(&encode(h.as_mut(), &f0, cmd(Vibrate, 50))),
            SCHEME.encrypt("MtInt:5000;")
        );
        assert_eq!(
            data(&stop(h.as_mut(), [&f0])),
            vec![SCHEME.encrypt("MtInt:0000;")]
        );
    }

    /// The sheet's handshake: `Auth:abcd1234;`, the challenge `1a2B:Xy12abc;` answered with
    /// `Auth:d5a9;`, then `OK;`.
    #[tokio::test]
    async fn handshake_with_a_challenge() {
        let replies = [
            ("Auth:abcd1234;", SCHEME.encrypt("1a2B:Xy12abc;")),
            (
                "Auth:d5a9;",
                hex("73 F4 CB D1 1A 61 E4 18 5E 8E 48 62 83 59 5A 24"),
            ),
        ];
        let (outcome, ops) = device::handshake(&SCHEME, "abcd1234", &replies).await;
        assert_eq!(outcome, Ok(()));
        assert_eq!(
            ops,
            vec![
                SimOp::Subscribe {
                    endpoint: Endpoint::Rx
                },
                write_op(
                    Endpoint::Tx,
                    &hex("02 9D A0 70 22 A9 17 77 2F F8 89 CA F8 93 40 E0"),
                    false
                ),
                write_op(
                    Endpoint::Tx,
                    &hex("23 15 63 C7 EC E6 69 E2 E1 D1 4C 79 70 36 C1 FA"),
                    false
                ),
            ]
        );
        // VibCrafter's challenge shape (a tag that is not hexadecimal) is refused.
        let replies = [("Auth:abcd1234;", SCHEME.encrypt("Xxxx:abc;"))];
        let (outcome, _) = device::handshake(&SCHEME, "abcd1234", &replies).await;
        assert!(outcome.is_err());
    }

    /// The database's models: Clara and Dodson have one motor, the others two.
    #[test]
    fn database_models() {
        for (id, motors) in [
            ("Clara_Vibio", 1),
            ("Dodson_Vibio", 1),
            ("Elle_Vibio", 2),
            ("Rivera_Vibio", 2),
        ] {
            let def = db_resolve("vibio", Some(id));
            assert_eq!(def.features.len(), motors, "{}", def.name);
            let mut h = create();
            let last = &def.features[motors - 1];
            assert!(h.encode_output(last, cmd(Vibrate, 99)).is_ok());
            assert_eq!(
                data(&stop(h.as_mut(), &def.features)),
                vec![SCHEME.encrypt("MtInt:0000;")]
            );
        }
    }
}
