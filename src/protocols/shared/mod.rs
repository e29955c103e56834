//! Helpers several protocols share: checksums and ciphers, each written once on top of
//! well-kept crates (crc, aes, ecb, ctr, sha2, md-5), the Fleshlight speed formula, step values
//! and whole-device state tables.

pub mod checksum;
pub mod cipher;
pub mod fleshlight;
#[cfg(test)]
pub mod test_support;
pub mod values;
