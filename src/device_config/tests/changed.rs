//! Devices whose definition changed between v4.189 and v5.57 follow v5 on the embedded database
//! (data/device-config/V5-CHANGES.md §6.3), while the v4 file given at run time still gives the
//! v4 definitions.

use super::{identity, v4_database};
use crate::device_config::{DeviceConfig, DeviceDefinition};
use crate::wire::OutputType;

fn resolve(c: &DeviceConfig, protocol: &str, identifier: &str) -> DeviceDefinition {
    c.resolve(&identity("a", protocol, Some(identifier)))
        .unwrap_or_else(|| panic!("{protocol} {identifier} resolves"))
}

/// `(feature index, output types)` of every feature.
fn layout(d: &DeviceDefinition) -> Vec<(u32, Vec<OutputType>)> {
    d.features
        .iter()
        .map(|f| (f.index, f.outputs.iter().map(|o| o.output_type).collect()))
        .collect()
}

#[test]
fn joyhub_mighty_and_perseus_have_the_v5_feature_types() {
    use OutputType::{Oscillate, Rotate, Vibrate};
    let (v5, v4) = (DeviceConfig::embedded(), v4_database());
    let mighty = |c| layout(&resolve(c, "joyhub", "J-Mighty"));
    assert_eq!(mighty(&v5), [(0, vec![Rotate]), (1, vec![Oscillate])]);
    assert_eq!(mighty(&v4), [(0, vec![Oscillate]), (1, vec![Rotate])]);
    let perseus = |c| layout(&resolve(c, "joyhub", "J-Perseus"));
    assert_eq!(perseus(&v5), [(0, vec![Vibrate]), (2, vec![Oscillate])]);
    assert_eq!(perseus(&v4), [(0, vec![Oscillate]), (2, vec![Vibrate])]);
}

#[test]
fn sexverse_v5_hannibal_kona_is_its_own_device_now() {
    // v4 spelled the section `configuration`, so the Kona fell back to the defaults.
    assert_eq!(
        resolve(&DeviceConfig::embedded(), "sexverse-v5", "CB-WXW03").name,
        "Hannibal Kona"
    );
    assert_eq!(
        resolve(&v4_database(), "sexverse-v5", "CB-WXW03").name,
        "Sexverse Heart"
    );
}

#[test]
fn tcode_positions_range_over_0_to_999() {
    let d = DeviceConfig::embedded()
        .resolve(&identity("COM7", "tcode-v03", None))
        .expect("resolves");
    let f = d.feature(0).expect("feature 0");
    let pos = f.output(OutputType::Position).expect("position");
    let hw = f
        .output(OutputType::HwPositionWithDuration)
        .expect("hw position");
    assert_eq!(pos.base_range, (0, 999));
    assert_eq!(hw.base_range, (0, 999));
    assert_eq!(hw.duration_range, Some((0, 99999)));
    assert_eq!(hw.client_range(), (0, 999));
    let old = v4_database()
        .resolve(&identity("COM7", "tcode-v03", None))
        .expect("resolves");
    assert_eq!(old.features[0].outputs[0].base_range, (0, 1000));
}

#[test]
fn new_outputs_of_known_devices() {
    use OutputType::{Constrict, Rotate, Vibrate};
    let c = DeviceConfig::embedded();
    // Svakom Klitty: constrict and rotate on svakom-v6.
    assert_eq!(
        layout(&resolve(&c, "svakom-v6", "ST462A")),
        [(0, vec![Vibrate]), (1, vec![Constrict]), (2, vec![Rotate])]
    );
    // Lelo F1s V3 moved from lelo-f1sv2 to lelo-harmony.
    assert_eq!(resolve(&c, "lelo-harmony", "F1SV3").name, "Lelo F1s V3");
    assert_eq!(resolve(&c, "lelo-f1sv2", "F1SV3").name, "Lelo F1s V2");
    assert_eq!(
        resolve(&v4_database(), "lelo-f1sv2", "F1SV3").name,
        "Lelo F1s V3"
    );
}

#[test]
fn new_shapes_of_v5_load() {
    let c = DeviceConfig::embedded();
    // A feature list with a gap (index 0 and 2).
    let rose = c
        .all_definitions()
        .into_iter()
        .find(|d| d.protocol == "luvmazer" && d.name == "Luvmazer Rose Finger Vibe")
        .expect("Rose Finger Vibe");
    assert_eq!(
        rose.features.iter().map(|f| f.index).collect::<Vec<_>>(),
        [0, 2]
    );
    // A warm-up temperature [37, 42] is offered as [0, 42].
    let umove = c
        .resolve(&identity("a", "umove", None))
        .expect("umove resolves");
    let temperature = umove
        .features
        .iter()
        .find_map(|f| f.output(OutputType::Temperature))
        .expect("temperature");
    assert_eq!(temperature.base_range, (0, 42));
    assert_eq!(temperature.client_range(), (0, 42));
    assert_eq!(temperature.to_device_step(40), Some(40));
    // An output object with a description: the description is ignored, the output kept.
    let ossm = c
        .resolve(&identity("a", "ossm", None))
        .expect("ossm resolves");
    let types: Vec<_> = ossm.features[0]
        .outputs
        .iter()
        .map(|o| o.output_type)
        .collect();
    assert_eq!(
        types,
        [OutputType::Oscillate, OutputType::HwPositionWithDuration]
    );
}
