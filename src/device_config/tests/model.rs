//! `OutputDefinition::client_range` / `to_device_step` (docs/PROTOCOL.md §3.4, §6.5).

use crate::device_config::OutputDefinition;
use crate::wire::OutputType;

fn out(
    t: OutputType,
    base: (i32, i32),
    user: Option<(i32, i32)>,
    reverse: bool,
) -> OutputDefinition {
    OutputDefinition {
        output_type: t,
        base_range: base,
        user_range: user,
        duration_range: None,
        disabled: false,
        reverse,
    }
}

#[test]
fn plain_range() {
    let o = out(OutputType::Vibrate, (0, 20), None, false);
    assert_eq!(o.client_range(), (0, 20));
    assert_eq!(o.to_device_step(0), Some(0));
    assert_eq!(o.to_device_step(1), Some(1));
    assert_eq!(o.to_device_step(20), Some(20));
    assert_eq!(o.to_device_step(21), None);
}

#[test]
fn signed_rotate() {
    let o = out(OutputType::Rotate, (-20, 20), None, false);
    assert_eq!(o.client_range(), (-20, 20));
    assert_eq!(o.to_device_step(-20), Some(-20));
    assert_eq!(o.to_device_step(-5), Some(-5));
    assert_eq!(o.to_device_step(5), Some(5));
    assert_eq!(o.to_device_step(-21), None);
    assert_eq!(o.to_device_step(21), None);
}

#[test]
fn signed_rotate_with_user_range() {
    let o = out(OutputType::Rotate, (-255, 255), Some((5, 15)), false);
    assert_eq!(o.client_range(), (-10, 10));
    assert_eq!(o.to_device_step(0), Some(0));
    assert_eq!(o.to_device_step(3), Some(8));
    assert_eq!(o.to_device_step(-3), Some(-8));
    assert_eq!(o.to_device_step(10), Some(15));
    assert_eq!(o.to_device_step(-10), Some(-15));
    assert_eq!(o.to_device_step(11), None);
    assert_eq!(o.to_device_step(-11), None);
}

#[test]
fn user_range_offset() {
    // The §3.4 example: [10,60] advertises [0,50]; 1 → 11; 51 is out of range.
    let o = out(OutputType::Vibrate, (0, 127), Some((10, 60)), false);
    assert_eq!(o.client_range(), (0, 50));
    assert_eq!(o.to_device_step(0), Some(0));
    assert_eq!(o.to_device_step(1), Some(11));
    assert_eq!(o.to_device_step(50), Some(60));
    assert_eq!(o.to_device_step(51), None);
}

#[test]
fn position_and_reverse() {
    let fwd = out(OutputType::Position, (0, 1000), Some((100, 900)), false);
    assert_eq!(fwd.client_range(), (0, 800));
    assert_eq!(fwd.to_device_step(0), Some(100));
    assert_eq!(fwd.to_device_step(800), Some(900));
    assert_eq!(fwd.to_device_step(801), None);
    assert_eq!(fwd.to_device_step(-1), None);

    let rev = out(OutputType::Position, (0, 1000), Some((100, 900)), true);
    assert_eq!(rev.to_device_step(0), Some(900));
    assert_eq!(rev.to_device_step(800), Some(100));
    assert_eq!(rev.to_device_step(801), None);

    let hw = out(OutputType::HwPositionWithDuration, (0, 100), None, true);
    assert_eq!(hw.client_range(), (0, 100));
    assert_eq!(hw.to_device_step(0), Some(100));
    assert_eq!(hw.to_device_step(100), Some(0));
    assert_eq!(hw.to_device_step(30), Some(70));
}

#[test]
fn extreme_values_do_not_overflow() {
    let o = out(OutputType::Rotate, (-20, 20), Some((10, 20)), false);
    assert_eq!(o.to_device_step(i32::MIN), None);
    assert_eq!(o.to_device_step(i32::MAX), None);
    let p = out(OutputType::Position, (0, 1000), None, true);
    assert_eq!(p.to_device_step(i32::MIN), None);
    assert_eq!(p.to_device_step(i32::MAX), None);
}
