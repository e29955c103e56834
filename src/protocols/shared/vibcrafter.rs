//! The VibCrafter scheme (`vibcrafter`, `vibio`): AES-128-ECB (PKCS#7) encrypted ASCII on `tx`
//! and `rx`. Connecting runs an `Auth:` handshake (a random token, then a SHA-256 answer to each
//! challenge until the device says `OK;`); vibration is `MtInt:<m0><m1>;`, carrying both motors.
//! The protocols differ in their key, the token's length and the shape of a challenge.

use std::time::Duration;

use async_trait::async_trait;

use super::cipher::{aes128_ecb_decrypt_pkcs7, aes128_ecb_encrypt_pkcs7, sha256};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocols::{
    DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::wire::OutputCommand;

/// How long to wait for each handshake reply (the reference waits forever).
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);
/// Challenges answered before giving up (the reference loops without bound).
const MAX_CHALLENGES: usize = 8;
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// What one protocol of the scheme chooses.
pub struct Scheme {
    /// The AES-128 key, both directions.
    pub key: &'static [u8; 16],
    /// Characters of the random token of the first `Auth:`.
    pub token_len: usize,
    /// The challenge `X` of a device message `TAG:X;`, if the message is one.
    pub challenge: fn(&str) -> Option<&str>,
}

impl Scheme {
    pub fn encrypt(&self, text: &str) -> Vec<u8> {
        aes128_ecb_encrypt_pkcs7(self.key, text.as_bytes())
    }

    /// The text of a device message; `None` when it does not decrypt to UTF-8.
    pub fn decrypt(&self, data: &[u8]) -> Option<String> {
        String::from_utf8(aes128_ecb_decrypt_pkcs7(self.key, data)?).ok()
    }

    /// `token_len` random alphanumeric characters.
    pub fn random_token(&self) -> String {
        let mut bytes = vec![0u8; self.token_len];
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = (nanos >> ((i * 5) % 32)) as u8;
            }
        }
        bytes
            .iter()
            .map(|b| char::from(ALPHANUMERIC[usize::from(*b) % ALPHANUMERIC.len()]))
            .collect()
    }

    /// The authentication exchange, starting with `Auth:<token>;`. Every reply is awaited at
    /// most [`REPLY_TIMEOUT`], at most [`MAX_CHALLENGES`] challenges are answered, and anything
    /// that is neither `OK;` nor a challenge (undecryptable data included) fails it.
    pub async fn handshake(&self, io: &mut DeviceIo, token: &str) -> Result<(), ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        io.write(
            Endpoint::Tx,
            &self.encrypt(&format!("Auth:{token};")),
            false,
        )
        .await?;
        for _ in 0..=MAX_CHALLENGES {
            let Some((_, data)) = io.next_notification(REPLY_TIMEOUT).await? else {
                return Err(ProtocolError::InvalidReply(
                    "no answer to the security handshake".into(),
                ));
            };
            let text = self.decrypt(&data).unwrap_or_default();
            if text == "OK;" {
                return Ok(());
            }
            let Some(x) = (self.challenge)(&text) else {
                return Err(ProtocolError::InvalidReply(
                    "invalid security handshake".into(),
                ));
            };
            io.write(Endpoint::Tx, &self.encrypt(&answer(x)), false)
                .await?;
        }
        Err(ProtocolError::InvalidReply(
            "security handshake did not finish".into(),
        ))
    }
}

/// The answer to challenge `x`: the first two SHA-256 bytes in lowercase hex.
pub fn answer(x: &str) -> String {
    let d = sha256(x.as_bytes());
    format!("Auth:{:02x}{:02x};", d[0], d[1])
}

/// The `TAG:X;` split of a device message: (tag, X).
pub fn tagged(text: &str) -> Option<(&str, &str)> {
    text.strip_suffix(';')?.split_once(':')
}

/// The handler of a scheme: the handshake at connect, then `MtInt:` packets.
pub struct MtInt {
    scheme: &'static Scheme,
    motors: [i32; 2],
}

/// A handler speaking `scheme`.
pub fn handler(scheme: &'static Scheme) -> MtInt {
    MtInt {
        scheme,
        motors: [0; 2],
    }
}

#[async_trait]
impl ProtocolHandler for MtInt {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.scheme.handshake(io, &self.scheme.random_token()).await
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
        // message (or a stop) changing both writes once with the final state.
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            self.scheme.encrypt(&format!("MtInt:{m0:02}{m1:02};")),
            false,
        )])
    }
}

/// Test kit: a simulated device answering a scheme's handshake.
#[cfg(test)]
pub mod device {
    use super::Scheme;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::{AutoReply, SimOp, SimulatedDeviceSpec};
    use crate::protocols::ProtocolError;
    use crate::protocols::shared::testing::{drain, sim_io};

    /// Run `scheme`'s handshake with `token` against a device that, after each write of the
    /// encrypted text `on`, notifies `reply` on `rx`: the outcome and the ops the device saw.
    pub async fn handshake(
        scheme: &Scheme,
        token: &str,
        replies: &[(&str, Vec<u8>)],
    ) -> (Result<(), ProtocolError>, Vec<SimOp>) {
        let mut spec = SimulatedDeviceSpec::new("device", "a");
        spec.auto_replies = replies
            .iter()
            .map(|(on, reply)| AutoReply {
                on_write: scheme.encrypt(on),
                endpoint: Endpoint::Rx,
                reply: reply.clone(),
            })
            .collect();
        let (_dev, mut io, mut ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
        let outcome = scheme.handshake(&mut io, token).await;
        (outcome, drain(&mut ops))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PLAIN: Scheme = Scheme {
        key: b"0123456789abcdef",
        token_len: 11,
        challenge: |t| tagged(t).map(|(_, x)| x),
    };

    #[test]
    fn tokens_and_tags() {
        let t = PLAIN.random_token();
        assert_eq!(t.len(), 11);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(tagged("ab:cd;"), Some(("ab", "cd")));
        assert_eq!(tagged("ab:cd"), None);
        assert_eq!(tagged("abcd;"), None);
        assert_eq!(
            PLAIN.decrypt(&PLAIN.encrypt("x:y;")).as_deref(),
            Some("x:y;")
        );
        assert_eq!(PLAIN.decrypt(&[0; 16]), None);
    }

    /// Whatever is neither `OK;` nor a challenge fails the handshake with an error, including
    /// undecryptable data (the reference panics) and silence (the reference waits forever), and
    /// so does a device that only ever challenges.
    #[tokio::test(start_paused = true)]
    async fn handshake_failures_are_errors() {
        let start = "Auth:t;";
        let cases = [
            (
                vec![(start, PLAIN.encrypt("NO;"))],
                "invalid security handshake",
            ),
            (vec![(start, vec![0xFF; 5])], "invalid security handshake"),
            (vec![], "no answer to the security handshake"),
            (
                vec![
                    (start, PLAIN.encrypt("a:x;")),
                    ("Auth:2d71;", PLAIN.encrypt("a:x;")),
                ],
                "security handshake did not finish",
            ),
        ];
        for (replies, message) in cases {
            let (outcome, _) = device::handshake(&PLAIN, "t", &replies).await;
            assert_eq!(outcome, Err(ProtocolError::InvalidReply(message.into())));
        }
        assert_eq!(answer("x"), "Auth:2d71;");
    }
}
