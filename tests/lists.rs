//! List commands through a real client: pushes, pops, ranges, edits, moves, and blocking pops woken by other
//! connections, by timeouts, in FIFO order.
mod common;
use common::*;

use std::time::{Duration, Instant};

use redis::Commands;

/// Waits until the server reports `n` blocked clients (so a test's blocking order is the order it means).
fn wait_blocked(port: u16, n: usize) {
    let mut c = RawConn::connect(port);
    let t0 = Instant::now();
    let want = format!("blocked_clients:{n}\r\n");
    while t0.elapsed() < Duration::from_secs(5) {
        let info = c.cmd(&["INFO", "clients"]);
        if String::from_utf8_lossy(&info).contains(&want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("never saw {n} blocked clients");
}

#[test]
fn push_pop_and_ranges() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let n: i64 = c.rpush("l", &["a", "b", "c"]).unwrap();
    assert_eq!(n, 3);
    let n: i64 = c.lpush("l", "z").unwrap();
    assert_eq!(n, 4);
    let all: Vec<String> = c.lrange("l", 0, -1).unwrap();
    assert_eq!(all, ["z", "a", "b", "c"]);
    let tail: Vec<String> = c.lrange("l", -2, 100).unwrap();
    assert_eq!(tail, ["b", "c"]);
    let first: Option<String> = c.lpop("l", None).unwrap();
    assert_eq!(first.as_deref(), Some("z"));
    let two: Vec<String> = c.rpop("l", std::num::NonZeroUsize::new(2)).unwrap();
    assert_eq!(two, ["c", "b"]);
    let last: Option<String> = c.rpop("l", None).unwrap();
    assert_eq!(last.as_deref(), Some("a"));
    // The emptied list is gone.
    let exists: bool = c.exists("l").unwrap();
    assert!(!exists);
    let none: Option<String> = c.lpop("l", None).unwrap();
    assert_eq!(none, None);
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("l")
        .query(&mut c)
        .unwrap_or_default();
    assert_eq!(enc, "");
    let _: i64 = c.rpush("l", 1).unwrap();
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("l")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "quicklist");
}

#[test]
fn index_set_insert_remove_trim_pos() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let _: i64 = c.rpush("l", &["a", "b", "a", "c", "a"]).unwrap();
    let v: Option<String> = c.lindex("l", -1).unwrap();
    assert_eq!(v.as_deref(), Some("a"));
    let v: Option<String> = c.lindex("l", 10).unwrap();
    assert_eq!(v, None);
    let _: () = c.lset("l", 1, "B").unwrap();
    let e: redis::RedisResult<()> = c.lset("l", 9, "x");
    assert!(e.unwrap_err().to_string().contains("index out of range"));
    let n: i64 = c.linsert_before("l", "c", "X").unwrap();
    assert_eq!(n, 6);
    let n: i64 = c.linsert_after("l", "nope", "X").unwrap();
    assert_eq!(n, -1);
    let pos: Vec<i64> = redis::cmd("LPOS")
        .arg("l")
        .arg("a")
        .arg("COUNT")
        .arg(0)
        .query(&mut c)
        .unwrap();
    assert_eq!(pos, [0, 2, 5]);
    let pos: Option<i64> = redis::cmd("LPOS")
        .arg("l")
        .arg("a")
        .arg("RANK")
        .arg(-2)
        .query(&mut c)
        .unwrap();
    assert_eq!(pos, Some(2));
    let removed: i64 = c.lrem("l", -2, "a").unwrap();
    assert_eq!(removed, 2);
    let all: Vec<String> = c.lrange("l", 0, -1).unwrap();
    assert_eq!(all, ["a", "B", "X", "c"]);
    let _: () = c.ltrim("l", 1, 2).unwrap();
    let all: Vec<String> = c.lrange("l", 0, -1).unwrap();
    assert_eq!(all, ["B", "X"]);
    let len: i64 = c.llen("l").unwrap();
    assert_eq!(len, 2);
    let _: () = c.set("s", "x").unwrap();
    let e: redis::RedisResult<i64> = c.lpush("s", "a");
    assert!(e.unwrap_err().to_string().contains("WRONGTYPE"));
}

