//! Pub/sub and transactions on real sockets: channels and patterns in RESP2 and RESP3, subscribed-mode rules,
//! slow subscribers cut off, keyspace notifications, MULTI/EXEC/WATCH semantics and isolation.
mod common;
use common::*;
use std::time::Duration;

fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

#[test]
fn publish_reaches_channel_and_pattern_subscribers() {
    let s = start_ours();
    let mut sub = RawConn::connect(s.port);
    let mut psub = RawConn::connect(s.port);
    let mut resp3 = RawConn::connect(s.port);
    let mut publ = RawConn::connect(s.port);
    assert_eq!(
        sub.cmd(&["SUBSCRIBE", "news", "sports"]),
        format!("*3\r\n{}{}:1\r\n", bulk("subscribe"), bulk("news")).into_bytes()
    );
    assert_eq!(
        sub.read_reply(),
        format!("*3\r\n{}{}:2\r\n", bulk("subscribe"), bulk("sports")).into_bytes()
    );
    psub.cmd(&["PSUBSCRIBE", "n*"]);
    resp3.cmd(&["HELLO", "3"]);
    assert_eq!(
        resp3.cmd(&["SUBSCRIBE", "news"]),
        format!(">3\r\n{}{}:1\r\n", bulk("subscribe"), bulk("news")).into_bytes()
    );
    assert_eq!(publ.cmd(&["PUBLISH", "news", "hello"]), b":3\r\n");
    assert_eq!(
        sub.read_reply(),
        format!("*3\r\n{}{}{}", bulk("message"), bulk("news"), bulk("hello")).into_bytes()
    );
    assert_eq!(
        psub.read_reply(),
        format!(
            "*4\r\n{}{}{}{}",
            bulk("pmessage"),
            bulk("n*"),
            bulk("news"),
            bulk("hello")
        )
        .into_bytes()
    );
    assert_eq!(
        resp3.read_reply(),
        format!(">3\r\n{}{}{}", bulk("message"), bulk("news"), bulk("hello")).into_bytes()
    );
    // RESP3 subscribers may run any command.
    assert_eq!(resp3.cmd(&["SET", "k", "v"]), b"+OK\r\n");
    // RESP2 subscribers may not.
    assert_eq!(
        sub.cmd(&["GET", "k"]),
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(
        sub.cmd(&["PING"]),
        format!("*2\r\n{}{}", bulk("pong"), bulk("")).into_bytes()
    );
    assert_eq!(
        publ.cmd(&["PUBSUB", "NUMSUB", "news", "none"]),
        format!("*4\r\n{}:2\r\n{}:0\r\n", bulk("news"), bulk("none")).into_bytes()
    );
    assert_eq!(publ.cmd(&["PUBSUB", "NUMPAT"]), b":1\r\n");
    // Unsubscribe from all: one confirmation per channel, counts going down.
    sub.send_raw(&encode(&["UNSUBSCRIBE"]));
    let a = sub.read_reply();
    let b = sub.read_reply();
    let both = String::from_utf8_lossy(&a).to_string() + &String::from_utf8_lossy(&b);
    assert!(both.contains(":1\r\n") && both.contains(":0\r\n"));
    assert_eq!(
        sub.cmd(&["UNSUBSCRIBE"]),
        format!("*3\r\n{}$-1\r\n:0\r\n", bulk("unsubscribe")).into_bytes()
    );
    assert_eq!(sub.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    // A disconnected subscriber is forgotten.
    drop(psub);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(publ.cmd(&["PUBSUB", "NUMPAT"]), b":0\r\n");
}

#[test]
fn pubsub_replies_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    for port in [ours.port, redis.port] {
        let _ = port;
    }
    let script: Vec<Vec<Vec<u8>>> = vec![
        c(&["SUBSCRIBE", "a", "b", "a"]),
        c(&["PSUBSCRIBE", "h[ae]llo", "x*"]),
        c(&["PING", "x"]),
        c(&["PUNSUBSCRIBE", "x*", "nope"]),
        c(&["UNSUBSCRIBE", "b"]),
        c(&["QUIT"]),
    ];
    let mut outs = Vec::new();
    for port in [ours.port, redis.port] {
        let mut conn = RawConn::connect(port);
        let mut out = Vec::new();
        for cmd in &script {
            conn.send_raw(&encode(cmd));
            // Multi-channel commands send one reply per argument.
            let replies =
                if cmd[0].eq_ignore_ascii_case(b"ping") || cmd[0].eq_ignore_ascii_case(b"quit") {
                    1
                } else {
                    cmd.len() - 1
                };
            for _ in 0..replies {
                out.push(conn.read_reply());
            }
        }
        outs.push(out);
    }
    assert_eq!(outs[0], outs[1]);
}

#[test]
fn slow_subscriber_is_disconnected_and_memory_stays_bounded() {
    let s = start_ours_with(&[("client-output-buffer-limit", "pubsub 1mb 256kb 1")]);
    let slow = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    // Subscribe, then never read.
    let mut w = slow.try_clone().unwrap();
    std::io::Write::write_all(&mut w, &encode(&["SUBSCRIBE", "flood"])).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let mut publ = RawConn::connect(s.port);
    let payload = "x".repeat(64 * 1024);
    let mut delivered_to_zero = false;
    for _ in 0..2000 {
        let r = publ.cmd(&["PUBLISH", "flood", &payload]);
        if r == b":0\r\n" {
            delivered_to_zero = true;
            break;
        }
    }
    assert!(delivered_to_zero, "the slow subscriber was never cut off");
    assert_eq!(
        publ.cmd(&["PUBSUB", "NUMSUB", "flood"]),
        format!("*2\r\n{}:0\r\n", bulk("flood")).into_bytes()
    );
}

#[test]
fn keyspace_notifications() {
    let s = start_ours();
    let mut cfg = RawConn::connect(s.port);
    assert_eq!(
        cfg.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        b"+OK\r\n"
    );
    let mut sub = RawConn::connect(s.port);
    sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
    cfg.cmd(&["SET", "k", "v"]);
    let a = String::from_utf8(sub.read_reply()).unwrap();
    let b = String::from_utf8(sub.read_reply()).unwrap();
    assert!(
        a.contains("__keyspace@0__:k") && a.ends_with(&bulk("set")),
        "{a}"
    );
    assert!(
        b.contains("__keyevent@0__:set") && b.ends_with(&bulk("k")),
        "{b}"
    );
    // Expired events from the active cycle.
    cfg.cmd(&["SET", "e", "v", "PX", "50"]);
    for _ in 0..4 {
        sub.read_reply(); // set + expire events
    }
    let expired = String::from_utf8(sub.read_reply()).unwrap();
    assert!(
        expired.contains("__keyspace@0__:e") && expired.ends_with(&bulk("expired")),
        "{expired}"
    );
}

#[test]
fn multi_exec_queues_and_reports_errors_like_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let seq = vec![
        c(&["EXEC"]),
        c(&["DISCARD"]),
        c(&["MULTI"]),
        c(&["MULTI"]),
        c(&["SET", "a", "1"]),
        c(&["INCR", "a"]),
        c(&["INCRBY", "a", "x"]),
        c(&["GET", "a"]),
        c(&["EXEC"]),
        c(&["MULTI"]),
        c(&["SET", "a", "1"]),
        c(&["NOSUCH"]),
        c(&["GET"]),
        c(&["EXEC"]),
        c(&["GET", "a"]),
        c(&["MULTI"]),
        c(&["WATCH", "a"]),
        c(&["DISCARD"]),
        c(&["WATCH", "a"]),
        c(&["SET", "a", "2"]),
        c(&["MULTI"]),
        c(&["GET", "a"]),
        c(&["EXEC"]),
        c(&["WATCH", "a"]),
        c(&["MULTI"]),
        c(&["PING"]),
        c(&["EXEC"]),
        c(&["MULTI"]),
        c(&["EXEC"]),
    ];
    let diffs = diff_sequence(&mut a, &mut b, &seq, |_| false);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn watch_aborts_on_change_by_another_client() {
    let s = start_ours();
    let mut a = RawConn::connect(s.port);
    let mut b = RawConn::connect(s.port);
    a.cmd(&["SET", "balance", "100"]);
    a.cmd(&["WATCH", "balance"]);
    b.cmd(&["INCRBY", "balance", "5"]);
    a.cmd(&["MULTI"]);
    a.cmd(&["INCRBY", "balance", "-10"]);
    assert_eq!(a.cmd(&["EXEC"]), b"*-1\r\n");
    // A write to the same name in another database does not count.
    a.cmd(&["WATCH", "balance"]);
    b.cmd(&["SELECT", "1"]);
    b.cmd(&["SET", "balance", "0"]);
    a.cmd(&["MULTI"]);
    a.cmd(&["INCRBY", "balance", "-10"]);
    assert_eq!(a.cmd(&["EXEC"]), b"*1\r\n:95\r\n");
    // Deletion, FLUSHDB and expiry count.
    for breaker in [
        vec!["DEL", "balance"],
        vec!["FLUSHDB"],
        vec!["PEXPIRE", "balance", "1"],
    ] {
        b.cmd(&["SELECT", "0"]);
        a.cmd(&["SET", "balance", "1"]);
        a.cmd(&["WATCH", "balance"]);
        b.cmd(&breaker);
        std::thread::sleep(Duration::from_millis(5));
        a.cmd(&["MULTI"]);
        a.cmd(&["GET", "balance"]);
        assert_eq!(a.cmd(&["EXEC"]), b"*-1\r\n", "{breaker:?}");
    }
    // Two clients racing on WATCH/INCR: every successful EXEC is counted exactly once.
    let port = s.port;
    let workers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = RawConn::connect(port);
                let mut ok = 0;
                for _ in 0..100 {
                    c.cmd(&["WATCH", "ctr"]);
                    let cur = c.cmd(&["GET", "ctr"]);
                    let n: i64 = String::from_utf8_lossy(&cur)
                        .lines()
                        .nth(1)
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(0);
                    c.cmd(&["MULTI"]);
                    c.cmd(&["SET", "ctr", &(n + 1).to_string()]);
                    if c.cmd(&["EXEC"]) != b"*-1\r\n" {
                        ok += 1;
                    }
                }
                ok
            })
        })
        .collect();
    let total: i64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let v = a.cmd(&["GET", "ctr"]);
    assert_eq!(v, bulk(&total.to_string()).into_bytes());
}

