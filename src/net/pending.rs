//! Connections a listener has accepted but whose peer has not yet done its part (the HTTP
//! upgrade; for devices also the handshake frame). Each holds a file descriptor and costs the
//! peer nothing, so a listener keeps at most [`MAX_PENDING_UPGRADES`] of them: admitting one
//! more tells the oldest to close, and so does an accept that failed for lack of descriptors
//! (the accept loop calls [`PendingUpgrades::evict_oldest`]). A peer that completes its upgrade
//! quickly, as a real client does, is never the oldest for long.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::oneshot;

/// Connections per listener that may wait for their upgrade at once. A real client upgrades
/// within milliseconds of connecting; this many half-open connections are kept (the oldest are
/// closed first), which leaves room for the descriptors of real sessions.
pub const MAX_PENDING_UPGRADES: usize = 128;

/// Why an evicted connection was closed (logged, and the Close reason where a WebSocket exists).
pub const EVICTED_REASON: &str =
    "too many connections waiting for their upgrade; the oldest are closed first, try again";

/// The pending connections of one listener, oldest first.
pub struct PendingUpgrades {
    limit: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    /// Ids grow with every admission, so the first entry is the oldest. Dropping a sender
    /// tells its ticket that it was evicted.
    waiting: BTreeMap<u64, oneshot::Sender<()>>,
}

impl PendingUpgrades {
    /// A set holding at most `limit` connections (at least one).
    pub fn new(limit: usize) -> Arc<PendingUpgrades> {
        Arc::new(PendingUpgrades {
            limit: limit.max(1),
            state: Mutex::new(State::default()),
        })
    }

    /// Register a newly accepted connection; if that makes one too many, the oldest one is
    /// evicted.
    pub fn admit(self: &Arc<Self>) -> PendingTicket {
        let (tx, rx) = oneshot::channel();
        let mut st = self.state.lock();
        let id = st.next_id;
        st.next_id += 1;
        st.waiting.insert(id, tx);
        let evicted = st.waiting.len() > self.limit;
        if evicted {
            st.waiting.pop_first();
        }
        drop(st);
        if evicted {
            tracing::debug!("{EVICTED_REASON}");
        }
        PendingTicket {
            slot: Some((id, self.clone())),
            evicted: Some(rx),
        }
    }

    /// Evict the oldest pending connection (to free its descriptor). False if there is none.
    pub fn evict_oldest(&self) -> bool {
        self.state.lock().waiting.pop_first().is_some()
    }

    /// How many connections are pending.
    pub fn len(&self) -> usize {
        self.state.lock().waiting.len()
    }

    /// Whether no connection is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One pending connection's place in its listener's set. Dropping it (the peer did its part,
/// or the connection ended) leaves the set.
pub struct PendingTicket {
    slot: Option<(u64, Arc<PendingUpgrades>)>,
    /// `None` once eviction was seen (or for an untracked ticket).
    evicted: Option<oneshot::Receiver<()>>,
}

impl PendingTicket {
    /// A ticket in no set: never evicted (for connections made outside an accept loop).
    pub fn untracked() -> PendingTicket {
        PendingTicket {
            slot: None,
            evicted: None,
        }
    }

    /// Resolves once the listener evicted this connection; the caller then closes it.
    pub async fn evicted(&mut self) {
        if self.slot.is_none() {
            return std::future::pending().await;
        }
        if let Some(rx) = &mut self.evicted {
            // An explicit send never happens: the sender is dropped on eviction.
            let _ = rx.await;
            self.evicted = None;
        }
    }
}

impl Drop for PendingTicket {
    fn drop(&mut self) {
        if let Some((id, set)) = self.slot.take() {
            set.state.lock().waiting.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    /// Eviction is signalled synchronously: a ticket not evicted yet is simply still pending.
    fn is_evicted(ticket: &mut PendingTicket) -> bool {
        ticket.evicted().now_or_never().is_some()
    }

    #[test]
    fn one_too_many_evicts_the_oldest() {
        let set = PendingUpgrades::new(2);
        let mut a = set.admit();
        let mut b = set.admit();
        assert_eq!(set.len(), 2);
        assert!(!is_evicted(&mut a));
        let mut c = set.admit();
        assert_eq!(set.len(), 2);
        assert!(is_evicted(&mut a));
        // Seen once, it stays evicted.
        assert!(is_evicted(&mut a));
        assert!(!is_evicted(&mut b));
        assert!(!is_evicted(&mut c));
    }

    #[test]
    fn finished_connections_leave_the_set() {
        let set = PendingUpgrades::new(2);
        let a = set.admit();
        let mut b = set.admit();
        drop(a);
        assert_eq!(set.len(), 1);
        let mut c = set.admit();
        assert!(!is_evicted(&mut b), "room was made by the finished one");
        assert!(set.evict_oldest());
        assert!(is_evicted(&mut b));
        assert!(!is_evicted(&mut c));
        assert!(set.evict_oldest());
        assert!(is_evicted(&mut c));
        assert!(!set.evict_oldest());
        assert!(set.is_empty());
        drop((b, c));
        assert!(set.is_empty());
    }

    #[test]
    fn untracked_tickets_are_never_evicted() {
        let mut t = PendingTicket::untracked();
        assert!(!is_evicted(&mut t));
    }
}
