//! Fuzz target `notifications`: A device's bytes during setup and as notifications, per protocol (see src/notifications.rs).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teleplug_fuzz::notifications::run(data));
