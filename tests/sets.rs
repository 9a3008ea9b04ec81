//! Set commands through a real client: membership, algebra and STORE forms, random picks, scans, encodings.
mod common;
use common::*;

use std::collections::HashSet;

use redis::Commands;

fn set(v: &[&str]) -> HashSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn membership() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let n: i64 = c.sadd("s", &["a", "b", "c", "a"]).unwrap();
    assert_eq!(n, 3);
    let is: bool = c.sismember("s", "a").unwrap();
    assert!(is);
    let many: Vec<bool> = redis::cmd("SMISMEMBER")
        .arg("s")
        .arg("a")
        .arg("z")
        .query(&mut c)
        .unwrap();
    assert_eq!(many, [true, false]);
    let n: i64 = c.scard("s").unwrap();
    assert_eq!(n, 3);
    let m: HashSet<String> = c.smembers("s").unwrap();
    assert_eq!(m, set(&["a", "b", "c"]));
    let n: i64 = c.srem("s", &["a", "b", "c", "d"]).unwrap();
    assert_eq!(n, 3);
    let exists: bool = c.exists("s").unwrap();
    assert!(!exists, "an emptied set is deleted");
}

#[test]
fn algebra_and_store() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let _: i64 = c.sadd("a", &["1", "2", "3", "x"]).unwrap();
    let _: i64 = c.sadd("b", &["2", "3", "4"]).unwrap();
    let r: HashSet<String> = c.sinter(&["a", "b"]).unwrap();
    assert_eq!(r, set(&["2", "3"]));
    let r: HashSet<String> = c.sunion(&["a", "b"]).unwrap();
    assert_eq!(r, set(&["1", "2", "3", "4", "x"]));
    let r: HashSet<String> = c.sdiff(&["a", "b"]).unwrap();
    assert_eq!(r, set(&["1", "x"]));
    let r: HashSet<String> = c.sinter(&["a", "missing"]).unwrap();
    assert!(r.is_empty());
    let n: i64 = c.sinterstore("d", &["a", "b"]).unwrap();
    assert_eq!(n, 2);
    assert_eq!(encoding(&mut c, "d"), "intset");
    let n: i64 = c.sunionstore("d", &["a", "b"]).unwrap();
    assert_eq!(n, 5);
    assert_eq!(encoding(&mut c, "d"), "hashtable");
    let n: i64 = c.sdiffstore("d", &["b", "a"]).unwrap();
    assert_eq!(n, 1);
    let n: i64 = c.sinterstore("d", &["a", "missing"]).unwrap();
    assert_eq!(n, 0);
    let exists: bool = c.exists("d").unwrap();
    assert!(!exists, "an empty result deletes the destination");
    let n: i64 = redis::cmd("SINTERCARD")
        .arg(2)
        .arg("a")
        .arg("b")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 2);
    let n: i64 = redis::cmd("SINTERCARD")
        .arg(2)
        .arg("a")
        .arg("b")
        .arg("LIMIT")
        .arg(1)
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 1);
    let moved: bool = c.smove("a", "b", "x").unwrap();
    assert!(moved);
    let moved: bool = c.smove("a", "b", "x").unwrap();
    assert!(!moved);
    let is: bool = c.sismember("b", "x").unwrap();
    assert!(is);
}

#[test]
fn random_picks() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let members: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    let _: i64 = c.sadd("s", &members).unwrap();
    let five: Vec<String> = redis::cmd("SRANDMEMBER")
        .arg("s")
        .arg(5)
        .query(&mut c)
        .unwrap();
    assert_eq!(five.iter().collect::<HashSet<_>>().len(), 5);
    let rep: Vec<String> = redis::cmd("SRANDMEMBER")
        .arg("s")
        .arg(-50)
        .query(&mut c)
        .unwrap();
    assert_eq!(rep.len(), 50);
    let all: Vec<String> = redis::cmd("SRANDMEMBER")
        .arg("s")
        .arg(100)
        .query(&mut c)
        .unwrap();
    assert_eq!(all.len(), 20);
    let e: redis::RedisResult<Vec<String>> = redis::cmd("SRANDMEMBER")
        .arg("s")
        .arg(-i64::MAX)
        .query(&mut c);
    assert!(e.is_err(), "an absurd negative count is refused");
    let popped: Vec<String> = redis::cmd("SPOP").arg("s").arg(15).query(&mut c).unwrap();
    assert_eq!(popped.iter().collect::<HashSet<_>>().len(), 15);
    let n: i64 = c.scard("s").unwrap();
    assert_eq!(n, 5);
    for p in &popped {
        let is: bool = c.sismember("s", p).unwrap();
        assert!(!is, "popped members are removed");
    }
    let one: String = c.spop("s").unwrap();
    assert!(one.starts_with('m'));
    let rest: Vec<String> = redis::cmd("SPOP").arg("s").arg(10).query(&mut c).unwrap();
    assert_eq!(rest.len(), 4);
    let exists: bool = c.exists("s").unwrap();
    assert!(!exists);
}

#[test]
fn encodings_and_scan() {
    let srv = start_ours();
    let mut c = conn(srv.port);
    let _: i64 = c.sadd("i", &["3", "-1", "2"]).unwrap();
    assert_eq!(encoding(&mut c, "i"), "intset");
    // An intset lists its members in ascending order, as Redis does.
    let m: Vec<String> = c.smembers("i").unwrap();
    assert_eq!(m, ["-1", "2", "3"]);
    let _: i64 = c.sadd("i", "a").unwrap();
    assert_eq!(encoding(&mut c, "i"), "hashtable");
    let nums: Vec<i64> = (0..600).collect();
    let _: i64 = c.sadd("big", &nums).unwrap();
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    let mut seen = HashSet::new();
    let mut cursor = 0u64;
    loop {
        let (next, items): (u64, Vec<String>) = redis::cmd("SSCAN")
            .arg("big")
            .arg(cursor)
            .arg("COUNT")
            .arg(50)
            .query(&mut c)
            .unwrap();
        seen.extend(items);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 600);
}

#[test]
fn wrong_type_is_refused() {
    let srv = start_ours();
    let mut c = RawConn::connect(srv.port);
    c.cmd(&["SET", "str", "x"]);
    let wrong = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n".to_vec();
    assert_eq!(c.cmd(&["SADD", "str", "a"]), wrong);
    assert_eq!(c.cmd(&["SINTER", "missing", "str"]), wrong);
    assert_eq!(c.cmd(&["SUNIONSTORE", "d", "str"]), wrong);
}
