//! The Fleshlight Launch speed formula (protocols/_helper-fleshlight-launch.md): how fast a
//! stroker must move to cover a fraction of its stroke in a given time. Used by the Kiiroo
//! stroker protocols for their speed byte and by RealTouch for its belt magnitude.

/// Speed (nominally 0–1, unbounded above) to cover `distance` (fraction of the stroke; clamped
/// to at most 1, negative → 0) in `duration` ms: `250 × ((duration × 90) / (distance × 100))^−1.05`.
/// Edge cases follow IEEE arithmetic: distance 0 → 0; duration 0 → +∞; both 0 → NaN.
pub fn speed(distance: f64, duration: u32) -> f64 {
    if distance < 0.0 {
        return 0.0;
    }
    let distance = distance.min(1.0);
    let scalar = ((f64::from(duration) * 90.0) / (distance * 100.0)).powf(-1.05);
    250.0 * scalar
}

/// The stroker speed byte for a move from `prev` to `position` (steps 0–99) over `duration` ms:
/// `speed × 99`, truncated and saturated to a byte (not clamped to 99; NaN → 0, +∞ → 255).
pub fn speed_byte(prev: i32, position: i32, duration: u32) -> u8 {
    let distance = f64::from(prev.abs_diff(position)) / 99.0;
    // `as` from float saturates and maps NaN to 0, which is the documented conversion.
    (speed(distance, duration) * 99.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_examples() {
        assert!((speed(1.0, 500) - 0.40932).abs() < 1e-5);
        assert_eq!(speed_byte(0, 99, 500), 40);
        assert_eq!(speed_byte(0, 50, 500), 19);
        assert_eq!(speed_byte(0, 99, 2000), 9);
        assert_eq!(speed_byte(99, 0, 200), 106);
        assert_eq!(speed_byte(0, 99, 100), 219);
        assert_eq!(speed_byte(10, 10, 300), 0);
        assert_eq!(speed_byte(0, 99, 0), 255);
        assert_eq!(speed_byte(10, 10, 0), 0);
        assert_eq!(speed(-0.5, 100), 0.0);
        assert_eq!(speed(2.0, 500), speed(1.0, 500));
    }
}
