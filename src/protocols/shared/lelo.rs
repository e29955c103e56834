//! The Lelo security handshake (`lelo-harmony`, `lelo-f1sv2`): the toy notifies all zeros until
//! its power button is pressed, then a key that must be written back (with response, while
//! unsubscribed), then `01 00 …` once authorised.

use std::time::Duration;

use tokio::time::Instant;

use crate::hardware::Endpoint;
use crate::protocols::{DeviceIo, ProtocolError};

/// How long to wait for the user to press the toy's button. The reference waits forever; the
/// server bounds the whole setup anyway, so give up a little before it does.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(12);

/// What a notification on the security endpoint means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthReply {
    /// Not authorised yet: the user must press the power button.
    Waiting,
    Authorised,
    /// The toy's key, to be written back.
    Key,
}

/// Classify a notification. `strict` (lelo-f1sv2) recognises only the exact 8-byte forms;
/// otherwise (lelo-harmony) any all-zero reply waits and `01` followed by zeros authorises.
pub fn classify(data: &[u8], strict: bool) -> AuthReply {
    if strict {
        return match data {
            [0, 0, 0, 0, 0, 0, 0, 0] => AuthReply::Waiting,
            [1, 0, 0, 0, 0, 0, 0, 0] => AuthReply::Authorised,
            _ => AuthReply::Key,
        };
    }
    match data.split_first() {
        None => AuthReply::Waiting,
        Some((first, rest)) if rest.iter().all(|b| *b == 0) => match first {
            0 => AuthReply::Waiting,
            1 => AuthReply::Authorised,
            _ => AuthReply::Key,
        },
        Some(_) => AuthReply::Key,
    }
}

/// Run the handshake on `endpoint`, waiting at most `timeout` in total.
pub async fn authorise(
    io: &mut DeviceIo,
    endpoint: Endpoint,
    strict: bool,
    timeout: Duration,
) -> Result<(), ProtocolError> {
    let deadline = Instant::now() + timeout;
    io.subscribe(endpoint).await?;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some((_, data)) = io.next_notification(left).await? else {
            return Err(ProtocolError::InvalidReply(
                "the toy did not authorise the connection: press its power button".into(),
            ));
        };
        match classify(&data, strict) {
            AuthReply::Waiting => {
                tracing::info!("Lelo toy not authorised yet: press its power button");
            }
            AuthReply::Authorised => return Ok(()),
            AuthReply::Key => {
                io.unsubscribe(endpoint).await?;
                io.write(endpoint, &data, true).await?;
                io.subscribe(endpoint).await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{drain, sim_io, write_op};

    #[test]
    fn classifies_replies() {
        assert_eq!(classify(&[0], false), AuthReply::Waiting);
        assert_eq!(classify(&[], false), AuthReply::Waiting);
        assert_eq!(classify(&[1], false), AuthReply::Authorised);
        assert_eq!(
            classify(&[1, 0, 0, 0, 0, 0, 0, 0], false),
            AuthReply::Authorised
        );
        assert_eq!(classify(&[1, 2, 3, 4, 5, 6, 8], false), AuthReply::Key);
        assert_eq!(classify(&[2], false), AuthReply::Key);
        assert_eq!(classify(&[0], true), AuthReply::Key);
        assert_eq!(classify(&[1], true), AuthReply::Key);
        assert_eq!(classify(&[0; 8], true), AuthReply::Waiting);
        assert_eq!(
            classify(&[1, 0, 0, 0, 0, 0, 0, 0], true),
            AuthReply::Authorised
        );
    }

    #[tokio::test]
    async fn handshake_writes_the_key_back() {
        let w = Endpoint::Whitelist;
        let mut spec = SimulatedDeviceSpec::new("TianiHarmony", "a");
        spec.subscribe_replies = vec![(w, vec![0]), (w, vec![1, 2, 3, 4, 5, 6, 8]), (w, vec![1])];
        let (_dev, mut io, mut ops) = sim_io(spec, &[w]).await;
        authorise(&mut io, w, false, Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                SimOp::Subscribe { endpoint: w },
                SimOp::Unsubscribe { endpoint: w },
                write_op(w, &[1, 2, 3, 4, 5, 6, 8], true),
                SimOp::Subscribe { endpoint: w },
            ]
        );
    }

    #[tokio::test]
    async fn handshake_gives_up() {
        let w = Endpoint::Whitelist;
        let mut spec = SimulatedDeviceSpec::new("F1SV2A", "a");
        spec.subscribe_replies = vec![(w, vec![0; 8])];
        let (_dev, mut io, _ops) = sim_io(spec, &[w]).await;
        let r = authorise(&mut io, w, true, Duration::from_millis(50)).await;
        assert!(matches!(r, Err(ProtocolError::InvalidReply(_))));
    }
}
