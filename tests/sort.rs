//! SORT and SORT_RO against redis-server 7.0: every option, BY/GET patterns (strings, hash fields, `#`,
//! constants), LIMIT edges, STORE (events, WATCH, empty results), the errors and their order.
mod common;

use common::{
    assert_no_diffs, assert_same_as_redis, c, diff_sequence, start_ours, start_redis, RawConn, Rng,
};

fn setup() -> Vec<Vec<Vec<u8>>> {
    vec![
        c(&["FLUSHALL"]),
        c(&["RPUSH", "l", "3", "1", "2", "10", "-5", "1.5", "2"]),
        c(&[
            "RPUSH", "words", "banana", "apple", "cherry", "Apple", "b\0x", "b\0a",
        ]),
        c(&["SADD", "iset", "5", "3", "9", "-1"]),
        c(&["SADD", "sset", "pear", "fig", "kiwi", "date"]),
        c(&[
            "ZADD", "z", "3", "c", "1", "a", "2", "b", "5", "e", "4", "d",
        ]),
        c(&[
            "MSET", "w_3", "30", "w_1", "10", "w_2", "20", "w_10", "5", "w_-5", "0.5",
        ]),
        c(&["MSET", "n_3", "three", "n_1", "one", "n_2", "two"]),
        c(&["HSET", "h_3", "f", "300", "g", "x"]),
        c(&["HSET", "h_1", "f", "100"]),
        c(&["HSET", "h_2", "f", "200", "g", "y"]),
        c(&["SET", "str", "notalist"]),
        c(&["HSET", "hashkey", "a", "1"]),
        c(&["RPUSH", "bad", "1", "x", "2"]),
        c(&["RPUSH", "spaces", " 3", "", "0x10", "1e2", "inf", "-inf"]),
        c(&["RPUSH", "underflow", "1e-400"]),
    ]
}

