//! Checksums used by device protocols.

use crc::{CRC_16_MODBUS, CRC_16_XMODEM, Crc};

const MODBUS: Crc<u16> = Crc::<u16>::new(&CRC_16_MODBUS);
const XMODEM: Crc<u16> = Crc::<u16>::new(&CRC_16_XMODEM);

/// CRC-16/MODBUS (poly 0x8005 reflected, init 0xFFFF).
pub fn crc16_modbus(data: &[u8]) -> u16 {
    MODBUS.checksum(data)
}

/// CRC-16/XMODEM (poly 0x1021, init 0).
pub fn crc16_xmodem(data: &[u8]) -> u16 {
    XMODEM.checksum(data)
}

/// 8-bit sum of the bytes (wrapping).
pub fn sum8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |a, b| a.wrapping_add(*b))
}

/// XOR of the bytes.
pub fn xor8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |a, b| a ^ b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        // The standard "123456789" check values of the CRC catalogue.
        assert_eq!(crc16_modbus(b"123456789"), 0x4B37);
        assert_eq!(crc16_xmodem(b"123456789"), 0x31C3);
        assert_eq!(sum8(&[0xFF, 0x02]), 0x01);
        assert_eq!(xor8(&[0x0F, 0xF0, 0x01]), 0xFE);
    }
}
