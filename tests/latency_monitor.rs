//! The latency monitor (LATENCY LATEST/HISTORY/RESET/HELP) against redis-server 7.0: the same slow commands
//! on both, then the events compared (names, how many samples, latencies within a tolerance; times are each
//! server's own clock).
mod common;
use common::*;

/// LATENCY LATEST as (event, latest ms, max ms), sorted by event (the order is Redis's dict order).
fn latest(c: &mut RawConn) -> Vec<(String, i64, i64)> {
    let Reply::Agg(_, Some(list)) = parse_reply(&c.cmd(&["LATENCY", "LATEST"])) else {
        panic!("LATENCY LATEST is not an array");
    };
    let int = |r: &Reply| match r {
        Reply::Line(b':', v) => std::str::from_utf8(v).unwrap().parse::<i64>().unwrap(),
        other => panic!("not an integer: {other:?}"),
    };
    let mut out: Vec<(String, i64, i64)> = list
        .iter()
        .map(|e| {
            let Reply::Agg(_, Some(f)) = e else {
                panic!("an event is not an array")
            };
            let Reply::Bulk(_, Some(name)) = &f[0] else {
                panic!("name")
            };
            assert!(int(&f[1]) > 1_700_000_000, "a Unix time");
            (
                String::from_utf8_lossy(name).into_owned(),
                int(&f[2]),
                int(&f[3]),
            )
        })
        .collect();
    out.sort();
    out
}

fn history_len(c: &mut RawConn, event: &str) -> usize {
    match parse_reply(&c.cmd(&["LATENCY", "HISTORY", event])) {
        Reply::Agg(_, Some(v)) => v.len(),
        other => panic!("LATENCY HISTORY answered {other:?}"),
    }
}

/// Runs `f` on a fresh server of ours and on a fresh redis-server; returns (ours, redis).
fn on_both<T>(f: impl Fn(&mut RawConn) -> T) -> (T, T) {
    let (ours, redis) = (start_ours(), start_redis());
    (
        f(&mut RawConn::connect(ours.port)),
        f(&mut RawConn::connect(redis.port)),
    )
}

#[test]
fn events_match_redis() {
    let (ours, redis) = on_both(|c| {
        assert_eq!(text(c.cmd(&["LATENCY", "LATEST"])), "*0\r\n");
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "100"]),
            b"+OK\r\n"
        );
        c.cmd(&["DEBUG", "SLEEP", "0"]);
        c.cmd(&["DEBUG", "SLEEP", "0.25"]);
        let events = latest(c);
        assert_eq!(events.len(), 1, "{events:?}");
        let (name, last, max) = &events[0];
        assert!((240..400).contains(last) && last == max, "{events:?}");
        (
            name.clone(),
            history_len(c, "command"),
            history_len(c, "COMMAND"),
            history_len(c, "blabla"),
            text(c.cmd(&["LATENCY", "RESET", "blabla"])),
            text(c.cmd(&["LATENCY", "RESET", "COMMAND", "command"])),
            text(c.cmd(&["LATENCY", "LATEST"])),
            text(c.cmd(&["LATENCY", "RESET"])),
        )
    });
    assert_eq!(ours, redis);
}

#[test]
fn help_and_errors_match_redis() {
    assert_same_as_redis(&[
        &["LATENCY", "HELP"],
        &["LATENCY", "HELP", "xxx"],
        &["LATENCY", "HISTORY"],
        &["LATENCY", "HISTORY", "a", "b"],
        &["LATENCY", "LATEST", "x"],
        &["LATENCY", "RESET"],
        &["LATENCY", "NOPE"],
        &["LATENCY"],
    ]);
}

/// LATENCY DOCTOR's report, numbers masked (each server measures its own sleep).
fn doctor(c: &mut RawConn) -> String {
    let Reply::Bulk(_, Some(text)) = parse_reply(&c.cmd(&["LATENCY", "DOCTOR"])) else {
        panic!("LATENCY DOCTOR is not a string");
    };
    let text = String::from_utf8(text).unwrap();
    let mut out = String::new();
    let mut in_number = false;
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(ch);
        }
    }
    out
}

#[test]
fn doctor_reports_as_redis() {
    let (ours, redis) = on_both(|c| {
        let off = doctor(c);
        c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "100"]);
        let quiet = doctor(c);
        c.cmd(&["DEBUG", "SLEEP", "0.15"]);
        let spiked = doctor(c);
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
        let no_slowlog = doctor(c);
        (off, quiet, spiked, no_slowlog)
    });
    assert_eq!(ours, redis);
}
