//! Teleplug: a Buttplug protocol server and client core, shipped as one library with a C ABI.
//!
//! Layers, top to bottom: `client` (the Rust client API) → `server` (connections, device
//! registry, device tasks) → `protocols` (per-brand byte encodings) → `hardware` (transports).
//! Beside them: `wire` (Buttplug messages of every spec version and their JSON framing) and
//! `device_config` (the device database and matching). The C ABI lives in `ffi`, the only module
//! allowed `unsafe` code.

#![deny(unsafe_code)]

pub mod client;
pub mod device_config;
pub mod ffi;
pub mod hardware;
pub mod lovense_api;
pub mod net;
pub mod panel;
pub mod protocols;
pub mod server;
pub mod wire;
