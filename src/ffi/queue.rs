//! A bounded queue with an async producer side and a blocking consumer side (with timeout):
//! library tasks push without blocking a runtime thread, the dispatcher thread and
//! `tp_client_poll` pop. Closing lets consumers drain what is left, then report `Closed`;
//! lifting the bound lets a shutdown leave its last messages without waiting for a consumer.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::sync::{Notify, Semaphore};

/// What a pop found.
#[derive(Debug, PartialEq, Eq)]
pub enum Pop<T> {
    Item(T),
    Timeout,
    Closed,
}

struct State<T> {
    items: VecDeque<(T, bool)>,
    closed: bool,
}

pub struct Queue<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
    space: Semaphore,
    /// Set by [`Queue::lift_bound`]: pushes stop waiting for space.
    unbounded: AtomicBool,
    lifted: Notify,
}

impl<T> Queue<T> {
    pub fn new(capacity: usize) -> Queue<T> {
        Queue {
            state: Mutex::new(State {
                items: VecDeque::new(),
                closed: false,
            }),
            ready: Condvar::new(),
            space: Semaphore::new(capacity),
            unbounded: AtomicBool::new(false),
            lifted: Notify::new(),
        }
    }

    /// Push, waiting for space (unless the bound was lifted). Gives the item back when the
    /// queue is closed.
    pub async fn push(&self, item: T) -> Result<(), T> {
        let lifted = self.lifted.notified();
        tokio::pin!(lifted);
        lifted.as_mut().enable();
        if self.unbounded.load(Ordering::SeqCst) {
            return self.put(item, false);
        }
        tokio::select! {
            biased;
            permit = self.space.acquire() => match permit {
                Ok(permit) => {
                    permit.forget();
                    self.put(item, true)
                }
                Err(_) => Err(item),
            },
            () = &mut lifted => self.put(item, false),
        }
    }

    /// From now on pushes do not wait for space, and waiting ones go ahead. For the last
    /// messages of a shutdown (error replies, `closed`): a bounded number, and nobody may be
    /// consuming while the shutdown waits for them to be queued.
    pub fn lift_bound(&self) {
        self.unbounded.store(true, Ordering::SeqCst);
        self.lifted.notify_waiters();
    }

    /// Push without waiting: fails when full or closed.
    pub fn try_push(&self, item: T) -> Result<(), T> {
        match self.space.try_acquire() {
            Ok(permit) => permit.forget(),
            Err(_) => return Err(item),
        }
        self.put(item, true)
    }

    fn put(&self, item: T, counted: bool) -> Result<(), T> {
        let mut st = self.state.lock();
        if st.closed {
            drop(st);
            if counted {
                self.space.add_permits(1);
            }
            return Err(item);
        }
        st.items.push_back((item, counted));
        drop(st);
        self.ready.notify_one();
        Ok(())
    }

    /// Pop one item, waiting at most `timeout` (`None`: until an item comes or the queue is
    /// closed and empty).
    pub fn pop(&self, timeout: Option<Duration>) -> Pop<T> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut st = self.state.lock();
        loop {
            if let Some((item, counted)) = st.items.pop_front() {
                drop(st);
                if counted {
                    self.space.add_permits(1);
                }
                return Pop::Item(item);
            }
            if st.closed {
                return Pop::Closed;
            }
            match deadline {
                None => self.ready.wait(&mut st),
                Some(d) => {
                    if Instant::now() >= d || self.ready.wait_until(&mut st, d).timed_out() {
                        if let Some((item, counted)) = st.items.pop_front() {
                            drop(st);
                            if counted {
                                self.space.add_permits(1);
                            }
                            return Pop::Item(item);
                        }
                        return if st.closed { Pop::Closed } else { Pop::Timeout };
                    }
                }
            }
        }
    }

    /// No more pushes; consumers drain what is queued, then see `Closed`.
    pub fn close(&self) {
        self.state.lock().closed = true;
        self.space.close();
        self.ready.notify_all();
    }

    /// Drop every queued item (after close, when nobody will drain).
    pub fn clear(&self) -> Vec<T> {
        let items: Vec<(T, bool)> = self.state.lock().items.drain(..).collect();
        items.into_iter().map(|(t, _)| t).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drains_then_reports_closed() {
        let q = Queue::new(2);
        q.try_push(1).unwrap();
        q.try_push(2).unwrap();
        assert_eq!(q.try_push(3), Err(3));
        assert_eq!(q.pop(Some(Duration::ZERO)), Pop::Item(1));
        q.try_push(3).unwrap();
        q.close();
        assert_eq!(q.try_push(4), Err(4));
        assert_eq!(q.pop(None), Pop::Item(2));
        assert_eq!(q.pop(None), Pop::Item(3));
        assert_eq!(q.pop(None), Pop::Closed);
    }

    #[tokio::test]
    async fn a_lifted_bound_lets_waiting_and_new_pushes_through() {
        let q = std::sync::Arc::new(Queue::new(1));
        q.try_push(1).unwrap();
        let waiting = tokio::spawn({
            let q = q.clone();
            async move { q.push(2).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        q.lift_bound();
        waiting.await.unwrap().unwrap();
        q.push(3).await.unwrap();
        assert_eq!(q.try_push(4), Err(4), "try_push still honours the bound");
        for want in 1..=3 {
            assert_eq!(q.pop(Some(Duration::ZERO)), Pop::Item(want));
        }
        // Items over the bound give no space back.
        assert_eq!(q.try_push(4), Ok(()));
        assert_eq!(q.try_push(5), Err(5));
    }

    #[test]
    fn pop_times_out() {
        let q: Queue<u8> = Queue::new(1);
        assert_eq!(q.pop(Some(Duration::from_millis(5))), Pop::Timeout);
    }
}
