//! Latency summaries (percentiles of a sample) and small formatting helpers.

use std::fmt;
use std::time::Duration;

/// Percentiles of a latency sample.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub n: usize,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Summary {
    /// Summarise `sample` (any order). An empty sample gives zeros.
    pub fn of(mut sample: Vec<Duration>) -> Summary {
        sample.sort_unstable();
        let at = |q: f64| -> Duration {
            if sample.is_empty() {
                return Duration::ZERO;
            }
            let i = ((sample.len() as f64 - 1.0) * q).round() as usize;
            sample[i.min(sample.len() - 1)]
        };
        Summary {
            n: sample.len(),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: sample.last().copied().unwrap_or_default(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}  (n={})",
            us(self.p50),
            us(self.p90),
            us(self.p99),
            us(self.max),
            self.n
        )
    }
}

/// A duration in microseconds (or milliseconds when large), for tables.
pub fn us(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros >= 10_000.0 {
        format!("{:.2} ms", micros / 1000.0)
    } else {
        format!("{micros:.1} µs")
    }
}

/// A byte count in KiB/MiB.
pub fn bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// Commands per second.
pub fn rate(count: usize, elapsed: Duration) -> String {
    format!("{:.0}/s", count as f64 / elapsed.as_secs_f64())
}
