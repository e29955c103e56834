//! The C ABI event callback the benches register with `tp_client_new` (benches/perf and
//! benches/embedded-peer include this file): each message is copied out with the instant it
//! reached the callback and sent down a channel.

use std::ffi::c_void;
use std::sync::mpsc;
use std::time::Instant;

/// One message delivered to the callback: when, and its bytes.
pub struct Delivered {
    pub at: Instant,
    pub bytes: Vec<u8>,
}

/// The `user_data` to give `tp_client_new` with [`on_event`] and [`free_sink`], and the
/// receiving end of its channel. The library frees it through `free_sink`; it leaks if the
/// client is never made.
pub fn sink() -> (*mut c_void, mpsc::Receiver<Delivered>) {
    let (tx, rx) = mpsc::channel::<Delivered>();
    (Box::into_raw(Box::new(tx)) as *mut c_void, rx)
}

pub unsafe extern "C" fn on_event(user_data: *mut c_void, buf: *const u8, len: usize) {
    let at = Instant::now();
    // SAFETY: `user_data` is the `mpsc::Sender` boxed by `sink`, alive until `free_sink` runs;
    // the library guarantees `buf` is valid for `len` bytes during this call.
    let (tx, bytes) = unsafe {
        (
            &*(user_data as *const mpsc::Sender<Delivered>),
            std::slice::from_raw_parts(buf, len).to_vec(),
        )
    };
    let _ = tx.send(Delivered { at, bytes });
}

pub unsafe extern "C" fn free_sink(user_data: *mut c_void) {
    // SAFETY: created by `Box::into_raw` in `sink`; the library calls this exactly once, after
    // the last `on_event`.
    drop(unsafe { Box::from_raw(user_data as *mut mpsc::Sender<Delivered>) });
}
