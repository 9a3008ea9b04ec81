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

/// analyzeLatencyForEvent's figures: samples, average and mean absolute deviation (ms), the seconds since
/// the oldest sample.
fn analyze(ts: &Series, now: i64) -> (u64, u64, u64, i64) {
    let samples: Vec<(i64, u64)> = ts.samples.iter().copied().filter(|s| s.0 != 0).collect();
    let n = samples.len() as u64;
    if n == 0 {
        return (0, 0, 0, 0);
    }
    let avg = samples.iter().map(|s| s.1).sum::<u64>() / n;
    let oldest = samples.iter().map(|s| s.0).min().unwrap_or(now);
    let period = (now - oldest).max(1);
    let mad = samples
        .iter()
        .map(|s| (avg as i64 - s.1 as i64).unsigned_abs())
        .sum::<u64>()
        / n;
    (n, avg, mad, period)
}

/// What the report's advice depends on besides the events.
pub struct DoctorContext {
    pub threshold: i64,
    pub slowlog_slower_than: i64,
    pub hz: u32,
    /// Anonymous huge pages in use by the process (THPGetAnonHugePagesSize).
    pub anon_huge_pages: u64,
    pub now_secs: i64,
}

impl LatencyMonitor {
    /// createLatencyReport (LATENCY DOCTOR), for the events this server records, in the monitor's order.
    pub fn report(&self, cx: &DoctorContext) -> String {
        if self.events.is_empty() && cx.threshold == 0 {
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
        }
        let mut r = String::new();
        let (mut slowlog_enabled, mut slowlog_tuning, mut slowlog_inspect) = (false, false, false);
        let (mut scheduler, mut hz, mut large_objects) = (false, false, false);
        let mut advices = 0;
        for (eventnum, (event, ts)) in self.events.iter().enumerate() {
            if eventnum == 0 {
                r.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
            }
            let (n, avg, mad, period) = analyze(ts, cx.now_secs);
            r.push_str(&format!(
                "{}. {event}: {n} latency spikes (average {avg}ms, mean deviation {mad}ms, period {:.2} sec). Worst all time event {}ms.",
                eventnum + 1,
                period as f64 / n.max(1) as f64,
                ts.max
            ));
            match event.to_ascii_lowercase().as_str() {
                "command" => {
                    if cx.slowlog_slower_than < 0 {
                        slowlog_enabled = true;
                        advices += 1;
                    } else if cx.slowlog_slower_than / 1000 > cx.threshold {
                        slowlog_tuning = true;
                        advices += 1;
                    }
                    slowlog_inspect = true;
                    large_objects = true;
                    advices += 2;
                }
                "fast-command" => {
                    scheduler = true;
                    advices += 1;
                }
                "expire-cycle" => {
                    hz = true;
                    large_objects = true;
                    advices += 2;
                }
                _ => {}
            }
            r.push('\n');
        }
        let disable_thp = cx.anon_huge_pages > 0;
        if disable_thp {
            advices += 1;
        }
        if self.events.is_empty() && advices == 0 {
            r.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
            return r;
        }
        if advices == 0 {
            r.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
            return r;
        }
        r.push_str("\nI have a few advices for you:\n\n");
        let us = cx.threshold.saturating_mul(1000);
        if slowlog_enabled {
            r.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {us}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"));
        }
        if slowlog_tuning {
            r.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {us}'.\n"));
        }
        if slowlog_inspect {
            r.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
        }
        if scheduler {
            r.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        }
        if hz && cx.hz < 100 {
            r.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
        }
        if large_objects {
            r.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        }
        if disable_thp {
            r.push_str("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n");
        }
        r
    }
}

/// THPGetAnonHugePagesSize: the AnonHugePages of every mapping of this process, in bytes.
pub fn anon_huge_pages() -> u64 {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    smaps
        .lines()
        .filter_map(|l| l.strip_prefix("AnonHugePages:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}
