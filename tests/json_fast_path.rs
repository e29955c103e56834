//! The v4 fast path of the JSON decoder (`wire::json::fast`) accepts only what the general
//! decoder accepts, with the same result: a corpus, frames it must leave alone, and mutated
//! frames (proptest).

mod support;

use proptest::prelude::*;
use support::mutate::mutate;
use teleplug::wire::AnyClientMessage;
use teleplug::wire::SpecVersion;
use teleplug::wire::json::fast::decode_v4_frame;
use teleplug::wire::json::{decode_client_message, split_frame};
use teleplug::wire::v4::ClientMessage;

/// What the general decoder makes of a frame at v4, when every message decodes.
fn general(text: &str) -> Option<Vec<ClientMessage>> {
    let values = split_frame(text).ok()?;
    values
        .into_iter()
        .map(|v| match decode_client_message(Some(SpecVersion::V4), v) {
            Ok(AnyClientMessage::V4(m)) => Some(m),
            _ => None,
        })
        .collect()
}

const CORPUS: &[&str] = &[
    r#"[{"Ping":{"Id":1}}]"#,
    r#"[{"RequestDeviceList":{"Id":2}}]"#,
    r#"[{"StartScanning":{"Id":3}},{"StopScanning":{"Id":4}}]"#,
    r#"[{"OutputCmd":{"Id":5,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
    r#" [ {"OutputCmd":{"Command":{"HwPositionWithDuration":{"Value":10,"Duration":100}},"Id":6,"DeviceIndex":0,"FeatureIndex":1}} ] "#,
    r#"[{"InputCmd":{"Id":7,"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Read"}}]"#,
    r#"[{"StopCmd":{"Id":8,"DeviceIndex":0,"FeatureIndex":1,"Inputs":true,"Outputs":false}}]"#,
    r#"[{"StopCmd":{"Id":9}}]"#,
    r#"[{"Disconnect":{"Id":10}}]"#,
    r#"[{"RequestServerInfo":{"Id":11,"ClientName":"x","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
];

#[test]
fn accepts_what_the_general_decoder_accepts_with_the_same_result() {
    for frame in CORPUS {
        let fast = decode_v4_frame(frame);
        assert!(fast.is_some(), "{frame}");
        assert_eq!(fast, general(frame), "{frame}");
    }
}

#[test]
fn leaves_the_unusual_to_the_general_decoder() {
    for frame in [
        "",
        "[]",
        r#"[{"Ping":{"Id":0}}]"#,
        r#"[{"Ping":[5]}]"#,
        r#"[{"Ping":{"Id":1}}][{"Ping":{"Id":2}}]"#,
        r#"[{"Ping":{"Id":1},"Pong":{"Id":2}}]"#,
        r#"[{"Ping":{"Id":1,"Id":2}}]"#,
        r#"[{"Ping":{"Id":1,"Extra":2}}]"#,
        r#"[{"VibrateCmd":{"Id":9,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#,
        r#"[{"SingleMotorVibrateCmd":{"Id":13,"DeviceIndex":0,"Speed":0.5}}]"#,
        r#"{"Ping":{"Id":1}}"#,
    ] {
        assert_eq!(decode_v4_frame(frame), None, "{frame}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever the fast path accepts, the general decoder accepts identically.
    #[test]
    fn never_disagrees_with_the_general_decoder(
        which in 0..CORPUS.len(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
    ) {
        let frame = mutate(CORPUS[which], &edits);
        if let Some(fast) = decode_v4_frame(&frame) {
            prop_assert_eq!(Some(fast), general(&frame), "{}", frame);
        }
    }
}
