//! The latency monitor (latency.c): per event ("command", "fast-command", "expire-cycle"), the samples of at
//! least `latency-monitor-threshold` ms, one per second (the largest), the last 160, and the largest ever.
use std::collections::HashMap;

/// LATENCY_TS_LEN.
const TS_LEN: usize = 160;

/// One event's time series (latencyTimeSeries): a ring of (Unix seconds, ms) samples.
pub struct Series {
    idx: usize,
    pub max: u64,
    samples: [(i64, u64); TS_LEN],
}

impl Series {
    /// The samples, oldest first.
    pub fn samples(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        (0..TS_LEN)
            .map(move |j| self.samples[(self.idx + j) % TS_LEN])
            .filter(|s| s.0 != 0)
    }

    /// The newest sample.
    pub fn latest(&self) -> (i64, u64) {
        self.samples[(self.idx + TS_LEN - 1) % TS_LEN]
    }
}

#[derive(Default)]
pub struct LatencyMonitor {
    pub events: HashMap<String, Box<Series>>,
}

impl LatencyMonitor {
    /// latencyAddSampleIfNeeded: `ms` is kept when the monitor is on (`threshold` > 0) and it reaches it.
    pub fn add_if_needed(&mut self, threshold: i64, event: &str, ms: u64, now_secs: i64) {
        if threshold > 0 && ms as i128 >= threshold as i128 {
            self.add(event, ms, now_secs);
        }
    }

    /// latencyAddSample: a sample in the same second as the previous one only raises it.
    fn add(&mut self, event: &str, ms: u64, now: i64) {
        let ts = self.events.entry(event.to_string()).or_insert_with(|| {
            Box::new(Series {
                idx: 0,
                max: 0,
                samples: [(0, 0); TS_LEN],
            })
        });
        ts.max = ts.max.max(ms);
        let prev = (ts.idx + TS_LEN - 1) % TS_LEN;
        if ts.samples[prev].0 == now {
            ts.samples[prev].1 = ts.samples[prev].1.max(ms);
            return;
        }
        ts.samples[ts.idx] = (now, ms);
        ts.idx = (ts.idx + 1) % TS_LEN;
    }

    /// latencyResetEvent: the events named `event` (any case), or all; how many went.
    pub fn reset(&mut self, event: Option<&[u8]>) -> usize {
        let before = self.events.len();
        match event {
            None => self.events.clear(),
            Some(e) => {
                let e = crate::util::num::c_string(e);
                self.events
                    .retain(|k, _| !k.as_bytes().eq_ignore_ascii_case(e));
            }
        }
        before - self.events.len()
    }
}
