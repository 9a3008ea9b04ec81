//! The replication stream against redis-server 7.0: a replica attached with SYNC (or PSYNC) gets an RDB
//! snapshot, then exactly the commands Redis would propagate for the same script (SELECT on a change of
//! database, MULTI/EXEC around a transaction of several writes, relative expire times made absolute, expired
//! keys as DEL, commands that change nothing left out).
mod common;

use std::time::Duration;

use common::stream::{same_stream, stream};
use common::{c, start_ours, start_redis, RawConn};

#[test]
fn stream_matches_redis_for_writes_of_every_family() {
    let script = vec![
        c(&["SET", "s", "1"]),
        c(&["INCR", "s"]),
        c(&["GET", "s"]),
        c(&["DEL", "nosuchkey"]),
        c(&["rpush", "l", "a", "b", "c"]),
        c(&["LPOP", "l"]),
        c(&["LPOP", "emptylist"]),
        c(&["HSET", "h", "f", "v"]),
        c(&["HDEL", "h", "nosuchfield"]),
        c(&["SADD", "set", "x", "y"]),
        c(&["SADD", "set", "x"]),
        c(&["ZADD", "z", "1", "m"]),
        c(&["ZINCRBY", "z", "2", "m"]),
        c(&["SELECT", "3"]),
        c(&["SET", "in3", "v"]),
        c(&["SELECT", "0"]),
        c(&["pexpire", "l", "100000"]),
        c(&["EXPIRE", "s", "100"]),
        c(&["PEXPIREAT", "h", "99999999999999", "NX"]),
        c(&["EXPIRE", "set", "-1"]),
        c(&["MULTI"]),
        c(&["SET", "t1", "1"]),
        c(&["SET", "t2", "2"]),
        c(&["EXEC"]),
        c(&["MULTI"]),
        c(&["SET", "t3", "1"]),
        c(&["GET", "t3"]),
        c(&["EXEC"]),
        c(&["MULTI"]),
        c(&["GET", "t3"]),
        c(&["EXEC"]),
        c(&["FLUSHDB"]),
        c(&["SORT", "nosuchlist", "STORE", "dst"]),
    ];
    same_stream(&["SYNC"], &script);
}

#[test]
fn stream_matches_redis_for_rewritten_commands() {
    let script = vec![
        c(&["SETEX", "a", "100", "v"]),
        c(&["PSETEX", "b", "100000", "v"]),
        c(&["SET", "c", "v", "EX", "100", "GET"]),
        c(&["SET", "d", "v", "PXAT", "99999999999999"]),
        c(&["SET", "d", "v", "KEEPTTL"]),
        c(&["SET", "d", "v", "NX"]),
        c(&["SET", "d2", "v", "PXAT", "99999999999999", "NX", "GET"]),
        c(&["SET", "g", "v", "GET"]),
        c(&["SET", "g", "v2", "get", "XX", "GET"]),
        c(&["GETEX", "a", "PX", "5000"]),
        c(&["GETEX", "a", "PERSIST"]),
        c(&["GETEX", "a", "PERSIST"]),
        c(&["GETEX", "a"]),
        c(&["GETEX", "b", "PXAT", "1"]),
        c(&["GETDEL", "c"]),
        c(&["APPEND", "e", "x"]),
        c(&["SETRANGE", "e", "3", "y"]),
        c(&["MSET", "m1", "1", "m2", "2"]),
        c(&["MSETNX", "m1", "1", "m3", "3"]),
        c(&["RENAME", "m1", "m4"]),
        c(&["COPY", "m4", "m5"]),
        c(&["MOVE", "m5", "2"]),
        c(&["SWAPDB", "0", "2"]),
        c(&["SWAPDB", "0", "2"]),
        c(&["PUBLISH", "ch", "msg"]),
        c(&["RPUSH", "l", "1", "2", "3"]),
        c(&["LMOVE", "l", "l2", "LEFT", "RIGHT"]),
        c(&["LTRIM", "l", "0", "-1"]),
        c(&["LREM", "l", "0", "nosuch"]),
        c(&["SADD", "s", "a", "b", "c"]),
        c(&["SINTERSTORE", "s2", "s", "s"]),
        c(&["SMOVE", "s", "s3", "a"]),
        c(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]),
        c(&["ZADD", "z", "INCR", "5", "a"]),
        c(&["ZREMRANGEBYSCORE", "z", "100", "200"]),
        c(&["ZRANGESTORE", "z2", "z", "0", "-1"]),
        c(&["HSET", "h", "f", "1"]),
        c(&["HINCRBY", "h", "f", "2"]),
        c(&["HSETNX", "h", "f", "x"]),
        c(&["PERSIST", "h"]),
        c(&["EXPIRE", "h", "100", "GT"]),
        c(&["SETBIT", "bits", "7", "1"]),
        c(&["SETBIT", "bits", "7", "1"]),
        c(&["UNLINK", "bits"]),
        c(&["FLUSHALL"]),
        c(&["FLUSHALL"]),
        c(&["SELECT", "5"]),
        c(&["FLUSHDB"]),
        c(&["SELECT", "0"]),
    ];
    same_stream(&["SYNC"], &script);
}

