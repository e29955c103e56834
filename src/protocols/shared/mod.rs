//! Helpers several protocols share, each written once: checksums and ciphers on top of
//! well-kept crates (crc, aes, ecb, ctr, sha2, md-5), the Galaku byte encoding, the Fleshlight
//! Launch speed formula, the Lelo security handshake, Svakom's shared-speed packet and handler,
//! the TryFun checksum and counted packets, the VibCrafter cipher scheme, step values and state
//! tables; the handler of protocols that answer each command with one packet ([`packets`]), made
//! for the feature alone ([`per_feature`]) or for the whole device ([`whole_device`]); plus the
//! test kit of protocol unit tests.

pub mod checksum;
pub mod cipher;
pub mod fleshlight;
pub mod galaku;
pub mod lelo;
pub mod packets;
pub mod per_feature;
pub mod svakom;
#[cfg(test)]
pub mod testing;
pub mod tryfun;
pub mod values;
pub mod vibcrafter;
pub mod whole_device;
