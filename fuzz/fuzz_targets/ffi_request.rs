//! Fuzz target `ffi_request`: A buffer passed to tp_client_send, in every C ABI format (see src/ffi_request.rs).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teleplug_fuzz::ffi_request::run(data));