#[test]
fn expired_keys_are_propagated_as_del() {
    let script = vec![
        c(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]),
        c(&["SET", "e", "v", "PX", "1"]),
        c(&["DEBUG", "SLEEP", "0.01"]),
        c(&["GET", "e"]),
        c(&["SET", "e2", "v", "PX", "1"]),
        c(&["DEBUG", "SLEEP", "0.01"]),
        // The expired key's DEL goes before the command that found it expired.
        c(&["SET", "e2", "new"]),
        c(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]),
    ];
    same_stream(&["PSYNC", "?", "-1"], &script);
}

#[test]
fn replconf_and_replica_bookkeeping() {
    let s = start_ours();
    let mut r = RawConn::connect(s.port);
    assert_eq!(r.cmd(&["REPLCONF", "listening-port", "6380"]), b"+OK\r\n");
    assert_eq!(
        r.cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]),
        b"+OK\r\n"
    );
    assert_eq!(r.cmd(&["REPLCONF", "capa"]), b"-ERR syntax error\r\n");
    assert_eq!(
        r.cmd(&["REPLCONF", "bogus", "1"]),
        b"-ERR Unrecognized REPLCONF option: bogus\r\n"
    );
    assert_eq!(
        r.cmd(&["PSYNC", "?", "x"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
    let mut other = RawConn::connect(s.port);
    let before = String::from_utf8_lossy(&other.cmd(&["INFO", "clients"])).to_string();
    assert!(before.contains("connected_clients:2\r\n"), "{before}");
    r.send_raw(&common::encode(&["SYNC"]));
    // Wait until the snapshot went out: the replica is then listed.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let info = String::from_utf8_lossy(&other.cmd(&["INFO", "replication"])).to_string();
        if info.contains("connected_slaves:1\r\n") {
            assert!(
                info.contains("slave0:ip=127.0.0.1,port=6380,state=online"),
                "{info}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{info}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let clients = String::from_utf8_lossy(&other.cmd(&["INFO", "clients"])).to_string();
    assert!(clients.contains("connected_clients:1\r\n"), "{clients}");
    let list = String::from_utf8_lossy(&other.cmd(&["CLIENT", "LIST"])).to_string();
    assert!(list.contains("flags=S "), "{list}");
    // A REPLCONF ACK gets no reply; the stream keeps flowing.
    r.send_raw(&common::encode(&["REPLCONF", "ACK", "0"]));
    other.cmd(&["SET", "k", "v"]);
    drop(r);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let info = String::from_utf8_lossy(&other.cmd(&["INFO", "replication"])).to_string();
        if info.contains("connected_slaves:0\r\n") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{info}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A replica attached after the keys expired (the stream only shows what follows).
fn stream_after(port: u16, setup: &[Vec<Vec<u8>>], script: &[Vec<Vec<u8>>]) -> Vec<Vec<String>> {
    let mut ctl = RawConn::connect(port);
    for cmd in setup {
        ctl.cmd(cmd);
    }
    std::thread::sleep(Duration::from_millis(10));
    let (_, s) = stream(port, &["SYNC"], script);
    ctl.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    s
}

#[test]
fn lazy_expiry_in_scan_and_randomkey_is_not_wrapped() {
    let setup = vec![
        c(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]),
        c(&["FLUSHALL"]),
        c(&["SET", "foo1", "bar", "PX", "1"]),
        c(&["SET", "foo2", "bar", "PX", "1"]),
    ];
    for cmd in [&["SCAN", "0"][..], &["RANDOMKEY"]] {
        let ours = start_ours();
        let redis = start_redis();
        let a = stream_after(ours.port, &setup, &[c(cmd)]);
        let b = stream_after(redis.port, &setup, &[c(cmd)]);
        // The order of the two DELs follows each server's hash order.
        let norm = |mut v: Vec<Vec<String>>| {
            v.sort();
            v
        };
        assert_eq!(norm(a), norm(b), "{cmd:?}");
    }
}
