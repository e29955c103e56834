//! Cueme (`cueme`): vibrating underwear with up to 8 motors, no reference handler (protocol from
//! public notes and an earlier Buttplug server). One byte on `tx`: motor number (feature + 1) in
//! the high nibble, strength 0–15 in the low nibble, `00` = off. The garment runs only the most
//! recently addressed motor, so with several motors active the host rotates between them every
//! 500 ms. The model (1 men's, 2 bra, 3 women's) is the last `_` field of the advertised name.

use std::time::Duration;

use async_trait::async_trait;

use super::{
    DeviceIo, HardwareCommand, Identification, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

const TICK: Duration = Duration::from_millis(100);
/// Ticks each motor runs before the next active one takes over (500 ms).
const TICKS_PER_MOTOR: u32 = 5;
/// Motor numbers are one nibble (1–15), so at most 15 features are addressable.
const MAX_MOTORS: usize = 15;

#[derive(Default)]
pub struct Cueme {
    /// Strength per feature index.
    table: Vec<u8>,
    /// The motor currently driven.
    current: usize,
    /// Ticks since the current motor started, while several motors take turns.
    rotation: Option<u32>,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Cueme::default())
}

/// Model identifier from a name like `FUNCODE_EBD8A0CFE5E0_2`: the type digit, else none
/// (the defaults, 8 motors).
fn identifier_from_name(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split('_').collect();
    match parts.as_slice() {
        [_, _, t @ ("1" | "2" | "3")] => Some((*t).to_string()),
        _ => None,
    }
}

fn write(byte: u8) -> HardwareCommand {
    // The motor characteristic is a plain write (with response).
    HardwareCommand::device_write(Endpoint::Tx, [byte], true)
}

impl Cueme {
    fn byte(&self, motor: usize) -> u8 {
        let v = self.table.get(motor).copied().unwrap_or(0);
        if v == 0 {
            return 0;
        }
        (((motor + 1) as u8) << 4) | (v & 0x0F)
    }

    /// The next active motor after `self.current`, wrapping.
    fn next_active(&self) -> usize {
        let n = self.table.len();
        (1..=n)
            .map(|d| (self.current + d) % n)
            .find(|&i| self.table[i] != 0)
            .unwrap_or(0)
    }

    /// The byte for the table's new state (steps 1–3 of the sheet).
    fn on_change(&mut self) -> u8 {
        let active: Vec<usize> = (0..self.table.len())
            .filter(|&i| self.table[i] != 0)
            .collect();
        match active.as_slice() {
            [] => {
                self.current = 0;
                self.rotation = None;
                0
            }
            [k] => {
                self.current = *k;
                self.rotation = None;
                self.byte(*k)
            }
            _ => {
                if self.table.get(self.current).is_none_or(|v| *v == 0) {
                    self.current = self.next_active();
                    self.rotation = Some(0);
                }
                // Keep the running turn otherwise, so frequent updates cannot starve a motor.
                self.rotation.get_or_insert(0);
                self.byte(self.current)
            }
        }
    }
}

