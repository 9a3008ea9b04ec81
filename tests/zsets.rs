//! Integration tests of the sorted set commands through a real client (the `redis` crate): every command and
//! option, blocking pops woken by writes and by timeouts, and property tests of ranges on large sets against
//! a sorted reference model.
mod common;
use common::*;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use redis::{Connection, RedisResult, Value};

fn q<T: redis::FromRedisValue>(con: &mut Connection, args: &[&str]) -> RedisResult<T> {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

fn err(con: &mut Connection, args: &[&str]) -> String {
    match q::<Value>(con, args) {
        Err(e) => e.to_string(),
        Ok(v) => panic!("expected an error from {args:?}, got {v:?}"),
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn zadd_options_scores_and_reads() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]).unwrap(),
        3
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "10", "a", "4", "d"]).unwrap(),
        1
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "CH", "11", "a", "5", "e"]).unwrap(),
        2
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "NX", "0", "a", "6", "f"]).unwrap(),
        1
    );
    assert_eq!(q::<f64>(&mut c, &["ZSCORE", "z", "a"]).unwrap(), 11.0);
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "XX", "CH", "12", "a", "7", "new"]).unwrap(),
        1
    );
    assert_eq!(
        q::<Option<f64>>(&mut c, &["ZSCORE", "z", "new"]).unwrap(),
        None
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "GT", "CH", "1", "a", "20", "b"]).unwrap(),
        1
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "LT", "CH", "1", "a", "30", "b"]).unwrap(),
        1
    );
    assert_eq!(
        q::<Vec<Option<f64>>>(&mut c, &["ZMSCORE", "z", "a", "b", "zz"]).unwrap(),
        vec![Some(1.0), Some(20.0), None]
    );
    assert_eq!(
        q::<f64>(&mut c, &["ZADD", "z", "INCR", "2.5", "a"]).unwrap(),
        3.5
    );
    assert_eq!(
        q::<Option<f64>>(&mut c, &["ZADD", "z", "NX", "INCR", "1", "a"]).unwrap(),
        None
    );
    assert_eq!(
        q::<Option<f64>>(&mut c, &["ZADD", "z", "GT", "INCR", "-1", "a"]).unwrap(),
        None
    );
    assert_eq!(
        q::<f64>(&mut c, &["ZINCRBY", "z", "-0.5", "a"]).unwrap(),
        3.0
    );
    assert_eq!(
        q::<f64>(&mut c, &["ZINCRBY", "z", "1", "brandnew"]).unwrap(),
        1.0
    );
    assert_eq!(q::<i64>(&mut c, &["ZCARD", "z"]).unwrap(), 7);
    assert_eq!(q::<i64>(&mut c, &["ZCARD", "nokey"]).unwrap(), 0);
    // Scores print as redis-server 7.0 prints them (%.17g).
    q::<i64>(&mut c, &["ZADD", "f", "0.1", "x", "inf", "y", "-inf", "w"]).unwrap();
    assert_eq!(
        q::<String>(&mut c, &["ZSCORE", "f", "x"]).unwrap(),
        "0.10000000000000001"
    );
    assert_eq!(q::<String>(&mut c, &["ZSCORE", "f", "y"]).unwrap(), "inf");
    // Errors.
    assert!(err(&mut c, &["ZADD", "z", "nan", "a"]).contains("not a valid float"));
    assert!(err(&mut c, &["ZADD", "z", "NX", "XX", "1", "a"]).contains("XX and NX"));
    assert!(err(&mut c, &["ZADD", "z", "GT", "LT", "1", "a"]).contains("GT, LT, and/or NX"));
    assert!(err(&mut c, &["ZADD", "z", "INCR", "1", "a", "2", "b"])
        .contains("single increment-element pair"));
    assert!(err(&mut c, &["ZADD", "z", "1", "a", "2"]).contains("syntax error"));
    assert!(err(&mut c, &["ZADD", "f", "INCR", "-inf", "y"])
        .contains("resulting score is not a number (NaN)"));
    assert!(err(&mut c, &["ZINCRBY", "f", "-inf", "y"]).contains("NaN"));
    q::<()>(&mut c, &["SET", "s", "v"]).unwrap();
    for cmd in [
        &["ZADD", "s", "1", "a"][..],
        &["ZSCORE", "s", "a"],
        &["ZCARD", "s"],
        &["ZRANGE", "s", "0", "-1"],
        &["ZPOPMIN", "s"],
        &["ZREM", "s", "a"],
        &["ZMSCORE", "s", "a"],
        &["ZRANDMEMBER", "s"],
        &["ZUNION", "1", "s"],
    ] {
        assert!(err(&mut c, cmd).starts_with("WRONGTYPE"), "{cmd:?}");
    }
    // ZREM, and the key goes away with its last member.
    assert_eq!(
        q::<i64>(&mut c, &["ZREM", "f", "x", "nope", "x"]).unwrap(),
        1
    );
    assert_eq!(q::<i64>(&mut c, &["ZREM", "f", "y", "w"]).unwrap(), 2);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "f"]).unwrap(), 0);
    // ZADD XX on a missing key creates nothing.
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "none", "XX", "1", "a"]).unwrap(),
        0
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "none"]).unwrap(), 0);
}