#[test]
fn exec_is_isolated_from_concurrent_writers() {
    let s = start_ours();
    let port = s.port;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut c = RawConn::connect(port);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    c.cmd(&["INCR", "x"]);
                }
            })
        })
        .collect();
    let mut a = RawConn::connect(port);
    for _ in 0..200 {
        a.cmd(&["MULTI"]);
        a.cmd(&["GET", "x"]);
        a.cmd(&["GET", "x"]);
        a.cmd(&["GET", "x"]);
        let r = parse_reply(&a.cmd(&["EXEC"]));
        match r {
            Reply::Agg(_, Some(v)) => assert!(v.windows(2).all(|w| w[0] == w[1]), "{v:?}"),
            other => panic!("{other:?}"),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
}

/// The same commands on both servers with `notify-keyspace-events KEA`: the notification streams received by a
/// pattern subscriber must be identical.
#[test]
fn keyspace_events_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let script = vec![
        c(&["SET", "a", "1"]),
        c(&["SET", "a", "2", "EX", "100"]),
        c(&["SETEX", "b", "100", "x"]),
        c(&["INCR", "a"]),
        c(&["DECRBY", "a", "3"]),
        c(&["INCRBYFLOAT", "a", "1"]),
        c(&["APPEND", "s", "x"]),
        c(&["SETRANGE", "s", "3", "y"]),
        c(&["MSET", "m1", "1", "m2", "2"]),
        c(&["GETSET", "m1", "z"]),
        c(&["GETDEL", "m1"]),
        c(&["GETEX", "m2", "EX", "50"]),
        c(&["GETEX", "m2", "PERSIST"]),
        c(&["EXPIRE", "m2", "100"]),
        c(&["PERSIST", "m2"]),
        c(&["EXPIRE", "m2", "-1"]),
        c(&["RENAME", "s", "s2"]),
        c(&["COPY", "s2", "s3"]),
        c(&["MOVE", "s3", "1"]),
        c(&["DEL", "s2", "nokey"]),
        c(&["UNLINK", "b"]),
        c(&["SETNX", "n", "1"]),
        c(&["PSETEX", "p", "100000", "1"]),
        c(&["SET", "z", "1", "KEEPTTL"]),
        c(&["SET", "done", "1"]),
    ];
    assert_eq!(
        keyspace_event_stream(ours.port, &script),
        keyspace_event_stream(redis.port, &script)
    );
}