#[test]
fn sort_fixed_cases_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut script = setup();
    let cases: &[&[&str]] = &[
        &["SORT", "l"],
        &["SORT", "l", "DESC"],
        &["SORT", "l", "ASC", "DESC", "ASC"],
        &["SORT", "l", "LIMIT", "1", "3"],
        &["SORT", "l", "LIMIT", "-5", "2"],
        &["SORT", "l", "LIMIT", "2", "-1"],
        &["SORT", "l", "LIMIT", "100", "5"],
        &["SORT", "l", "LIMIT", "0", "0"],
        &[
            "SORT",
            "l",
            "LIMIT",
            "9223372036854775807",
            "9223372036854775807",
        ],
        &[
            "SORT",
            "l",
            "LIMIT",
            "-9223372036854775808",
            "-9223372036854775808",
        ],
        &["SORT", "l", "LIMIT", "1"],
        &["SORT", "l", "LIMIT", "x", "1"],
        &["SORT", "l", "LIMIT", "1", "1.5"],
        &["SORT", "words"],
        &["SORT", "words", "ALPHA"],
        &["SORT", "words", "ALPHA", "DESC", "LIMIT", "1", "2"],
        &["SORT", "iset"],
        &["SORT", "iset", "DESC"],
        &["SORT", "sset", "ALPHA"],
        &["SORT", "sset"],
        &["SORT", "z"],
        &["SORT", "z", "ALPHA", "DESC"],
        &["SORT", "z", "BY", "nosort"],
        &["SORT", "z", "BY", "nosort", "DESC"],
        &["SORT", "z", "BY", "nosort", "LIMIT", "1", "2"],
        &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
        &["SORT", "z", "BY", "nosort", "LIMIT", "10", "2"],
        &["OBJECT", "ENCODING", "z"],
        &["SORT", "l", "BY", "nosort"],
        &["SORT", "l", "BY", "nosort", "DESC"],
        &["SORT", "l", "BY", "nosort", "LIMIT", "2", "3"],
        &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "2", "3"],
        &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "6", "3"],
        &["SORT", "l", "BY", "w_*"],
        &["SORT", "l", "BY", "w_*", "DESC"],
        &["SORT", "l", "BY", "w_*", "LIMIT", "0", "2"],
        &["SORT", "l", "BY", "n_*", "ALPHA"],
        &["SORT", "l", "BY", "n_*", "ALPHA", "DESC"],
        &["SORT", "l", "BY", "n_*"],
        &["SORT", "l", "BY", "h_*->f"],
        &["SORT", "l", "BY", "h_*->g", "ALPHA"],
        &["SORT", "l", "BY", "h_*->"],
        &["SORT", "l", "GET", "#"],
        &[
            "SORT", "l", "GET", "w_*", "GET", "#", "GET", "h_*->f", "GET", "n_*",
        ],
        &["SORT", "l", "GET", "constant"],
        &["SORT", "l", "BY", "w_*", "GET", "h_*->g", "DESC"],
        &["SORT", "l", "GET"],
        &["SORT", "l", "BY"],
        &["SORT", "l", "STORE"],
        &["SORT", "l", "BOGUS"],
        &["SORT", "l", "BOGUS", "LIMIT", "x", "1"],
        &["SORT", "l", "LIMIT", "x", "1", "BOGUS"],
        &["SORT", "str"],
        &["SORT", "str", "BOGUS"],
        &["SORT", "hashkey"],
        &["SORT", "missing"],
        &["SORT", "missing", "STORE", "dst"],
        &["SORT", "bad"],
        &["SORT", "bad", "ALPHA"],
        &["SORT", "bad", "LIMIT", "0", "1"],
        &["SORT", "spaces"],
        &["SORT", "words", "BY", "nosort", "GET", "#"],
        &["SORT_RO", "l"],
        &["SORT_RO", "l", "STORE", "dst"],
        &["SORT_RO", "l", "BY", "w_*", "GET", "#", "LIMIT", "1", "1"],
        &["SORT", "l", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["OBJECT", "ENCODING", "dst"],
        &["SORT", "sset", "BY", "nosort", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["SORT", "l", "GET", "n_*", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["SET", "dst", "x"],
        &["EXPIRE", "dst", "100"],
        &["SORT", "l", "STORE", "dst"],
        &["TTL", "dst"],
        &["SORT", "l", "LIMIT", "0", "0", "STORE", "dst"],
        &["EXISTS", "dst"],
        &["SORT", "l", "STORE", "l"],
        &["LRANGE", "l", "0", "-1"],
        &["SORT", "bad", "STORE", "dst2"],
        &["EXISTS", "dst2"],
        &["INFO", "keyspace"],
        // Last: Redis leaves errno at ERANGE after this, and later numeric SORTs read the stale errno.
        &["SORT", "underflow"],
    ];
    script.extend(cases.iter().map(|a| c(a)));
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    // An unsorted hash-table set comes out in hash order, which differs between servers.
    let unordered = |cmd: &[Vec<u8>]| {
        cmd.len() == 2 && cmd[1] == b"sset"
            || cmd.len() == 4 && cmd[1] == b"sset" && cmd[3] == b"nosort"
    };
    assert_no_diffs(&diff_sequence(&mut a, &mut b, &script, unordered));
}

#[test]
fn sort_store_notifies_and_touches_watch() {
    let ours = start_ours();
    let redis = start_redis();
    let script = [
        c(&["RPUSH", "src", "2", "1"]),
        c(&["SORT", "src", "STORE", "dst"]),
        c(&["SORT", "missing", "STORE", "dst"]),
        c(&["SORT", "missing", "STORE", "dst"]),
        c(&["SET", "done", "1"]),
    ];
    let a = common::keyspace_event_stream(ours.port, &script);
    let b = common::keyspace_event_stream(redis.port, &script);
    assert_eq!(a, b);

    // A watched destination is touched by SORT ... STORE even when the result is empty (unit/multi).
    let mut w = RawConn::connect(ours.port);
    let mut other = RawConn::connect(ours.port);
    other.cmd(&["RPUSH", "wdst", "x"]);
    w.cmd(&["WATCH", "wdst"]);
    other.cmd(&["SORT", "emptylist", "STORE", "wdst"]);
    w.cmd(&["MULTI"]);
    w.cmd(&["PING"]);
    assert_eq!(w.cmd(&["EXEC"]), b"*-1\r\n");
}

#[test]
fn sort_random_lists_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let mut rng = Rng(0x5eed_5041);
    let mut script = vec![c(&["FLUSHALL"])];
    let vals = [
        "1", "2", "3", "-1", "0", "2.5", "1e3", "a", "b", "B", "", "10",
    ];
    for round in 0..40 {
        let key = format!("k{}", round % 4);
        let n = rng.below(8);
        let mut push = vec!["RPUSH".to_string(), key.clone()];
        for _ in 0..=n {
            push.push(vals[rng.below(vals.len() as u64) as usize].to_string());
        }
        script.push(push.iter().map(|s| s.as_bytes().to_vec()).collect());
        for v in vals.iter().take(6) {
            if rng.below(2) == 0 {
                script.push(c(&["SET", &format!("w{v}"), vals[rng.below(12) as usize]]));
            }
        }
        let mut cmd = vec!["SORT".to_string(), key.clone()];
        let opts: &[&[&str]] = &[
            &["DESC"],
            &["ALPHA"],
            &["BY", "w*"],
            &["BY", "nosort"],
            &["GET", "#"],
            &["GET", "w*"],
            &["LIMIT", "1", "2"],
            &["LIMIT", "-1", "-1"],
            &["STORE", "out"],
        ];
        for _ in 0..rng.below(4) {
            let o = opts[rng.below(opts.len() as u64) as usize];
            cmd.extend(o.iter().map(|s| s.to_string()));
        }
        script.push(cmd.iter().map(|s| s.as_bytes().to_vec()).collect());
        script.push(c(&["LRANGE", "out", "0", "-1"]));
    }
    assert_no_diffs(&diff_sequence(&mut a, &mut b, &script, |_| false));
}

