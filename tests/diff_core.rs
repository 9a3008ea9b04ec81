//! Differential tests of the core (strings, keys, expiry, connection, server): the same commands to
//! redis-server 7.0 and to ours, replies compared byte for byte.
mod common;
use common::*;

fn order_free(c: &[Vec<u8>]) -> bool {
    let name = String::from_utf8_lossy(&c[0]).to_ascii_lowercase();
    // CONFIG GET lists parameters in Redis's dict order, which is randomly seeded per process.
    matches!(name.as_str(), "keys" | "config")
}

#[test]
fn fixed_cases_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let cases: Vec<Vec<Vec<u8>>> = vec![
        c(&["PING"]),
        c(&["PING", "hello"]),
        c(&["PING", "a", "b"]),
        c(&["ECHO", "x"]),
        c(&["ECHO"]),
        c(&["foo", "a", "b"]),
        c(&["foo"]),
        c(&["GET", "nokey"]),
        c(&["SET", "k", "v"]),
        c(&["GET", "k"]),
        c(&["SET", "k", "v2", "GET"]),
        c(&["SET", "k", "v3", "NX"]),
        c(&["SET", "k", "v3", "XX", "GET"]),
        c(&["SET", "k", "v", "NX", "XX"]),
        c(&["SET", "k", "v", "EX", "0"]),
        c(&["SET", "k", "v", "EX", "-1"]),
        c(&["SET", "k", "v", "EX", "abc"]),
        c(&["SET", "k", "v", "EX", "10", "PX", "100"]),
        c(&["SET", "k", "v", "KEEPTTL", "EX", "10"]),
        c(&["SET", "k", "v", "EX", "9223372036854775807"]),
        c(&["SET", "k", "v", "PX", "9223372036854775807"]),
        c(&["SET", "k", "v", "foo"]),
        c(&["SET", "k", "v", "EX"]),
        c(&["SET", "i", "10"]),
        c(&["INCR", "i"]),
        c(&["INCRBY", "i", "-5"]),
        c(&["DECRBY", "i", "-9223372036854775808"]),
        c(&["INCRBY", "i", "9223372036854775807"]),
        c(&["INCR", "k"]),
        c(&["INCRBY", "i", "1.5"]),
        c(&["INCRBY", "i", " 1"]),
        c(&["INCRBYFLOAT", "i", "1.5"]),
        c(&["INCRBYFLOAT", "i", "abc"]),
        c(&["INCRBYFLOAT", "f", "10.5"]),
        c(&["INCRBYFLOAT", "f", "inf"]),
        c(&["APPEND", "a", "hello"]),
        c(&["APPEND", "a", " world"]),
        c(&["STRLEN", "a"]),
        c(&["GETRANGE", "a", "0", "4"]),
        c(&["GETRANGE", "a", "-5", "-1"]),
        c(&["GETRANGE", "a", "5", "3"]),
        c(&["GETRANGE", "a", "-1", "-5"]),
        c(&["GETRANGE", "a", "0", "100"]),
        c(&["GETRANGE", "nokey", "0", "-1"]),
        c(&["SETRANGE", "a", "6", "W"]),
        c(&["SETRANGE", "b", "3", "x"]),
        c(&["GET", "b"]),
        c(&["SETRANGE", "b", "-1", "x"]),
        c(&["SETRANGE", "c", "0", ""]),
        c(&["MSET", "m1", "1", "m2", "2"]),
        c(&["MSET", "m1", "1", "m2"]),
        c(&["MGET", "m1", "nokey", "m2"]),
        c(&["MSETNX", "m1", "x", "m3", "3"]),
        c(&["MSETNX", "m4", "x", "m3", "3"]),
        c(&["GETSET", "m1", "z"]),
        c(&["GETDEL", "m1"]),
        c(&["GETDEL", "m1"]),
        c(&["SETNX", "m2", "x"]),
        c(&["SETEX", "se", "100", "v"]),
        c(&["SETEX", "se", "0", "v"]),
        c(&["PSETEX", "se", "100000", "v"]),
        c(&["TTL", "se"]),
        c(&["GETEX", "se", "PERSIST"]),
        c(&["TTL", "se"]),
        c(&["GETEX", "se", "EX", "100", "PX", "5"]),
        c(&["GETEX", "se", "FOO"]),
        c(&["OBJECT", "ENCODING", "i"]),
        c(&["OBJECT", "ENCODING", "a"]),
        c(&["OBJECT", "ENCODING", "m2"]),
        c(&["OBJECT", "ENCODING", "nokey"]),
        c(&["OBJECT", "FOO", "x"]),
        c(&["TYPE", "a"]),
        c(&["TYPE", "nokey"]),
        c(&["EXISTS", "a", "a", "nokey"]),
        c(&["DEL", "a", "nokey"]),
        c(&["EXPIRE", "m2", "100"]),
        c(&["EXPIRE", "m2", "100", "NX"]),
        c(&["EXPIRE", "m2", "200", "GT"]),
        c(&["EXPIRE", "m2", "50", "LT"]),
        c(&["EXPIRE", "m2", "50", "NX", "XX"]),
        c(&["EXPIRE", "m2", "50", "GT", "LT"]),
        c(&["EXPIRE", "m2", "50", "FOO"]),
        c(&["EXPIRE", "m2", "9223372036854775807"]),
        c(&["TTL", "m2"]),
        c(&["PERSIST", "m2"]),
        c(&["PERSIST", "m2"]),
        c(&["TTL", "m2"]),
        c(&["PTTL", "nokey"]),
        c(&["EXPIRETIME", "m2"]),
        c(&["EXPIRE", "m2", "-1"]),
        c(&["EXISTS", "m2"]),
        c(&["RENAME", "nokey", "x"]),
        c(&["RENAME", "i", "j"]),
        c(&["RENAMENX", "j", "f"]),
        c(&["RENAMENX", "j", "j"]),
        c(&["COPY", "j", "j"]),
        c(&["COPY", "j", "j2"]),
        c(&["COPY", "j", "j2"]),
        c(&["COPY", "j", "j2", "REPLACE"]),
        c(&["COPY", "j", "j2", "DB", "99"]),
        c(&["MOVE", "j", "0"]),
        c(&["MOVE", "j", "1"]),
        c(&["MOVE", "j", "x"]),
        c(&["SELECT", "1"]),
        c(&["GET", "j"]),
        c(&["SELECT", "0"]),
        c(&["SELECT", "16"]),
        c(&["SWAPDB", "0", "x"]),
        c(&["DBSIZE"]),
        c(&["TOUCH", "j2", "nokey"]),
        c(&["SCAN", "x"]),
        c(&["SCAN", "0", "COUNT", "0"]),
        c(&["SCAN", "0", "FOO", "1"]),
        c(&["KEYS", "m*"]),
        c(&["CONFIG", "GET", "maxmemory-policy"]),
        c(&["CONFIG", "GET", "hash-max-*"]),
        c(&["CONFIG", "SET", "maxmemory", "abc"]),
        c(&["CONFIG", "SET", "nosuch", "1"]),
        c(&["CONFIG", "SET", "hz", "20", "hz", "30"]),
        c(&["CONFIG", "SET", "daemonize", "yes"]),
        c(&["CONFIG", "FOO"]),
        c(&["CLIENT", "SETNAME", "a b"]),
        c(&["CLIENT", "GETNAME"]),
        c(&["CLIENT", "REPLY", "FOO"]),
        c(&["CLIENT", "KILL", "1.2.3.4:5"]),
        c(&["CLIENT", "KILL", "ID", "99999"]),
        c(&["HELLO", "4"]),
        c(&["HELLO", "x"]),
        c(&["AUTH", "a"]),
        c(&["AUTH", "a", "b"]),
        c(&["COMMAND", "INFO", "get", "nosuch"]),
        c(&["COMMAND", "DOCS", "get"]),
        c(&["COMMAND", "GETKEYS", "set", "k", "v"]),
        c(&["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"]),
        c(&["COMMAND", "GETKEYS", "ping"]),
        c(&["COMMAND", "GETKEYS", "nosuch", "a"]),
        c(&["COMMAND", "GETKEYS", "get"]),
        c(&["DEBUG", "SLEEP", "0"]),
        c(&["DEBUG", "FOO"]),
        c(&["FLUSHDB", "FOO"]),
        c(&["FUNCTION", "FLUSH"]),
        c(&["SCRIPT", "FLUSH"]),
        c(&["MEMORY", "USAGE", "nokey"]),
        c(&["MULTI"]),
        c(&["SET", "t", "1"]),
        c(&["INCR", "t"]),
        c(&["EXEC"]),
        c(&["EXEC"]),
        c(&["DISCARD"]),
        c(&["MULTI"]),
        c(&["MULTI"]),
        c(&["GET"]),
        c(&["EXEC"]),
        c(&["WATCH", "t"]),
        c(&["MULTI"]),
        c(&["WATCH", "t"]),
        c(&["DISCARD"]),
        c(&["UNWATCH"]),
        c(&["PUBLISH", "ch", "msg"]),
        c(&["PUBSUB", "NUMSUB", "ch"]),
        c(&["PUBSUB", "NUMPAT"]),
        c(&["ZADD", "fz", "0x10", "a"]),
        c(&["ZADD", "fz", "1e400", "b"]),
        c(&["ZADD", "fz", "1e-400", "c"]),
        c(&[
            "ZADD",
            "fz",
            "4e-320",
            "d",
            "+1",
            "e",
            ".5",
            "f",
            "5.",
            "g",
            "-infinity",
            "h",
        ]),
        c(&["ZADD", "fz", "1 ", "x"]),
        c(&["ZRANGE", "fz", "0", "-1", "WITHSCORES"]),
        c(&["ZRANGEBYSCORE", "fz", "(0x1", "0x20"]),
        c(&["FLUSHALL"]),
        c(&["DBSIZE"]),
    ];
    let diffs = diff_sequence(&mut a, &mut b, &cases, order_free);
    assert_no_diffs(&diffs);
}

