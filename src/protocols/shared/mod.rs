//! Helpers several protocols share: checksums and ciphers, each written once on top of
//! well-kept crates (crc, aes, ecb, ctr, sha2, md-5), the Galaku byte encoding and Svakom's
//! shared-speed packet.

pub mod checksum;
pub mod cipher;
pub mod galaku;
pub mod svakom;
#[cfg(test)]
pub mod testing;
