//! Helpers several protocols share: checksums and ciphers, each written once on top of
//! well-kept crates (crc, aes, ecb, ctr, sha2, md-5), the Fleshlight Launch speed formula and the
//! Lelo security handshake.

pub mod checksum;
pub mod cipher;
pub mod fleshlight;
pub mod lelo;
#[cfg(test)]
pub mod testing;
