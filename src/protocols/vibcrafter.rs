//! VibCrafter (`vibcrafter`): the VibCrafter scheme ([`super::shared::vibcrafter`]) with key
//! `jdk#Cra%f5Vib28r`, a 6-character token, and challenges `TTTT:X;` whose 4-character tag and
//! `X` are alphanumeric. See docs/protocols/vibcrafter.md.

use super::ProtocolHandler;
use super::shared::vibcrafter::{Scheme, handler, tagged};

static SCHEME: Scheme = Scheme {
    key: b"jdk#Cra%f5Vib28r",
    token_len: 6,
    challenge,
};

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler(&SCHEME))
}

/// The challenge `X` of a `TTTT:X;` message (4-character alphanumeric tag, alphanumeric `X`).
fn challenge(text: &str) -> Option<&str> {
    let (tag, x) = tagged(text)?;
    let alnum = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (tag.len() == 4 && alnum(tag) && alnum(x)).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimOp;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, write_op, writes,
    };
    use crate::protocols::shared::vibcrafter::answer;
    use crate::protocols::shared::vibcrafter::device;
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn cipher_examples() {
        let auth = hex("00 33 41 70 F0 12 4C 24 DA 42 97 A8 B1 17 7C 30");
        assert_eq!(SCHEME.encrypt("Auth:abc123;"), auth);
        let ok = hex("12 0A 6D EF A7 05 E3 6F A0 46 E6 CD F6 09 F6 7A");
        assert_eq!(SCHEME.decrypt(&ok).as_deref(), Some("OK;"));
        assert_eq!(SCHEME.decrypt(&[1, 2, 3]), None);
        assert_eq!(SCHEME.decrypt(&[0; 16]), None);
    }

    #[test]
    fn challenges() {
        assert_eq!(challenge("Xxxx:Xy12abc;"), Some("Xy12abc"));
        assert_eq!(answer("Xy12abc"), "Auth:d5a9;");
        assert_eq!(challenge("OK;"), None);
        assert_eq!(challenge("Xxx:abc;"), None);
        assert_eq!(challenge("Xxxx:;"), None);
        assert_eq!(challenge("Xxxx:a-b;"), None);
        assert_eq!(challenge("Xxxx:ab"), None);
        let t = SCHEME.random_token();
        assert_eq!(t.len(), 6);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn vibrate_carries_both_motors() {
        let f0 = feature(0, &[(Vibrate, 0, 99)]);
        let f1 = feature(1, &[(Vibrate, 0, 99)]);
        let mut p = handler(&SCHEME);
        let out = p.encode_output(&f0, cmd(Vibrate, 50)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        let w = writes(&out);
        let bytes = hex("EB CC 1A DD B0 13 23 40 D5 1B 7E 97 B6 1C A3 20");
        assert_eq!(w, vec![(Endpoint::Tx, bytes, false)]);
        p.encode_output(&f0, cmd(Vibrate, 99)).unwrap();
        let w = writes(&p.encode_output(&f1, cmd(Vibrate, 42)).unwrap());
        assert_eq!(
            w[0].1,
            hex("BB 8D 25 83 AA 2E A0 15 E1 8E F8 C2 C1 EC 2F C3")
        );
        p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        let w = writes(&p.encode_output(&f1, cmd(Vibrate, 0)).unwrap());
        assert_eq!(
            w[0].1,
            hex("DF F0 2F 0D F4 5B 1F 07 21 62 3F 8C F1 B9 61 38")
        );
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
        assert!(
            p.encode_output(&feature(2, &[(Vibrate, 0, 99)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    /// A challenge, answered, then `OK;`.
    #[tokio::test]
    async fn handshake_with_a_challenge() {
        let replies = [
            ("Auth:abc123;", SCHEME.encrypt("Xxxx:Xy12abc;")),
            ("Auth:d5a9;", SCHEME.encrypt("OK;")),
        ];
        let (outcome, ops) = device::handshake(&SCHEME, "abc123", &replies).await;
        assert_eq!(outcome, Ok(()));
        assert_eq!(
            ops,
            vec![
                SimOp::Subscribe {
                    endpoint: Endpoint::Rx
                },
                write_op(Endpoint::Tx, &SCHEME.encrypt("Auth:abc123;"), false),
                write_op(Endpoint::Tx, &SCHEME.encrypt("Auth:d5a9;"), false),
            ]
        );
        // A challenge of another shape is refused.
        let replies = [("Auth:abc123;", SCHEME.encrypt("Xxxx:a-b;"))];
        let (outcome, _) = device::handshake(&SCHEME, "abc123", &replies).await;
        assert!(outcome.is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("vibcrafter") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
