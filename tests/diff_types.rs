//! Differential tests of the list, hash and set families: the same commands to redis-server 7.0 and to ours,
//! replies compared byte for byte (sorted where Redis does not define an order, by shape where it is random).
mod common;
use common::*;

/// Commands whose element order Redis leaves to its hash tables: compared as sorted multisets.
fn order_free(c: &[Vec<u8>]) -> bool {
    let name = String::from_utf8_lossy(&c[0]).to_ascii_lowercase();
    matches!(
        name.as_str(),
        "smembers"
            | "sinter"
            | "sunion"
            | "sdiff"
            | "hkeys"
            | "hvals"
            | "hgetall"
            | "sscan"
            | "hscan"
            | "keys"
    )
}

/// Random picks: only the reply's shape (type and length) and, for whole-collection answers, the content.
fn random_cmd(c: &[Vec<u8>]) -> bool {
    let name = String::from_utf8_lossy(&c[0]).to_ascii_lowercase();
    matches!(name.as_str(), "spop" | "srandmember" | "hrandfield")
}

/// A reply's shape: errors and integers in full, bulk strings as present/absent, arrays by length.
fn shape(r: &Reply) -> String {
    match r {
        Reply::Line(t, v) => format!("{}{}", *t as char, String::from_utf8_lossy(v)),
        Reply::Bulk(t, v) => format!("{}{}", *t as char, v.is_some()),
        Reply::Agg(t, v) => format!("{}{:?}", *t as char, v.as_ref().map(|v| v.len())),
    }
}

fn run(a: &mut RawConn, b: &mut RawConn, cmds: &[Vec<Vec<u8>>]) -> Vec<String> {
    diff_by(a, b, cmds, |c, x, y| {
        if random_cmd(c) {
            shape(&parse_reply(x)) == shape(&parse_reply(y))
        } else if order_free(c) {
            sorted(parse_reply(x)) == sorted(parse_reply(y))
        } else {
            x == y
        }
    })
}