#[test]
fn moves_and_multi_pops() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let _: i64 = c.rpush("src", &["1", "2", "3"]).unwrap();
    let v: String = c
        .lmove(
            "src",
            "dst",
            redis::Direction::Left,
            redis::Direction::Right,
        )
        .unwrap();
    assert_eq!(v, "1");
    let v: String = c.rpoplpush("src", "dst").unwrap();
    assert_eq!(v, "3");
    let dst: Vec<String> = c.lrange("dst", 0, -1).unwrap();
    assert_eq!(dst, ["3", "1"]);
    // Rotation of a list onto itself.
    let v: String = c.rpoplpush("dst", "dst").unwrap();
    assert_eq!(v, "1");
    let dst: Vec<String> = c.lrange("dst", 0, -1).unwrap();
    assert_eq!(dst, ["1", "3"]);
    let r: (String, Vec<String>) = redis::cmd("LMPOP")
        .arg(2)
        .arg("missing")
        .arg("dst")
        .arg("RIGHT")
        .arg("COUNT")
        .arg(5)
        .query(&mut c)
        .unwrap();
    assert_eq!(
        r,
        ("dst".to_string(), vec!["3".to_string(), "1".to_string()])
    );
    let r: Option<(String, Vec<String>)> = redis::cmd("LMPOP")
        .arg(1)
        .arg("dst")
        .arg("LEFT")
        .query(&mut c)
        .unwrap();
    assert_eq!(r, None);
}

#[test]
fn blpop_is_woken_by_a_push_from_another_connection() {
    let srv = start_ours();
    let port = srv.port;
    let waiter = std::thread::spawn(move || {
        let mut c = conn(port);
        let r: Option<(String, String)> = c.blpop("q", 0.0).unwrap();
        r
    });
    wait_blocked(port, 1);
    let mut c = conn(port);
    let _: i64 = c.rpush("q", "job").unwrap();
    assert_eq!(
        waiter.join().unwrap(),
        Some(("q".to_string(), "job".to_string()))
    );
    let exists: bool = c.exists("q").unwrap();
    assert!(
        !exists,
        "the served element was popped and the list deleted"
    );
}

#[test]
fn blocking_pop_times_out_with_a_decimal_timeout() {
    let srv = start_ours();
    let mut c = RawConn::connect(srv.port);
    let t0 = Instant::now();
    assert_eq!(c.cmd(&["BRPOP", "none", "0.2"]), b"*-1\r\n");
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(190) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_eq!(
        c.cmd(&["BLPOP", "none", "-1"]),
        b"-ERR timeout is negative\r\n"
    );
    assert_eq!(
        c.cmd(&["BLPOP", "none", "abc"]),
        b"-ERR timeout is not a float or out of range\r\n"
    );
    // The connection is usable after a timeout.
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    // The same through a client library: a timed-out pop is nil.
    let mut rc = conn(srv.port);
    let t0 = Instant::now();
    let r: Option<(String, String)> = rc.brpop("none", 0.15).unwrap();
    assert_eq!(r, None);
    assert!(t0.elapsed() >= Duration::from_millis(140));
}

#[test]
fn three_blocked_clients_are_served_in_order() {
    let srv = start_ours();
    let mut waiters = Vec::new();
    for i in 0..3 {
        let mut w = RawConn::connect(srv.port);
        w.send_raw(&encode(&["BLPOP", "q", "0"]));
        wait_blocked(srv.port, i + 1);
        waiters.push(w);
    }
    let mut c = RawConn::connect(srv.port);
    // Two elements wake exactly two waiters, the longest-waiting first.
    assert_eq!(c.cmd(&["RPUSH", "q", "e1", "e2"]), b":2\r\n");
    assert_eq!(waiters[0].read_reply(), b"*2\r\n$1\r\nq\r\n$2\r\ne1\r\n");
    assert_eq!(waiters[1].read_reply(), b"*2\r\n$1\r\nq\r\n$2\r\ne2\r\n");
    assert_eq!(
        waiters[2].read_reply_timeout(Duration::from_millis(200)),
        None
    );
    wait_blocked(srv.port, 1);
    assert_eq!(c.cmd(&["LPUSH", "q", "e3"]), b":1\r\n");
    assert_eq!(waiters[2].read_reply(), b"*2\r\n$1\r\nq\r\n$2\r\ne3\r\n");
    assert_eq!(c.cmd(&["EXISTS", "q"]), b":0\r\n");
}

