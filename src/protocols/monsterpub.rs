//! Sistalk MonsterPub / Tracy's Dog (`monsterpub`): the model is read from `rxblemodel`; devices
//! with an `rx` characteristic answer a 16-byte challenge XORed with one of four keys. Every
//! packet carries all motor speeds (one byte each) on the device's motor endpoint: `txvibrate`,
//! else `tx` (an all-zero packet then goes to `txmode`), else `generic0` (with a `03` prefix).
//! See docs/protocols/monsterpub.md.
//!
//! As in buttplug_server 12 (whose v10 crashed there): an empty or short (< 16 bytes)
//! authentication read, or a key index above 3, fails the connection with an error.

use std::time::Duration;

use async_trait::async_trait;

use super::shared::values::OutputState;
use super::{
    DeviceIo, HardwareCommand, Identification, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::{Endpoint, HardwareError};
use crate::wire::OutputCommand;

const MODEL_TIMEOUT: Duration = Duration::from_millis(500);
const AUTH_TIMEOUT: Duration = Duration::from_millis(200);
/// The identifier when the model cannot be read (matches no configuration: defaults).
const UNKNOWN_MODEL: &str = "Unknown";
/// Authentication keys: a 4-character word repeated over the 15 challenge bytes.
const AUTH_KEYS: [&[u8; 4]; 4] = [b"2IPO", b"LSBB", b"SIS6", b"TALK"];

pub struct MonsterPub {
    motor: Endpoint,
    speeds: OutputState,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(MonsterPub {
        motor: Endpoint::TxVibrate,
        speeds: OutputState::default(),
    })
}

/// The model string: UTF-8 without NULs.
fn model_name(data: Vec<u8>) -> Result<String, ProtocolError> {
    let text = String::from_utf8(data)
        .map_err(|_| ProtocolError::InvalidReply("model name is not UTF-8".into()))?;
    Ok(text.replace('\0', ""))
}

/// The answer to a challenge `[key index, c1 … c15]`: `c[k] ^ key[k % 4]`.
fn auth_response(challenge: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    let (Some(&index), Some(bytes)) = (challenge.first(), challenge.get(1..16)) else {
        return Err(ProtocolError::InvalidReply(format!(
            "authentication challenge too short: {challenge:02x?}"
        )));
    };
    let key = AUTH_KEYS
        .get(usize::from(index))
        .ok_or_else(|| ProtocolError::InvalidReply(format!("unknown key index {index}")))?;
    Ok(bytes
        .iter()
        .zip(key.iter().cycle())
        .map(|(c, k)| c ^ k)
        .collect())
}

#[async_trait]
impl ProtocolHandler for MonsterPub {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        let id = match io.read(Endpoint::RxBleModel, 32, MODEL_TIMEOUT).await {
            Ok(data) => model_name(data)?,
            Err(ProtocolError::Hardware(HardwareError::Disconnected)) => {
                return Err(HardwareError::Disconnected.into());
            }
            Err(_) => UNKNOWN_MODEL.to_string(),
        };
        Ok(Identification::identifier(id))
    }

    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        let endpoints = io.transport().endpoints();
        if endpoints.contains(&Endpoint::Rx) {
            let challenge = io.read(Endpoint::Rx, 16, AUTH_TIMEOUT).await?;
            let response = auth_response(&challenge)?;
            io.write(Endpoint::Rx, &response, true).await?;
        }
        self.motor = [Endpoint::TxVibrate, Endpoint::Tx]
            .into_iter()
            .find(|e| endpoints.contains(e))
            .unwrap_or(Endpoint::Generic(0));
        self.speeds = OutputState::from_definition(definition);
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let (OutputCommand::Vibrate(v) | OutputCommand::Oscillate(v)) = command else {
            return Err(unsupported_output(&command));
        };
        if !self.speeds.set(feature.index, v.value) {
            return Err(unsupported_output(&command));
        }
        let mut payload = Vec::new();
        if self.motor == Endpoint::Generic(0) {
            payload.push(0x03);
        }
        payload.extend(self.speeds.bytes());
        let packet = if self.motor == Endpoint::Tx && self.speeds.all_zero() {
            HardwareCommand::device_write(Endpoint::TxMode, payload, true)
        } else {
            HardwareCommand::device_write(self.motor, payload, false)
        };
        Ok(vec![packet])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{
        cmd, definition, drain, encode, feature, message, sim_io, stop, write_op, writes,
    };
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[test]
    fn authentication() {
        let mut challenge = vec![0x01];
        challenge.extend(1..=15u8);
        let expected: Vec<u8> = (1..=15u8)
            .zip(b"LSBBLSBBLSBBLSB")
            .map(|(c, k)| c ^ k)
            .collect();
        assert_eq!(auth_response(&challenge).unwrap(), expected);
        assert_eq!(
            auth_response(&[0x00; 16]).unwrap(),
            b"2IPO2IPO2IPO2IP".to_vec()
        );
        assert_eq!(auth_response(&[0x03; 16]).unwrap()[3], 0x03 ^ b'K');
        assert!(auth_response(&[0x01; 15]).is_err());
        assert!(auth_response(&[0x04; 16]).is_err());
        assert!(auth_response(&[]).is_err());
    }

    #[tokio::test]
    async fn identify_and_authenticate() {
        let all = [
            Endpoint::Tx,
            Endpoint::TxMode,
            Endpoint::TxVibrate,
            Endpoint::Generic(0),
            Endpoint::RxBleModel,
            Endpoint::Rx,
        ];
        let (dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("MonsterPub", "a"), &all).await;
        dev.queue_read(Endpoint::RxBleModel, b"MP2_JK_N_P1\0\0\0".to_vec());
        let mut h = create();
        let id = h.identify(&mut io).await.unwrap();
        assert_eq!(id, Identification::identifier("MP2_JK_N_P1"));
        let mut challenge = vec![0x02];
        challenge.extend([0xAA; 15]);
        dev.queue_read(Endpoint::Rx, challenge);
        let features = vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        ];
        h.initialize(&mut io, &definition(features.clone()))
            .await
            .unwrap();
        let response: Vec<u8> = b"SIS6SIS6SIS6SIS".iter().map(|k| k ^ 0xAA).collect();
        assert_eq!(
            drain(&mut ops),
            vec![
                SimOp::Read {
                    endpoint: Endpoint::RxBleModel
                },
                SimOp::Read {
                    endpoint: Endpoint::Rx
                },
                write_op(Endpoint::Rx, &response, true),
            ]
        );
        // txvibrate is preferred when present.
        assert_eq!(
            writes(&encode(h.as_mut(), &features[1], cmd(Vibrate, 100))),
            vec![(Endpoint::TxVibrate, vec![0x00, 0x64], false)]
        );
    }

    #[tokio::test]
    async fn unreadable_model_and_bad_challenge() {
        let (dev, mut io, _ops) = sim_io(
            SimulatedDeviceSpec::new("TracyDog", "a"),
            &[Endpoint::Generic(0), Endpoint::RxBleModel, Endpoint::Rx],
        )
        .await;
        dev.queue_read(Endpoint::Rx, vec![0x01; 16]);
        let mut h = create();
        // The queued answer is for `rx`, so the model read fails: defaults.
        let id = h.identify(&mut io).await.unwrap();
        assert_eq!(id, Identification::identifier("Unknown"));
        let (dev, mut io, _ops) = sim_io(
            SimulatedDeviceSpec::new("MonsterPub", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        dev.queue_read(Endpoint::Rx, vec![0x07; 16]);
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)])]);
        assert!(h.initialize(&mut io, &def).await.is_err());
        let (dev, mut io, _ops) = sim_io(
            SimulatedDeviceSpec::new("MonsterPub", "a"),
            &[Endpoint::RxBleModel],
        )
        .await;
        dev.queue_read(Endpoint::RxBleModel, vec![0xFF, 0xFE]);
        assert!(h.identify(&mut io).await.is_err());
    }

    /// Every bad authentication read fails initialize with a protocol error (never a panic);
    /// so does a challenge that never comes.
    #[tokio::test(start_paused = true)]
    async fn bad_authentication_reads_fail_the_connection() {
        let mut too_short = vec![0x01];
        too_short.extend([0xAA; 14]);
        let mut index_4 = vec![0x04];
        index_4.extend([0xAA; 15]);
        let cases = [
            (Some(Vec::new()), "authentication challenge too short: []"),
            (Some(too_short), "authentication challenge too short"),
            (Some(index_4), "unknown key index 4"),
            (None, "timed out"),
        ];
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)])]);
        for (read, message) in cases {
            let (dev, mut io, _ops) = sim_io(
                SimulatedDeviceSpec::new("MonsterPub", "a"),
                &[Endpoint::TxVibrate, Endpoint::Rx],
            )
            .await;
            if let Some(r) = read {
                dev.queue_read(Endpoint::Rx, r);
            }
            let e = create().initialize(&mut io, &def).await.unwrap_err();
            assert!(
                e.to_string()
                    .to_lowercase()
                    .contains(&message.to_lowercase()),
                "{e}"
            );
        }
    }

    async fn on(
        endpoints: &[Endpoint],
        features: &[FeatureDefinition],
    ) -> Box<dyn ProtocolHandler> {
        let (_dev, mut io, _ops) =
            sim_io(SimulatedDeviceSpec::new("MonsterPub", "a"), endpoints).await;
        let mut h = create();
        h.initialize(&mut io, &definition(features.to_vec()))
            .await
            .unwrap();
        h
    }

    #[tokio::test]
    async fn tx_devices_stop_on_txmode() {
        let f = [
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        ];
        let mut h = on(&[Endpoint::Tx, Endpoint::TxMode], &f).await;
        assert_eq!(
            writes(&encode(h.as_mut(), &f[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![0x32, 0x00], false)]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f[1], cmd(Vibrate, 100))),
            vec![(Endpoint::Tx, vec![0x32, 0x64], false)]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&f[0], &f[1]])),
            vec![(Endpoint::TxMode, vec![0x00, 0x00], true)]
        );
    }

    #[tokio::test]
    async fn txvibrate_and_generic0_devices() {
        let pop = [
            feature(0, &[(Oscillate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        ];
        let mut h = on(&[Endpoint::Tx, Endpoint::TxMode, Endpoint::TxVibrate], &pop).await;
        let both = writes(&message(
            h.as_mut(),
            &[
                (&pop[0], OutputCommand::new(Oscillate, 20, 0)),
                (&pop[1], OutputCommand::new(Vibrate, 80, 0)),
            ],
        ));
        assert_eq!(both, vec![(Endpoint::TxVibrate, vec![0x14, 0x50], false)]);
        assert_eq!(
            writes(&stop(h.as_mut(), [&pop[0], &pop[1]])),
            vec![(Endpoint::TxVibrate, vec![0x00, 0x00], false)]
        );

        let craybit: Vec<FeatureDefinition> =
            (0..3).map(|i| feature(i, &[(Vibrate, 0, 100)])).collect();
        let mut h = on(&[Endpoint::Generic(0)], &craybit).await;
        assert_eq!(
            writes(&encode(h.as_mut(), &craybit[2], cmd(Vibrate, 10))),
            vec![(Endpoint::Generic(0), vec![0x03, 0x00, 0x00, 0x0A], false)]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), &craybit)),
            vec![(Endpoint::Generic(0), vec![0x03, 0x00, 0x00, 0x00], false)]
        );
    }
}
