//! Ciphers and digests used by device protocols.

use aes::cipher::{
    BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit, StreamCipher, block_padding,
};
use md5::Md5;
use sha2::{Digest, Sha256};

/// AES-128-ECB encryption with PKCS#7 padding.
pub fn aes128_ecb_encrypt_pkcs7(key: &[u8; 16], data: &[u8]) -> Vec<u8> {
    ecb::Encryptor::<aes::Aes128>::new(key.into())
        .encrypt_padded_vec_mut::<block_padding::Pkcs7>(data)
}

/// AES-128-ECB decryption with PKCS#7 padding; `None` if the padding is wrong.
pub fn aes128_ecb_decrypt_pkcs7(key: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    ecb::Decryptor::<aes::Aes128>::new(key.into())
        .decrypt_padded_vec_mut::<block_padding::Pkcs7>(data)
        .ok()
}

/// AES-128-ECB encryption of whole blocks, zero-padded to a multiple of 16 bytes.
pub fn aes128_ecb_encrypt_zero_padded(key: &[u8; 16], data: &[u8]) -> Vec<u8> {
    let mut buf = data.to_vec();
    buf.resize(data.len().div_ceil(16).max(1) * 16, 0);
    ecb::Encryptor::<aes::Aes128>::new(key.into())
        .encrypt_padded_vec_mut::<block_padding::NoPadding>(&buf)
}

/// AES-128-ECB decryption of whole blocks (no padding removed); `None` if not block-aligned.
pub fn aes128_ecb_decrypt_raw(key: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    ecb::Decryptor::<aes::Aes128>::new(key.into())
        .decrypt_padded_vec_mut::<block_padding::NoPadding>(data)
        .ok()
}

/// AES-256-CTR keystream applied to `data` (encryption and decryption are the same).
pub fn aes256_ctr(key: &[u8; 32], iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
    let mut buf = data.to_vec();
    ctr::Ctr128BE::<aes::Aes256>::new(key.into(), iv.into()).apply_keystream(&mut buf);
    buf
}

/// SHA-256 digest.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// MD5 digest.
pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn aes128_fips197_vector() {
        let key: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let plain = hex("00112233445566778899aabbccddeeff");
        let enc = aes128_ecb_encrypt_zero_padded(&key, &plain);
        assert_eq!(enc, hex("69c4e0d86a7b0430d8cdb78070b4c55a"));
        assert_eq!(aes128_ecb_decrypt_raw(&key, &enc).unwrap(), plain);
        let padded = aes128_ecb_encrypt_pkcs7(&key, b"hello");
        assert_eq!(padded.len(), 16);
        assert_eq!(aes128_ecb_decrypt_pkcs7(&key, &padded).unwrap(), b"hello");
    }

    #[test]
    fn aes256_ctr_round_trips_and_matches_sp800_38a() {
        // NIST SP 800-38A F.5.5 CTR-AES256.Encrypt, first block.
        let key: [u8; 32] = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
            .try_into()
            .unwrap();
        let iv: [u8; 16] = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff").try_into().unwrap();
        let plain = hex("6bc1bee22e409f96e93d7e117393172a");
        let enc = aes256_ctr(&key, &iv, &plain);
        assert_eq!(enc, hex("601ec313775789a5b7a7f504bbf3d228"));
        assert_eq!(aes256_ctr(&key, &iv, &enc), plain);
    }

    #[test]
    fn digests() {
        assert_eq!(
            sha256(b"abc").to_vec(),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            md5(b"abc").to_vec(),
            hex("900150983cd24fb0d6963f7d28e17f72")
        );
    }
}
