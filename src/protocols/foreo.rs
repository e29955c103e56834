//! Foreo (`foreo`, LUNA / UFO / BEAR / KIWI): `[01, mode, v]` on `tx` with response, where the
//! mode byte is derived from the advertised name (smart…2 → 3, fofo/ufo → 1, else 0).

use async_trait::async_trait;

use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct Foreo {
    mode: u8,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Foreo::default())
}

/// The mode byte for an advertised name. (`LUNA PLAY SMART`, without "2", gets 0 like in the
/// reference, although the database groups it with the fofo family.)
fn mode_for(name: &str) -> u8 {
    let name = name.to_lowercase();
    if name.contains("smart") && name.contains('2') {
        3
    } else if name.contains("fofo") || name.contains("ufo") {
        1
    } else {
        0
    }
}

#[async_trait]
impl ProtocolHandler for Foreo {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.mode = mode_for(&io.advertisement().name);
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
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x01, self.mode, v.value.clamp(0, 255) as u8],
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, definition, drain, feature, sim_io, writes};
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn modes() {
        assert_eq!(mode_for("FOFO"), 1);
        assert_eq!(mode_for("LUNA fofo"), 1);
        assert_eq!(mode_for("UFO 2"), 1);
        assert_eq!(mode_for("LUNA play smart 2"), 3);
        assert_eq!(mode_for("LUNA PLAYSMART2"), 3);
        assert_eq!(mode_for("LUNA PLAY SMART"), 0);
        assert_eq!(mode_for("LUNA 3"), 0);
        assert_eq!(mode_for("BEAR 2"), 0);
    }

    async fn connected(name: &str) -> Foreo {
        let (_d, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new(name, "a"), &[Endpoint::Tx]).await;
        let mut p = Foreo::default();
        let def = definition(vec![feature(0, &[(Vibrate, 0, 10)])]);
        p.initialize(&mut io, &def).await.unwrap();
        assert!(drain(&mut ops).is_empty(), "initialize writes nothing");
        p
    }

    #[tokio::test]
    async fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 10)]);
        let mut p = connected("FOFO").await;
        let enc = |p: &mut Foreo, v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(enc(&mut p, 5), vec![(Endpoint::Tx, vec![1, 1, 5], true)]);
        assert_eq!(enc(&mut p, 8)[0].1, [1, 1, 8]);
        assert_eq!(enc(&mut p, 0)[0].1, [1, 1, 0]);
        let mut p = connected("LUNA play smart 2").await;
        assert_eq!(enc(&mut p, 5)[0].1, [1, 3, 5]);
        let mut p = connected("LUNA 3").await;
        assert_eq!(enc(&mut p, 10)[0].1, [1, 0, 10]);
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("foreo") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
