//! The Fleshlight Launch speed formula (docs/protocols/_helper-fleshlight-launch.md): "move to position
//! P within D ms" → the speed byte of the Kiiroo/Launch strokers (`kiiroo-v2`, `kiiroo-v21`,
//! `kiiroo-v21-initialized`, `kiiroo-v3`).

/// Speed (nominally 0–1) for a move of `distance` (fraction of the stroke) in `duration` ms.
/// IEEE edge cases are part of the contract: distance 0 → 0, duration 0 → +∞, both 0 → NaN.
pub fn speed(distance: f64, duration: u32) -> f64 {
    if distance < 0.0 {
        return 0.0;
    }
    let distance = distance.min(1.0);
    250.0 * ((f64::from(duration) * 90.0) / (distance * 100.0)).powf(-1.05)
}

/// The speed byte for the next move, remembering the last commanded position (positions are
/// steps 0–99; the real device position is never read).
#[derive(Clone, Copy, Debug, Default)]
pub struct LaunchSpeed {
    prev: i32,
}

impl LaunchSpeed {
    /// Speed byte for a move from the previous position to `position` in `duration` ms:
    /// truncating, saturating (NaN → 0, +∞ → 255), not clamped to 99.
    pub fn next(&mut self, position: i32, duration: u32) -> u8 {
        let distance = f64::from(self.prev.abs_diff(position)) / 99.0;
        self.prev = position;
        // `as` from f64 to u8 truncates and saturates, with NaN → 0: exactly the rule.
        (speed(distance, duration) * 99.0) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn byte(prev: i32, to: i32, duration: u32) -> u8 {
        let mut s = LaunchSpeed { prev };
        s.next(to, duration)
    }

    #[test]
    fn sheet_examples() {
        assert!((speed(1.0, 500) - 0.40932).abs() < 1e-5);
        assert_eq!(byte(0, 99, 500), 40);
        assert_eq!(byte(0, 50, 500), 19);
        assert_eq!(byte(0, 99, 2000), 9);
        assert_eq!(byte(99, 0, 200), 106);
        assert_eq!(byte(0, 99, 100), 219);
        assert_eq!(byte(10, 10, 300), 0);
        assert_eq!(byte(0, 99, 0), 255);
        assert_eq!(byte(10, 10, 0), 0);
        assert_eq!(speed(-0.5, 100), 0.0);
    }

    #[test]
    fn remembers_the_previous_position() {
        let mut s = LaunchSpeed::default();
        assert_eq!(s.next(99, 500), 40);
        assert_eq!(s.next(0, 1000), 19);
        assert_eq!(s.next(50, 200), 51);
    }
}
