//! Status codes as a Rust error type, the thread-local last-error message, and the panic
//! boundary every export runs inside.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::abi::*;

/// A failed call: the status code returned to C and the text behind `tp_last_error_message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FfiError {
    pub status: i32,
    pub message: String,
}

impl FfiError {
    pub fn new(status: i32, message: impl Into<String>) -> FfiError {
        FfiError {
            status,
            message: message.into(),
        }
    }
    pub fn null(what: &str) -> FfiError {
        FfiError::new(TP_ERR_NULL_ARG, format!("{what} is NULL"))
    }
    pub fn invalid(message: impl Into<String>) -> FfiError {
        FfiError::new(TP_ERR_INVALID_ARG, message)
    }
    pub fn handle(what: &str) -> FfiError {
        FfiError::new(
            TP_ERR_INVALID_HANDLE,
            format!("{what} handle is not valid (freed, or not from this library)"),
        )
    }
    pub fn shutdown() -> FfiError {
        FfiError::new(TP_ERR_SHUTDOWN, "the context is shut down")
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Remember `message` as this thread's last error.
pub fn set_last_error(message: &str) {
    // try_with: the thread may be tearing down its locals.
    let _ = LAST_ERROR.try_with(|e| {
        let mut e = e.borrow_mut();
        e.clear();
        e.push_str(message);
    });
}

/// Run `f` with this thread's last error message.
pub fn with_last_error<R>(f: impl FnOnce(&str) -> R) -> R {
    let mut f = Some(f);
    let r = LAST_ERROR.try_with(|e| (f.take().expect("called once"))(&e.borrow()));
    match r {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called"))(""),
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}

/// The export boundary: runs `f`, turns its error or panic into a status code and the
/// thread's last error. Never unwinds.
pub fn status_call(f: impl FnOnce() -> Result<(), FfiError>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => TP_OK,
        Ok(Err(e)) => {
            set_last_error(&e.message);
            e.status
        }
        Err(payload) => {
            let text = catch_unwind(AssertUnwindSafe(|| panic_message(&*payload)))
                .unwrap_or_else(|_| "panic while formatting a panic".to_string());
            tracing::error!("panic at the C boundary: {text}");
            set_last_error(&format!("panic: {text}"));
            TP_ERR_PANIC
        }
    }
}

/// The boundary for exports without a status: a panic yields `fallback`.
pub fn value_call<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            let text = catch_unwind(AssertUnwindSafe(|| panic_message(&*payload)))
                .unwrap_or_else(|_| "panic while formatting a panic".to_string());
            set_last_error(&format!("panic: {text}"));
            fallback
        }
    }
}
