//! The TryFun family's packet checksum (`tryfun`, `tryfun-blackhole`, `tryfun-meta2`) and the
//! counted packets of `tryfun-blackhole` and `tryfun-meta2`.

use super::checksum::sum8;

/// Start from 0xFF, subtract every covered byte, add `addend`; all mod 256. The addend differs
/// per protocol (3 for `tryfun`'s 3 covered bytes, but 6 for `tryfun-blackhole`'s 5 and 8 for
/// `tryfun-meta2`'s 7): it is part of each packet format, so callers pass it.
pub fn tryfun_checksum(covered: &[u8], addend: u8) -> u8 {
    0xFFu8.wrapping_sub(sum8(covered)).wrapping_add(addend)
}

/// `[n, body…, C]`: `n` an 8-bit packet counter shared by all outputs, advanced for every packet
/// built (even one superseded later), `C` the checksum of the body with the format's addend.
pub struct CountedPackets {
    counter: u8,
    addend: u8,
}

impl CountedPackets {
    /// The packets of a format whose checksum addend is `addend`, counting from `counter`.
    pub fn new(counter: u8, addend: u8) -> CountedPackets {
        CountedPackets { counter, addend }
    }

    /// The next packet carrying `body`.
    pub fn next(&mut self, body: &[u8]) -> Vec<u8> {
        let mut p = vec![self.counter];
        p.extend_from_slice(body);
        p.push(tryfun_checksum(body, self.addend));
        self.counter = self.counter.wrapping_add(1);
        p
    }
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

    #[test]
    fn counted_packets_wrap() {
        let mut p = CountedPackets::new(0xFF, 6);
        assert_eq!(
            p.next(&[0x02, 0x00, 0x03, 0x0C, 0x64]),
            [0xFF, 2, 0, 3, 0x0C, 0x64, 0x90]
        );
        assert_eq!(p.next(&[]), [0x00, 0x05]);
    }
}