#[test]
fn ranks_ranges_and_counts() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    q::<i64>(
        &mut c,
        &[
            "ZADD", "z", "1", "a", "2", "b", "2", "bb", "3", "c", "4", "d",
        ],
    )
    .unwrap();
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "z", "0", "-1"]).unwrap(),
        strs(&["a", "b", "bb", "c", "d"])
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "z", "-2", "-1"]).unwrap(),
        strs(&["c", "d"])
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "z", "3", "1"]).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "z", "0", "1", "REV"]).unwrap(),
        strs(&["d", "c"])
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZREVRANGE", "z", "0", "1"]).unwrap(),
        strs(&["d", "c"])
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "z", "0", "1", "WITHSCORES"]).unwrap(),
        strs(&["a", "1", "b", "2"])
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "z", "(1", "3", "BYSCORE"]).unwrap(),
        strs(&["b", "bb", "c"])
    );
    assert_eq!(
        q::<Vec<String>>(
            &mut c,
            &["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"]
        )
        .unwrap(),
        strs(&["c", "bb"])
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGEBYSCORE", "z", "2", "(3"]).unwrap(),
        strs(&["b", "bb"])
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZREVRANGEBYSCORE", "z", "(3", "2"]).unwrap(),
        strs(&["bb", "b"])
    );
    assert_eq!(q::<i64>(&mut c, &["ZCOUNT", "z", "(1", "(4"]).unwrap(), 3);
    assert_eq!(q::<i64>(&mut c, &["ZRANK", "z", "c"]).unwrap(), 3);
    assert_eq!(q::<i64>(&mut c, &["ZREVRANK", "z", "c"]).unwrap(), 1);
    assert_eq!(
        q::<Option<i64>>(&mut c, &["ZRANK", "z", "nope"]).unwrap(),
        None
    );
    assert!(err(&mut c, &["ZRANGEBYSCORE", "z", "x", "1"]).contains("min or max is not a float"));
    assert!(err(&mut c, &["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"])
        .contains("LIMIT is only supported"));
    // Lex ranges.
    q::<i64>(
        &mut c,
        &["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"],
    )
    .unwrap();
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGEBYLEX", "l", "[b", "(d"]).unwrap(),
        strs(&["b", "c"])
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZREVRANGEBYLEX", "l", "+", "(b"]).unwrap(),
        strs(&["d", "c"])
    );
    assert_eq!(
        q::<Vec<String>>(
            &mut c,
            &["ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", "1", "2"]
        )
        .unwrap(),
        strs(&["b", "c"])
    );
    assert_eq!(q::<i64>(&mut c, &["ZLEXCOUNT", "l", "(a", "+"]).unwrap(), 3);
    assert!(err(&mut c, &["ZRANGEBYLEX", "l", "b", "+"]).contains("not valid string range item"));
    // ZRANGESTORE.
    assert_eq!(
        q::<i64>(&mut c, &["ZRANGESTORE", "dst", "z", "1", "(3", "BYSCORE"]).unwrap(),
        3
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "dst", "0", "-1"]).unwrap(),
        strs(&["a", "b", "bb"])
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZRANGESTORE", "dst", "z", "10", "20"]).unwrap(),
        0
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "dst"]).unwrap(), 0);
}

