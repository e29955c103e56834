//! Ankni (`ankni`, Roselex): 20-byte vibrate packets `[03, 12, v, 0…]` on `tx` with response.
//! At connect the PnP-ID characteristic (`generic0`) is read; a 6-byte answer (the device
//! address) calls for a handshake keyed by the high byte of its CRC-16/XMODEM.

use std::time::Duration;

use async_trait::async_trait;

use super::shared::checksum::crc16_xmodem;
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// Choice: the reference allows 100 ms for the PnP-ID read; a slow BLE stack can take longer,
/// and a failed read fails the connection, so we allow a second.
const READ_TIMEOUT: Duration = Duration::from_secs(1);

pub struct Ankni;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Ankni)
}

/// The two handshake writes for a PnP-ID read of `data`, or none when it is a real PnP ID
/// (longer than 6 bytes).
fn handshake(data: &[u8]) -> Option<[[u8; 20]; 2]> {
    if data.len() > 6 {
        return None;
    }
    let mut a = vec![0x01];
    a.extend_from_slice(data);
    let c = (crc16_xmodem(&a) >> 8) as u8;
    let mut second = [c; 20];
    second[0] = 0x01;
    second[1] = 0x02;
    second[18] = 0x00;
    second[19] = 0x00;
    Some([[0x01; 20], second])
}

#[async_trait]
impl ProtocolHandler for Ankni {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        let data = io.read(Endpoint::Generic(0), 16, READ_TIMEOUT).await?;
        if let Some(writes) = handshake(&data) {
            for w in writes {
                io.write(Endpoint::Tx, &w, true).await?;
            }
        }
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let mut packet = [0u8; 20];
        packet[0] = 0x03;
        packet[1] = 0x12;
        packet[2] = v.value.clamp(0, 255) as u8;
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet,
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{
        cmd, definition, drain, feature, hex, sim_io, write_op, writes,
    };
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn vibrate_and_stop() {
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut p = Ankni;
        let w = writes(&p.encode_output(&f, cmd(Vibrate, 2)).unwrap());
        let mut expected = vec![0x03, 0x12, 0x02];
        expected.resize(20, 0);
        assert_eq!(w, vec![(Endpoint::Tx, expected, true)]);
        let w = writes(&p.encode_output(&f, cmd(Vibrate, 0)).unwrap());
        let mut stop = vec![0x03, 0x12];
        stop.resize(20, 0);
        assert_eq!(w[0].1, stop);
    }

    #[test]
    fn handshake_bytes() {
        let [first, second] = handshake(&hex("A2 31 35 53 52 D8")).unwrap();
        assert_eq!(first, [0x01; 20]);
        assert_eq!(
            second.to_vec(),
            hex("01 02 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 00 00")
        );
        assert!(handshake(&hex("01 A6 01 00 00 01 16")).is_none());
        // Short or empty answers still give a handshake, without panicking.
        assert!(handshake(&[]).is_some());
    }

    async fn init_with(read: &str) -> Vec<crate::hardware::simulated::SimOp> {
        let (dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("DSJM", "a"),
            &[Endpoint::Tx, Endpoint::Generic(0)],
        )
        .await;
        dev.queue_read(Endpoint::Generic(0), hex(read));
        let def = definition(vec![feature(0, &[(Vibrate, 0, 3)])]);
        Ankni.initialize(&mut io, &def).await.unwrap();
        drain(&mut ops)
    }

    #[tokio::test]
    async fn initialize_with_and_without_handshake() {
        let ops = init_with("A2 31 35 53 52 D8").await;
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[1], write_op(Endpoint::Tx, &[0x01; 20], true));
        assert_eq!(
            ops[2],
            write_op(
                Endpoint::Tx,
                &hex("01 02 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1 00 00"),
                true
            )
        );
        let ops = init_with("01 A6 01 00 00 01 16").await;
        assert_eq!(ops.len(), 1, "only the read: {ops:?}");
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("ankni") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
