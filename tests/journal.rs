//! What our server propagates (its replication stream) against what redis-server 7.0 appends to its AOF for the
//! same script: every family's writes, the rewrites Redis makes (absolute times, INCRBYFLOAT as SET, SPOP as
//! SREM, blocking pops as plain pops, RESTORE with ABSTTL...), no-op writes (nothing), MULTI/EXEC and SELECT.
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::stream::{aof_until_end, attach, read_until_end};
use common::{c, encode, parse_reply, start_ours, start_redis_with, RawConn, Reply};

/// DUMP of the string "hello" by redis-server 7.0 (RDB version 10, CRC64 included).
const HELLO_DUMP: &[u8] = &[
    0x00, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a, 0x00, 0x63, 0x72, 0xdf, 0x76, 0x65, 0x34, 0x20,
    0x0a,
];

/// Absolute times of the two servers may differ by how far apart the same step ran on each.
const TIME_TOLERANCE_MS: i64 = 5_000;

enum Step {
    /// A command on the main connection.
    Do(Vec<Vec<u8>>),
    /// A blocking command on extra connection `n`; the step ends once the server counts it as blocked.
    Block(usize, Vec<Vec<u8>>),
    /// Reads the reply of the blocked connection `n` (served by an earlier step).
    Served(usize),
    /// A command on extra connection `n`, before it blocks (SELECT).
    On(usize, Vec<Vec<u8>>),
    /// Lets short TTLs lapse.
    Sleep(u64),
}

fn raw(args: &[&[u8]]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.to_vec()).collect()
}