#[test]
fn remove_ranges_and_encodings() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    q::<i64>(
        &mut c,
        &[
            "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
    )
    .unwrap();
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "z"]).unwrap(),
        "listpack"
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZREMRANGEBYRANK", "z", "0", "0"]).unwrap(),
        1
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZREMRANGEBYSCORE", "z", "(2", "3"]).unwrap(),
        1
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZREMRANGEBYLEX", "z", "[d", "[e"]).unwrap(),
        2
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "z", "0", "-1"]).unwrap(),
        strs(&["b"])
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZREMRANGEBYRANK", "z", "0", "-1"]).unwrap(),
        1
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "z"]).unwrap(), 0);
    // Past 128 entries or with a member over 64 bytes the set is a skiplist.
    let mut add = vec!["ZADD".to_string(), "big".into()];
    for i in 0..129 {
        add.push(i.to_string());
        add.push(format!("m{i:03}"));
    }
    let refs: Vec<&str> = add.iter().map(|s| s.as_str()).collect();
    assert_eq!(q::<i64>(&mut c, &refs).unwrap(), 129);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "big"]).unwrap(),
        "skiplist"
    );
    let long = "x".repeat(65);
    q::<i64>(&mut c, &["ZADD", "long", "1", &long]).unwrap();
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "long"]).unwrap(),
        "skiplist"
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZREMRANGEBYSCORE", "big", "10", "(100"]).unwrap(),
        90
    );
    assert_eq!(q::<i64>(&mut c, &["ZCARD", "big"]).unwrap(), 39);
    assert_eq!(q::<i64>(&mut c, &["ZRANK", "big", "m100"]).unwrap(), 10);
}

#[test]
fn pops_and_mpop() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    q::<i64>(
        &mut c,
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
    )
    .unwrap();
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZPOPMIN", "z"]).unwrap(),
        strs(&["a", "1"])
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZPOPMAX", "z", "2"]).unwrap(),
        strs(&["d", "4", "c", "3"])
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZPOPMIN", "nokey"]).unwrap(),
        Vec::<String>::new()
    );
    assert!(err(&mut c, &["ZPOPMIN", "z", "-1"]).contains("must be positive"));
    let v: (String, Vec<(String, f64)>) =
        q(&mut c, &["ZMPOP", "2", "nokey", "z", "MIN", "COUNT", "5"]).unwrap();
    assert_eq!(v, ("z".to_string(), vec![("b".to_string(), 2.0)]));
    assert_eq!(
        q::<Value>(&mut c, &["ZMPOP", "1", "z", "MIN"]).unwrap(),
        Value::Nil
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "z"]).unwrap(), 0);
    assert!(err(&mut c, &["ZMPOP", "0", "z", "MIN"]).contains("numkeys should be greater than 0"));
}

