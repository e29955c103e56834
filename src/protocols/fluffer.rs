//! Fluffer (`fluffer`, also MotorBunny Fluffer versions): every packet is one AES-128-ECB block
//! (PKCS#7). Outputs are one packet `[82, 0F, 05, 00, s1, s2, 00, 00]` carrying both features.
//! At connect, a handshake keyed by the advertised manufacturer data (company 0x684A) proves
//! the host to the device.

use std::time::Duration;

use async_trait::async_trait;
use tracing::warn;

use super::shared::cipher::{aes128_ecb_decrypt_pkcs7, aes128_ecb_encrypt_pkcs7, sha256};
use super::{
    DeviceIo, HardwareCommand, Identification, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

const KEY: &[u8; 16] = b"jdk#Flu%y6fer32f";
const COMPANY: u16 = 0x684A;
const GOOD_REPLY: [u8; 4] = [0xA5, 0x01, 0x01, 0x00];
/// The reference waits for the handshake reply forever; we give up after this.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct Fluffer {
    /// `[4A, 68] ++ payload` of the advertised manufacturer data, empty when absent.
    adv: Vec<u8>,
    slots: [u8; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Fluffer::default())
}

fn encrypt(plain: &[u8]) -> Vec<u8> {
    aes128_ecb_encrypt_pkcs7(KEY, plain)
}

/// The handshake plaintext for the advertisement bytes and 4 random bytes; `None` when the
/// advertisement carries no payload (no handshake is possible).
fn handshake_plaintext(adv: &[u8], random: [u8; 4]) -> Option<Vec<u8>> {
    let key = adv.get(2)? ^ adv.get(1)?;
    let derived: Vec<u8> = adv
        .iter()
        .skip(3)
        .take(4)
        .map(|&b| if b != 0 && b != key { b ^ key } else { b })
        .collect();
    let mut seed = random.to_vec();
    seed.extend_from_slice(&derived);
    let proof = sha256(&seed);
    let mut plain = vec![0xA5, 0x01, 0x08];
    plain.extend_from_slice(&random);
    plain.extend_from_slice(&proof[..4]);
    Some(plain)
}

