//! The "Galaku encoding" shared by the `galaku` and `galaku-pump` protocols: ten data bytes are
//! framed as `[0x23, data…, sum8]` and each byte is obfuscated with a key chosen by the previous
//! encoded byte.

use super::checksum::sum8;

const KEY: [[u8; 12]; 4] = [
    [
        0x00, 0x18, 0x98, 0xF7, 0xA5, 0x3D, 0x0D, 0x29, 0x25, 0x50, 0x44, 0x46,
    ],
    [
        0x00, 0x45, 0x6E, 0x6A, 0x6F, 0x78, 0x20, 0x53, 0x2D, 0x31, 0x2E, 0x37,
    ],
    [
        0x00, 0x65, 0x78, 0x20, 0x54, 0x6F, 0x79, 0x73, 0x0A, 0x8E, 0x9D, 0xA3,
    ],
    [
        0x00, 0xC5, 0xD6, 0xE7, 0xF8, 0x0A, 0x32, 0x20, 0x6F, 0x62, 0x0D, 0x0A,
    ],
];

/// The 12-byte plaintext frame: `0x23`, the data, the 8-bit sum of the first 11 bytes.
pub fn galaku_frame(data: [u8; 10]) -> [u8; 12] {
    let mut p = [0u8; 12];
    p[0] = 0x23;
    p[1..11].copy_from_slice(&data);
    p[11] = sum8(&p[..11]);
    p
}

/// Encode ten data bytes into the 12 bytes written to the device.
pub fn galaku_encode(data: [u8; 10]) -> [u8; 12] {
    let p = galaku_frame(data);
    let mut c = [0u8; 12];
    c[0] = p[0];
    for i in 1..12 {
        let k = KEY[usize::from(c[i - 1] & 3)][i];
        c[i] = (k ^ 0x23 ^ p[i]).wrapping_add(k);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::hex;

    #[test]
    fn sheet_examples() {
        let d = [0x5A, 0, 0, 0x01, 0x31, 0x64, 0, 0, 0, 0];
        assert_eq!(
            galaku_frame(d).to_vec(),
            hex("23 5A 00 00 01 31 64 00 00 00 00 13")
        );
        assert_eq!(
            galaku_encode(d).to_vec(),
            hex("23 81 BB AB D2 EC 57 23 BB A3 3B 44")
        );
        let battery = [0x5A, 0, 0, 0x01, 0x13, 0, 0, 0, 0, 0];
        assert_eq!(
            galaku_encode(battery).to_vec(),
            hex("23 81 BB AB D2 CE D3 23 BB A3 3B C2")
        );
    }
}
