//! MONITOR against redis-server 7.0: which commands are shown and in which order (MULTI/EXEC, errors, admin
//! commands hidden), argument quoting, redacted passwords, the database shown, RESET leaving monitor mode.
mod common;

use std::time::Duration;

use common::{start_ours, start_redis, RawConn};

/// Runs `script` on a second connection while a MONITOR client listens; returns the monitor lines with the
/// timestamp and client address (which differ between servers) cut out: `[db] "cmd" "args"...`.
fn monitor_lines(port: u16, script: &[&[&[u8]]]) -> Vec<String> {
    let mut mon = RawConn::connect(port);
    assert_eq!(mon.cmd(&["MONITOR"]), b"+OK\r\n");
    // A second MONITOR is ignored without a reply; the PING after it is answered and shown.
    mon.send_raw(&common::encode(&["MONITOR"]));
    assert_eq!(mon.cmd(&["PING"]), b"+PONG\r\n");
    let mut r = RawConn::connect(port);
    for cmd in script {
        r.cmd(cmd);
    }
    r.cmd(&["ECHO", "end"]);
    let mut lines = Vec::new();
    loop {
        let l = mon
            .read_reply_timeout(Duration::from_secs(5))
            .expect("monitor line");
        let s = String::from_utf8_lossy(&l).to_string();
        assert!(s.starts_with('+'), "{s}");
        // "+1700000000.123456 [0 127.0.0.1:5555] ..." -> "[0] ..."
        let (stamp, rest) = s[1..].split_once(' ').expect("timestamp");
        assert!(
            stamp.contains('.') && stamp.len() == stamp.find('.').unwrap() + 7,
            "{s}"
        );
        let (db, rest) = rest[1..].split_once(' ').expect("db");
        let (_addr, rest) = rest.split_once("] ").expect("addr");
        let line = format!("[{db}] {rest}");
        let done = line.contains("\"ECHO\" \"end\"");
        lines.push(line);
        if done {
            return lines;
        }
    }
}

#[test]
fn monitor_shows_what_redis_shows() {
    let script: &[&[&[u8]]] = &[
        &[b"SET", b"foo", b"bar"],
        &[b"GET", b"foo"],
        &[b"SET", b"bin", b"a\"b\\c\r\n\t\x07\x08\x00\xff z"],
        &[b"MULTI"],
        &[b"SET", b"foo", b"baz"],
        &[b"INCR", b"foo"],
        &[b"EXEC"],
        &[b"MULTI"],
        &[b"NOSUCHCOMMAND"],
        &[b"EXEC"],
        &[b"GET"],
        &[b"CONFIG", b"GET", b"maxmemory"],
        &[b"DEBUG", b"SLEEP", b"0"],
        &[b"AUTH", b"not-real"],
        &[b"AUTH", b"not-real", b"not-a-password"],
        &[b"HELLO", b"2", b"AUTH", b"not-real", b"not-a-password"],
        &[b"HELLO", b"4", b"AUTH", b"not-real", b"not-a-password"],
        &[b"HELLO", b"2", b"SETNAME", b"x", b"AUTH", b"u", b"p"],
        &[b"SELECT", b"3"],
        &[b"SET", b"in3", b"1"],
        &[b"SELECT", b"0"],
        &[b"CLIENT", b"SETNAME", b"me"],
        &[b"SUBSCRIBE", b"ch"],
        &[b"UNSUBSCRIBE"],
    ];
    let ours = start_ours();
    let redis = start_redis();
    assert_eq!(
        monitor_lines(ours.port, script),
        monitor_lines(redis.port, script)
    );
}

#[test]
fn monitor_mode_ends_with_reset_and_shows_in_client_list() {
    let s = start_ours();
    let mut mon = RawConn::connect(s.port);
    mon.cmd(&["MONITOR"]);
    let mut r = RawConn::connect(s.port);
    let list = String::from_utf8_lossy(&r.cmd(&["CLIENT", "LIST"])).to_string();
    assert!(list.contains("flags=O "), "{list}");
    // Inside EXEC, MONITOR is refused.
    r.cmd(&["MULTI"]);
    r.cmd(&["MONITOR"]);
    assert_eq!(
        r.cmd(&["EXEC"]),
        b"*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"
    );
    // CLIENT LIST and MONITOR are admin commands, not shown: MULTI, then EXEC.
    let line = mon.read_reply_timeout(Duration::from_secs(5)).unwrap();
    assert!(String::from_utf8_lossy(&line).contains("\"MULTI\""));
    assert!(String::from_utf8_lossy(&mon.read_reply()).contains("\"EXEC\""));
    assert_eq!(mon.cmd(&["RESET"]), b"+RESET\r\n");
    r.cmd(&["SET", "after", "reset"]);
    assert_eq!(mon.read_reply_timeout(Duration::from_millis(300)), None);
}
