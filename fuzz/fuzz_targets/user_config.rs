//! Fuzz target `user_config`: A user device config file, loaded and written back (see src/user_config.rs).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teleplug_fuzz::user_config::run(data));