/// Random command sequences over a small key space (so types and states collide), valid and invalid
/// arguments, binary values: every reply must be byte-identical to redis-server's.
#[test]
fn random_sequences_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let keys = ["k1", "k2", "k3", "n", "{x}\u{0}bin"];
    let vals = [
        "v",
        "",
        "10",
        "-5",
        "3.5",
        "abc\r\ndef",
        "9223372036854775807",
        "00012",
        " 1",
        "1e3",
        "\u{0}\u{ff}",
    ];
    let ints = [
        "0",
        "1",
        "-1",
        "7",
        "100",
        "-100",
        "x",
        "9223372036854775807",
        "-9223372036854775808",
        "1.5",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut cmds = Vec::new();
    for _ in 0..3000 {
        let k = rng.pick(&keys).to_string();
        let k2 = rng.pick(&keys).to_string();
        let v = rng.pick(&vals).to_string();
        let i = rng.pick(&ints).to_string();
        let j = rng.pick(&ints).to_string();
        let cmd: Vec<String> = match rng.below(40) {
            0 => vec!["SET".into(), k, v],
            1 => vec!["GET".into(), k],
            2 => vec![
                "SET".into(),
                k,
                v,
                rng.pick(&["NX", "XX", "GET", "KEEPTTL", "EX", "PX"])
                    .to_string(),
                "1000".into(),
            ],
            3 => vec!["INCR".into(), k],
            4 => vec!["INCRBY".into(), k, i],
            5 => vec!["DECRBY".into(), k, i],
            6 => vec!["APPEND".into(), k, v],
            7 => vec!["STRLEN".into(), k],
            8 => vec!["GETRANGE".into(), k, i, j],
            9 => vec!["SETRANGE".into(), k, i, v],
            10 => vec!["MSET".into(), k, v, k2, "w".into()],
            11 => vec!["MGET".into(), k, k2, "nokey".into()],
            12 => vec!["MSETNX".into(), k, v, k2, "w".into()],
            13 => vec!["GETSET".into(), k, v],
            14 => vec!["GETDEL".into(), k],
            15 => vec![
                "GETEX".into(),
                k,
                rng.pick(&["EX", "PX", "PERSIST", "EXAT"]).to_string(),
                "100000".into(),
            ],
            16 => vec!["SETNX".into(), k, v],
            17 => vec!["SETEX".into(), k, i, v],
            18 => vec!["DEL".into(), k, k2],
            19 => vec!["EXISTS".into(), k.clone(), k2, k],
            20 => vec!["TYPE".into(), k],
            21 => vec!["RENAME".into(), k, k2],
            22 => vec!["RENAMENX".into(), k, k2],
            23 => vec![
                "COPY".into(),
                k,
                k2,
                rng.pick(&["REPLACE", "DB", ""]).to_string(),
            ],
            24 => vec![
                "EXPIRE".into(),
                k,
                rng.pick(&["1000", "2000", "-1", "x"]).to_string(),
                rng.pick(&["NX", "XX", "GT", "LT", ""]).to_string(),
            ],
            25 => vec!["TTL".into(), k],
            26 => vec!["PERSIST".into(), k],
            // Not EXPIRETIME: after a relative EXPIRE the two servers' clocks may straddle a rounding boundary.
            27 => vec!["EXPIREAT".into(), k, "99999999999".into()],
            28 => vec![
                "MOVE".into(),
                k,
                rng.pick(&["1", "0", "x", "99"]).to_string(),
            ],
            29 => vec!["SELECT".into(), rng.pick(&["0", "1"]).to_string()],
            30 => vec!["OBJECT".into(), "ENCODING".into(), k],
            31 => vec![
                "INCRBYFLOAT".into(),
                k,
                rng.pick(&["1", "-2", "x", "inf"]).to_string(),
            ],
            32 => vec!["DBSIZE".into()],
            33 => vec!["TOUCH".into(), k, k2],
            34 => vec![
                "PEXPIREAT".into(),
                k,
                rng.pick(&["1", "99999999999999"]).to_string(),
            ],
            35 => vec!["SETEX".into(), k, "1000".into(), v],
            36 => vec!["UNLINK".into(), k],
            37 => vec!["DECR".into(), k],
            38 => vec!["ECHO".into(), v],
            _ => vec!["KEYS".into(), "*".into()],
        };
        let cmd: Vec<Vec<u8>> = cmd
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.into_bytes())
            .collect();
        cmds.push(cmd);
    }
    let diffs = diff_sequence(&mut a, &mut b, &cmds, order_free);
    assert!(
        diffs.is_empty(),
        "{} differences, first:\n{}",
        diffs.len(),
        diffs
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
