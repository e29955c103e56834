//! The TryFun family's packet checksum (`tryfun`, `tryfun-blackhole`, `tryfun-meta2`).

use super::checksum::sum8;

/// Start from 0xFF, subtract every covered byte, add `addend`; all mod 256. The addend differs
/// per protocol (3 for `tryfun`'s 3 covered bytes, but 6 for `tryfun-blackhole`'s 5 and 8 for
/// `tryfun-meta2`'s 7): it is part of each packet format, so callers pass it.
pub fn tryfun_checksum(covered: &[u8], addend: u8) -> u8 {
    0xFFu8.wrapping_sub(sum8(covered)).wrapping_add(addend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_from_the_sheets() {
        assert_eq!(tryfun_checksum(&[0x02, 0x07, 0x05], 3), 0xF4);
        assert_eq!(tryfun_checksum(&[0x02, 0x00, 0x03, 0x0C, 0x64], 6), 0x90);
        assert_eq!(
            tryfun_checksum(&[0x02, 0x00, 0x05, 0x21, 0x05, 0x0E, 0xFF], 8),
            0xCD
        );
        assert_eq!(tryfun_checksum(&[], 0), 0xFF);
    }
}
