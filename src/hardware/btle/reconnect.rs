//! Devices waiting to come back: a connected Bluetooth LE device that dropped on its own (out of
//! range, battery) is watched for [`RECONNECT_WINDOW`]; while it is, the manager keeps the
//! adapter's discovery on (BlueZ, WinRT and CoreBluetooth only report advertisements while
//! scanning) and offers the device again at its next advertisement, whether or not a client is
//! scanning. A device the server disconnected itself (shutdown) is not watched.
//!
//! Reconnecting is a new connection like any other: the server identifies the device again,
//! gives it back its index (the registry remembers indexes per identity) and announces it; no
//! command the client sent before the drop is written again.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use btleplug::platform::PeripheralId;
use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;

/// How long a device that dropped is waited for. Long enough for a walk out of range or a
/// battery swap in the middle of a session; bounded because discovery stays on meanwhile
/// (active scanning: radio time shared with the connected devices, and power).
pub const RECONNECT_WINDOW: Duration = Duration::from_secs(10 * 60);

/// After a failed attempt, the device's advertisements are ignored this long (a device that
/// advertises but cannot be connected is not hammered at every advertisement).
pub const RETRY_BACKOFF: Duration = Duration::from_secs(2);

struct Watched {
    /// When the device is given up.
    until: Instant,
    /// No attempt before this.
    next_try: Instant,
}

/// The devices being waited for (by id); shared by the manager's event loop, connectors and
/// transports.
pub(super) struct Reconnect<K = PeripheralId> {
    watched: Mutex<HashMap<K, Watched>>,
    /// Signalled whenever the set changes (the event loop then turns discovery on or off).
    changed: Notify,
}

impl<K> Default for Reconnect<K> {
    fn default() -> Self {
        Reconnect {
            watched: Mutex::new(HashMap::new()),
            changed: Notify::new(),
        }
    }
}

impl<K: Clone + Eq + Hash> Reconnect<K> {
    /// The device dropped on its own: wait for it from now on.
    pub fn lose(&self, id: &K) {
        let now = Instant::now();
        self.watched.lock().insert(
            id.clone(),
            Watched {
                until: now + RECONNECT_WINDOW,
                next_try: now,
            },
        );
        self.changed.notify_one();
    }

    /// Whether an advertisement of the device should be offered now.
    pub fn wants(&self, id: &K) -> bool {
        let now = Instant::now();
        self.watched
            .lock()
            .get(id)
            .is_some_and(|w| now < w.until && now >= w.next_try)
    }

    /// Whether the device is being waited for (an attempt that fails keeps it watched).
    pub fn is_watched(&self, id: &K) -> bool {
        self.watched.lock().contains_key(id)
    }

    /// An attempt failed: try again at an advertisement after [`RETRY_BACKOFF`].
    pub fn failed(&self, id: &K) {
        if let Some(w) = self.watched.lock().get_mut(id) {
            w.next_try = Instant::now() + RETRY_BACKOFF;
        }
    }

    /// The device is connected again.
    pub fn found(&self, id: &K) {
        if self.watched.lock().remove(id).is_some() {
            self.changed.notify_one();
        }
    }

    /// Forgets the devices whose window passed (returned, for the log) and gives the next
    /// moment one passes.
    pub fn expire(&self) -> (Vec<K>, Option<Instant>) {
        let now = Instant::now();
        let mut watched = self.watched.lock();
        let gone: Vec<K> = watched
            .iter()
            .filter(|(_, w)| w.until <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &gone {
            watched.remove(id);
        }
        (gone, watched.values().map(|w| w.until).min())
    }

    /// Whether any device is waited for.
    pub fn is_empty(&self) -> bool {
        self.watched.lock().is_empty()
    }

    /// Stops waiting for every device (shutdown, adapter gone).
    pub fn clear(&self) {
        self.watched.lock().clear();
        self.changed.notify_one();
    }

    /// Resolves when the set changed since the last call.
    pub async fn changed(&self) {
        self.changed.notified().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> u8 {
        n
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_device_is_wanted_for_the_window_then_forgotten() {
        let r = Reconnect::<u8>::default();
        let (a, b) = (id(1), id(2));
        assert!(r.is_empty());
        r.lose(&a);
        tokio::time::advance(Duration::from_secs(60)).await;
        r.lose(&b);
        assert!(r.wants(&a) && r.wants(&b));
        let (gone, next) = r.expire();
        assert!(gone.is_empty());
        assert_eq!(
            next,
            Some(Instant::now() + RECONNECT_WINDOW - Duration::from_secs(60))
        );

        tokio::time::advance(RECONNECT_WINDOW - Duration::from_secs(60)).await;
        assert!(!r.wants(&a), "a's window passed");
        assert!(r.wants(&b));
        let (gone, next) = r.expire();
        assert_eq!(gone, vec![a]);
        assert_eq!(next, Some(Instant::now() + Duration::from_secs(60)));
        assert!(!r.is_watched(&a));

        r.found(&b);
        assert!(r.is_empty() && !r.wants(&b));
        assert_eq!(r.expire(), (vec![], None));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_attempt_waits_for_the_backoff() {
        let r = Reconnect::<u8>::default();
        let a = id(1);
        r.lose(&a);
        r.failed(&a);
        assert!(r.is_watched(&a) && !r.wants(&a));
        tokio::time::advance(RETRY_BACKOFF).await;
        assert!(r.wants(&a));
        assert!(!r.wants(&id(3)), "never lost");
    }

    #[tokio::test(start_paused = true)]
    async fn changes_are_signalled() {
        let r = Reconnect::<u8>::default();
        let a = id(1);
        r.lose(&a);
        tokio::time::timeout(Duration::from_secs(1), r.changed())
            .await
            .expect("lose signals");
        r.found(&a);
        tokio::time::timeout(Duration::from_secs(1), r.changed())
            .await
            .expect("found signals");
        r.found(&a);
        assert!(
            tokio::time::timeout(Duration::from_secs(1), r.changed())
                .await
                .is_err(),
            "finding a device not watched changes nothing"
        );
    }
}
