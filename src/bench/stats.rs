//! Small statistics for bench figures: median, p99 and max of a sample,
//! least-squares line fits used by the growth fit, and the clock that
//! times throughput.

use std::time::Duration;

use serde::Serialize;

/// CPU time the calling thread has used so far.
///
/// Throughput is timed with this clock, not the wall clock: a pass that
/// the scheduler interrupts (other rules measured on the other cores,
/// other processes on a shared machine) is not charged for the time it
/// waited, so identical runs agree on a busy machine too. Linux reads the
/// thread's run time to the nanosecond (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::try_from(t).unwrap_or(Duration::ZERO)
}

/// Median, 99th percentile and maximum of a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Dist {
    /// 50th percentile (nearest rank).
    pub median: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

impl Dist {
    /// Summarize a sample (sorted in place). An empty sample gives zeros.
    pub fn of(sample: &mut [f64]) -> Dist {
        if sample.is_empty() {
            return Dist::default();
        }
        sample.sort_by(f64::total_cmp);
        Dist { median: rank(sample, 0.50), p99: rank(sample, 0.99), max: sample[sample.len() - 1] }
    }
}

/// Nearest-rank percentile of a sorted, non-empty sample.
fn rank(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let idx = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
    sorted[idx]
}

/// A fitted line `y = a + b·x` and its residual sum of squares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// Intercept.
    pub a: f64,
    /// Slope.
    pub b: f64,
    /// Residual sum of squares.
    pub rss: f64,
}

/// Least-squares line through the points; `None` with fewer than two
/// distinct x values.
pub fn fit_line(points: &[(f64, f64)]) -> Option<Line> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx <= f64::EPSILON {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let b = sxy / sxx;
    let a = my - b * mx;
    let rss = points.iter().map(|p| (p.1 - (a + b * p.0)).powi(2)).sum();
    Some(Line { a, b, rss })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp)] // exact small integers
    fn percentiles() {
        let mut s: Vec<f64> = (1..=100).map(f64::from).collect();
        s.reverse();
        let d = Dist::of(&mut s);
        assert_eq!((d.median, d.p99, d.max), (50.0, 99.0, 100.0));
        assert_eq!(Dist::of(&mut []), Dist::default());
        assert!((Dist::of(&mut [3.0]).p99 - 3.0).abs() < f64::EPSILON);
    }

    #[test]
    fn the_thread_cpu_clock_counts_work_not_sleep() {
        let start = thread_cpu_time();
        std::thread::sleep(Duration::from_millis(30));
        let slept = thread_cpu_time().saturating_sub(start);
        assert!(slept < Duration::from_millis(10), "sleeping is not charged: {slept:?}");
        let start = thread_cpu_time();
        let mut x = 0u64;
        while thread_cpu_time().saturating_sub(start) < Duration::from_millis(5) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(x > 0);
    }

    #[test]
    fn lines() {
        let l = fit_line(&[(1.0, 3.0), (2.0, 5.0), (3.0, 7.0)]).unwrap();
        assert!((l.b - 2.0).abs() < 1e-9 && (l.a - 1.0).abs() < 1e-9 && l.rss < 1e-9);
        assert!(fit_line(&[(1.0, 1.0), (1.0, 2.0)]).is_none());
    }
}