#[test]
fn blocking_pops_wake_on_write_and_time_out() {
    let srv = start_ours();
    let port = srv.port;
    // Woken by ZADD from another connection.
    let waiter = std::thread::spawn(move || {
        let mut c = conn(port);
        q::<(String, String, f64)>(&mut c, &["BZPOPMIN", "q1", "q2", "5"]).unwrap()
    });
    std::thread::sleep(Duration::from_millis(200));
    let mut c = conn(port);
    q::<i64>(&mut c, &["ZADD", "q2", "7", "x", "8", "y"]).unwrap();
    assert_eq!(
        waiter.join().unwrap(),
        ("q2".to_string(), "x".to_string(), 7.0)
    );
    assert_eq!(q::<i64>(&mut c, &["ZCARD", "q2"]).unwrap(), 1);
    // BZMPOP takes COUNT elements.
    let waiter = std::thread::spawn(move || {
        let mut c = conn(port);
        q::<(String, Vec<(String, f64)>)>(&mut c, &["BZMPOP", "5", "1", "q3", "MAX", "COUNT", "2"])
            .unwrap()
    });
    std::thread::sleep(Duration::from_millis(200));
    q::<i64>(&mut c, &["ZADD", "q3", "1", "a", "2", "b", "3", "c"]).unwrap();
    assert_eq!(
        waiter.join().unwrap(),
        (
            "q3".to_string(),
            vec![("c".to_string(), 3.0), ("b".to_string(), 2.0)]
        )
    );
    // Two waiters are served first come, first served.
    let first = std::thread::spawn(move || {
        let mut c = conn(port);
        q::<(String, String, f64)>(&mut c, &["BZPOPMAX", "q4", "5"]).unwrap()
    });
    std::thread::sleep(Duration::from_millis(150));
    let second = std::thread::spawn(move || {
        let mut c = conn(port);
        q::<(String, String, f64)>(&mut c, &["BZPOPMAX", "q4", "5"]).unwrap()
    });
    std::thread::sleep(Duration::from_millis(150));
    q::<i64>(&mut c, &["ZADD", "q4", "1", "low", "2", "high"]).unwrap();
    assert_eq!(first.join().unwrap().1, "high");
    assert_eq!(second.join().unwrap().1, "low");
    // Timeout: a null reply after about the timeout.
    let t0 = Instant::now();
    assert_eq!(
        q::<Value>(&mut c, &["BZPOPMIN", "empty", "0.3"]).unwrap(),
        Value::Nil
    );
    assert!(
        t0.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(
        q::<Value>(&mut c, &["BZMPOP", "0.1", "1", "empty", "MIN"]).unwrap(),
        Value::Nil
    );
    assert!(err(&mut c, &["BZPOPMIN", "k", "-1"]).contains("timeout is negative"));
    assert!(
        err(&mut c, &["BZPOPMIN", "k", "abc"]).contains("timeout is not a float or out of range")
    );
    // Inside MULTI/EXEC a blocking pop answers at once, as on timeout.
    let mut raw = RawConn::connect(port);
    raw.cmd(&["MULTI"]);
    raw.cmd(&["BZPOPMIN", "empty", "0"]);
    assert_eq!(raw.cmd(&["EXEC"]), b"*1\r\n*-1\r\n");
}

#[test]
fn random_members_and_scan() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let mut add = vec!["ZADD".to_string(), "z".into()];
    for i in 0..1000 {
        add.push(i.to_string());
        add.push(format!("m{i}"));
    }
    let refs: Vec<&str> = add.iter().map(|s| s.as_str()).collect();
    q::<i64>(&mut c, &refs).unwrap();
    let v: Vec<String> = q(&mut c, &["ZRANDMEMBER", "z", "50"]).unwrap();
    assert_eq!(v.len(), 50);
    assert_eq!(
        v.iter().collect::<HashSet<_>>().len(),
        50,
        "distinct members"
    );
    let v: Vec<String> = q(&mut c, &["ZRANDMEMBER", "z", "-3000"]).unwrap();
    assert_eq!(v.len(), 3000);
    let v: Vec<(String, f64)> = q(&mut c, &["ZRANDMEMBER", "z", "5", "WITHSCORES"]).unwrap();
    for (m, s) in v {
        assert_eq!(format!("m{s}"), m);
    }
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANDMEMBER", "z", "2000"])
            .unwrap()
            .len(),
        1000
    );
    // A full ZSCAN returns every member present for the whole scan, even while others are removed.
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let (next, items): (String, Vec<String>) =
            q(&mut c, &["ZSCAN", "z", &cursor, "COUNT", "20"]).unwrap();
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone());
        }
        round += 1;
        q::<i64>(
            &mut c,
            &["ZREM", "z", &format!("m{}", ((round * 37) % 1000) | 1)],
        )
        .unwrap();
        if next == "0" {
            break;
        }
        cursor = next;
    }
    for i in (0..1000).step_by(2) {
        assert!(seen.contains(&format!("m{i}")), "missed m{i}");
    }
    let (_, items): (String, Vec<String>) = q(
        &mut c,
        &["ZSCAN", "z", "0", "MATCH", "m99*", "COUNT", "5000"],
    )
    .unwrap();
    assert!(items.chunks(2).all(|p| p[0].starts_with("m99")));
}

