//! Kiiroo V3 (`kiiroo-v3`; Keon WiFi): the `kiiroo-v21` packets, no initialization. Its battery
//! feature cannot work (the key declares no `whitelist` endpoint) and is refused.

use super::ProtocolHandler;
use super::kiiroo_v21::{Flavor, with_flavor};

pub fn create() -> Box<dyn ProtocolHandler> {
    with_flavor(Flavor::V3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::*;
    use crate::wire::InputType;
    use crate::wire::OutputType::HwPositionWithDuration;

    #[tokio::test]
    async fn keon_wifi() {
        let def = definition(vec![
            feature(0, &[(HwPositionWithDuration, 0, 99)]),
            battery(1),
        ]);
        let mut h = create();
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("KEON WIFI", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        h.initialize(&mut io, &def).await.unwrap();
        assert!(drain(&mut ops).is_empty());
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], position(99, 500))),
            vec![(Endpoint::Tx, vec![3, 0, 0x28, 0x63], false)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], position(0, 1000))),
            vec![vec![3, 0, 0x13, 0]]
        );
        assert!(
            h.read_input(def.feature(1).unwrap(), InputType::Battery)
                .is_err()
        );
    }
}
