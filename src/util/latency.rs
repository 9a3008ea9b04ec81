//! Per-command latency histograms for INFO latencystats: the bucketing of HdrHistogram_c as Redis configures it
//! (1 ns to 1 s, 2 significant digits), so percentiles are reported with the same resolution Redis has.

/// Values below this many units are kept exactly; above, 2 significant digits (HdrHistogram's
/// sub_bucket_count = 2^ceil(log2(2 * 10^2))).
const SUB_BUCKET_COUNT_MAGNITUDE: u32 = 8;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = SUB_BUCKET_COUNT_MAGNITUDE - 1;
const SUB_BUCKET_COUNT: i64 = 1 << SUB_BUCKET_COUNT_MAGNITUDE;
const SUB_BUCKET_HALF_COUNT: i64 = SUB_BUCKET_COUNT / 2;
const SUB_BUCKET_MASK: i64 = SUB_BUCKET_COUNT - 1;
const MIN_VALUE: i64 = 1;
const MAX_VALUE: i64 = 1_000_000_000;

/// Counts by HdrHistogram's counts index (in value order): (buckets + 1) * half a sub-bucket, 3072 slots,
/// as Redis allocates for each command that has run. Recording is one increment, on every command's path.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        let len = counts_index(MAX_VALUE) as usize + 1;
        Histogram {
            counts: vec![0; len],
            total: 0,
        }
    }
}

fn bucket_index(v: i64) -> i64 {
    let pow2ceiling = 64 - (v | SUB_BUCKET_MASK).leading_zeros() as i64;
    pow2ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE as i64 + 1)
}

fn counts_index(v: i64) -> u32 {
    let b = bucket_index(v);
    let sub = v >> b;
    (((b + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (sub - SUB_BUCKET_HALF_COUNT)) as u32
}

fn value_at_index(index: u32) -> i64 {
    let index = index as i64;
    let mut b = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
    let mut sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if b < 0 {
        sub -= SUB_BUCKET_HALF_COUNT;
        b = 0;
    }
    sub << b
}

/// The smallest value counted in the same bucket as `v` (hdr's lowest_equivalent_value).
fn lowest_equivalent(v: i64) -> i64 {
    let b = bucket_index(v);
    (v >> b) << b
}

/// The largest value counted in the same bucket as `v` (hdr's highest_equivalent_value).
fn highest_equivalent(v: i64) -> i64 {
    let b = bucket_index(v);
    let sub = v >> b;
    let adjusted = if sub >= SUB_BUCKET_COUNT { b + 1 } else { b };
    let lowest = sub << b;
    lowest + (1i64 << adjusted) - 1
}

impl Histogram {
    /// Records a duration in nanoseconds, clamped to Redis's range.
    pub fn record(&mut self, ns: i64) {
        let v = ns.clamp(MIN_VALUE, MAX_VALUE);
        if let Some(c) = self.counts.get_mut(counts_index(v) as usize) {
            *c += 1;
        }
        self.total += 1;
    }

    /// How many values were recorded (hdr's total_count).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// What LATENCY HISTOGRAM reports (fillCommandCDF): hdr's logarithmic iteration from 1024 ns by powers of
    /// two, as (highest equivalent value of the bucket reached, in µs; cumulative count), keeping only steps
    /// where the count grew.
    pub fn cdf_usec(&self) -> Vec<(i64, u64)> {
        let len = self.counts.len() as i64;
        // hdr_iter state (counts_index starts before the first slot).
        let (mut index, mut cumulative, mut value, mut highest) = (-1i64, 0u64, 0i64, 0i64);
        let mut level = 1024i64;
        let mut level_lowest = lowest_equivalent(level);
        let mut out = Vec::new();
        let mut previous = 0;
        // log_iter_next, until it returns false.
        loop {
            let has_next = cumulative < self.total;
            let beyond = index < len && value_at_index((index + 1) as u32) > level_lowest;
            if !(has_next || beyond) {
                break;
            }
            loop {
                if value >= level_lowest {
                    level *= 2;
                    level_lowest = lowest_equivalent(level);
                    break;
                }
                // move_next
                index += 1;
                if index >= len {
                    break;
                }
                cumulative += self.counts[index as usize];
                value = value_at_index(index as u32);
                highest = highest_equivalent(value);
            }
            if cumulative > previous {
                out.push((highest / 1000, cumulative));
            }
            previous = cumulative;
            // Past the last slot every count has been seen (record clamps into range): hdr would only
            // raise the level from here.
            if index >= len {
                break;
            }
        }
        out
    }

    /// hdr_value_at_percentile as Redis's bundled HdrHistogram_c computes it.
    pub fn value_at_percentile(&self, percentile: f64) -> i64 {
        let p = percentile.min(100.0);
        let want = (((p / 100.0) * self.total as f64) + 0.5) as u64;
        let want = want.max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return highest_equivalent(value_at_index(i as u32));
            }
        }
        0
    }
}

/// A percentile as Redis prints it in INFO and CONFIG GET: `%f` with trailing zeros (and a bare dot) removed.
pub fn fmt_percentile(p: f64) -> String {
    let s = format!("{p:.6}");
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_exact_large_ones_at_two_digits() {
        let mut h = Histogram::default();
        h.record(1000);
        assert_eq!(h.value_at_percentile(50.0), 1003);
        let mut h = Histogram::default();
        h.record(100);
        assert_eq!(h.value_at_percentile(99.9), 100);
        let mut h = Histogram::default();
        h.record(50_000_000);
        let v = h.value_at_percentile(50.0);
        assert!((50_000_000..50_400_000).contains(&v), "{v}");
        assert_eq!(fmt_percentile(99.9), "99.9");
        // hdr's log iteration from 1024 ns: each level reports the bucket it reached and the count so far.
        let mut h = Histogram::default();
        for ns in [500, 1500, 3000, 1_000_000] {
            h.record(ns);
        }
        assert_eq!(h.cdf_usec(), vec![(1, 1), (2, 2), (4, 3), (1056, 4)]);
        assert_eq!(Histogram::default().cdf_usec(), vec![]);
        assert_eq!(fmt_percentile(50.0), "50");
        assert_eq!(fmt_percentile(0.0), "0");
    }
}
