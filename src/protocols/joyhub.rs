//! JoyHub (`joyhub`): motors (vibrate/rotate/oscillate on feature indexes 0–3) share one packet
//! `[A0 03 m0 m1 m2 m3 AA]`; constrict, heater, LED and lube spray have packets of their own.
//! A spray is a ~1 s pulse: every spray command is followed 1 s later by the spray-off packet.

use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{
    CoalesceKey, DeviceIo, HardwareCommand, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{OutputCommand, OutputType};

/// Coalescing identity of the shared motor packet.
const KEY_MOTORS: u8 = 0;
const SPRAY_OFF_DELAY: Duration = Duration::from_millis(1000);
const SPRAY_CHECK: Duration = Duration::from_millis(50);
const SPRAY_OFF: [u8; 6] = [0xA0, 0x24, 0x00, 0x00, 0x00, 0x00];

#[derive(Default)]
pub struct JoyHub {
    motors: [u8; 4],
    has_spray: bool,
    spray_off_at: Option<Instant>,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(JoyHub::default())
}

/// `[A0 cmd 00 00 00 00]` off, `[A0 cmd 01 00 01 FF]` on.
fn switch(cmd: u8, on: bool) -> [u8; 6] {
    if on {
        [0xA0, cmd, 0x01, 0x00, 0x01, 0xFF]
    } else {
        [0xA0, cmd, 0x00, 0x00, 0x00, 0x00]
    }
}

impl JoyHub {
    fn tick_at(&mut self, now: Instant) -> Vec<HardwareCommand> {
        match self.spray_off_at {
            Some(t) if now >= t => {
                self.spray_off_at = None;
                vec![HardwareCommand::write(
                    Endpoint::Tx,
                    SPRAY_OFF,
                    false,
                    CoalesceKey(0),
                )]
            }
            _ => Vec::new(),
        }
    }
}

#[async_trait]
impl ProtocolHandler for JoyHub {
    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.has_spray = def
            .features
            .iter()
            .any(|f| f.output(OutputType::Spray).is_some());
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let level = command.value().unsigned_abs().min(255) as u8;
        let on = level != 0;
        let w = |bytes: &[u8]| {
            HardwareCommand::feature_write(feature.index, Endpoint::Tx, bytes.to_vec(), false)
        };
        Ok(match command {
            OutputCommand::Vibrate(_) | OutputCommand::Rotate(_) | OutputCommand::Oscillate(_) => {
                // The feature index is the byte position; the database has no motor above 3.
                let Some(slot) = self.motors.get_mut(feature.index as usize) else {
                    return Err(unsupported_output(&command));
                };
                *slot = level;
                let [m0, m1, m2, m3] = self.motors;
                vec![HardwareCommand::write(
                    Endpoint::Tx,
                    [0xA0, 0x03, m0, m1, m2, m3, 0xAA],
                    false,
                    CoalesceKey::custom(KEY_MOTORS),
                )]
            }
            OutputCommand::Constrict(_) if feature.index == 4 => {
                vec![w(&[0xA0, 0x07, u8::from(on), 0x00, level, 0xFF])]
            }
            OutputCommand::Constrict(_) => vec![w(&[0xA0, 0x0D, 0x00, 0x00, level, 0xFF])],
            OutputCommand::Temperature(_) => vec![w(&switch(0x04, on))],
            OutputCommand::Led(_) => vec![w(&switch(0x14, on))],
            OutputCommand::Spray(_) => {
                self.spray_off_at = Some(Instant::now() + SPRAY_OFF_DELAY);
                vec![w(&switch(0x24, on))]
            }
            _ => return Err(unsupported_output(&command)),
        })
    }

    fn keepalive(&self) -> Keepalive {
        if self.has_spray {
            Keepalive::Tick(SPRAY_CHECK)
        } else {
            Keepalive::None
        }
    }

    fn tick(&mut self) -> Vec<HardwareCommand> {
        self.tick_at(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{Constrict, Led, Oscillate, Rotate, Spray, Temperature, Vibrate};

    #[test]
    fn motors_share_one_packet() {
        // J-Petalwish2: oscillate 0, vibrate 2.
        let def = definition(vec![
            feature(0, &[(Oscillate, 0, 255)]),
            feature(2, &[(Vibrate, 0, 255)]),
        ]);
        let mut h = JoyHub::default();
        assert_eq!(
            writes(&encode(
                &mut h,
                def.feature(0).unwrap(),
                cmd(Oscillate, 128)
            )),
            vec![(Endpoint::Tx, vec![0xA0, 3, 0x80, 0, 0, 0, 0xAA], false)]
        );
        assert_eq!(
            data(&encode(&mut h, def.feature(2).unwrap(), cmd(Vibrate, 26))),
            vec![vec![0xA0, 3, 0x80, 0, 0x1A, 0, 0xAA]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0xA0, 3, 0, 0, 0, 0, 0xAA]]
        );
    }

    #[test]
    fn roselin() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 255)]),
            feature(3, &[(Rotate, 0, 255)]),
            feature(4, &[(Constrict, 0, 4)]),
        ]);
        let mut h = JoyHub::default();
        let m = message(
            &mut h,
            &[
                (def.feature(0).unwrap(), cmd(Vibrate, 128)),
                (def.feature(3).unwrap(), cmd(Rotate, 26)),
                (def.feature(4).unwrap(), cmd(Constrict, 4)),
            ],
        );
        assert_eq!(
            data(&m),
            vec![
                vec![0xA0, 3, 0x80, 0, 0, 0x1A, 0xAA],
                vec![0xA0, 7, 1, 0, 4, 0xFF]
            ]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![
                vec![0xA0, 3, 0, 0, 0, 0, 0xAA],
                vec![0xA0, 7, 0, 0, 0, 0xFF]
            ]
        );
    }

    #[test]
    fn moonhorn_constrict_heater_and_led() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 255)]),
            feature(4, &[]),
            feature(5, &[(Constrict, 0, 9)]),
            feature(6, &[(Temperature, 0, 1), (Led, 0, 1)]),
        ]);
        let mut h = JoyHub::default();
        assert_eq!(
            data(&encode(&mut h, def.feature(5).unwrap(), cmd(Constrict, 1))),
            vec![vec![0xA0, 0x0D, 0, 0, 1, 0xFF]]
        );
        assert_eq!(
            data(&encode(
                &mut h,
                def.feature(6).unwrap(),
                cmd(Temperature, 1)
            )),
            vec![vec![0xA0, 0x04, 1, 0, 1, 0xFF]]
        );
        assert_eq!(
            data(&encode(&mut h, def.feature(6).unwrap(), cmd(Led, 1))),
            vec![vec![0xA0, 0x14, 1, 0, 1, 0xFF]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![
                vec![0xA0, 3, 0, 0, 0, 0, 0xAA],
                vec![0xA0, 0x0D, 0, 0, 0, 0xFF],
                vec![0xA0, 0x04, 0, 0, 0, 0]
            ]
        );
        // A motor beyond the four slots is refused, not a crash.
        let f = feature(7, &[(Vibrate, 0, 255)]);
        assert!(h.encode_output(&f, cmd(Vibrate, 1)).is_err());
    }

    #[tokio::test]
    async fn spray_is_a_one_second_pulse() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 255)]),
            feature(7, &[(Spray, 0, 1)]),
        ]);
        let mut h = JoyHub::default();
        assert_eq!(h.keepalive(), Keepalive::None);
        let (_dev, mut io, _ops) =
            sim_io(SimulatedDeviceSpec::new("J-Dodge", "a"), &[Endpoint::Tx]).await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(h.keepalive(), Keepalive::Tick(SPRAY_CHECK));
        let t0 = Instant::now();
        assert_eq!(
            data(&encode(&mut h, def.feature(7).unwrap(), cmd(Spray, 1))),
            vec![vec![0xA0, 0x24, 1, 0, 1, 0xFF]]
        );
        assert!(h.tick_at(t0 + Duration::from_millis(500)).is_empty());
        let off = h.tick_at(t0 + Duration::from_millis(1100));
        assert_eq!(
            writes(&off),
            vec![(Endpoint::Tx, SPRAY_OFF.to_vec(), false)]
        );
        assert!(h.tick_at(t0 + Duration::from_millis(2000)).is_empty());
        assert_eq!(
            data(&encode(&mut h, def.feature(7).unwrap(), cmd(Spray, 0))),
            vec![SPRAY_OFF.to_vec()]
        );
    }
}
