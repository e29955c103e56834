//! What a Lovense command leaves running on a toy, as a function of time: a level per output
//! now, and when that changes next. Constant levels (`Function`, `Position`), stepped strengths
//! (`Pattern`, presets), a position script (PatternV2), strokes (`Thrusting` on a stroker: a
//! position output moved between two ends, see [`stroke_half_period`]), each with an optional
//! end (`timeSec`) and on/off cycle (`loopRunningSec`/`loopPauseSec`). Pure: the engine asks at
//! an instant.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::toys::{Output, OutputKey};
use crate::wire::{OutputCommand, OutputType};

/// A level for one output: a fraction of its range (negative: Rotate the other way) and, for a
/// position with duration, the time to get there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level {
    pub fraction: f64,
    pub duration_ms: u32,
}

/// How the levels move.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// Each output at its own fraction.
    Constant,
    /// Strengths 0–20 in turn, one per interval, looping; each output's fraction scales them.
    Steps {
        strengths: Arc<[u8]>,
        interval: Duration,
    },
    /// PatternV2: `(ts ms, pos 0–100)` played from script time `from_ms`.
    Script {
        actions: Arc<[(u32, u8)]>,
        from_ms: u32,
    },
    /// `Thrusting` on a stroker: each position output moves to `high`, then `low`, then `high`…
    /// (fractions of its range), one move per `half` period, each taking that long to arrive.
    /// Paused by a loop's off time (the toy holds where it is).
    Stroke { low: f64, high: f64, half: Duration },
}

/// Strokes per second for a `Thrusting` level (0–20): 0.5 Hz at 1 rising evenly to 3 Hz at 20
/// (below 1: 0.5 Hz).
pub fn strokes_per_second(thrusting: f64) -> f64 {
    0.5 + (thrusting.clamp(1.0, 20.0) - 1.0) * 2.5 / 19.0
}

/// How long one move (half a stroke) of a `Thrusting` level takes, never shorter than
/// `shortest` (the device's message gap or its shortest move duration): 1 s at 1, 167 ms at 20.
pub fn stroke_half_period(thrusting: f64, shortest: Duration) -> Duration {
    let half = Duration::from_secs_f64(0.5 / strokes_per_second(thrusting));
    Duration::from_millis(half.as_millis() as u64).max(shortest)
}

/// A command running on one toy.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Each output with its fraction (Constant) or scale (Steps: 1, or −1 reversed).
    pub outputs: Vec<(Output, f64)>,
    pub shape: Shape,
    pub started: Instant,
    pub end: Option<Instant>,
    pub cycle: Option<(Duration, Duration)>,
    /// For Constant positions: the time to reach the position.
    pub duration_ms: u32,
}

impl Program {
    /// Whether the program has ended at `now`.
    pub fn ended(&self, now: Instant) -> bool {
        self.end.is_some_and(|e| now >= e)
    }

    /// Whether this runs an intensity output or strokes with no end (what the watchdog looks
    /// for).
    pub fn open_ended(&self) -> bool {
        self.end.is_none()
            && (matches!(self.shape, Shape::Stroke { .. })
                || self
                    .outputs
                    .iter()
                    .any(|(o, f)| !o.is_position() && *f != 0.0))
    }

