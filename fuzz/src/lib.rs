//! The harnesses of teleplug's fuzz targets, one module per target. Each exposes `run(&[u8])`,
//! which must never panic: a panic (or an ASan report) is a bug. Besides "no panic", each checks
//! properties that catch wrong results: the v4 fast path agrees with the general decoder,
//! requests and configs survive a round trip, replies always have a wire form.
//!
//! The fuzz targets in `fuzz_targets/` call these; `examples/seeds.rs` writes the generated part
//! of the seed corpus; `tests/corpus.rs` replays the corpus on the stable toolchain.

pub mod ffi_request;
pub mod json_frame;
pub mod notifications;
pub mod user_config;