/// The script: at least one write of every family, with the forms Redis rewrites and no-ops among them.
fn script() -> Vec<Step> {
    use Step::*;
    let now_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at_s = (now_s + 1000).to_string();
    let at_ms = ((now_s + 2000) * 1000).to_string();
    let d = |a: &[&str]| Do(c(a));
    vec![
        // Strings.
        d(&["SET", "s1", "hello"]),
        d(&["SET", "s2", "v", "EX", "100"]),
        d(&["SET", "s2b", "v", "KEEPTTL", "GET"]),
        d(&["SETEX", "s3", "100", "v"]),
        d(&["PSETEX", "s4", "100000", "v"]),
        d(&["SET", "s5", "v", "EXAT", &at_s]),
        d(&["SET", "s1", "world", "GET"]),
        d(&["SET", "s1", "x", "NX"]),
        d(&["GETSET", "s1", "y"]),
        d(&["INCRBYFLOAT", "f", "1.5"]),
        d(&["INCRBYFLOAT", "f", "0.1"]),
        d(&["EXPIRE", "f", "100"]),
        d(&["INCRBYFLOAT", "f", "3.0e3"]),
        d(&["INCR", "n"]),
        d(&["INCRBY", "n", "5"]),
        d(&["DECR", "n"]),
        d(&["SETRANGE", "sr", "3", "abc"]),
        d(&["SETRANGE", "nosuch", "0", ""]),
        d(&["APPEND", "s1", "zz"]),
        d(&["MSET", "m1", "a", "m2", "b"]),
        d(&["MSETNX", "m1", "x", "m3", "y"]),
        d(&["SETNX", "m1", "z"]),
        d(&["GETDEL", "m2"]),
        d(&["GETDEL", "nosuch"]),
        d(&["GETEX", "s1", "EX", "100"]),
        d(&["GETEX", "s1", "PERSIST"]),
        d(&["GETEX", "s1", "PERSIST"]),
        d(&["GETEX", "s1", "PXAT", "1"]),
        d(&["SET", "e1", "v", "PX", "1"]),
        Sleep(30),
        d(&["GET", "e1"]),
        // Bits.
        d(&["SETBIT", "b", "7", "1"]),
        d(&["SETBIT", "b", "7", "1"]),
        d(&["BITOP", "OR", "bdst", "b", "b"]),
        d(&[
            "BITFIELD", "bf", "SET", "u8", "0", "255", "INCRBY", "u8", "0", "10",
        ]),
        d(&["BITFIELD", "bf", "GET", "u8", "0"]),
        // Keys.
        d(&["RENAME", "m1", "m1r"]),
        d(&["RENAMENX", "m1r", "m3"]),
        d(&["COPY", "m3", "m4"]),
        d(&["COPY", "m3", "m4"]),
        d(&["MOVE", "m4", "1"]),
        d(&["DEL", "m3", "nosuch"]),
        d(&["DEL", "nosuch"]),
        d(&["UNLINK", "sr"]),
        d(&["SET", "k", "v"]),
        d(&["EXPIRE", "k", "100"]),
        d(&["EXPIRE", "k", "100", "NX"]),
        d(&["EXPIRE", "k", "200", "GT"]),
        d(&["PEXPIRE", "k", "50000", "LT"]),
        d(&["EXPIREAT", "k", &at_s]),
        d(&["PEXPIREAT", "k", &at_ms]),
        d(&["PERSIST", "k"]),
        d(&["PERSIST", "k"]),
        d(&["EXPIRE", "nosuch", "100"]),
        d(&["EXPIRE", "k", "0"]),
        Do(raw(&[b"RESTORE", b"r1", b"0", HELLO_DUMP])),
        Do(raw(&[b"RESTORE", b"r2", b"100000", HELLO_DUMP])),
        Do(raw(&[b"RESTORE", b"r1", b"0", HELLO_DUMP, b"REPLACE"])),
        Do(raw(&[
            b"RESTORE",
            b"r3",
            at_ms.as_bytes(),
            HELLO_DUMP,
            b"ABSTTL",
        ])),
        Do(raw(&[
            b"RESTORE", b"r1", b"1", HELLO_DUMP, b"REPLACE", b"ABSTTL",
        ])),
        Do(raw(&[b"RESTORE", b"r4", b"1", HELLO_DUMP, b"ABSTTL"])),
        // Lists.
        d(&["RPUSH", "l", "a", "b", "c", "d", "e", "f", "g"]),
        d(&["LPUSH", "l", "z"]),
        d(&["LPUSHX", "nosuch", "a"]),
        d(&["LPOP", "l"]),
        d(&["RPOP", "l", "2"]),
        d(&["LMOVE", "l", "l2", "LEFT", "RIGHT"]),
        d(&["RPOPLPUSH", "l", "l2"]),
        d(&["LSET", "l", "0", "x"]),
        d(&["LINSERT", "l", "BEFORE", "x", "w"]),
        d(&["LINSERT", "l", "BEFORE", "nosuch", "w"]),
        d(&["LREM", "l", "0", "nosuch"]),
        d(&["LTRIM", "l", "0", "10"]),
        d(&["LMPOP", "2", "nosuch", "l", "LEFT", "COUNT", "10"]),
        d(&["LMPOP", "1", "nosuch", "LEFT"]),
        d(&["RPUSH", "l2", "p", "q", "r"]),
        d(&["BLPOP", "nosuch", "l2", "0"]),
        d(&["blmove", "l2", "l3", "left", "Left", "0"]),
        d(&["BRPOPLPUSH", "l2", "l3", "0"]),
        d(&["BLMPOP", "0", "1", "l3", "RIGHT", "COUNT", "1"]),
        d(&["SORT", "l3", "ALPHA", "STORE", "sorted"]),
        Block(0, c(&["BLPOP", "bl1", "0"])),
        d(&["RPUSH", "bl1", "x", "y"]),
        Served(0),
        Block(0, c(&["BRPOP", "other", "bl2", "0"])),
        d(&["LPUSH", "bl2", "q"]),
        Served(0),
        Block(0, c(&["BLMOVE", "bl3", "bl3d", "RIGHT", "LEFT", "0"])),
        d(&["RPUSH", "bl3", "a"]),
        Served(0),
        Block(0, c(&["BRPOPLPUSH", "bl4", "bl4d", "0"])),
        d(&["RPUSH", "bl4", "a"]),
        Served(0),
        Block(0, c(&["BLMPOP", "0", "1", "bl5", "RIGHT", "COUNT", "5"])),
        d(&["RPUSH", "bl5", "a", "b"]),
        Served(0),
        // Two clients served by one push: one execution unit each.
        Block(0, c(&["BLPOP", "bl6", "0"])),
        Block(1, c(&["BLPOP", "bl6", "0"])),
        d(&["RPUSH", "bl6", "a", "b", "c"]),
        Served(0),
        Served(1),
        // A client blocked in another database: served there.
        On(0, c(&["SELECT", "4"])),
        Block(0, c(&["BLPOP", "bl7", "0"])),
        d(&["SELECT", "4"]),
        d(&["RPUSH", "bl7", "a"]),
        d(&["SELECT", "0"]),
        Served(0),
        On(0, c(&["SELECT", "0"])),
        // Same-key forms that change nothing, or something.
        d(&["RENAME", "s3", "s3"]),
        d(&["LMOVE", "l3", "l3", "RIGHT", "LEFT"]),
        d(&["COPY", "s4", "s5", "REPLACE"]),
        d(&["COPY", "s4", "s4c", "DB", "5"]),
        // A write to a key that expired: its deletion and the write, one unit (active expiry, which would
        // delete it on its own, paused).
        d(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]),
        d(&["SET", "e2", "v", "PX", "1"]),
        Sleep(30),
        d(&["APPEND", "e2", "x"]),
        d(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]),
        // Hashes.
        d(&["HSET", "h", "f1", "v1", "f2", "v2"]),
        d(&["HSETNX", "h", "f1", "x"]),
        d(&["HINCRBY", "h", "n", "5"]),
        d(&["HINCRBYFLOAT", "h", "fl", "2.5"]),
        d(&["HINCRBYFLOAT", "h", "fl", "1e2"]),
        d(&["HDEL", "h", "f2"]),
        d(&["HDEL", "h", "nosuch"]),
        d(&["HMSET", "h", "a", "1"]),
        // Sets.
        d(&["SADD", "st", "a", "b", "c"]),
        d(&["SADD", "st", "a"]),
        d(&["SREM", "st", "nosuch"]),
        d(&["SADD", "st2", "b", "x"]),
        d(&["SMOVE", "st", "st2", "a"]),
        d(&["SMOVE", "st", "st2", "nosuch"]),
        d(&["SMOVE", "st", "st", "b"]),
        d(&["SINTERSTORE", "sdst", "st", "st2"]),
        d(&["SUNIONSTORE", "sdst2", "st", "st2"]),
        d(&["SDIFFSTORE", "sdst3", "st", "nosuch"]),
        d(&["SINTERSTORE", "sdst4", "st", "nosuch"]),
        d(&["SADD", "spop1", "a", "b", "c", "d", "e"]),
        d(&["SPOP", "spop1"]),
        d(&["SPOP", "spop1", "2"]),
        d(&["SPOP", "spop1", "1"]),
        d(&["SPOP", "spop1", "5"]),
        d(&[
            "SADD", "spop2", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
        ]),
        d(&["SPOP", "spop2", "9"]),
        d(&["SPOP", "spop2", "0"]),
        d(&["SPOP", "nosuch", "3"]),
        d(&["SADD", "spop3", "only"]),
        d(&["SPOP", "spop3"]),
        // Sorted sets.
        d(&[
            "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
        ]),
        d(&["ZADD", "z", "INCR", "5", "a"]),
        d(&["ZADD", "z", "NX", "10", "a"]),
        d(&["ZADD", "z", "GT", "0", "b"]),
        d(&["ZINCRBY", "z", "1", "b"]),
        d(&["ZPOPMIN", "z"]),
        d(&["ZPOPMAX", "z", "2"]),
        d(&["ZPOPMIN", "nosuch"]),
        d(&["ZADD", "z2", "1", "x", "2", "y", "3", "w"]),
        d(&["ZRANGESTORE", "zdst", "z2", "0", "1"]),
        d(&["ZRANGESTORE", "zdst2", "nosuch", "0", "-1"]),
        d(&["ZUNIONSTORE", "zu", "2", "z", "z2", "WEIGHTS", "1", "2"]),
        d(&["ZINTERSTORE", "zi", "2", "z", "z2"]),
        d(&["ZREM", "z2", "nosuch"]),
        d(&["ZREMRANGEBYSCORE", "z2", "3", "3"]),
        d(&["ZMPOP", "2", "nosuch", "z", "MIN", "COUNT", "10"]),
        d(&["BZPOPMAX", "z2", "0"]),
        d(&["BZMPOP", "0", "1", "z2", "MIN", "COUNT", "3"]),
        Block(0, c(&["BZPOPMIN", "bz1", "0"])),
        d(&["ZADD", "bz1", "1", "a", "2", "b"]),
        Served(0),
        Block(0, c(&["BZMPOP", "0", "1", "bz2", "MAX", "COUNT", "3"])),
        d(&["ZADD", "bz2", "1", "a", "2", "b"]),
        Served(0),
        // Transactions: more than one write is wrapped, one is not, none is nothing.
        d(&["MULTI"]),
        d(&["INCR", "tx"]),
        d(&["SET", "tx2", "v", "EX", "100"]),
        d(&["INCRBYFLOAT", "tx3", "1"]),
        d(&["SPOP", "spop4"]),
        d(&["EXEC"]),
        d(&["MULTI"]),
        d(&["GET", "tx"]),
        d(&["INCR", "tx"]),
        d(&["EXEC"]),
        d(&["MULTI"]),
        d(&["GET", "tx"]),
        d(&["EXEC"]),
        d(&["SADD", "spop5", "a", "b", "c"]),
        d(&["MULTI"]),
        d(&["SPOP", "spop5", "2"]),
        d(&["LPUSH", "tl", "a"]),
        d(&["EXEC"]),
        d(&["MULTI"]),
        d(&["SELECT", "1"]),
        d(&["SET", "txd", "1"]),
        d(&["SELECT", "0"]),
        d(&["SET", "txd", "0"]),
        d(&["EXEC"]),
        d(&["FUNCTION", "FLUSH"]),
        d(&["SCRIPT", "FLUSH"]),
        // Databases.
        d(&["SELECT", "1"]),
        d(&["SET", "d1", "v"]),
        d(&["SWAPDB", "1", "2"]),
        d(&["SELECT", "2"]),
        d(&["FLUSHDB"]),
        d(&["SELECT", "3"]),
        d(&["FLUSHDB"]),
        d(&["SELECT", "0"]),
        d(&["SET", "back", "0"]),
    ]
}