#[test]
fn set_algebra() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    q::<i64>(&mut c, &["ZADD", "a", "1", "x", "2", "y", "3", "z"]).unwrap();
    q::<i64>(&mut c, &["ZADD", "b", "10", "y", "20", "z", "30", "w"]).unwrap();
    assert_eq!(
        q::<Vec<(String, f64)>>(&mut c, &["ZUNION", "2", "a", "b", "WITHSCORES"]).unwrap(),
        vec![
            ("x".into(), 1.0),
            ("y".into(), 12.0),
            ("z".into(), 23.0),
            ("w".into(), 30.0)
        ]
    );
    assert_eq!(
        q::<Vec<(String, f64)>>(
            &mut c,
            &[
                "ZINTER",
                "2",
                "a",
                "b",
                "WEIGHTS",
                "2",
                "1",
                "AGGREGATE",
                "MIN",
                "WITHSCORES"
            ]
        )
        .unwrap(),
        vec![("y".into(), 4.0), ("z".into(), 6.0)]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZDIFF", "2", "a", "b"]).unwrap(),
        strs(&["x"])
    );
    assert_eq!(
        q::<i64>(
            &mut c,
            &["ZUNIONSTORE", "u", "2", "a", "b", "AGGREGATE", "MAX"]
        )
        .unwrap(),
        4
    );
    assert_eq!(q::<f64>(&mut c, &["ZSCORE", "u", "y"]).unwrap(), 10.0);
    assert_eq!(
        q::<i64>(&mut c, &["ZINTERSTORE", "i", "2", "a", "b"]).unwrap(),
        2
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZDIFFSTORE", "d", "2", "b", "a"]).unwrap(),
        1
    );
    assert_eq!(q::<i64>(&mut c, &["ZINTERCARD", "2", "a", "b"]).unwrap(), 2);
    assert_eq!(
        q::<i64>(&mut c, &["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]).unwrap(),
        1
    );
    // An empty result deletes the destination.
    assert_eq!(
        q::<i64>(&mut c, &["ZINTERSTORE", "u", "2", "a", "nokey"]).unwrap(),
        0
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "u"]).unwrap(), 0);
    assert!(err(&mut c, &["ZUNION", "0", "a"]).contains("at least 1 input key"));
    assert!(err(&mut c, &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"])
        .contains("weight value is not a float"));
}

#[test]
fn keyspace_events() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    q::<()>(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]).unwrap();
    let mut sub = RawConn::connect(srv.port);
    sub.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    let mut expect = |cmd: &[&str], events: &[&str]| {
        q::<Value>(&mut c, cmd).unwrap();
        for e in events {
            let msg = sub.read_reply();
            let text = String::from_utf8_lossy(&msg).to_string();
            assert!(
                text.contains(&format!("__keyevent@0__:{e}\r\n")),
                "{cmd:?}: wanted {e}, got {text:?}"
            );
        }
    };
    expect(&["ZADD", "z", "1", "a", "2", "b"], &["zadd"]);
    expect(&["ZINCRBY", "z", "1", "a"], &["zincr"]);
    expect(&["ZREM", "z", "a"], &["zrem"]);
    expect(&["ZUNIONSTORE", "u", "1", "z"], &["zunionstore"]);
    expect(&["ZPOPMIN", "z"], &["zpopmin", "del"]);
    expect(&["ZINTERSTORE", "u", "1", "nokey"], &["del"]);
    expect(&["ZADD", "z", "1", "a", "2", "b"], &["zadd"]);
    expect(&["ZREMRANGEBYSCORE", "z", "0", "1"], &["zremrangebyscore"]);
    expect(&["ZRANGESTORE", "r", "z", "0", "-1"], &["zrangestore"]);
    expect(
        &["ZREMRANGEBYRANK", "z", "0", "-1"],
        &["zremrangebyrank", "del"],
    );
}

// ---------------------------------------------------------------------------------------------------------
// Property tests against a sorted reference model.

