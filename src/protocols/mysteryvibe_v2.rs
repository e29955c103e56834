//! MysteryVibe second generation (`mysteryvibe-v2`): the `mysteryvibe` motor protocol (all speeds
//! in one `txvibrate` packet, 93 ms keep-alive) with its own mode packet `03 02 40`.

use super::ProtocolHandler;
use super::mysteryvibe::{MODE_V2, MysteryVibe};

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(MysteryVibe::new(MODE_V2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device_config::FeatureDefinition;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{
        cmd, definition, drain, encode, feature, sim_io, stop, write_op, writes,
    };
    use crate::wire::OutputType::Vibrate;

    #[tokio::test]
    async fn tenuto_2_and_molto() {
        let motors: Vec<FeatureDefinition> =
            (0..4).map(|i| feature(i, &[(Vibrate, 0, 56)])).collect();
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("6909 MV1", "a"),
            &[Endpoint::TxMode, Endpoint::TxVibrate],
        )
        .await;
        let mut h = create();
        h.initialize(&mut io, &definition(motors.clone()))
            .await
            .unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::TxMode, &[0x03, 0x02, 0x40], true)]
        );
        let zero = (Endpoint::TxVibrate, vec![0; 4], false);
        assert_eq!(writes(&stop(h.as_mut(), &motors)), vec![zero.clone()]);
        assert_eq!(
            writes(&encode(h.as_mut(), &motors[2], cmd(Vibrate, 40))),
            vec![(Endpoint::TxVibrate, vec![0, 0, 0x28, 0], false)]
        );
        assert_eq!(writes(&stop(h.as_mut(), &motors)), vec![zero]);

        let molto = feature(0, &[(Vibrate, 0, 56)]);
        let (_dev, mut io, _ops) = sim_io(
            SimulatedDeviceSpec::new("6915 MV1", "a"),
            &[Endpoint::TxMode, Endpoint::TxVibrate],
        )
        .await;
        let mut h = create();
        h.initialize(&mut io, &definition(vec![molto.clone()]))
            .await
            .unwrap();
        assert_eq!(
            writes(&encode(h.as_mut(), &molto, cmd(Vibrate, 56))),
            vec![(Endpoint::TxVibrate, vec![0x38], false)]
        );
    }
}