fn fixed_cases() -> Vec<Vec<Vec<u8>>> {
    let lines = r#"
LPUSH l a b c
RPUSH l d e
LPUSHX nol a
RPUSHX nol a
LPUSHX l z
LRANGE l 0 -1
LRANGE l -3 -1
LRANGE l 5 1
LRANGE l -100 100
LRANGE l 0 x
LRANGE nol 0 -1
LLEN l
LLEN nol
LINDEX l 0
LINDEX l -1
LINDEX l 100
LINDEX l x
LINDEX nol x
LSET l 0 Z
LSET l 100 Z
LSET l x Z
LSET nol 0 Z
LPOP l
RPOP l
LPOP l 2
RPOP l 0
LPOP l -1
LPOP l x
LPOP nol
LPOP nol 2
LPOP nol 0
LPOP l 1 2
RPOP l 100
EXISTS l
RPUSH l a b a c a d a
LREM l 2 a
LREM l -1 a
LREM l 0 a
LREM l x a
LREM nol 1 a
LRANGE l 0 -1
LINSERT l BEFORE c X
LINSERT l AFTER d Y
LINSERT l AFTER nope Y
LINSERT l MIDDLE c Y
LINSERT nol BEFORE a b
LRANGE l 0 -1
LTRIM l 1 -2
LRANGE l 0 -1
LTRIM l 5 1
EXISTS l
LTRIM nol 0 1
RPUSH p a b c a b c a
LPOS p a
LPOS p a RANK 2
LPOS p a RANK -1
LPOS p a RANK -2 COUNT 0
LPOS p a COUNT 0
LPOS p a COUNT 2
LPOS p a COUNT 0 MAXLEN 4
LPOS p a RANK -1 MAXLEN 2
LPOS p zz
LPOS p zz COUNT 1
LPOS p a RANK 0
LPOS p a RANK x
LPOS p a RANK -9223372036854775808
LPOS p a COUNT -1
LPOS p a COUNT x
LPOS p a MAXLEN -1
LPOS p a FOO 1
LPOS p a COUNT
LPOS nol a
LPOS nol a COUNT 1
RPUSH m1 1 2 3
LMOVE m1 m2 LEFT RIGHT
LMOVE m1 m2 RIGHT LEFT
LMOVE m1 m2 UP LEFT
LMOVE m1 m1 LEFT RIGHT
LRANGE m1 0 -1
LRANGE m2 0 -1
RPOPLPUSH m1 m2
EXISTS m1
RPOPLPUSH m1 m2
RPOPLPUSH m2 m2
LRANGE m2 0 -1
LMPOP 2 nol m2 LEFT
LMPOP 2 nol m2 RIGHT COUNT 10
LMPOP 2 nol m2 RIGHT COUNT 10
LMPOP 0 a LEFT
LMPOP -1 a LEFT
LMPOP x a LEFT
LMPOP 5 a LEFT
LMPOP 1 a MIDDLE
LMPOP 1 a LEFT COUNT 0
LMPOP 1 a LEFT COUNT x
LMPOP 1 a LEFT COUNT 1 COUNT 2
LMPOP 1 a LEFT FOO
LMPOP 9223372036854775807 a LEFT
SET s str
LPUSH s a
LPUSHX s a
LRANGE s 0 -1
LLEN s
LINDEX s 0
LPOP s
LPOP s 2
LSET s 0 a
LREM s 0 a
LTRIM s 0 1
LINSERT s BEFORE a b
LPOS s a
RPUSH l2 x
LMOVE s l2 LEFT LEFT
LMOVE l2 s LEFT LEFT
LRANGE l2 0 -1
LMPOP 2 nol s LEFT
BLPOP s 0
BLPOP nol s 0
BLPOP l2 s 0
BLPOP s x
BLPOP s -1
BLPOP s inf
BLPOP s -0.5
BRPOPLPUSH s l2 0
BLMOVE s l2 LEFT UP 0
BLMOVE s l2 LEFT LEFT x
BLMPOP x 1 a LEFT
BLMPOP 0 0 a LEFT
BLMPOP 0 1 s LEFT
RPUSH bl 1 2 3
BLPOP bl 0
BRPOP bl 0.5
BLMOVE bl bl2 RIGHT LEFT 0
BLMPOP 0 2 nol bl2 LEFT COUNT 3
MULTI
BLPOP nol 0
BRPOP nol 1
BLMOVE nol x LEFT LEFT 0
BRPOPLPUSH nol x 0
BLMPOP 0 1 nol LEFT
EXEC
OBJECT ENCODING bl
DEL bl bl2 l l2 m1 m2 p s
HSET h f1 v1 f2 v2
HSET h f1 V1 f3 v3
HSET h f1
HSET h f1 v1 f2
HMSET h f1 v1 f2
HMSET h f4 v4
HSETNX h f4 x
HSETNX h f5 x
HGET h f1
HGET h nof
HGET noh f
HMGET h f1 nof f2
HMGET noh a b
HGETALL h
HGETALL noh
HLEN h
HLEN noh
HEXISTS h f1
HEXISTS h nof
HEXISTS noh f
HKEYS h
HVALS h
HKEYS noh
HSTRLEN h f1
HSTRLEN h nof
HSTRLEN noh f
HDEL h f1 f1 nof
HDEL noh f
HINCRBY h n 5
HINCRBY h n -10
HINCRBY h n x
HINCRBY h f2 1
HINCRBY h n 9223372036854775807
HINCRBY h n -9223372036854775808
HINCRBY noh2 n 1
HINCRBYFLOAT h fl 1.5
HINCRBYFLOAT h fl 0.25
HINCRBYFLOAT h fl -1.75
HINCRBYFLOAT h fl x
HINCRBYFLOAT h fl inf
HINCRBYFLOAT h f2 1
HINCRBYFLOAT h n 1
HINCRBYFLOAT h fl 3.0e3
HGET h fl
HRANDFIELD noh
HRANDFIELD noh 5
HRANDFIELD noh -5 WITHVALUES
HRANDFIELD h 0
HRANDFIELD h x
HRANDFIELD h 1 FOO
HRANDFIELD h 1 WITHVALUES x
HRANDFIELD h -9223372036854775808
HRANDFIELD h 9223372036854775807 WITHVALUES
HRANDFIELD h -9223372036854775807 WITHVALUES
HSCAN h 0
HSCAN h 0 MATCH f*
HSCAN h 0 COUNT 1
HSET h big 01234567890123456789012345678901234567890123456789012345678901234
OBJECT ENCODING h
HGETALL h
HSCAN h 0 COUNT 0
HSCAN h x
HSCAN h 0 TYPE string
HSCAN h 0 FOO 1
HSCAN noh 0
HSCAN noh x
OBJECT ENCODING h
HSET big 0123456789012345678901234567890123456789012345678901234567890123 v
OBJECT ENCODING big
HSET big2 f 01234567890123456789012345678901234567890123456789012345678901234
OBJECT ENCODING big2
HSET big3 f 0123456789012345678901234567890123456789012345678901234567890123
OBJECT ENCODING big3
HINCRBYFLOAT big3 x01234567890123456789012345678901234567890123456789012345678901234 1
OBJECT ENCODING big3
DEL h
HSET dd a 1
HDEL dd a
EXISTS dd
HSET s2 a 1
SET s2 x
HSET s2 a 1
HGET s2 a
HMGET s2 a
HGETALL s2
HDEL s2 a
HLEN s2
HINCRBY s2 a 1
HINCRBYFLOAT s2 a 1
HRANDFIELD s2
HRANDFIELD s2 1
HSCAN s2 0
HSETNX s2 a 1
HSTRLEN s2 a
HEXISTS s2 a
HKEYS s2
SADD st 3 1 2
SADD st 2 4
SMEMBERS st
OBJECT ENCODING st
SADD st a
OBJECT ENCODING st
SADD st2 a 1
OBJECT ENCODING st2
SREM st a 1 nope
SREM nos a
SISMEMBER st 2
SISMEMBER st 9
SISMEMBER nos 9
SMISMEMBER st 2 9 3
SMISMEMBER nos 1 2
SCARD st
SCARD nos
SADD si 5 -3 10 007 +4 -0
SMEMBERS si
OBJECT ENCODING si
SADD si2 5 -3 10
SMEMBERS si2
SSCAN si2 0
SSCAN si2 0 MATCH 1*
SSCAN si2 x
SSCAN si2 0 COUNT 0
SSCAN nos 0
SSCAN si2 0 TYPE set
SINTER si si2
SINTER si2 nos
SINTER nos si2
SUNION si si2 nos
SDIFF si si2
SDIFF si2 si
SDIFF nos si
SINTERSTORE d si si2
SMEMBERS d
OBJECT ENCODING d
SUNIONSTORE d si si2
SCARD d
SDIFFSTORE d si2 si
EXISTS d
SINTERSTORE d nos si
EXISTS d
SADD d x
SUNIONSTORE d nos
EXISTS d
SINTERCARD 2 si si2
SINTERCARD 2 si si2 LIMIT 1
SINTERCARD 2 si si2 LIMIT 0
SINTERCARD 1 si LIMIT 2
SINTERCARD 0 si
SINTERCARD x si
SINTERCARD 3 si si2
SINTERCARD 2 si si2 LIMIT -1
SINTERCARD 2 si si2 LIMIT x
SINTERCARD 2 si si2 FOO
SINTERCARD 2 si nos
SMOVE si2 st 5
SMOVE si2 st 5
SMOVE nos st 5
SMOVE si2 si2 10
SMOVE si2 si2 99
SMEMBERS si2
SMOVE si2 newset 10
SMOVE si2 newset -3
EXISTS si2
SMEMBERS newset
OBJECT ENCODING newset
SPOP nos
SPOP nos 3
SPOP st 0
SPOP st -1
SPOP st x
SPOP st 1 2
SRANDMEMBER nos
SRANDMEMBER nos 3
SRANDMEMBER st 0
SRANDMEMBER st x
SRANDMEMBER st -9223372036854775808
SRANDMEMBER st 1 2
SRANDMEMBER st -5
SRANDMEMBER st 2
SRANDMEMBER st 100
SPOP st 2
SPOP st 100
EXISTS st
SET str v
SADD str a
SREM str a
SMEMBERS str
SISMEMBER str a
SMISMEMBER str a
SCARD str
SPOP str
SRANDMEMBER str
SRANDMEMBER str 2
SMOVE str newset a
SMOVE newset str 10
SINTER str newset
SINTER nos str
SUNION newset str
SDIFF nos str
SINTERSTORE d str
SINTERCARD 1 str
SSCAN str 0
TYPE newset
FLUSHALL
"#;
    lines
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.split(' ').map(|a| a.as_bytes().to_vec()).collect())
        .collect()
}

