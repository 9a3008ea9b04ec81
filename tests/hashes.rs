//! Hash commands through a real client: set/get, counters, random fields, scans, encodings and conversion.
mod common;
use common::*;

use std::collections::{HashMap, HashSet};

use redis::Commands;

#[test]
fn set_get_delete() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let n: i64 = redis::cmd("HSET")
        .arg("h")
        .arg("a")
        .arg("1")
        .arg("b")
        .arg("2")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 2);
    let n: i64 = c.hset("h", "a", "one").unwrap();
    assert_eq!(n, 0, "an update creates nothing");
    let v: String = c.hget("h", "a").unwrap();
    assert_eq!(v, "one");
    let v: Option<String> = c.hget("h", "nope").unwrap();
    assert_eq!(v, None);
    let vs: Vec<Option<String>> = redis::cmd("HMGET")
        .arg("h")
        .arg("a")
        .arg("x")
        .arg("b")
        .query(&mut c)
        .unwrap();
    assert_eq!(vs, [Some("one".into()), None, Some("2".into())]);
    let all: HashMap<String, String> = c.hgetall("h").unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all["b"], "2");
    let n: i64 = c.hset_nx("h", "a", "x").unwrap();
    assert_eq!(n, 0);
    let n: i64 = redis::cmd("HSTRLEN")
        .arg("h")
        .arg("a")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 3);
    let ok: bool = c.hexists("h", "b").unwrap();
    assert!(ok);
    let mut keys: Vec<String> = c.hkeys("h").unwrap();
    keys.sort();
    assert_eq!(keys, ["a", "b"]);
    let n: i64 = c.hdel("h", &["a", "b", "zz"]).unwrap();
    assert_eq!(n, 2);
    let exists: bool = c.exists("h").unwrap();
    assert!(!exists, "an emptied hash is deleted");
    // Binary-safe fields and values.
    let bin: &[u8] = b"\x00\xff\r\n";
    let _: i64 = c.hset("b", bin, bin).unwrap();
    let v: Vec<u8> = c.hget("b", bin).unwrap();
    assert_eq!(v, bin);
}

#[test]
fn counters() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let n: i64 = c.hincr("h", "n", 5).unwrap();
    assert_eq!(n, 5);
    let n: i64 = c.hincr("h", "n", -7).unwrap();
    assert_eq!(n, -2);
    let f: f64 = c.hincr("h", "f", 1.5).unwrap();
    assert_eq!(f, 1.5);
    let _: i64 = c.hset("h", "s", "abc").unwrap();
    let e: redis::RedisResult<i64> = c.hincr("h", "s", 1);
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("hash value is not an integer"));
    let e: redis::RedisResult<f64> = c.hincr("h", "s", 1.0);
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("hash value is not a float"));
    let _: i64 = c.hset("h", "big", i64::MAX).unwrap();
    let e: redis::RedisResult<i64> = c.hincr("h", "big", 1);
    assert!(e.unwrap_err().to_string().contains("overflow"));
}

#[test]
fn random_fields() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    for i in 0..10 {
        let _: i64 = c.hset("h", format!("f{i}"), i).unwrap();
    }
    let one: String = redis::cmd("HRANDFIELD").arg("h").query(&mut c).unwrap();
    assert!(one.starts_with('f'));
    let five: Vec<String> = redis::cmd("HRANDFIELD")
        .arg("h")
        .arg(5)
        .query(&mut c)
        .unwrap();
    assert_eq!(
        five.iter().collect::<HashSet<_>>().len(),
        5,
        "a positive count gives distinct fields"
    );
    let all: Vec<String> = redis::cmd("HRANDFIELD")
        .arg("h")
        .arg(50)
        .query(&mut c)
        .unwrap();
    assert_eq!(all.len(), 10);
    let rep: Vec<String> = redis::cmd("HRANDFIELD")
        .arg("h")
        .arg(-30)
        .query(&mut c)
        .unwrap();
    assert_eq!(rep.len(), 30, "a negative count may repeat");
    let pairs: Vec<String> = redis::cmd("HRANDFIELD")
        .arg("h")
        .arg(3)
        .arg("WITHVALUES")
        .query(&mut c)
        .unwrap();
    assert_eq!(pairs.len(), 6);
    for p in pairs.chunks(2) {
        assert_eq!(p[0], format!("f{}", p[1]));
    }
    let none: Option<String> = redis::cmd("HRANDFIELD")
        .arg("missing")
        .query(&mut c)
        .unwrap();
    assert_eq!(none, None);
}

#[test]
fn encodings_follow_listpack_limits() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let _: i64 = c.hset("h", "f", "v").unwrap();
    assert_eq!(encoding(&mut c, "h"), "listpack");
    let _: i64 = c.hset("h", "long", "x".repeat(65)).unwrap();
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("hash-max-listpack-entries")
        .arg(3)
        .query(&mut c)
        .unwrap();
    for i in 0..3 {
        let _: i64 = c.hset("small", i, i).unwrap();
    }
    assert_eq!(encoding(&mut c, "small"), "listpack");
    let _: i64 = c.hset("small", 3, 3).unwrap();
    assert_eq!(encoding(&mut c, "small"), "hashtable");
    let all: HashMap<i64, i64> = c.hgetall("small").unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|(k, v)| k == v));
}

#[test]
fn hscan_visits_every_field() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    for i in 0..1000 {
        let _: i64 = c.hset("h", format!("f{i}"), i).unwrap();
    }
    let mut seen = HashSet::new();
    let mut cursor = 0u64;
    loop {
        let (next, items): (u64, Vec<String>) = redis::cmd("HSCAN")
            .arg("h")
            .arg(cursor)
            .arg("COUNT")
            .arg(37)
            .query(&mut c)
            .unwrap();
        for p in items.chunks(2) {
            seen.insert(p[0].clone());
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    let (_, items): (u64, Vec<String>) = redis::cmd("HSCAN")
        .arg("h")
        .arg(0)
        .arg("MATCH")
        .arg("f99*")
        .arg("COUNT")
        .arg(10000)
        .query(&mut c)
        .unwrap();
    assert_eq!(items.len(), 2 * 11);
}

#[test]
fn wrong_type_is_refused() {
    let srv = start_ours();
    let mut c = RawConn::connect(srv.port);
    c.cmd(&["RPUSH", "l", "x"]);
    let wrong = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n".to_vec();
    assert_eq!(c.cmd(&["HSET", "l", "a", "b"]), wrong);
    assert_eq!(c.cmd(&["HGET", "l", "a"]), wrong);
    assert_eq!(c.cmd(&["HGETALL", "l"]), wrong);
    assert_eq!(
        c.cmd(&["HSET", "h", "a"]),
        b"-ERR wrong number of arguments for 'hset' command\r\n"
    );
}