#[test]
fn sort_getkeys_finds_the_last_store() {
    assert_same_as_redis(&[
        &["COMMAND", "GETKEYS", "sort", "abc", "store", "def"][..],
        &["COMMAND", "GETKEYS", "sort_ro", "abc"],
        &[
            "COMMAND", "GETKEYS", "sort", "abc", "store", "invalid", "store", "stillbad", "store",
            "def",
        ],
        &[
            "COMMAND", "GETKEYS", "sort", "abc", "limit", "store", "x", "store",
        ],
        &[
            "COMMAND", "GETKEYS", "sort", "abc", "by", "store", "get", "store", "store", "k",
        ],
        &["COMMAND", "GETKEYS", "sort", "abc", "store"],
    ]);
}

/// Redis's SORT reads errno without clearing it: an overflowed number in an earlier command (a SCAN cursor,
/// a score bound) fails the next numeric SORT, until a parse that clears errno runs.
#[test]
fn sort_sees_errno_left_by_earlier_commands() {
    assert_same_as_redis(&[
        // 1.5 is no integer: it goes through strtod, which is where errno is looked at.
        &["RPUSH", "l", "3", "1", "2", "1.5"][..],
        &["RPUSH", "ints", "3", "1", "2"],
        &["SCAN", "18446744073709551616"],
        &["SORT", "ints"],
        &["SORT", "l"],
        &["SCAN", "18446744073709551616"],
        &["SORT", "l"],
        &["SORT", "l", "ALPHA"],
        &["SORT", "l", "BY", "nosort"],
        &["ZADD", "z", "1", "m"],
        &["SORT", "l"],
        &["ZCOUNT", "z", "-1e400", "1e400"],
        &["SORT", "l"],
        &["SCAN", "0", "MATCH", "nomatch"],
        &["SORT", "l"],
        &["INCRBYFLOAT", "f", "1e5000"],
        &["SORT", "l"],
        &["INCRBYFLOAT", "f", "1"],
        &["SORT", "l", "STORE", "dst"],
        &["ZCOUNT", "z", "\u{0}", "3"],
        &["ZCOUNT", "z", "1\u{0}x", "3"],
        &["ZCOUNT", "z", " ", "3"],
        &["ZCOUNT", "z", " 1", "3"],
        &["ZCOUNT", "z", "(1e400", "3"],
        &["ZCOUNT", "z", "", "(3"],
        &["ZRANGEBYSCORE", "z", "-inf", "\r\n"],
    ]);
}
