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
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::test_support::{
        definition, encode, link, output, seen, stop, write_op,
    };

    #[tokio::test]
    async fn tenuto_2_and_molto() {
        let motors: Vec<FeatureDefinition> = (0..4).map(|i| output(i, Vibrate, 56)).collect();
        let (_dev, mut io, mut ops) =
            link("6909 MV1", &[Endpoint::TxMode, Endpoint::TxVibrate]).await;
        let mut h = create();
        h.initialize(&mut io, &definition("6909 MV1", motors.clone()))
            .await
            .unwrap();
        assert_eq!(
            seen(&mut ops),
            vec![write_op(Endpoint::TxMode, &[0x03, 0x02, 0x40], true)]
        );
        let refs: Vec<&FeatureDefinition> = motors.iter().collect();
        let zero = (Endpoint::TxVibrate, vec![0; 4], false);
        assert_eq!(stop(h.as_mut(), &refs), vec![zero.clone()]);
        assert_eq!(
            encode(h.as_mut(), &motors[2], Vibrate, 40),
            vec![(Endpoint::TxVibrate, vec![0, 0, 0x28, 0], false)]
        );
        assert_eq!(stop(h.as_mut(), &refs), vec![zero]);

        let molto = output(0, Vibrate, 56);
        let (_dev, mut io, _ops) = link("6915 MV1", &[Endpoint::TxMode, Endpoint::TxVibrate]).await;
        let mut h = create();
        h.initialize(&mut io, &definition("6915 MV1", vec![molto.clone()]))
            .await
            .unwrap();
        assert_eq!(
            encode(h.as_mut(), &molto, Vibrate, 56),
            vec![(Endpoint::TxVibrate, vec![0x38], false)]
        );
    }
}