/// Builds a set of `n` members with scores in a small range (many ties) on the server and in a model sorted
/// by (score, member).
fn build_big(con: &mut Connection, key: &str, n: usize, seed: u64) -> Vec<(f64, String)> {
    let mut r = Rng(seed | 1);
    let mut model = BTreeMap::new();
    let mut pipe = redis::pipe();
    for chunk in 0..n.div_ceil(1000) {
        let mut c = redis::cmd("ZADD");
        c.arg(key);
        for i in chunk * 1000..((chunk + 1) * 1000).min(n) {
            let score = (r.below(2000) as f64) / 4.0 - 250.0;
            let m = format!("m{i:06}");
            c.arg(score).arg(&m);
            model.insert(m, score);
        }
        pipe.add_command(c).ignore();
    }
    pipe.query::<()>(con).unwrap();
    let mut v: Vec<(f64, String)> = model.into_iter().map(|(m, s)| (s, m)).collect();
    v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then_with(|| a.1.cmp(&b.1)));
    v
}

fn bound(v: f64, ex: bool) -> String {
    if ex {
        format!("({v}")
    } else {
        v.to_string()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Rank, score and lex ranges, counts and ranks on a 100,000-member set match the model.
    #[test]
    fn large_set_ranges_match_model(
        start in -110_000i64..110_000, stop in -110_000i64..110_000,
        lo in -260.0f64..260.0, hi in -260.0f64..260.0, loex: bool, hiex: bool,
        off in 0usize..200, cnt in 0usize..300, rev: bool,
        probe in 0usize..100_000,
    ) {
        static SERVER: std::sync::OnceLock<(mini_redis::RunningServer, Vec<(f64, String)>)> = std::sync::OnceLock::new();
        let (srv, model) = SERVER.get_or_init(|| {
            let srv = start_ours();
            let mut c = conn(srv.port);
            let model = build_big(&mut c, "big", 100_000, 42);
            (srv, model)
        });
        let mut c = conn(srv.port);
        let n = model.len() as i64;
        // By rank.
        let (mut a, mut b) = (if start < 0 { start + n } else { start }, if stop < 0 { stop + n } else { stop });
        a = a.max(0);
        let want: Vec<String> = if a > b || a >= n { vec![] } else {
            b = b.min(n - 1);
            model[a as usize..=b as usize].iter().map(|x| x.1.clone()).collect()
        };
        let got: Vec<String> = q(&mut c, &["ZRANGE", "big", &start.to_string(), &stop.to_string()]).unwrap();
        prop_assert_eq!(got.len(), want.len());
        prop_assert_eq!(got.first(), want.first());
        prop_assert_eq!(got.last(), want.last());
        // By score, with LIMIT, forwards or reversed.
        let inr = |s: f64| (if loex { s > lo } else { s >= lo }) && (if hiex { s < hi } else { s <= hi });
        let mut want: Vec<String> = model.iter().filter(|x| inr(x.0)).map(|x| x.1.clone()).collect();
        prop_assert_eq!(q::<i64>(&mut c, &["ZCOUNT", "big", &bound(lo, loex), &bound(hi, hiex)]).unwrap(), want.len() as i64);
        if rev { want.reverse(); }
        let want: Vec<String> = want.into_iter().skip(off).take(cnt).collect();
        let got: Vec<String> = if rev {
            q(&mut c, &["ZREVRANGEBYSCORE", "big", &bound(hi, hiex), &bound(lo, loex), "LIMIT", &off.to_string(), &cnt.to_string()]).unwrap()
        } else {
            q(&mut c, &["ZRANGEBYSCORE", "big", &bound(lo, loex), &bound(hi, hiex), "LIMIT", &off.to_string(), &cnt.to_string()]).unwrap()
        };
        prop_assert_eq!(got, want);
        // Rank and score of one member.
        let (s, m) = &model[probe];
        prop_assert_eq!(q::<i64>(&mut c, &["ZRANK", "big", m]).unwrap(), probe as i64);
        prop_assert_eq!(q::<i64>(&mut c, &["ZREVRANK", "big", m]).unwrap(), n - 1 - probe as i64);
        prop_assert_eq!(q::<f64>(&mut c, &["ZSCORE", "big", m]).unwrap(), *s);
    }

    /// Random writes (adds, increments, removals, range removals, pops) keep the set equal to a model.
    #[test]
    fn mutations_match_model(ops in proptest::collection::vec((0u8..6, 0u32..400, -50i32..50, 0i32..40), 1..120)) {
        static SERVER: std::sync::OnceLock<mini_redis::RunningServer> = std::sync::OnceLock::new();
        let srv = SERVER.get_or_init(start_ours);
        let mut c = conn(srv.port);
        q::<()>(&mut c, &["DEL", "m"]).unwrap();
        let mut model: BTreeMap<String, f64> = BTreeMap::new();
        let sorted = |model: &BTreeMap<String, f64>| {
            let mut v: Vec<(f64, String)> = model.iter().map(|(m, s)| (*s, m.clone())).collect();
            v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then_with(|| a.1.cmp(&b.1)));
            v
        };
        for (op, x, y, z) in ops {
            let m = format!("e{x}");
            match op {
                0 | 1 => {
                    // A batch of adds, so sets outgrow the compact form.
                    let mut cmd = vec!["ZADD".to_string(), "m".into()];
                    for k in 0..z {
                        let mm = format!("e{}", (x + k as u32 * 7) % 400);
                        let sc = (y + k) as f64;
                        cmd.push(sc.to_string());
                        cmd.push(mm.clone());
                        model.insert(mm, sc);
                    }
                    if z > 0 {
                        let refs: Vec<&str> = cmd.iter().map(|s| s.as_str()).collect();
                        q::<i64>(&mut c, &refs).unwrap();
                    }
                }
                2 => {
                    let got: f64 = q(&mut c, &["ZINCRBY", "m", &y.to_string(), &m]).unwrap();
                    let e = model.entry(m).or_insert(0.0);
                    *e += y as f64;
                    prop_assert_eq!(got, *e);
                }
                3 => {
                    let got: i64 = q(&mut c, &["ZREM", "m", &m]).unwrap();
                    prop_assert_eq!(got, model.remove(&m).is_some() as i64);
                }
                4 => {
                    let (lo, hi) = (y.min(y + z - 20), y.max(y + z - 20));
                    let got: i64 = q(&mut c, &["ZREMRANGEBYSCORE", "m", &lo.to_string(), &hi.to_string()]).unwrap();
                    let before = model.len();
                    model.retain(|_, s| *s < lo as f64 || *s > hi as f64);
                    prop_assert_eq!(got as usize, before - model.len());
                }
                _ => {
                    let got: Vec<String> = q(&mut c, &["ZPOPMIN", "m", &(z % 5).to_string()]).unwrap();
                    let s = sorted(&model);
                    for (_, mm) in s.iter().take((z % 5) as usize) {
                        model.remove(mm);
                    }
                    prop_assert_eq!(got.len() / 2, s.len().min((z % 5) as usize));
                }
            }
        }
        let want: Vec<String> = sorted(&model).into_iter().map(|x| x.1).collect();
        let got: Vec<String> = q(&mut c, &["ZRANGE", "m", "0", "-1"]).unwrap();
        prop_assert_eq!(got, want);
        prop_assert_eq!(q::<i64>(&mut c, &["ZCARD", "m"]).unwrap(), model.len() as i64);
    }
}

