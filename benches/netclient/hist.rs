//! A log-bucketed latency histogram: exact below 64 ns, then 32 buckets per power of two
//! (every bucket is at most 1/32 ≈ 3% wide), so recording is a shift and an increment and a
//! percentile is read back within that precision. Enough for a p99 of loopback round trips,
//! without pulling a histogram crate into the bench build.

/// Buckets below this are one nanosecond wide.
const LINEAR: u64 = 64;
/// Buckets per power of two above [`LINEAR`].
const SUB: u64 = 32;
/// Enough buckets for any `u64`: 64 linear + 32 for each of the exponents 6..=63.
const BUCKETS: usize = (LINEAR + SUB * 58) as usize;

/// Counts of recorded values (nanoseconds) per bucket.
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram { counts: vec![0; BUCKETS], total: 0 }
    }

    /// The bucket of `v`: `v` itself below [`LINEAR`]; above, the power of two of `v` and
    /// the five bits below its top bit.
    fn index(v: u64) -> usize {
        if v < LINEAR {
            return v as usize;
        }
        let exp = 63 - u64::from(v.leading_zeros()); // >= 6
        let top = v >> (exp - 5); // in 32..64
        (LINEAR + (exp - 6) * SUB + (top - SUB)) as usize
    }

    /// The largest value that falls in bucket `i` (what a percentile reports: an upper
    /// bound, never an underestimate).
    fn upper(i: usize) -> u64 {
        let i = i as u64;
        if i < LINEAR {
            return i;
        }
        let exp = (i - LINEAR) / SUB + 6;
        let top = (i - LINEAR) % SUB + SUB;
        let end = u128::from(top + 1) << (exp - 5); // the next bucket's start; 2^64 at most
        u64::try_from(end - 1).unwrap_or(u64::MAX)
    }

    /// Records one value in nanoseconds.
    pub fn record(&mut self, ns: u64) {
        self.counts[Self::index(ns)] += 1;
        self.total += 1;
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value at or below which `q` (0..=1) of the recorded values lie, as the upper
    /// bound of its bucket; `None` when nothing was recorded.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(Self::upper(i));
            }
        }
        None
    }

    /// Checks the bucket arithmetic on a few values (run by `netclient selftest`).
    pub fn selftest() -> Result<(), String> {
        for v in [0, 1, 63, 64, 65, 127, 128, 1000, 12_345, 1 << 40, u64::MAX] {
            let i = Self::index(v);
            let (lo, hi) = (if i == 0 { 0 } else { Self::upper(i - 1) + 1 }, Self::upper(i));
            if !(lo <= v && v <= hi) || i >= BUCKETS {
                return Err(format!("histogram: {v} in bucket {i} = {lo}..={hi}"));
            }
            if v >= LINEAR && (hi - lo) as f64 > v as f64 / SUB as f64 + 1.0 {
                return Err(format!("histogram: bucket of {v} too wide: {lo}..={hi}"));
            }
        }
        let mut h = Histogram::new();
        for v in 1..=1000 {
            h.record(v * 1000);
        }
        let p99 = h.quantile(0.99).unwrap_or(0);
        if !(990_000..=990_000 + 990_000 / 32).contains(&p99) {
            return Err(format!("histogram: p99 of 1..=1000 µs read back as {p99} ns"));
        }
        Ok(())
    }
}
