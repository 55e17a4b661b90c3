//! The latency histogram.

use std::time::Duration;

/// A log-linear histogram of nanoseconds: exact below 128 ns, then 64
/// buckets per power of two (under 1.6% error), fixed size whatever the
/// run length.
pub(crate) struct Histogram {
    pub(crate) counts: Vec<u64>,
    pub(crate) total: u64,
    pub(crate) max: u64,
}

pub(crate) const SUB_BUCKETS: u64 = 64;
pub(crate) const BUCKETS: usize = 64 * 64;

impl Histogram {
    pub(crate) fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }

    pub(crate) fn index(value: u64) -> usize {
        if value < 2 * SUB_BUCKETS {
            return value as usize;
        }
        let msb = 63 - u64::from(value.leading_zeros());
        let shift = msb - 6;
        (shift * SUB_BUCKETS + (value >> shift)) as usize
    }

    /// The largest value that falls in bucket `index`.
    pub(crate) fn upper(index: usize) -> u64 {
        let index = index as u64;
        if index < 2 * SUB_BUCKETS {
            return index;
        }
        let shift = index / SUB_BUCKETS - 1;
        let sub = index % SUB_BUCKETS + SUB_BUCKETS;
        ((sub + 1) << shift) - 1
    }

    pub(crate) fn record(&mut self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        if let Some(count) = self.counts.get_mut(Self::index(nanos)) {
            *count += 1;
        }
        self.total += 1;
        self.max = self.max.max(nanos);
    }

    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// The value below which `q` (0..=1) of the samples fall, in ns.
    pub(crate) fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Self::upper(index).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_round_trip() {
        for value in [0, 1, 127, 128, 129, 1000, 65_535, 1 << 40, u64::MAX / 2] {
            let index = Histogram::index(value);
            assert!(Histogram::upper(index) >= value, "{value}");
            if index > 0 {
                assert!(Histogram::upper(index - 1) < value, "{value}");
            }
        }
    }
}
