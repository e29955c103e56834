//! Handle maps: the pointers handed to C are keys, never addresses. Keys come from one
//! process-wide counter and are never reused, so a freed, foreign or mixed-up handle is looked
//! up, not dereferenced, and gives TP_ERR_INVALID_HANDLE instead of a crash.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

static NEXT_KEY: AtomicUsize = AtomicUsize::new(0x7e1e_0001);

/// A fresh key (never 0, never handed out before in this process).
pub fn next_key() -> usize {
    loop {
        let k = NEXT_KEY.fetch_add(2, Ordering::Relaxed);
        if k != 0 {
            return k;
        }
    }
}

/// Live objects of one handle type by key.
pub struct HandleMap<T> {
    map: Mutex<Option<HashMap<usize, Arc<T>>>>,
}

impl<T> HandleMap<T> {
    pub const fn new() -> HandleMap<T> {
        HandleMap {
            map: Mutex::new(None),
        }
    }

    pub fn insert(&self, key: usize, value: Arc<T>) {
        self.map
            .lock()
            .get_or_insert_with(HashMap::new)
            .insert(key, value);
    }

    pub fn get(&self, key: usize) -> Option<Arc<T>> {
        self.map.lock().as_ref().and_then(|m| m.get(&key).cloned())
    }

    pub fn remove(&self, key: usize) -> Option<Arc<T>> {
        let mut map = self.map.lock();
        let removed = map.as_mut().and_then(|m| m.remove(&key));
        if map.as_ref().is_some_and(|m| m.is_empty()) {
            // Release the table itself so nothing stays allocated between contexts.
            *map = None;
        }
        removed
    }
}

impl<T> Default for HandleMap<T> {
    fn default() -> Self {
        HandleMap::new()
    }
}