    /// The outputs the program covers.
    pub fn keys(&self) -> impl Iterator<Item = OutputKey> + '_ {
        self.outputs.iter().map(|(o, _)| o.key)
    }

    /// The levels at `now` and the next instant they change (`None`: never, until the end).
    pub fn at(&self, now: Instant) -> (Vec<(Output, Level)>, Option<Instant>) {
        let elapsed = now.saturating_duration_since(self.started);
        let mut next = self.end;
        let mut on = true;
        if let Some((run, pause)) = self.cycle {
            let period = run + pause;
            let phase = Duration::from_nanos((elapsed.as_nanos() % period.as_nanos()) as u64);
            on = phase < run;
            let change = now + if on { run - phase } else { period - phase };
            next = earliest(next, Some(change));
        }
        let level = |fraction: f64, duration_ms: u32| Level {
            fraction,
            duration_ms,
        };
        let levels: Vec<(Output, Level)> = match &self.shape {
            Shape::Constant => self
                .outputs
                .iter()
                .map(|(o, f)| (*o, level(*f, self.duration_ms)))
                .collect(),
            Shape::Steps {
                strengths,
                interval,
            } => {
                let k = elapsed.as_nanos() / interval.as_nanos().max(1);
                let s = f64::from(strengths[(k % strengths.len() as u128) as usize]) / 20.0;
                let change = self.started + *interval * (k as u32 + 1);
                next = earliest(next, Some(change));
                self.outputs
                    .iter()
                    .map(|(o, scale)| (*o, level(s * scale, 0)))
                    .collect()
            }
            Shape::Script { actions, from_ms } => {
                let t = u64::from(*from_ms) + elapsed.as_millis() as u64;
                match actions.iter().position(|(ts, _)| u64::from(*ts) > t) {
                    Some(i) => {
                        let (ts, pos) = actions[i];
                        let change = self.started
                            + Duration::from_millis(u64::from(ts) - u64::from(*from_ms));
                        next = earliest(next, Some(change));
                        let duration = (u64::from(ts) - t).min(u64::from(u32::MAX)) as u32;
                        self.outputs
                            .iter()
                            .map(|(o, _)| (*o, level(f64::from(pos) / 100.0, duration)))
                            .collect()
                    }
                    // Played to the end: positions stay, intensities stop.
                    None => {
                        let last = actions.last().map_or(0.0, |(_, p)| f64::from(*p) / 100.0);
                        self.outputs
                            .iter()
                            .map(|(o, _)| (*o, level(if o.is_position() { last } else { 0.0 }, 0)))
                            .collect()
                    }
                }
            }
            // Paused: no move (the toy holds), nothing to wake for but the cycle.
            Shape::Stroke { .. } if !on => Vec::new(),
            Shape::Stroke { low, high, half } => {
                let k = elapsed.as_nanos() / half.as_nanos().max(1);
                next = earliest(next, Some(self.started + *half * (k as u32 + 1)));
                let to = if k % 2 == 0 { *high } else { *low };
                let ms = half.as_millis().min(u128::from(u32::MAX)) as u32;
                self.outputs
                    .iter()
                    .map(|(o, _)| (*o, level(to, ms)))
                    .collect()
            }
        };
        let levels = if on {
            levels
        } else {
            levels
                .into_iter()
                .map(|(o, l)| {
                    let f = if o.is_position() { l.fraction } else { 0.0 };
                    (o, level(f, l.duration_ms))
                })
                .collect()
        };
        (levels, next)
    }
}