#[test]
fn a_client_that_disconnects_while_blocked_is_forgotten() {
    let srv = start_ours();
    {
        let mut w = RawConn::connect(srv.port);
        w.send_raw(&encode(&["BLPOP", "q", "0"]));
        wait_blocked(srv.port, 1);
    }
    wait_blocked(srv.port, 0);
    let mut c = RawConn::connect(srv.port);
    assert_eq!(c.cmd(&["RPUSH", "q", "kept"]), b":1\r\n");
    assert_eq!(c.cmd(&["LRANGE", "q", "0", "-1"]), b"*1\r\n$4\r\nkept\r\n");
}

#[test]
fn blmove_and_blmpop_are_served_by_a_push() {
    let srv = start_ours();
    let mut mover = RawConn::connect(srv.port);
    mover.send_raw(&encode(&["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]));
    wait_blocked(srv.port, 1);
    // A second client waits on the destination: the move's push serves it in turn.
    let mut popper = RawConn::connect(srv.port);
    popper.send_raw(&encode(&[
        "BLMPOP", "0", "2", "other", "dst", "LEFT", "COUNT", "5",
    ]));
    wait_blocked(srv.port, 2);
    let mut c = RawConn::connect(srv.port);
    assert_eq!(c.cmd(&["RPUSH", "src", "a", "b"]), b":2\r\n");
    assert_eq!(mover.read_reply(), b"$1\r\nb\r\n");
    assert_eq!(popper.read_reply(), b"*2\r\n$3\r\ndst\r\n*1\r\n$1\r\nb\r\n");
    assert_eq!(c.cmd(&["LRANGE", "src", "0", "-1"]), b"*1\r\n$1\r\na\r\n");
    assert_eq!(c.cmd(&["EXISTS", "dst"]), b":0\r\n");
}

#[test]
fn blocking_commands_inside_multi_answer_at_once() {
    let srv = start_ours();
    let mut c = RawConn::connect(srv.port);
    c.cmd(&["MULTI"]);
    c.cmd(&["BLPOP", "none", "0"]);
    c.cmd(&["BRPOPLPUSH", "none", "x", "0"]);
    assert_eq!(c.cmd(&["EXEC"]), b"*2\r\n*-1\r\n$-1\r\n");
}

#[test]
fn a_waiter_stays_blocked_while_its_key_holds_another_type() {
    let srv = start_ours();
    let mut w = RawConn::connect(srv.port);
    w.send_raw(&encode(&["BLPOP", "k", "0"]));
    wait_blocked(srv.port, 1);
    let mut c = RawConn::connect(srv.port);
    assert_eq!(c.cmd(&["SET", "k", "x"]), b"+OK\r\n");
    assert_eq!(w.read_reply_timeout(Duration::from_millis(100)), None);
    c.cmd(&["DEL", "k"]);
    c.cmd(&["RPUSH", "k", "v"]);
    assert_eq!(w.read_reply(), b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
    // A destination of the wrong type fails the served BLMOVE, leaving the element in place.
    let mut m = RawConn::connect(srv.port);
    m.send_raw(&encode(&["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]));
    wait_blocked(srv.port, 1);
    c.cmd(&["SET", "dst", "x"]);
    c.cmd(&["RPUSH", "src", "v"]);
    assert_eq!(
        m.read_reply(),
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(c.cmd(&["LLEN", "src"]), b":1\r\n");
}

#[test]
fn expired_collections_are_gone_for_every_family() {
    let srv = start_ours();
    let mut c = RawConn::connect(srv.port);
    c.cmd(&["RPUSH", "l", "a"]);
    c.cmd(&["HSET", "h", "f", "v"]);
    c.cmd(&["SADD", "s", "m"]);
    for k in ["l", "h", "s"] {
        assert_eq!(c.cmd(&["PEXPIRE", k, "30"]), b":1\r\n");
    }
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(c.cmd(&["LLEN", "l"]), b":0\r\n");
    assert_eq!(c.cmd(&["HGET", "h", "f"]), b"$-1\r\n");
    assert_eq!(c.cmd(&["SCARD", "s"]), b":0\r\n");
    // A write to an expired key starts a fresh value without the old TTL.
    assert_eq!(c.cmd(&["LPUSH", "l", "b"]), b":1\r\n");
    assert_eq!(c.cmd(&["HSET", "h", "g", "w"]), b":1\r\n");
    assert_eq!(c.cmd(&["SADD", "s", "n"]), b":1\r\n");
    for k in ["l", "h", "s"] {
        assert_eq!(c.cmd(&["TTL", k]), b":-1\r\n");
    }
    assert_eq!(c.cmd(&["HGETALL", "h"]), b"*2\r\n$1\r\ng\r\n$1\r\nw\r\n");
}