#[test]
fn fixed_cases_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let diffs = run(&mut a, &mut b, &fixed_cases());
    assert_no_diffs(&diffs);
}

/// One of the given words, as bytes.
fn word(r: &mut Rng, v: &[&str]) -> Vec<u8> {
    r.pick(v).as_bytes().to_vec()
}

/// Builds one random command over a small key space, so types collide, with valid and invalid arguments.
fn random_command(r: &mut Rng) -> Vec<Vec<u8>> {
    const KEYS: &[&str] = &["k0", "k1", "k2", "k3", "k4"];
    let vals: &[&[u8]] = &[
        b"a",
        b"b",
        b"c",
        b"1",
        b"2",
        b"-3",
        b"10",
        b"007",
        b"",
        b"\x00\xff\r\n",
        b"x y",
        b"3.5",
        b"70000",
        b"-5000000000",
        b"99999999999999999999",
    ];
    let ints: &[&str] = &[
        "0",
        "1",
        "-1",
        "2",
        "-2",
        "3",
        "5",
        "-100",
        "100",
        "x",
        "1.5",
        "9223372036854775807",
        "-9223372036854775808",
    ];
    let key = |r: &mut Rng| r.pick(KEYS).as_bytes().to_vec();
    let val = |r: &mut Rng| r.pick(vals).to_vec();
    let int = |r: &mut Rng| r.pick(ints).as_bytes().to_vec();
    let side = |r: &mut Rng| r.pick(&["LEFT", "RIGHT", "left", "up"]).as_bytes().to_vec();
    let s = |x: &str| x.as_bytes().to_vec();
    let mut c: Vec<Vec<u8>>;
    let name = *r.pick(&[
        "LPUSH",
        "RPUSH",
        "LPUSHX",
        "RPUSHX",
        "LPOP",
        "RPOP",
        "LRANGE",
        "LLEN",
        "LINDEX",
        "LSET",
        "LREM",
        "LTRIM",
        "LINSERT",
        "LPOS",
        "LMOVE",
        "RPOPLPUSH",
        "LMPOP",
        "BLPOP",
        "BRPOP",
        "BLMOVE",
        "BLMPOP",
        "HSET",
        "HSETNX",
        "HGET",
        "HMGET",
        "HMSET",
        "HGETALL",
        "HDEL",
        "HLEN",
        "HEXISTS",
        "HKEYS",
        "HVALS",
        "HINCRBY",
        "HINCRBYFLOAT",
        "HSTRLEN",
        "HRANDFIELD",
        "HSCAN",
        "SADD",
        "SREM",
        "SMEMBERS",
        "SISMEMBER",
        "SMISMEMBER",
        "SCARD",
        "SPOP",
        "SRANDMEMBER",
        "SMOVE",
        "SINTER",
        "SUNION",
        "SDIFF",
        "SINTERSTORE",
        "SUNIONSTORE",
        "SDIFFSTORE",
        "SINTERCARD",
        "SSCAN",
        "SET",
        "DEL",
        "TYPE",
        "OBJECT",
    ]);
    c = vec![s(name)];
    match name {
        "LPUSH" | "RPUSH" | "LPUSHX" | "RPUSHX" | "SADD" | "SREM" | "SMISMEMBER" | "HMGET"
        | "HDEL" => {
            c.push(key(r));
            for _ in 0..1 + r.below(3) {
                c.push(val(r));
            }
        }
        "SPOP" => {
            // Only counts that pop nothing or everything: a random pop would make the two servers' data diverge.
            c.push(key(r));
            c.push(word(r, &["0", "100", "-1", "x"]));
        }
        "LPOP" | "RPOP" | "SRANDMEMBER" | "HRANDFIELD" => {
            c.push(key(r));
            if r.below(2) == 0 {
                c.push(int(r));
                if name == "HRANDFIELD" && r.below(2) == 0 {
                    c.push(s("WITHVALUES"));
                }
            }
        }
        "LRANGE" | "LTRIM" => {
            c.push(key(r));
            c.push(int(r));
            c.push(int(r));
        }
        "LLEN" | "HGETALL" | "HLEN" | "HKEYS" | "HVALS" | "SMEMBERS" | "SCARD" | "TYPE" | "DEL" => {
            c.push(key(r))
        }
        "LINDEX" => {
            c.push(key(r));
            c.push(int(r));
        }
        "LSET" | "LREM" => {
            c.push(key(r));
            c.push(int(r));
            c.push(val(r));
        }
        "LINSERT" => {
            c.push(key(r));
            c.push(word(r, &["BEFORE", "AFTER", "after", "x"]));
            c.push(val(r));
            c.push(val(r));
        }
        "LPOS" => {
            c.push(key(r));
            c.push(val(r));
            for _ in 0..r.below(3) {
                c.push(word(r, &["RANK", "COUNT", "MAXLEN"]));
                c.push(int(r));
            }
        }
        "LMOVE" | "BLMOVE" => {
            c.push(key(r));
            c.push(key(r));
            c.push(side(r));
            c.push(side(r));
            if name == "BLMOVE" {
                c.push(s("0.01"));
            }
        }
        "RPOPLPUSH" | "SMOVE" => {
            c.push(key(r));
            c.push(key(r));
            if name == "SMOVE" {
                c.push(val(r));
            }
        }
        "LMPOP" | "BLMPOP" => {
            if name == "BLMPOP" {
                c.push(s("0.01"));
            }
            let n = r.below(3);
            c.push(n.to_string().into_bytes());
            for _ in 0..n.max(1) {
                c.push(key(r));
            }
            c.push(side(r));
            if r.below(2) == 0 {
                c.push(s("COUNT"));
                c.push(int(r));
            }
        }
        "BLPOP" | "BRPOP" => {
            for _ in 0..1 + r.below(2) {
                c.push(key(r));
            }
            c.push(s("0.01"));
        }
        "HSET" | "HMSET" => {
            c.push(key(r));
            for _ in 0..1 + r.below(3) {
                c.push(val(r));
                c.push(val(r));
            }
        }
        "HSETNX" => {
            c.push(key(r));
            c.push(val(r));
            c.push(val(r));
        }
        "HGET" | "HEXISTS" | "HSTRLEN" | "SISMEMBER" => {
            c.push(key(r));
            c.push(val(r));
        }
        "HINCRBY" => {
            c.push(key(r));
            c.push(val(r));
            c.push(int(r));
        }
        "HINCRBYFLOAT" => {
            // A field of its own, with increments exact in binary: the sums are then the same in C's long
            // double and in f64, whichever INCRBYFLOAT arithmetic is linked in.
            c.push(key(r));
            c.push(word(r, &["fl", "fl2"]));
            c.push(word(r, &["1", "-2", "0.5", "x", "2.25", "inf"]));
        }
        "HSCAN" | "SSCAN" => {
            c.push(key(r));
            c.push(s("0"));
            c.push(s("COUNT"));
            c.push(s("1000"));
            if r.below(2) == 0 {
                c.push(s("MATCH"));
                c.push(word(r, &["*", "a*", "1*", "?"]));
            }
        }
        "SINTER" | "SUNION" | "SDIFF" => {
            for _ in 0..1 + r.below(3) {
                c.push(key(r));
            }
        }
        "SINTERSTORE" | "SUNIONSTORE" | "SDIFFSTORE" => {
            for _ in 0..2 + r.below(3) {
                c.push(key(r));
            }
        }
        "SINTERCARD" => {
            let n = 1 + r.below(3);
            c.push(n.to_string().into_bytes());
            for _ in 0..n {
                c.push(key(r));
            }
            if r.below(2) == 0 {
                c.push(s("LIMIT"));
                c.push(int(r));
            }
        }
        "SET" => {
            c.push(key(r));
            c.push(val(r));
        }
        "OBJECT" => {
            c.push(s("ENCODING"));
            c.push(key(r));
        }
        _ => unreachable!(),
    }
    c
}

