//! Helpers several protocols share: checksums and ciphers, each written once on top of
//! well-kept crates (crc, aes, ecb, ctr, sha2, md-5), the Galaku byte encoding and the TryFun
//! checksum.

pub mod checksum;
pub mod cipher;
pub mod galaku;
#[cfg(test)]
pub mod testing;
pub mod tryfun;