#[test]
fn dump_restore_round_trip() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    q::<i64>(
        &mut c,
        &["ZADD", "small", "1.5", "a", "-2", "b", "inf", "c"],
    )
    .unwrap();
    let mut add = vec!["ZADD".to_string(), "big".into()];
    for i in 0..300 {
        add.push(format!("{}", i as f64 / 3.0));
        add.push(format!("m{i}"));
    }
    let refs: Vec<&str> = add.iter().map(|s| s.as_str()).collect();
    q::<i64>(&mut c, &refs).unwrap();
    for (key, enc) in [("small", "listpack"), ("big", "skiplist")] {
        let payload: Vec<u8> = redis::cmd("DUMP").arg(key).query(&mut c).unwrap();
        let copy = format!("{key}-copy");
        let _: () = redis::cmd("RESTORE")
            .arg(&copy)
            .arg(0)
            .arg(payload)
            .query(&mut c)
            .unwrap();
        let a: Vec<String> = q(&mut c, &["ZRANGE", key, "0", "-1", "WITHSCORES"]).unwrap();
        let b: Vec<String> = q(&mut c, &["ZRANGE", &copy, "0", "-1", "WITHSCORES"]).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            q::<String>(&mut c, &["OBJECT", "ENCODING", &copy]).unwrap(),
            enc
        );
    }
}