#[test]
fn random_sequences_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    // DIFF_SEEDS=n runs more sequences when hunting for differences.
    let seeds: u64 = std::env::var("DIFF_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    for seed in 1..=seeds {
        let mut r = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0x1234_5678_9ABC_DEF1));
        let mut cmds: Vec<Vec<Vec<u8>>> = vec![vec![b"FLUSHALL".to_vec()]];
        // Small configured thresholds make encoding conversions happen within the sequence.
        if seed % 2 == 0 {
            for (k, v) in [
                ("hash-max-listpack-entries", "4"),
                ("set-max-intset-entries", "4"),
            ] {
                cmds.push(c(&["CONFIG", "SET", k, v]));
            }
        }
        for _ in 0..1500 {
            cmds.push(random_command(&mut r));
        }
        for k in ["k0", "k1", "k2", "k3", "k4"] {
            cmds.push(c(&["TYPE", k]));
            cmds.push(c(&["OBJECT", "ENCODING", k]));
        }
        let diffs = run(&mut a, &mut b, &cmds);
        assert!(
            diffs.is_empty(),
            "seed {seed}: {} differences:\n{}",
            diffs.len(),
            diffs.join("\n")
        );
    }
}

#[test]
fn resp3_shapes_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    a.cmd(&["HELLO", "3"]);
    b.cmd(&["HELLO", "3"]);
    let cmds: Vec<Vec<Vec<u8>>> = vec![
        c(&["RPUSH", "l", "a", "b"]),
        c(&["LPOP", "nol"]),
        c(&["LPOP", "nol", "2"]),
        c(&["LMPOP", "1", "nol", "LEFT"]),
        c(&["LPOS", "l", "zz"]),
        c(&["HSET", "h", "f", "v", "g", "w"]),
        c(&["HGETALL", "h"]),
        c(&["HGETALL", "noh"]),
        c(&["HGET", "h", "nof"]),
        c(&["HMGET", "h", "f", "nof"]),
        c(&["HRANDFIELD", "noh"]),
        c(&["HRANDFIELD", "noh", "2"]),
        c(&["HRANDFIELD", "h", "5", "WITHVALUES"]),
        c(&["HRANDFIELD", "h", "-3", "WITHVALUES"]),
        c(&["HSCAN", "h", "0"]),
        c(&["SADD", "s", "1", "2", "3"]),
        c(&["SMEMBERS", "s"]),
        c(&["SMEMBERS", "nos"]),
        c(&["SINTER", "s", "nos"]),
        c(&["SUNION", "s", "nos"]),
        c(&["SDIFF", "s", "nos"]),
        c(&["SRANDMEMBER", "s", "5"]),
        c(&["SRANDMEMBER", "s", "-5"]),
        c(&["SRANDMEMBER", "s", "0"]),
        c(&["SRANDMEMBER", "nos", "2"]),
        c(&["SPOP", "nos"]),
        c(&["SPOP", "nos", "2"]),
        c(&["SPOP", "s", "0"]),
        c(&["SMISMEMBER", "s", "1", "9"]),
        c(&["SPOP", "s", "5"]),
        c(&["BLPOP", "nol", "0.01"]),
        c(&["MULTI"]),
        c(&["BLPOP", "nol", "0"]),
        c(&["BLMOVE", "nol", "x", "LEFT", "LEFT", "0"]),
        c(&["EXEC"]),
    ];
    let diffs = run(&mut a, &mut b, &cmds);
    assert_no_diffs(&diffs);
}

