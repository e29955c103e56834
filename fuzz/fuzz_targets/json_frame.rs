//! Fuzz target `json_frame`: A client's WebSocket text frame at every connection state (see src/json_frame.rs).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teleplug_fuzz::json_frame::run(data));
