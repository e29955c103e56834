//! Which devices may dial in (`teleplug serve --device-websocket-port`): the optional shared
//! secret a device presents (a `"token"` field in its handshake frame, or `?token=` in the URL it
//! connects to), and the rule that one address is one connection, so a second peer cannot claim
//! the address of a device that is connected.

use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// The shared secret of the device listener.
#[derive(Clone)]
pub struct DeviceToken {
    /// Only the digest is kept: comparing digests takes the same time whatever the guess.
    digest: [u8; 32],
}

impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceToken(<secret>)")
    }
}

/// Why a device was refused by [`DeviceToken::check`]: the Close reason it is sent.
pub const TOKEN_MISSING: &str = "this server requires a device token: send \"token\" in the handshake frame or ?token= in the URL";
/// See [`TOKEN_MISSING`].
pub const TOKEN_WRONG: &str = "wrong device token";

impl DeviceToken {
    pub fn new(secret: &str) -> DeviceToken {
        DeviceToken {
            digest: Sha256::digest(secret.as_bytes()).into(),
        }
    }

    /// Check the token a device presented (from its handshake frame, else from its URL).
    pub fn check(&self, given: Option<&str>) -> Result<(), &'static str> {
        let given = given.ok_or(TOKEN_MISSING)?;
        let digest: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        let difference = digest
            .iter()
            .zip(self.digest.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if difference == 0 {
            Ok(())
        } else {
            Err(TOKEN_WRONG)
        }
    }
}

/// The value of `token` in a URL query (`a=1&token=s%20x`), percent-decoded.
pub fn token_from_query(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(percent_decode)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The addresses of the devices connected to one listener.
#[derive(Clone, Default)]
pub struct LiveAddresses {
    live: Arc<Mutex<HashSet<String>>>,
}

/// Holds an address while its device is connected; dropping it frees the address.
pub struct AddressClaim {
    address: String,
    live: Arc<Mutex<HashSet<String>>>,
}

impl LiveAddresses {
    /// Claim `address` for a newly connected device; the error is the Close reason when a
    /// device with that address is connected already.
    pub fn claim(&self, address: &str) -> Result<AddressClaim, String> {
        if !self.live.lock().insert(address.to_string()) {
            return Err(format!(
                "a device with address {address:?} is already connected"
            ));
        }
        Ok(AddressClaim {
            address: address.to_string(),
            live: self.live.clone(),
        })
    }

    /// How many addresses are held.
    pub fn len(&self) -> usize {
        self.live.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for AddressClaim {
    fn drop(&mut self) {
        self.live.lock().remove(&self.address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_must_be_present_and_equal() {
        let t = DeviceToken::new("s3cret");
        assert_eq!(t.check(Some("s3cret")), Ok(()));
        assert_eq!(t.check(Some("s3cret ")), Err(TOKEN_WRONG));
        assert_eq!(t.check(Some("")), Err(TOKEN_WRONG));
        assert_eq!(t.check(None), Err(TOKEN_MISSING));
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn token_is_read_from_the_query() {
        assert_eq!(token_from_query(None), None);
        assert_eq!(token_from_query(Some("a=1")), None);
        assert_eq!(token_from_query(Some("token=abc")).as_deref(), Some("abc"));
        assert_eq!(
            token_from_query(Some("x=1&token=a%20b%2Fc&y=2")).as_deref(),
            Some("a b/c")
        );
        // Not a valid escape: kept as it is.
        assert_eq!(token_from_query(Some("token=50%")).as_deref(), Some("50%"));
        assert_eq!(token_from_query(Some("token=%zz")).as_deref(), Some("%zz"));
        assert_eq!(token_from_query(Some("mytoken=x")), None);
    }

    #[test]
    fn an_address_is_held_once_until_released() {
        let live = LiveAddresses::default();
        let a = live.claim("lvs-1").unwrap();
        let err = live.claim("lvs-1").err().unwrap();
        assert!(err.contains("already connected"), "{err}");
        let _b = live.claim("lvs-2").unwrap();
        assert_eq!(live.len(), 2);
        drop(a);
        assert!(live.claim("lvs-1").is_ok());
        assert_eq!(live.len(), 1);
    }
}
