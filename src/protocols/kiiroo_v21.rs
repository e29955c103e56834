//! Kiiroo V2.1 (`kiiroo-v21`): vibrate `[01 v]`, moves `[03 00 speed pos]` (Launch speed
//! formula) on `tx`; Pearl 2.1 battery = byte 5 of a 20-byte `whitelist` read. The handler also
//! serves `kiiroo-v21-initialized` (two warm-up moves at connect, and a keep-alive: the last
//! packet again after 2 s idle) and `kiiroo-v3` (no battery).

use std::time::Duration;

use async_trait::async_trait;

use super::shared::fleshlight::LaunchSpeed;
use super::{
    DeviceIo, HardwareCommand, InputPlan, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_input, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{InputCommandType, InputType, OutputCommand};

/// How long a `kiiroo-v21-initialized` device may go without a packet.
pub(super) const INITIALIZED_KEEPALIVE: Duration = Duration::from_secs(2);

/// Which key the handler serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flavor {
    V21,
    /// Moves to 25 then 0 (with response) at connect; keep-alive.
    Initialized,
    /// Keon WiFi: its database entry has no `whitelist` endpoint, so no battery.
    V3,
}

pub(super) struct KiirooV21 {
    flavor: Flavor,
    speed: LaunchSpeed,
}

pub(super) fn with_flavor(flavor: Flavor) -> Box<dyn ProtocolHandler> {
    Box::new(KiirooV21 {
        flavor,
        speed: LaunchSpeed::default(),
    })
}

pub fn create() -> Box<dyn ProtocolHandler> {
    with_flavor(Flavor::V21)
}

/// Battery percent from a `whitelist` read: exactly 20 bytes, percent at offset 5.
fn parse_battery(data: &[u8]) -> Option<i32> {
    if data.len() != 20 {
        return None;
    }
    data.get(5).map(|b| i32::from(*b))
}

#[async_trait]
impl ProtocolHandler for KiirooV21 {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        if self.flavor == Flavor::Initialized {
            io.write(Endpoint::Tx, &[0x03, 0x00, 0x64, 0x19], true)
                .await?;
            io.write(Endpoint::Tx, &[0x03, 0x00, 0x64, 0x00], true)
                .await?;
        }
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let bytes = match command {
            OutputCommand::Vibrate(v) => vec![0x01, v.value.clamp(0, 255) as u8],
            OutputCommand::HwPositionWithDuration(p) => {
                let position = p.value.clamp(0, 99);
                let speed = self.speed.next(position, p.duration);
                vec![0x03, 0x00, speed, position as u8]
            }
            _ => return Err(unsupported_output(&command)),
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            bytes,
            false,
        )])
    }

    fn keepalive(&self) -> Keepalive {
        match self.flavor {
            Flavor::Initialized => Keepalive::RepeatLast(INITIALIZED_KEEPALIVE),
            Flavor::V21 | Flavor::V3 => Keepalive::None,
        }
    }

    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        // kiiroo-v3 lists a battery but has no `whitelist` endpoint: the reference's read fails
        // there; refuse it up front instead.
        if input != InputType::Battery || self.flavor == Flavor::V3 {
            return Err(unsupported_input(input, InputCommandType::Read));
        }
        Ok(InputPlan::Read {
            before: Vec::new(),
            endpoint: Endpoint::Whitelist,
            max_len: 20,
            parse: Box::new(|_, d| parse_battery(d)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{HwPositionWithDuration, Vibrate};

    #[test]
    fn pearl21_vibrate_and_battery() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)]), battery(1)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![0x01, 0x32], false)]
        );
        assert_eq!(
            data(&stop(h.as_mut(), &def.features)),
            vec![vec![0x01, 0x00]]
        );
        let Ok(InputPlan::Read {
            endpoint,
            max_len,
            mut parse,
            ..
        }) = h.read_input(def.feature(1).unwrap(), InputType::Battery)
        else {
            panic!("battery is a read");
        };
        assert_eq!((endpoint, max_len), (Endpoint::Whitelist, 20));
        let mut reply = [0u8; 20];
        reply[5] = 0x4B;
        assert_eq!(parse(endpoint, &reply), Some(75));
        assert_eq!(parse(endpoint, &reply[..19]), None);
        assert_eq!(parse(endpoint, &[]), None);
    }

    #[tokio::test]
    async fn titan_moves_without_init() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(HwPositionWithDuration, 0, 99)]),
        ]);
        let mut h = create();
        let (_dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("Titan1.1", "a"), &[Endpoint::Tx]).await;
        h.initialize(&mut io, &def).await.unwrap();
        assert!(drain(&mut ops).is_empty());
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[1], position(99, 500))),
            vec![(Endpoint::Tx, vec![0x03, 0x00, 0x28, 0x63], false)]
        );
        // Only the vibrator is stopped.
        assert_eq!(
            data(&stop(h.as_mut(), &def.features)),
            vec![vec![0x01, 0x00]]
        );
    }
}