/// One server running the script: the main connection, the connections that block, and what SPOP answered.
struct Run {
    port: u16,
    main: RawConn,
    blockers: Vec<RawConn>,
    blocked: usize,
    /// Members SPOP returned, per key.
    spopped: BTreeMap<String, Vec<String>>,
}

impl Run {
    fn new(port: u16) -> Run {
        Run {
            port,
            main: RawConn::connect(port),
            blockers: Vec::new(),
            blocked: 0,
            spopped: BTreeMap::new(),
        }
    }

    fn blocker(&mut self, n: usize) -> &mut RawConn {
        while self.blockers.len() <= n {
            self.blockers.push(RawConn::connect(self.port));
        }
        &mut self.blockers[n]
    }

    fn blocked_clients(&mut self) -> usize {
        let info = String::from_utf8_lossy(&self.main.cmd(&["INFO", "clients"])).to_string();
        info.lines()
            .find_map(|l| l.strip_prefix("blocked_clients:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("blocked_clients in INFO")
    }

    fn step(&mut self, step: &Step) {
        match step {
            Step::Do(cmd) => {
                let reply = self.main.cmd(cmd);
                if cmd[0].eq_ignore_ascii_case(b"spop") {
                    self.record_spop(&String::from_utf8_lossy(&cmd[1]), &reply);
                }
            }
            Step::On(n, cmd) => {
                self.blocker(*n).cmd(cmd);
            }
            Step::Block(n, cmd) => {
                self.blocker(*n).send_raw(&encode(cmd));
                self.blocked += 1;
                let t0 = Instant::now();
                while self.blocked_clients() != self.blocked {
                    assert!(
                        t0.elapsed() < Duration::from_secs(5),
                        "{cmd:?} did not block"
                    );
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            Step::Served(n) => {
                // Served, not timed out: an element (BLMOVE, BRPOPLPUSH), [key, element(s)] or [key, member, score].
                let reply = self.blockers[*n].read_reply();
                let served = match parse_reply(&reply) {
                    Reply::Bulk(_, Some(_)) => true,
                    Reply::Agg(_, Some(v)) => v.len() >= 2,
                    _ => false,
                };
                assert!(served, "{}", String::from_utf8_lossy(&reply));
                self.blocked -= 1;
            }
            Step::Sleep(ms) => std::thread::sleep(Duration::from_millis(*ms)),
        }
    }

    /// SPOP's reply (inside MULTI only +QUEUED, answered by EXEC: not recorded here, see `record_exec`).
    fn record_spop(&mut self, key: &str, reply: &[u8]) {
        let members = match parse_reply(reply) {
            Reply::Bulk(_, Some(m)) => vec![m],
            Reply::Agg(_, Some(v)) => v
                .into_iter()
                .filter_map(|r| match r {
                    Reply::Bulk(_, Some(m)) => Some(m),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        self.spopped.entry(key.to_string()).or_default().extend(
            members
                .iter()
                .map(|m| String::from_utf8_lossy(m).to_string()),
        );
    }
}

struct Normalized {
    cmds: Vec<Vec<String>>,
    /// The absolute times taken out, in order.
    times: Vec<i64>,
    /// The members of SREMs on `spop*` keys taken out, per key.
    srem: BTreeMap<String, Vec<String>>,
}

/// Replaces what legitimately differs between the two servers: absolute times (returned separately, to be
/// compared within a tolerance) and the members SPOP chose at random (returned per key, to be compared with
/// what SPOP answered).
fn normalize(cmds: &[Vec<String>]) -> Normalized {
    let mut times = Vec::new();
    let mut srem = BTreeMap::<String, Vec<String>>::new();
    let mut out = Vec::new();
    for cmd in cmds {
        let mut cmd = cmd.clone();
        let name = cmd[0].to_ascii_uppercase();
        let mut time_at = Vec::new();
        for i in 1..cmd.len() {
            if cmd[i - 1].eq_ignore_ascii_case("pxat") {
                time_at.push(i);
            }
        }
        if name == "PEXPIREAT" {
            time_at.push(2);
        }
        if name == "RESTORE" && cmd.iter().any(|a| a.eq_ignore_ascii_case("absttl")) {
            time_at.push(2);
        }
        for i in time_at {
            times.push(cmd[i].parse().expect("a time in ms"));
            cmd[i] = "<t>".into();
        }
        if name == "SREM" && cmd[1].starts_with("spop") {
            srem.entry(cmd[1].clone())
                .or_default()
                .extend(cmd.drain(2..));
            cmd.push("<member>".into());
        }
        out.push(cmd);
    }
    Normalized {
        cmds: out,
        times,
        srem,
    }
}

fn show(cmds: &[Vec<String>]) -> String {
    cmds.iter()
        .map(|c| format!("  {}", c.join(" ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `script` on our server (a replica attached) and on a redis-server writing an AOF, step by step on both
/// so that absolute times derived from "now" stay close, and fails unless both propagated the same commands.
/// Returns both runs and the SREM members each propagated for `spop*` keys.
fn compare(script: &[Step]) -> [(Run, BTreeMap<String, Vec<String>>); 2] {
    let ours = start_ours();
    let redis = start_redis_with(&["--appendonly", "yes"]);
    let (_, mut stream) = attach(ours.port, &["SYNC"]);
    let mut a = Run::new(ours.port);
    let mut b = Run::new(redis.port);
    for step in script {
        a.step(step);
        b.step(step);
    }
    a.main.cmd(&["SET", "__end__", "1"]);
    b.main.cmd(&["SET", "__end__", "1"]);
    let ours_cmds = read_until_end(&mut stream);
    let redis_cmds = aof_until_end(&redis);

    if std::env::var("JOURNAL_SHOW").is_ok() {
        eprintln!(
            "ours:\n{}\nredis (AOF):\n{}",
            show(&ours_cmds),
            show(&redis_cmds)
        );
    }
    let x = normalize(&ours_cmds);
    let y = normalize(&redis_cmds);
    assert!(
        x.cmds == y.cmds,
        "propagated commands differ\nours:\n{}\nredis (AOF):\n{}",
        show(&ours_cmds),
        show(&redis_cmds)
    );
    assert_eq!(x.times.len(), y.times.len());
    for (p, q) in x.times.iter().zip(&y.times) {
        assert!((p - q).abs() <= TIME_TOLERANCE_MS, "times {p} and {q}");
    }
    [(a, x.srem), (b, y.srem)]
}

#[test]
fn propagation_matches_redis_aof() {
    let steps = script();
    let writes = steps
        .iter()
        .filter(|s| matches!(s, Step::Do(_) | Step::Block(..)))
        .count();
    assert!(writes >= 40);
    let runs = compare(&steps);
    // SPOP propagates the members it popped: the SREMs name exactly what it answered (the DELs of a whole set
    // and the SPOP inside MULTI aside: their members are not in SREMs or not answered here).
    for (run, srem) in &runs {
        assert!(srem.len() >= 4, "{srem:?}");
        for (key, members) in srem {
            let mut got = members.clone();
            got.sort();
            let mut want = run.spopped.get(key).cloned().unwrap_or_default();
            want.sort();
            if key == "spop1" {
                // The last SPOP (count 5 of the 1 left) went as DEL.
                assert_eq!(got.len() + 1, want.len(), "{key}: {got:?} {want:?}");
                assert!(
                    got.iter().all(|m| want.contains(m)),
                    "{key}: {got:?} {want:?}"
                );
            } else if key == "spop5" {
                // Popped inside MULTI: the reply came with EXEC.
                assert_eq!(got.len(), 2, "{key}: {got:?}");
            } else {
                assert_eq!(got, want, "{key}");
            }
        }
    }
}

/// With the lazyfree options on, deletions a command makes in place of what was sent go as UNLINK: GETDEL
/// (lazyfree-lazy-user-del), EXPIRE and GETEX to a past time and expired keys (lazyfree-lazy-expire); DEL as
/// sent, and SPOP's and RESTORE's DELs stay DEL.
#[test]
fn lazyfree_deletions_match_redis_aof() {
    use Step::*;
    let d = |a: &[&str]| Do(c(a));
    compare(&[
        d(&["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"]),
        d(&["CONFIG", "SET", "lazyfree-lazy-expire", "yes"]),
        d(&["SET", "a", "1"]),
        d(&["GETDEL", "a"]),
        d(&["SET", "b", "1"]),
        d(&["EXPIRE", "b", "0"]),
        d(&["SET", "b", "1"]),
        d(&["GETEX", "b", "EXAT", "1"]),
        d(&["SET", "e", "v", "PX", "1"]),
        Sleep(30),
        d(&["GET", "e"]),
        d(&["SET", "c", "1"]),
        d(&["DEL", "c"]),
        d(&["SADD", "spop", "a", "b"]),
        d(&["SPOP", "spop", "2"]),
        Do(raw(&[b"RESTORE", b"r", b"0", HELLO_DUMP])),
        Do(raw(&[
            b"RESTORE", b"r", b"1", HELLO_DUMP, b"REPLACE", b"ABSTTL",
        ])),
    ]);
}

/// Less common paths: pushes that serve clients from inside MULTI/EXEC or through a chain of BLMOVEs, SWAPDB
/// waking a client, options Redis keeps in its rewrites, and writes that change nothing.
#[test]
fn edge_cases_match_redis_aof() {
    use Step::*;
    let d = |a: &[&str]| Do(c(a));
    compare(&[
        // A push inside MULTI/EXEC: the transaction, then the served pop.
        Block(0, c(&["BLPOP", "q1", "0"])),
        d(&["MULTI"]),
        d(&["RPUSH", "q1", "a"]),
        d(&["INCR", "x"]),
        d(&["EXEC"]),
        Served(0),
        // BLMOVE serving into a list another client waits on.
        Block(0, c(&["BLMOVE", "q2", "q3", "LEFT", "RIGHT", "0"])),
        Block(1, c(&["BLPOP", "q3", "0"])),
        d(&["RPUSH", "q2", "a", "b"]),
        Served(0),
        Served(1),
        // SWAPDB brings a list to a client blocked in the other database.
        On(0, c(&["SELECT", "6"])),
        Block(0, c(&["BLPOP", "sw", "0"])),
        d(&["SELECT", "7"]),
        d(&["RPUSH", "sw", "a", "b"]),
        d(&["SWAPDB", "6", "7"]),
        d(&["SELECT", "0"]),
        Served(0),
        On(0, c(&["SELECT", "0"])),
        // Options kept by the rewrites, dropped by others.
        d(&["SET", "k2", "v"]),
        d(&["EXPIRE", "k2", "100", "NX"]),
        d(&["PEXPIREAT", "k2", "99999999999999", "GT"]),
        d(&["SET", "k3", "v", "EX", "100", "GET"]),
        d(&["SET", "k3", "w", "get", "KEEPTTL", "GET"]),
        d(&["GETEX", "k3", "PXAT", "99999999999999"]),
        Do(raw(&[
            b"RESTORE",
            b"r5",
            b"100000",
            HELLO_DUMP,
            b"IDLETIME",
            b"10",
        ])),
        Do(raw(&[b"RESTORE", b"r6", b"0", HELLO_DUMP, b"FREQ", b"5"])),
        // Writes that change nothing.
        d(&["RPUSH", "l", "a"]),
        d(&["LPOP", "l", "0"]),
        d(&["SETRANGE", "k2", "0", ""]),
        d(&["APPEND", "k2", ""]),
        d(&["TOUCH", "k2"]),
        d(&[
            "BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300",
        ]),
        d(&["ZADD", "z", "1", "a"]),
        d(&["ZADD", "z", "NX", "INCR", "1", "a"]),
        d(&["ZADD", "z", "XX", "1", "nosuch"]),
        d(&["HDEL", "nosuch", "f"]),
        d(&["LREM", "l", "0", "nosuch"]),
        d(&["LTRIM", "l", "0", "-1"]),
        d(&["PERSIST", "l"]),
        d(&["MOVE", "nosuch", "1"]),
        d(&["RENAMENX", "l", "z"]),
        // Deletions of the last element: the command as sent (the key goes with it).
        d(&["HSET", "h", "f", "v"]),
        d(&["HDEL", "h", "f"]),
        d(&["LREM", "l", "0", "a"]),
        d(&["ZREM", "z", "a"]),
        d(&["SORT", "nosuch", "STORE", "k2"]),
    ]);
}