/// Reads every message a subscriber received until the stream has been quiet for a moment.
fn drain(sub: &mut RawConn) -> Vec<String> {
    let mut msgs = Vec::new();
    while let Some(m) = sub.read_reply_timeout(std::time::Duration::from_millis(300)) {
        msgs.push(String::from_utf8_lossy(&m).to_string());
    }
    msgs
}

#[test]
fn keyspace_events_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let mut sa = RawConn::connect(ours.port);
    let mut sb = RawConn::connect(redis.port);
    for (conn, sub) in [(&mut a, &mut sa), (&mut b, &mut sb)] {
        conn.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
    }
    // Deterministic commands only (no random picks), covering every event the families emit.
    let lines = r#"
RPUSH l a b c d
LPUSH l z
LPUSHX l y
RPUSHX l x
LPUSHX nol y
LPOP l
RPOP l 2
LSET l 0 Q
LINSERT l BEFORE Q P
LREM l 1 P
LREM l 1 nope
LTRIM l 0 1
LTRIM l 0 100
LMOVE l l2 LEFT RIGHT
RPOPLPUSH l l2
LMPOP 1 l2 LEFT COUNT 5
BLPOP nol 0.01
RPUSH b1 1
BLPOP b1 0
RPUSH b2 1 2
BLMOVE b2 b3 LEFT LEFT 0
BLMPOP 0 1 b2 RIGHT
LTRIM b3 5 10
HSET h a 1 b 2
HSETNX h a 1
HSETNX h c 3
HMSET h d 4
HINCRBY h n 1
HINCRBYFLOAT h f 1.5
HDEL h a nope
HDEL h b c d n f
SADD s 1 2 3
SADD s 1
SREM s 1 9
SREM s 9
SMOVE s s2 2
SMOVE s s2 3
SADD x a b
SADD y b c
SINTERSTORE d x y
SUNIONSTORE d x y
SDIFFSTORE d x x
SDIFFSTORE d x x
SET str v
SINTERSTORE str x y
SUNIONSTORE str nothing
"#;
    let cmds: Vec<Vec<Vec<u8>>> = lines
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.split(' ').map(|a| a.as_bytes().to_vec()).collect())
        .collect();
    let diffs = run(&mut a, &mut b, &cmds);
    assert_no_diffs(&diffs);
    let ev_a = drain(&mut sa);
    let ev_b = drain(&mut sb);
    assert!(ev_b.len() > 100, "{} events", ev_b.len());
    if ev_a != ev_b {
        let n = ev_a.iter().zip(&ev_b).take_while(|(x, y)| x == y).count();
        panic!(
            "events differ from #{n}:\n ours:  {:?}\n redis: {:?}",
            &ev_a[n..(n + 6).min(ev_a.len())],
            &ev_b[n..(n + 6).min(ev_b.len())]
        );
    }
}