#[async_trait]
impl ProtocolHandler for Fluffer {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        let ad = io.advertisement();
        self.adv = ad
            .manufacturer_data
            .iter()
            .find(|(company, _)| *company == COMPANY)
            .map(|(company, payload)| {
                let mut adv = company.to_le_bytes().to_vec();
                adv.extend_from_slice(payload);
                adv
            })
            .unwrap_or_default();
        Ok(Identification::by_name(ad))
    }

    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        let mut random = [0u8; 4];
        getrandom::fill(&mut random)
            .map_err(|e| ProtocolError::InvalidReply(format!("no random bytes: {e}")))?;
        // Choice: a manufacturer-data entry with an empty payload (the reference would index out
        // of range) is treated like no entry: no handshake.
        let Some(plain) = handshake_plaintext(&self.adv, random) else {
            warn!("fluffer device without manufacturer data: skipping the security handshake");
            return Ok(());
        };
        io.write(Endpoint::Tx, &encrypt(&plain), false).await?;
        let reply = io
            .next_notification(REPLY_TIMEOUT)
            .await?
            .ok_or_else(|| ProtocolError::InvalidReply("no security handshake reply".into()))?;
        if aes128_ecb_decrypt_pkcs7(KEY, &reply.1).as_deref() != Some(&GOOD_REPLY[..]) {
            return Err(ProtocolError::InvalidReply(
                "invalid security handshake".into(),
            ));
        }
        io.write(
            Endpoint::Tx,
            &encrypt(&[0x82, 0x0E, 0x02, 0x00, 0x01]),
            false,
        )
        .await
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let value = match command {
            OutputCommand::Vibrate(v) | OutputCommand::Oscillate(v) => v.value.clamp(0, 255),
            // Reverse rotation is encoded as 101…200.
            OutputCommand::Rotate(v) if v.value < 0 => v.value.saturating_neg().saturating_add(100),
            OutputCommand::Rotate(v) => v.value,
            _ => return Err(unsupported_output(&command)),
        };
        let slot = self
            .slots
            .get_mut(feature.index as usize)
            .ok_or_else(|| unsupported_output(&command))?;
        *slot = value.clamp(0, 255) as u8;
        let [s1, s2] = self.slots;
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            encrypt(&[0x82, 0x0F, 0x05, 0x00, s1, s2, 0x00, 0x00]),
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{
        cmd, definition, drain, feature, hex, only_write, sim_io,
    };
    use crate::wire::OutputType::{Oscillate, Rotate, Vibrate};

    #[test]
    fn outputs_and_stop() {
        let f0 = feature(0, &[(Vibrate, 0, 100)]);
        let f1 = feature(1, &[(Rotate, -100, 100)]);
        let mut p = Fluffer::default();
        let out = p.encode_output(&f0, cmd(Vibrate, 100)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(
            only_write(&out),
            hex("34 86 9A 67 7B 8E 6F A9 E9 2B 53 F8 37 C5 25 3C")
        );
        p.encode_output(&f0, cmd(Vibrate, 50)).unwrap();
        let out = p.encode_output(&f1, cmd(Rotate, -50)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("87 61 AC B9 20 F1 D0 CA AD D0 D1 0F 5F 57 93 B4")
        );
        let plain = |p: &mut Fluffer, f, c| {
            let w = only_write(&p.encode_output(f, c).unwrap());
            aes128_ecb_decrypt_pkcs7(KEY, &w).unwrap()
        };
        assert_eq!(
            plain(&mut p, &f1, cmd(Rotate, 30)),
            hex("82 0F 05 00 32 1E 00 00")
        );
        assert_eq!(
            plain(&mut p, &f1, cmd(Rotate, -100)),
            hex("82 0F 05 00 32 C8 00 00")
        );
        let buck = feature(1, &[(Oscillate, 0, 100)]);
        assert_eq!(
            plain(&mut p, &buck, cmd(Oscillate, 70)),
            hex("82 0F 05 00 32 46 00 00")
        );
        p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        let out = p.encode_output(&f1, cmd(Rotate, 0)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("D3 AF 8C B6 B5 05 3C 01 7E C0 D3 7F 5B 06 44 21")
        );
        assert!(
            p.encode_output(&feature(2, &[(Vibrate, 0, 100)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    #[test]
    fn handshake_example() {
        let adv = hex("4A 68 12 34 56 78 9A");
        let plain = handshake_plaintext(&adv, [1, 2, 3, 4]).unwrap();
        assert_eq!(plain, hex("A5 01 08 01 02 03 04 AC FA 49 AB"));
        assert_eq!(
            encrypt(&plain),
            hex("B2 5E DC 6C 91 E7 FD 36 23 32 6C BE BD FB 36 21")
        );
        assert_eq!(
            aes128_ecb_decrypt_pkcs7(KEY, &hex("FB 14 63 04 20 5C 54 79 BB 6B A6 C9 69 FD AA 96")),
            Some(GOOD_REPLY.to_vec())
        );
        assert_eq!(
            encrypt(&[0x82, 0x0E, 0x02, 0x00, 0x01]),
            hex("D9 A0 64 11 F5 E2 4E 7E 05 DB 14 1D 95 63 05 D5")
        );
        // Short or missing advertisement data never panics.
        assert!(handshake_plaintext(&[], [0; 4]).is_none());
        assert!(handshake_plaintext(&hex("4A 68"), [0; 4]).is_none());
        assert!(handshake_plaintext(&hex("4A 68 12"), [0; 4]).is_some());
    }

    async fn connect(
        manufacturer_data: Vec<(u16, Vec<u8>)>,
        reply: Option<&str>,
    ) -> (Result<(), ProtocolError>, Vec<SimOp>) {
        let mut spec = SimulatedDeviceSpec::new("FDGTHING", "a");
        spec.manufacturer_data = manufacturer_data;
        let (dev, mut io, mut ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
        let mut p = Fluffer::default();
        assert_eq!(
            p.identify(&mut io).await.unwrap().identifier.as_deref(),
            Some("FDGTHING")
        );
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)])]);
        let mut seen = Vec::new();
        let device = async {
            // Answer the handshake once it is written.
            while let Some(op) = ops.recv().await {
                seen.push(op.clone());
                if let (SimOp::Write { .. }, Some(r)) = (&op, reply) {
                    dev.notify(Endpoint::Rx, hex(r));
                    break;
                }
                if reply.is_none() {
                    break;
                }
            }
        };
        let (r, ()) = tokio::join!(p.initialize(&mut io, &def), device);
        seen.extend(drain(&mut ops));
        (r, seen)
    }

    #[tokio::test]
    async fn handshake_exchange() {
        let md = vec![(COMPANY, hex("12 34 56 78 9A"))];
        let good = "FB 14 63 04 20 5C 54 79 BB 6B A6 C9 69 FD AA 96";
        let (r, ops) = connect(md.clone(), Some(good)).await;
        r.unwrap();
        assert_eq!(ops.len(), 3, "{ops:?}");
        assert_eq!(
            ops[0],
            SimOp::Subscribe {
                endpoint: Endpoint::Rx
            }
        );
        let SimOp::Write { data, .. } = &ops[1] else {
            panic!("handshake write expected");
        };
        let plain = aes128_ecb_decrypt_pkcs7(KEY, data).unwrap();
        let random: [u8; 4] = plain[3..7].try_into().unwrap();
        assert_eq!(
            Some(plain),
            handshake_plaintext(&hex("4A 68 12 34 56 78 9A"), random)
        );
        let SimOp::Write { data, .. } = &ops[2] else {
            panic!("confirmation write expected");
        };
        assert_eq!(
            data,
            &hex("D9 A0 64 11 F5 E2 4E 7E 05 DB 14 1D 95 63 05 D5")
        );

        // A wrong reply fails the connection.
        let bad = "D3 AF 8C B6 B5 05 3C 01 7E C0 D3 7F 5B 06 44 21";
        let (r, _) = connect(md, Some(bad)).await;
        assert!(r.is_err());
    }

    #[tokio::test]
    async fn no_manufacturer_data_no_handshake() {
        let (r, ops) = connect(Vec::new(), None).await;
        r.unwrap();
        assert_eq!(
            ops,
            vec![SimOp::Subscribe {
                endpoint: Endpoint::Rx
            }]
        );
        let (r, ops) = connect(vec![(COMPANY, Vec::new())], None).await;
        r.unwrap();
        assert_eq!(
            ops,
            vec![SimOp::Subscribe {
                endpoint: Endpoint::Rx
            }]
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("fluffer") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
