//! VibCrafter (`vibcrafter`): AES-128-ECB (PKCS#7) encrypted ASCII on `tx`/`rx`. Connecting
//! runs an `Auth:` handshake (a random token, then SHA-256 answers to any challenges until the
//! device says `OK;`); vibration is `MtInt:<m0><m1>;` carrying both motors.

use std::time::Duration;

use async_trait::async_trait;

use super::shared::cipher::{aes128_ecb_decrypt_pkcs7, aes128_ecb_encrypt_pkcs7, sha256};
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

const KEY: &[u8; 16] = b"jdk#Cra%f5Vib28r";
/// How long to wait for each handshake reply (the reference waits forever).
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);
/// Challenges answered before giving up (the reference loops without bound).
const MAX_CHALLENGES: usize = 8;
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Default)]
pub struct VibCrafter {
    motors: [i32; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(VibCrafter::default())
}

fn encrypt(text: &str) -> Vec<u8> {
    aes128_ecb_encrypt_pkcs7(KEY, text.as_bytes())
}

fn decrypt(data: &[u8]) -> Option<String> {
    String::from_utf8(aes128_ecb_decrypt_pkcs7(KEY, data)?).ok()
}

/// Six random alphanumeric characters.
fn random_token() -> String {
    let mut bytes = [0u8; 6];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        bytes = [0, 8, 16, 24, 4, 12].map(|s| (nanos >> s) as u8);
    }
    bytes
        .iter()
        .map(|b| char::from(ALPHANUMERIC[usize::from(*b) % ALPHANUMERIC.len()]))
        .collect()
}

/// The challenge `X` of a `TTTT:X;` message (4-character alphanumeric tag, alphanumeric `X`).
fn challenge(text: &str) -> Option<&str> {
    let body = text.strip_suffix(';')?;
    let (tag, x) = body.split_once(':')?;
    let alnum = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (tag.len() == 4 && alnum(tag) && alnum(x)).then_some(x)
}

/// The answer to challenge `x`: the first two SHA-256 bytes in lowercase hex.
fn answer(x: &str) -> String {
    let d = sha256(x.as_bytes());
    format!("Auth:{:02x}{:02x};", d[0], d[1])
}

/// The authentication exchange, starting with `Auth:<token>;`.
async fn handshake(io: &mut DeviceIo, token: &str) -> Result<(), ProtocolError> {
    io.subscribe(Endpoint::Rx).await?;
    io.write(Endpoint::Tx, &encrypt(&format!("Auth:{token};")), false)
        .await?;
    for _ in 0..=MAX_CHALLENGES {
        let Some((_, data)) = io.next_notification(REPLY_TIMEOUT).await? else {
            return Err(ProtocolError::InvalidReply(
                "no answer to the security handshake".into(),
            ));
        };
        let text = decrypt(&data).unwrap_or_default();
        if text == "OK;" {
            return Ok(());
        }
        let Some(x) = challenge(&text) else {
            return Err(ProtocolError::InvalidReply(
                "invalid security handshake".into(),
            ));
        };
        io.write(Endpoint::Tx, &encrypt(&answer(x)), false).await?;
    }
    Err(ProtocolError::InvalidReply(
        "security handshake did not finish".into(),
    ))
}

#[async_trait]
impl ProtocolHandler for VibCrafter {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        handshake(io, &random_token()).await
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let Some(slot) = self.motors.get_mut(feature.index as usize) else {
            return Err(unsupported_output(&command));
        };
        *slot = v.value.clamp(0, 99);
        let [m0, m1] = self.motors;
        // Choice: the reference keys the packet by the commanded feature, so a two-motor change
        // writes twice; the packet carries both motors, so we key it by the whole device and a
        // message changing both writes once with the final state.
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            encrypt(&format!("MtInt:{m0:02}{m1:02};")),
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{AutoReply, SimOp, SimulatedDeviceSpec};
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, drain, feature, hex, sim_io, write_op, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn cipher_examples() {
        let auth = hex("00 33 41 70 F0 12 4C 24 DA 42 97 A8 B1 17 7C 30");
        assert_eq!(encrypt("Auth:abc123;"), auth);
        let ok = hex("12 0A 6D EF A7 05 E3 6F A0 46 E6 CD F6 09 F6 7A");
        assert_eq!(decrypt(&ok).as_deref(), Some("OK;"));
        assert_eq!(decrypt(&[1, 2, 3]), None);
        assert_eq!(decrypt(&[0; 16]), None);
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
        let t = random_token();
        assert_eq!(t.len(), 6);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn vibrate_carries_both_motors() {
        let f0 = feature(0, &[(Vibrate, 0, 99)]);
        let f1 = feature(1, &[(Vibrate, 0, 99)]);
        let mut p = VibCrafter::default();
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

    fn reply(on: &str, with: &str) -> AutoReply {
        AutoReply {
            on_write: encrypt(on),
            endpoint: Endpoint::Rx,
            reply: encrypt(with),
        }
    }

    #[tokio::test]
    async fn handshake_with_a_challenge() {
        let mut spec = SimulatedDeviceSpec::new("Janna", "a");
        spec.auto_replies = vec![
            reply("Auth:abc123;", "Xxxx:Xy12abc;"),
            reply("Auth:d5a9;", "OK;"),
        ];
        let (_dev, mut io, mut ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
        handshake(&mut io, "abc123").await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                SimOp::Subscribe {
                    endpoint: Endpoint::Rx
                },
                write_op(Endpoint::Tx, &encrypt("Auth:abc123;"), false),
                write_op(Endpoint::Tx, &encrypt("Auth:d5a9;"), false),
            ]
        );
    }

    #[tokio::test]
    async fn handshake_failures() {
        let mut spec = SimulatedDeviceSpec::new("Janna", "a");
        spec.auto_replies = vec![reply("Auth:abc123;", "NO;")];
        let (_dev, mut io, _ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
        assert!(handshake(&mut io, "abc123").await.is_err());
        let mut spec = SimulatedDeviceSpec::new("Janna", "b");
        spec.auto_replies = vec![AutoReply {
            on_write: encrypt("Auth:abc123;"),
            endpoint: Endpoint::Rx,
            reply: vec![0xFF; 5],
        }];
        let (_dev, mut io, _ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
        assert!(handshake(&mut io, "abc123").await.is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("vibcrafter") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