#[async_trait]
impl ProtocolHandler for Cueme {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        Ok(Identification {
            identifier: identifier_from_name(&io.advertisement().name),
            switch_to: None,
        })
    }

    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        let motors = definition
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .map(|f| f.index as usize + 1)
            .max()
            .unwrap_or(0);
        self.table = vec![0; motors.min(MAX_MOTORS)];
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
        let i = feature.index as usize;
        if i >= MAX_MOTORS {
            return Err(unsupported_output(&command));
        }
        if i >= self.table.len() {
            self.table.resize(i + 1, 0);
        }
        self.table[i] = v.value.clamp(0, 15) as u8;
        Ok(vec![write(self.on_change())])
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::Tick(TICK)
    }

    /// Hand the garment to the next active motor every 500 ms while several are active.
    fn tick(&mut self) -> Vec<HardwareCommand> {
        let Some(ticks) = self.rotation.as_mut() else {
            return Vec::new();
        };
        *ticks += 1;
        if *ticks < TICKS_PER_MOTOR {
            return Vec::new();
        }
        *ticks = 0;
        self.current = self.next_active();
        vec![write(self.byte(self.current))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{assert_encodes_all, db_resolve};
    use crate::protocols::shared::testing::{cmd, definition, feature, only_write, sim_io, writes};
    use crate::wire::OutputType::Vibrate;

    fn garment(n: u32) -> (Cueme, Vec<FeatureDefinition>) {
        let features: Vec<FeatureDefinition> =
            (0..n).map(|i| feature(i, &[(Vibrate, 0, 15)])).collect();
        let p = Cueme {
            table: vec![0; n as usize],
            ..Cueme::default()
        };
        (p, features)
    }

    fn enc(p: &mut Cueme, f: &FeatureDefinition, v: i32) -> u8 {
        let out = p.encode_output(f, cmd(Vibrate, v)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert!(writes(&out)[0].2, "with response");
        only_write(&out)[0]
    }

    /// The bytes written over `n` ticks (100 ms each).
    fn run(p: &mut Cueme, n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|_| p.tick())
            .map(|c| only_write(&[c])[0])
            .collect()
    }

    #[test]
    fn identifiers() {
        assert_eq!(
            identifier_from_name("FUNCODE_EBD8A0CFE5E0_2").as_deref(),
            Some("2")
        );
        assert_eq!(
            identifier_from_name("FUNCODE_5BBDA0CFE5E0_3").as_deref(),
            Some("3")
        );
        assert_eq!(
            identifier_from_name("FUNCODE_5727A1CFE5E0_1").as_deref(),
            Some("1")
        );
        assert_eq!(identifier_from_name("FUNCODE_5727A1CFE5E0_9"), None);
        assert_eq!(identifier_from_name("FUNCODE_X"), None);
        assert_eq!(identifier_from_name(""), None);
    }

    #[tokio::test]
    async fn identify_and_size_from_definition() {
        let (_d, mut io, _ops) = sim_io(
            SimulatedDeviceSpec::new("FUNCODE_5BBDA0CFE5E0_3", "a"),
            &[Endpoint::Tx],
        )
        .await;
        let mut p = Cueme::default();
        let id = p.identify(&mut io).await.unwrap();
        assert_eq!(id.identifier.as_deref(), Some("3"));
        let def = definition((0..4).map(|i| feature(i, &[(Vibrate, 0, 15)])).collect());
        p.initialize(&mut io, &def).await.unwrap();
        assert_eq!(p.table.len(), 4);
    }

    #[test]
    fn single_motor_bytes() {
        let (mut p, f) = garment(8);
        assert_eq!(enc(&mut p, &f[0], 7), 0x17);
        assert_eq!(enc(&mut p, &f[0], 0), 0x00);
        assert_eq!(enc(&mut p, &f[3], 15), 0x4F);
        assert_eq!(enc(&mut p, &f[3], 0), 0x00);
        assert_eq!(enc(&mut p, &f[7], 1), 0x81);
        // One motor holds without further writes.
        assert!(run(&mut p, 20).is_empty());
    }

    #[test]
    fn several_motors_take_turns() {
        let (mut p, f) = garment(8);
        // Feature 0 = 7 and feature 2 = 10 in one message: the coalesced packet is the last.
        assert_eq!(enc(&mut p, &f[0], 7), 0x17);
        assert_eq!(enc(&mut p, &f[2], 10), 0x17);
        assert_eq!(run(&mut p, 4), Vec::<u8>::new());
        assert_eq!(run(&mut p, 1), vec![0x3A]);
        assert_eq!(run(&mut p, 5), vec![0x17]);
        assert_eq!(run(&mut p, 5), vec![0x3A]);
        // Feature 0 off: feature 2 alone, the rotation stops.
        assert_eq!(enc(&mut p, &f[0], 0), 0x3A);
        assert!(run(&mut p, 20).is_empty());
        // Stop.
        assert_eq!(enc(&mut p, &f[2], 0), 0x00);
        assert!(run(&mut p, 20).is_empty());
    }

    #[test]
    fn turning_off_the_running_motor_moves_on() {
        let (mut p, f) = garment(8);
        enc(&mut p, &f[1], 5);
        enc(&mut p, &f[4], 6);
        enc(&mut p, &f[6], 7);
        assert_eq!(p.current, 1);
        // The running motor stops: the next active one takes over at once.
        assert_eq!(enc(&mut p, &f[1], 0), 0x56);
        assert_eq!(run(&mut p, 5), vec![0x77]);
        assert_eq!(run(&mut p, 5), vec![0x56]);
        // Whole stop as one message: intermediate packets are superseded, the last is 00.
        let last = [1, 4, 6].map(|i| enc(&mut p, &f[i], 0));
        assert_eq!(last[2], 0x00);
        assert!(run(&mut p, 10).is_empty());
    }

    #[tokio::test]
    async fn database_models() {
        for (name, model, motors) in [
            ("FUNCODE_5727A1CFE5E0_1", "Cueme Mens", 8),
            ("FUNCODE_EBD8A0CFE5E0_2", "Cueme Bra", 8),
            ("FUNCODE_5BBDA0CFE5E0_3", "Cueme Womans", 4),
            ("FUNCODE_garbled", "Cueme Device", 8),
        ] {
            let (_d, mut io, _ops) =
                sim_io(SimulatedDeviceSpec::new(name, "a"), &[Endpoint::Tx]).await;
            let mut p = Cueme::default();
            let id = p.identify(&mut io).await.unwrap();
            let def = db_resolve("cueme", id.identifier.as_deref());
            assert_eq!(def.name, model);
            p.initialize(&mut io, &def).await.unwrap();
            assert_eq!(p.table.len(), motors);
            assert_encodes_all(&mut p, &def);
        }
    }
}
