//! SLOWLOG against redis-server 7.0: the same commands on both, then the logged entries compared (their
//! arguments as kept, trimmed and redacted, and client names; ids, times and durations are each server's own).
mod common;
use common::*;

use std::time::Duration;

/// SLOWLOG GET `count` as (id, argument list, client name) per entry, newest first.
fn entries(c: &mut RawConn, count: &str) -> Vec<(i64, Vec<Vec<u8>>, Vec<u8>)> {
    let Reply::Agg(_, Some(list)) = parse_reply(&c.cmd(&["SLOWLOG", "GET", count])) else {
        panic!("SLOWLOG GET is not an array");
    };
    list.into_iter()
        .map(|e| {
            let Reply::Agg(_, Some(f)) = e else {
                panic!("an entry is not an array")
            };
            assert_eq!(f.len(), 6);
            let Reply::Line(b':', id) = &f[0] else {
                panic!("id")
            };
            let Reply::Agg(_, Some(args)) = &f[3] else {
                panic!("args")
            };
            let args = args
                .iter()
                .map(|a| match a {
                    Reply::Bulk(_, Some(v)) => v.clone(),
                    other => panic!("arg {other:?}"),
                })
                .collect();
            let Reply::Bulk(_, Some(name)) = &f[5] else {
                panic!("name")
            };
            let id = std::str::from_utf8(id).unwrap().parse().unwrap();
            (id, args, name.clone())
        })
        .collect()
}

/// Runs `script` on `c` after resetting the log; returns the log's entries (ids made relative to the first).
fn logged(c: &mut RawConn, script: &[Vec<Vec<u8>>]) -> Vec<(i64, Vec<Vec<u8>>, Vec<u8>)> {
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), b"+OK\r\n");
    for cmd in script {
        c.cmd(cmd);
    }
    let mut e = entries(c, "-1");
    let base = e.last().map(|x| x.0).unwrap_or(0);
    for x in &mut e {
        x.0 -= base;
    }
    e
}

#[test]
fn entries_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let mut sadd = vec!["SADD", "set"];
    sadd.extend(many.iter().map(String::as_str));
    let long = "A".repeat(129);
    let script: Vec<Vec<Vec<u8>>> = vec![
        c(&["CLIENT", "SETNAME", "tester"]),
        c(&["SET", "k", "v"]),
        c(&sadd),
        c(&["SADD", "set", "foo", &long]),
        // EXEC is not logged, the commands it ran are.
        c(&["MULTI"]),
        c(&["INCR", "n"]),
        c(&["LPUSH", "l", "x"]),
        c(&["EXEC"]),
        c(&["AUTH", "nobody", "secret"]),
        c(&["HELLO", "3", "AUTH", "default", "pw"]),
        c(&["HELLO", "2"]),
        c(&["SPOP", "set", "100"]),
        c(&["GETSET", "k", "w"]),
        c(&["INCRBYFLOAT", "f", "1.5"]),
        c(&["SLOWLOG", "LEN"]),
    ];
    assert_eq!(logged(&mut a, &script), logged(&mut b, &script));
}

#[test]
fn length_limits_and_errors_match_redis() {
    let script: &[&[&str]] = &[
        &["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        &["CONFIG", "SET", "slowlog-max-len", "3"],
        &["SLOWLOG", "RESET"],
        &["SET", "key", "test"],
        &["SADD", "set", "a", "b", "c"],
        &["INCR", "num"],
        &["LPUSH", "list", "a"],
        &["SLOWLOG", "LEN"],
        &["SLOWLOG", "GET", "0"],
        &["SLOWLOG", "GET", "-2"],
        &["SLOWLOG", "GET", "abc"],
        &["SLOWLOG", "GET", "1", "2"],
        &["SLOWLOG", "LEN", "x"],
        &["SLOWLOG", "NOPE"],
        &["SLOWLOG", "HELP"],
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
        &["SLOWLOG", "RESET"],
        &["SET", "key", "again"],
        &["SLOWLOG", "LEN"],
        &["CONFIG", "SET", "slowlog-log-slower-than", "100000"],
        &["PING"],
        &["SLOWLOG", "LEN"],
    ];
    assert_same_as_redis(script);
}

/// A blocked BLPOP is logged once it is served (as the client sent it), not when it blocks.
#[test]
fn a_blocked_command_is_logged_when_served() {
    for port in [start_ours().port, start_redis().port] {
        let mut c = RawConn::connect(port);
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
            b"+OK\r\n"
        );
        let mut w = RawConn::connect(port);
        w.send_raw(&encode(&["BLPOP", "l", "0"]));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["LPUSH", "l", "foo"]), b":1\r\n");
        assert!(w.read_reply_timeout(Duration::from_secs(2)).is_some());
        let args: Vec<Vec<Vec<u8>>> = entries(&mut c, "-1").into_iter().map(|e| e.1).collect();
        let want = vec![
            c_args(&["BLPOP", "l", "0"]),
            c_args(&["LPUSH", "l", "foo"]),
            c_args(&["SLOWLOG", "RESET"]),
        ];
        assert_eq!(args, want, "port {port}");
    }
}

fn c_args(a: &[&str]) -> Vec<Vec<u8>> {
    a.iter().map(|s| s.as_bytes().to_vec()).collect()
}