/// The earlier of two optional instants.
pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// The Buttplug command for a level of an output, in the output's advertised steps. A non-zero
/// intensity never rounds down to 0 steps.
pub fn command(output: &Output, level: Level) -> OutputCommand {
    let [lo, hi] = output.range;
    let t = output.key.output;
    match t {
        OutputType::Position | OutputType::HwPositionWithDuration => {
            let f = level.fraction.clamp(0.0, 1.0);
            let value = lo + (f * f64::from(hi - lo)).round() as i32;
            let duration = match output.duration {
                Some([dlo, dhi]) => (level.duration_ms as i64).clamp(dlo.into(), dhi.into()) as u32,
                None => level.duration_ms,
            };
            OutputCommand::new(t, value, duration)
        }
        _ => {
            let f = level.fraction.clamp(-1.0, 1.0);
            let top = if f < 0.0 && lo < 0 { -lo } else { hi };
            let mut steps = (f.abs() * f64::from(top)).round() as i32;
            if f != 0.0 && steps == 0 && top > 0 {
                steps = 1;
            }
            let value = if f < 0.0 && lo < 0 { -steps } else { steps };
            OutputCommand::new(t, value, 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(t: OutputType, range: [i32; 2]) -> Output {
        Output {
            key: OutputKey {
                device: 0,
                feature: 0,
                output: t,
            },
            range,
            duration: None,
        }
    }

    #[test]
    fn levels_scale_to_steps_and_never_round_a_nonzero_level_to_zero() {
        let l = |fraction| Level {
            fraction,
            duration_ms: 0,
        };
        let v = out(OutputType::Vibrate, [0, 20]);
        assert_eq!(command(&v, l(10.0 / 20.0)).value(), 10);
        let v3 = out(OutputType::Vibrate, [0, 3]);
        assert_eq!(command(&v3, l(1.0 / 20.0)).value(), 1);
        assert_eq!(command(&v3, l(0.0)).value(), 0);
        let r = out(OutputType::Rotate, [-20, 20]);
        assert_eq!(command(&r, l(-0.5)).value(), -10);
        let p = out(OutputType::Position, [0, 100]);
        assert_eq!(command(&p, l(0.42)).value(), 42);
    }

    #[tokio::test(start_paused = true)]
    async fn cycles_and_steps_change_at_their_times() {
        let now = Instant::now();
        let p = Program {
            outputs: vec![(out(OutputType::Vibrate, [0, 20]), 1.0)],
            shape: Shape::Steps {
                strengths: Arc::from(vec![20u8, 5]),
                interval: Duration::from_millis(300),
            },
            started: now,
            end: Some(now + Duration::from_secs(10)),
            cycle: Some((Duration::from_secs(2), Duration::from_secs(1))),
            duration_ms: 0,
        };
        let (l, next) = p.at(now + Duration::from_millis(310));
        assert_eq!(l[0].1.fraction, 0.25);
        assert_eq!(next, Some(now + Duration::from_millis(600)));
        let (l, next) = p.at(now + Duration::from_millis(2100));
        assert_eq!(l[0].1.fraction, 0.0, "paused");
        assert_eq!(next, Some(now + Duration::from_millis(2400)));
        assert!(p.ended(now + Duration::from_secs(10)));
    }

    #[test]
    fn thrusting_levels_map_to_half_strokes_from_one_second_to_a_sixth() {
        let none = Duration::ZERO;
        assert_eq!(stroke_half_period(1.0, none), Duration::from_millis(1000));
        assert_eq!(stroke_half_period(0.5, none), Duration::from_millis(1000));
        assert_eq!(stroke_half_period(20.0, none), Duration::from_millis(166));
        assert_eq!(stroke_half_period(10.0, none), Duration::from_millis(296));
        // Never shorter than the device takes.
        let gap = Duration::from_millis(200);
        assert_eq!(stroke_half_period(20.0, gap), gap);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stroke_alternates_ends_each_half_period_and_holds_while_paused() {
        let now = Instant::now();
        let half = Duration::from_millis(400);
        let p = Program {
            outputs: vec![(out(OutputType::HwPositionWithDuration, [0, 100]), 1.0)],
            shape: Shape::Stroke {
                low: 0.2,
                high: 0.9,
                half,
            },
            started: now,
            end: None,
            cycle: Some((Duration::from_secs(2), Duration::from_secs(1))),
            duration_ms: 0,
        };
        assert!(p.open_ended(), "the watchdog watches strokes");
        let (l, next) = p.at(now);
        assert_eq!((l[0].1.fraction, l[0].1.duration_ms), (0.9, 400));
        assert_eq!(next, Some(now + half));
        let (l, next) = p.at(now + Duration::from_millis(500));
        assert_eq!(l[0].1.fraction, 0.2);
        assert_eq!(next, Some(now + 2 * half));
        let (l, next) = p.at(now + Duration::from_millis(2100));
        assert!(l.is_empty(), "paused: no move");
        assert_eq!(next, Some(now + Duration::from_secs(3)));
    }
}
