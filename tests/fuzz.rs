//! Differential fuzzing against redis-server 7.0.15: commands generated from Redis's own `COMMAND DOCS`
//! grammar (for every command ours implements), mutated, sent to both servers over RESP2, RESP3 and inside
//! MULTI/EXEC, replies compared byte for byte (normalizations: fuzz/normalize.rs) and data sets by DEBUG
//! DIGEST; differences are shrunk to short replays.
//!
//! Environment:
//! - `FUZZ_SEED=n` (default: a fixed seed; `random` takes one from the clock, printed) and `FUZZ_OPS=n`
//!   (default 100000) reproduce or extend a run.
//! - `FUZZ_SHRINK_SECS=n` bounds the time spent shrinking (default 60, 0 with FUZZ_KNOWN=off);
//!   `FUZZ_SHRINK_ONLY=text` spends it on the differences whose signature contains `text`.
//! - `FUZZ_TRACE=1` prints each difference as it happens; `FUZZ_DUMP=path` writes every difference's
//!   whole epoch there as a replay list.
//! - `FUZZ_KNOWN=off` generates KNOWN_DIFFS commands too and counts the differences each one explains.
mod common;
#[path = "fuzz/gen.rs"]
mod gen;
#[path = "fuzz/grammar.rs"]
mod grammar;
#[path = "fuzz/harness.rs"]
mod harness;
#[path = "fuzz/normalize.rs"]
mod normalize;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{parse_reply, RawConn, Reply};
use gen::Gen;
use grammar::Spec;
use harness::{Answer, Pair, Step};

/// Commands never generated, with why: they stop, block, replicate, touch the disk, stream asynchronously,
/// depend on time or on the process, or are driven by the harness itself. `x|*` means all of x's
/// subcommands.
const SKIP: &[(&str, &str)] = &[
    ("shutdown", "stops the server"),
    (
        "debug",
        "the harness sends DEBUG DIGEST itself; other subcommands crash, sleep or reload",
    ),
    ("monitor", "streams every later command"),
    ("subscribe", "subscribed mode and asynchronous messages"),
    ("psubscribe", "subscribed mode and asynchronous messages"),
    ("ssubscribe", "subscribed mode and asynchronous messages"),
    (
        "unsubscribe",
        "one reply per channel (RESP2), pushes (RESP3): a stream of their own",
    ),
    (
        "punsubscribe",
        "one reply per pattern (RESP2), pushes (RESP3): a stream of their own",
    ),
    (
        "sunsubscribe",
        "one reply per channel (RESP2), pushes (RESP3): a stream of their own",
    ),
    ("sync", "replication"),
    ("psync", "replication"),
    ("replicaof", "replication"),
    ("slaveof", "replication"),
    ("replconf", "replication"),
    ("failover", "replication"),
    ("wait", "replication"),
    ("role", "replication details"),
    ("save", "disk"),
    ("bgsave", "disk"),
    ("bgrewriteaof", "disk"),
    ("config|rewrite", "disk"),
    ("client|kill", "kills the harness's connections"),
    ("client|pause", "stalls the server"),
    ("client|unpause", "pairs with CLIENT PAUSE"),
    ("client|id", "connection ids differ"),
    ("client|list", "ids, addresses, ages"),
    ("client|info", "ids, addresses, ages"),
    (
        "client|reply",
        "suppressed replies would desynchronize the reply stream",
    ),
    ("client|tracking", "asynchronous invalidation pushes"),
    ("client|unblock", "connection ids differ"),
    ("cluster|*", "cluster mode is off"),
    ("cluster", "cluster mode is off"),
    ("readonly", "cluster"),
    ("readwrite", "cluster"),
    ("asking", "cluster"),
    ("restore-asking", "cluster"),
    ("migrate", "network"),
    ("time", "clock"),
    ("info", "process details, counters"),
    ("lastsave", "clock"),
    ("memory|*", "allocator details"),
    ("object|idletime", "clock"),
    ("latency|*", "timing"),
    ("slowlog|*", "timing"),
    ("lolwut", "random art"),
    ("module|*", "loads code"),
    (
        "hello",
        "reports ids and switches protocol: the harness sets each connection's protocol",
    ),
    ("reset", "switches back to RESP2"),
    ("quit", "closes the connection"),
    ("multi", "transactions are driven by the harness"),
    ("exec", "transactions are driven by the harness"),
    ("discard", "transactions are driven by the harness"),
    (
        "acl|*",
        "users and logs are server state outside DEBUG DIGEST",
    ),
    ("pfselftest", "slow self test"),
    ("pfdebug", "internal"),
    (
        "command",
        "the whole table in dict order (COMMAND LIST/COUNT/INFO/DOCS are generated)",
    ),
    ("script|kill", "needs a running script"),
    ("function|kill", "needs a running function"),
];

/// Differences caused by server bugs (not the fuzzer), excluded from generation until fixed. Each entry is
/// as narrow as possible and points to its finding in tests/fuzz/FINDINGS.md.
struct KnownDiff {
    finding: &'static str,
    reason: &'static str,
    matches: fn(&[Vec<u8>]) -> bool,
}

const KNOWN_DIFFS: &[KnownDiff] = &[
    KnownDiff {
        finding: "F18, F21",
        reason: "OBJECT REFCOUNT: Redis's object sharing (MULTI arguments, COPY)",
        matches: |c| is(c, &["object"]) && arg_is(c, 1, "refcount"),
    },
    KnownDiff {
        finding: "F20",
        reason: "SET EXAT/PXAT in the past: ours keeps an already expired key",
        matches: |c| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64;
            let past = |v: Option<&Vec<u8>>, unit: i64| {
                v.is_some_and(|v| {
                    redis_int(v)
                        && std::str::from_utf8(v).is_ok_and(|s| {
                            s.parse::<i64>()
                                .is_ok_and(|n| n.saturating_mul(unit) <= now)
                        })
                })
            };
            is(c, &["set"])
                && (after_tokens(c, 3, &["EXAT"]).any(|v| past(v, 1000))
                    || after_tokens(c, 3, &["PXAT"]).any(|v| past(v, 1)))
        },
    },
    KnownDiff {
        finding: "F25",
        reason: "CONFIG SET list-max-listpack-size: ours re-chunks existing lists (DUMP differs)",
        matches: |c| {
            is(c, &["config"])
                && arg_is(c, 1, "set")
                && c[2..].chunks(2).any(|w| {
                    w[0].eq_ignore_ascii_case(b"list-max-listpack-size")
                        && w.get(1).is_some_and(|v| v != b"-2")
                })
        },
    },
];

thread_local! {
    /// Commands without key arguments, from the grammar (set at start; per thread, as tests run in
    /// parallel).
    static KEYLESS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn is(c: &[Vec<u8>], names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| c[0].eq_ignore_ascii_case(n.as_bytes()))
}

fn arg_is(c: &[Vec<u8>], i: usize, word: &str) -> bool {
    c.get(i)
        .is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
}

/// What Redis's string2ll accepts: an optional minus, digits without leading zeros, within i64.
fn redis_int(a: &[u8]) -> bool {
    let d = a.strip_prefix(b"-").unwrap_or(a);
    !d.is_empty()
        && d.iter().all(u8::is_ascii_digit)
        && (a == b"0" || d[0] != b'0')
        && std::str::from_utf8(a).is_ok_and(|s| s.parse::<i64>().is_ok())
}

/// The word after each of `tokens` (None when a token is last), from `from` on.
fn after_tokens<'a>(
    c: &'a [Vec<u8>],
    from: usize,
    tokens: &'a [&'a str],
) -> impl Iterator<Item = Option<&'a Vec<u8>>> + 'a {
    (from..c.len())
        .filter(move |&i| {
            tokens
                .iter()
                .any(|t| c[i].eq_ignore_ascii_case(t.as_bytes()))
        })
        .map(move |i| c.get(i + 1))
}

fn skipped(name: &str) -> bool {
    SKIP.iter().any(|(s, _)| match s.strip_suffix("|*") {
        Some(c) => name.starts_with(&format!("{c}|")),
        None => *s == name,
    })
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The grammar from redis-server, narrowed to what the fuzzer may send and ours implements.
fn load_specs(pair: &mut Pair) -> Vec<Spec> {
    let docs = pair.redis_ctl().cmd(&["COMMAND", "DOCS"]);
    let all = grammar::parse_docs(&parse_reply(&docs));
    let containers: Vec<String> = all
        .iter()
        .filter(|s| s.words.len() == 2)
        .map(|s| s.words[0].clone())
        .collect();
    let mut probe = RawConn::connect(pair.ours_port);
    all.into_iter()
        .filter(|s| !skipped(&s.full_name()))
        // A container alone is only an arity error; its subcommands are generated.
        .filter(|s| !(s.words.len() == 1 && containers.contains(&s.words[0])))
        .filter(|s| {
            // Ours implements it unless it says the name is unknown. The bare name is at worst an arity
            // error, and skipped commands were filtered out above.
            let r = probe.cmd(&s.words);
            !(r.starts_with(b"-ERR unknown command") || r.starts_with(b"-ERR unknown subcommand"))
        })
        .collect()
}

/// Why a spec may be absent: for the report of what was not covered.
fn not_covered(pair: &mut Pair, specs: &[Spec]) -> Vec<String> {
    let docs = pair.redis_ctl().cmd(&["COMMAND", "LIST"]);
    let mut names: Vec<String> = match parse_reply(&docs) {
        Reply::Agg(_, Some(v)) => v
            .iter()
            .filter_map(|r| match r {
                Reply::Bulk(_, Some(b)) => Some(String::from_utf8_lossy(b).to_string()),
                _ => None,
            })
            .collect(),
        _ => vec![],
    };
    // A container is listed besides its subcommands; skipped names are not wanted anyway.
    let all = names.clone();
    let container = |n: &str| all.iter().any(|m| m.starts_with(&format!("{n}|")));
    names.retain(|n| !specs.iter().any(|s| s.full_name() == *n) && !skipped(n) && !container(n));
    names.sort();
    names
}

struct Found {
    /// For a data set difference: the keys whose type, value digest, TTL or encoding differ.
    diagnosis: String,
    count: u64,
    first_op: u64,
    /// The epoch's steps up to and including the differing one.
    history: Vec<Step>,
    ours: Answer,
    redis: Answer,
}

#[derive(Default)]
struct Stats {
    ops: u64,
    by_mode: [u64; 3],
    redis_errors: u64,
    names: BTreeMap<String, u64>,
    known_skipped: Vec<u64>,
    /// With FUZZ_KNOWN=off: differences per KNOWN_DIFFS entry (a transaction's go to every entry one of
    /// its commands matches), and those no entry explains.
    known_hits: Vec<u64>,
    unexplained: u64,
    digests: u64,
    restarts: u64,
    /// Commands not sent because Redis leaves their reply unspecified in the current state.
    undefined_skipped: u64,
}

struct Fuzz {
    pair: Pair,
    gen: Gen,
    epoch: Vec<Step>,
    found: BTreeMap<String, Found>,
    stats: Stats,
    /// Set when the data sets may have diverged: the next digest check decides.
    suspect: bool,
    has_setname: bool,
    /// FUZZ_TRACE: print every difference as it happens.
    trace: bool,
    /// FUZZ_KNOWN=off: KNOWN_DIFFS are generated too.
    known_off: bool,
    /// Commands and subcommands Redis has and ours does not yet (their issues add them).
    uncovered: Vec<String>,
}

/// Steps per epoch: each starts from a flushed, freshly populated key space, so a difference replays from
/// a fresh server pair with at most this much history.
const EPOCH: usize = 1500;
const DIGEST_EVERY: usize = 100;

impl Fuzz {
    /// Runs one step on both servers and records a difference. Returns false if the pair had to be
    /// restarted (a connection broke), which ends the epoch.
    fn step(&mut self, st: Step) -> bool {
        let o = self.pair.run(&st);
        let (a, b) = (&o.ours, &o.redis);
        self.stats.ops += 1;
        if matches!(b, Ok(r) if r.first() == Some(&b'-')) {
            self.stats.redis_errors += 1;
        }
        *self
            .stats
            .names
            .entry(harness::command_name(&st.cmd))
            .or_default() += 1;
        self.epoch.push(st.clone());
        let broken = a.is_err() || b.is_err();
        if self.pair.differs(&st, &o) {
            let sig = harness::signature(&st, &o);
            if self.trace {
                eprintln!(
                    "fuzz: op {}: {}\n  sig:   {sig}\n  ours:  {}\n  redis: {}",
                    self.stats.ops,
                    harness::show(&st),
                    harness::show_answer(a),
                    harness::show_answer(b)
                );
            }
            let ops = self.stats.ops;
            let diagnosis =
                if st.cmd[0].eq_ignore_ascii_case(b"DEBUG") && !self.found.contains_key(&sig) {
                    self.pair.diagnose()
                } else {
                    String::new()
                };
            let e = self.found.entry(sig).or_insert_with(|| Found {
                diagnosis,
                count: 0,
                first_op: ops,
                history: self.epoch.clone(),
                ours: a.clone(),
                redis: b.clone(),
            });
            e.count += 1;
            self.suspect = true;
            if self.known_off {
                // Which entries explain it: the command's own, or in a transaction any queued command's.
                let cmds: Vec<&Vec<Vec<u8>>> = match &o.queued {
                    Some(q) => q.iter().collect(),
                    None => vec![&st.cmd],
                };
                let mut explained = false;
                for (k, hits) in KNOWN_DIFFS.iter().zip(&mut self.stats.known_hits) {
                    if cmds.iter().any(|c| (k.matches)(c)) {
                        *hits += 1;
                        explained = true;
                    }
                }
                if !explained {
                    self.stats.unexplained += 1;
                    if self.trace {
                        eprintln!("  (no KNOWN_DIFFS entry explains it)");
                    }
                }
            }
        }
        if broken {
            // Ours crashed or hung, or a connection closed: start over with a fresh pair.
            self.stats.restarts += 1;
            self.pair = Pair::start();
            return false;
        }
        true
    }

    /// Compares the data sets. A mismatch that follows a reply difference is its consequence (not
    /// recorded again); either way the epoch ends so one cause does not cascade.
    fn digest(&mut self) -> bool {
        self.stats.digests += 1;
        let st = Step::new(0, vec![b"DEBUG".to_vec(), b"DIGEST".to_vec()]);
        if self.suspect {
            let o = self.pair.run(&st);
            self.epoch.push(st);
            self.suspect = false;
            return o.ours.is_ok() && o.ours == o.redis;
        }
        let before = self.found.values().map(|f| f.count).sum::<u64>();
        self.step(st) && self.found.values().map(|f| f.count).sum::<u64>() == before
    }

    fn epoch_start(&mut self) -> bool {
        self.epoch.clear();
        self.suspect = false;
        let mut steps = Vec::new();
        for c in 0..harness::CONNS {
            steps.push(Step::new(c, vec![b"UNWATCH".to_vec()]));
            steps.push(Step::new(c, vec![b"SELECT".to_vec(), b"0".to_vec()]));
            if self.has_setname {
                steps.push(Step::new(c, words(&["CLIENT", "SETNAME", ""])));
            }
        }
        steps.push(Step::new(0, vec![b"FLUSHALL".to_vec()]));
        let mut cfg = words(&["CONFIG", "SET"]);
        for (k, v) in gen::TUNABLES {
            cfg.push(k.as_bytes().to_vec());
            cfg.push(v.as_bytes().to_vec());
        }
        steps.push(Step::new(0, cfg));
        for cmd in population(&mut self.gen) {
            steps.push(Step::new(0, cmd));
        }
        for st in steps {
            if !self.step(st) {
                return false;
            }
        }
        true
    }

    /// One generated command, never one of KNOWN_DIFFS.
    fn command(&mut self) -> Vec<Vec<u8>> {
        // DEBUG is skipped as a whole; its per-key digest is worth comparing too.
        if self.gen.rng.below(100) == 0 {
            let mut c = words(&["DEBUG", "DIGEST-VALUE"]);
            for _ in 0..self.gen.rng.below(3) {
                c.push(self.gen.key());
            }
            return c;
        }
        loop {
            let i = self.gen.pick_spec();
            let cmd = self.gen.command(i);
            // A mutation that dropped a subcommand name can make another one (`CLIENT SETNAME list`
            // without SETNAME): the skip list holds for the result too.
            let name = String::from_utf8_lossy(&cmd[0]).to_ascii_lowercase();
            let sub = cmd
                .get(1)
                .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase());
            let full = sub.as_ref().map(|s| format!("{name}|{s}"));
            if skipped(&name) || full.as_ref().is_some_and(|f| skipped(f)) {
                continue;
            }
            // Nor may it make a subcommand ours does not have yet (FUNCTION LIST out of FUNCTION FLUSH).
            if full.is_some_and(|f| self.uncovered.contains(&f)) {
                continue;
            }
            match KNOWN_DIFFS.iter().position(|k| (k.matches)(&cmd)) {
                Some(k) if !self.known_off => self.stats.known_skipped[k] += 1,
                _ => return cmd,
            }
        }
    }

    /// A command for connection `conn` whose reply Redis defines in the current state; `earlier` holds
    /// the commands already queued in the transaction it is for.
    fn command_for(&mut self, conn: usize, earlier: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
        loop {
            let cmd = self.command();
            if !self.lex_undefined(conn, &cmd, earlier)
                && !self.sort_store_undefined(conn, &cmd, earlier)
            {
                return cmd;
            }
            self.stats.undefined_skipped += 1;
        }
    }

    /// SORT ... ALPHA BY <pattern> STORE over a sorted set or a hash-table set: elements whose BY values tie
    /// keep the input order, dict order (random hash seed), and the stored list shows it. Not sent; without
    /// STORE the reply is compared as a multiset (normalize::rule).
    fn sort_store_undefined(
        &mut self,
        conn: usize,
        c: &[Vec<u8>],
        earlier: &[Vec<Vec<u8>>],
    ) -> bool {
        let alpha_by = c.iter().any(|a| a.eq_ignore_ascii_case(b"ALPHA"))
            && c.windows(2)
                .any(|w| w[0].eq_ignore_ascii_case(b"BY") && w[1].contains(&b'*'));
        let store = c.iter().any(|a| a.eq_ignore_ascii_case(b"STORE"));
        let Some(key) = c.get(1).filter(|_| is(c, &["sort"]) && alpha_by && store) else {
            return false;
        };
        if earlier
            .iter()
            .any(|q| q[1..].contains(key) || is(q, &["select", "swapdb", "move"]))
        {
            return true;
        }
        match self.pair.redis_ask(conn, &[b"OBJECT", b"ENCODING", key]) {
            Some(enc) => {
                enc == b"$9\r\nhashtable\r\n"
                    || enc == b"$8\r\nskiplist\r\n"
                    || enc == b"$8\r\nlistpack\r\n"
            }
            None => true,
        }
    }

    /// A lex range over a sorted set whose scores differ: Redis leaves the result unspecified, and in a
    /// skiplist it depends on the nodes' random levels (the search descends levels comparing members
    /// only). Listpacks are scanned in order, so those are compared.
    fn lex_undefined(&mut self, conn: usize, c: &[Vec<u8>], earlier: &[Vec<Vec<u8>>]) -> bool {
        let lex = is(
            c,
            &[
                "zrangebylex",
                "zrevrangebylex",
                "zlexcount",
                "zremrangebylex",
            ],
        ) || (is(c, &["zrange", "zrangestore"])
            && c.iter().any(|a| a.eq_ignore_ascii_case(b"BYLEX")));
        let at = if is(c, &["zrangestore"]) { 2 } else { 1 };
        let Some(key) = c.get(at).filter(|_| lex) else {
            return false;
        };
        // Queued before it in the same transaction: the set may change first (or the db).
        if earlier
            .iter()
            .any(|q| q[1..].contains(key) || is(q, &["select", "swapdb", "move"]))
        {
            return true;
        }
        let Some(enc) = self.pair.redis_ask(conn, &[b"OBJECT", b"ENCODING", key]) else {
            return true;
        };
        if enc != b"$8\r\nskiplist\r\n" {
            return false;
        }
        let score = |r: Option<Vec<u8>>| match r.map(|r| parse_reply(&r)) {
            Some(Reply::Agg(_, Some(v))) => v.get(1).cloned(),
            _ => None,
        };
        let lowest = score(
            self.pair
                .redis_ask(conn, &[b"ZRANGE", key, b"0", b"0", b"WITHSCORES"]),
        );
        let highest = score(
            self.pair
                .redis_ask(conn, &[b"ZRANGE", key, b"-1", b"-1", b"WITHSCORES"]),
        );
        lowest != highest
    }

    /// A transaction of a few generated commands on one connection, ended by EXEC (mostly) or DISCARD.
    fn transaction(&mut self) -> bool {
        let conn = self.gen.rng.below(2) as usize;
        if !self.step(Step::new(conn, vec![b"MULTI".to_vec()])) {
            return false;
        }
        let mut queued = Vec::new();
        for _ in 0..1 + self.gen.rng.below(6) {
            let cmd = self.command_for(conn, &queued);
            queued.push(cmd.clone());
            if !self.step(Step::new(conn, cmd)) {
                return false;
            }
        }
        let end = if self.gen.rng.below(10) == 0 {
            "DISCARD"
        } else {
            "EXEC"
        };
        let end = Step::new(conn, vec![end.as_bytes().to_vec()]);
        self.step(end)
    }

    fn run_epoch(&mut self, budget: u64) {
        if !self.epoch_start() {
            return;
        }
        let start_ops = self.stats.ops;
        let mut mode = 0;
        let mut since_digest = 0;
        let mut last = 1;
        while self.stats.ops - start_ops < EPOCH as u64 && self.stats.ops < budget {
            // Runs of ~50 steps in one mode: RESP2, RESP3, or transactions (several steps each).
            if self.gen.rng.below(50) < last.max(1) {
                mode = self.gen.rng.below(3) as usize;
            }
            let before = self.stats.ops;
            let ok = if mode == 2 {
                self.transaction()
            } else {
                let cmd = self.command_for(mode, &[]);
                self.step(Step::new(mode, cmd))
            };
            last = self.stats.ops - before;
            self.stats.by_mode[mode] += last;
            if !ok {
                return;
            }
            since_digest += self.stats.ops - before;
            if self.suspect || since_digest as usize >= DIGEST_EVERY {
                since_digest = 0;
                if !self.digest() {
                    return;
                }
            }
        }
        self.digest();
    }
}

fn words(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

/// The key space at the start of an epoch: one key per type, sometimes big enough for the non-compact
/// encodings (quicklist, hashtable, skiplist).
fn population(g: &mut Gen) -> Vec<Vec<Vec<u8>>> {
    let big = |g: &mut Gen| g.rng.below(10) < 3;
    let mut out = vec![];
    let long = "x".repeat(70);
    out.push(words(&["SET", "str", if big(g) { &long } else { "hello" }]));
    out.push(words(&["SET", "int", "10"]));
    let elems = |n: usize, f: &dyn Fn(usize) -> Vec<String>| -> Vec<String> {
        (0..n).flat_map(f).collect()
    };
    let n = if big(g) { 150 } else { 3 };
    let mut c = words(&["RPUSH", "list", "a", "b", "c", "1", "2"]);
    c.extend(
        elems(n, &|i| vec![format!("e{i}")])
            .into_iter()
            .map(String::into_bytes),
    );
    out.push(c);
    let n = if big(g) { 150 } else { 2 };
    let mut c = words(&["HSET", "hash", "f1", "v1", "f2", "2", "a", "1"]);
    c.extend(
        elems(n, &|i| vec![format!("e{i}"), i.to_string()])
            .into_iter()
            .map(String::into_bytes),
    );
    out.push(c);
    let n = if big(g) { 150 } else { 2 };
    let mut c = words(&["SADD", "set", "a", "b", "c"]);
    c.extend(
        elems(n, &|i| vec![format!("e{i}")])
            .into_iter()
            .map(String::into_bytes),
    );
    out.push(c);
    let n = if big(g) { 600 } else { 3 };
    let mut c = words(&["SADD", "iset"]);
    c.extend(
        elems(n, &|i| vec![(i as i64 - 2).to_string()])
            .into_iter()
            .map(String::into_bytes),
    );
    out.push(c);
    let n = if big(g) { 150 } else { 2 };
    let mut c = words(&["ZADD", "zset", "1", "a", "2", "b", "3", "c"]);
    c.extend(
        elems(n, &|i| vec![(i % 7).to_string(), format!("e{i}")])
            .into_iter()
            .map(String::into_bytes),
    );
    out.push(c);
    out
}

/// DUMP payloads of every type, taken from redis-server, for RESTORE to load.
fn payloads(pair: &mut Pair, g: &mut Gen) -> Vec<Vec<u8>> {
    let ctl = pair.redis_ctl();
    ctl.cmd(&["FLUSHALL"]);
    for c in population(g) {
        ctl.cmd(&c);
    }
    let mut out = vec![];
    for k in gen::KEYS {
        if let Reply::Bulk(_, Some(p)) = parse_reply(&ctl.cmd(&["DUMP", k])) {
            out.push(p);
        }
    }
    ctl.cmd(&["FLUSHALL"]);
    out
}

/// The seed `cargo test` runs with unless FUZZ_SEED says otherwise.
const DEFAULT_SEED: u64 = 20261203;

#[test]
fn fuzz_against_redis() {
    // A fixed seed by default, so `cargo test` (and CI) passes or fails the same way every time;
    // FUZZ_SEED=random explores, from the clock.
    let seed = match std::env::var("FUZZ_SEED").ok().as_deref() {
        Some("random") => {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                % 1_000_000_000
        }
        _ => env_u64("FUZZ_SEED").unwrap_or(DEFAULT_SEED),
    };
    let ops = env_u64("FUZZ_OPS").unwrap_or(100_000);
    let known_off = std::env::var("FUZZ_KNOWN").is_ok_and(|v| v == "off");
    // Counting known differences is not the time to shrink them.
    let shrink_secs = env_u64("FUZZ_SHRINK_SECS").unwrap_or(if known_off { 0 } else { 60 });
    eprintln!("fuzz: FUZZ_SEED={seed} FUZZ_OPS={ops}");
    let t0 = Instant::now();

    let mut pair = Pair::start();
    let specs = load_specs(&mut pair);
    let uncovered = not_covered(&mut pair, &specs);
    let has_setname = specs.iter().any(|s| s.full_name() == "client|setname");
    KEYLESS.with(|k| {
        *k.borrow_mut() = specs
            .iter()
            .filter(|s| s.words.len() == 1 && !s.args.iter().any(gen::has_key))
            .map(|s| s.full_name())
            .collect()
    });
    let mut g = Gen::new(seed, specs);
    g.payloads = payloads(&mut pair, &mut g);
    eprintln!(
        "fuzz: {} commands and subcommands from COMMAND DOCS; not implemented by ours: {}",
        g.specs().len(),
        uncovered.join(" ")
    );
    let mut f = Fuzz {
        pair,
        gen: g,
        epoch: vec![],
        found: BTreeMap::new(),
        stats: Stats {
            known_skipped: vec![0; KNOWN_DIFFS.len()],
            known_hits: vec![0; KNOWN_DIFFS.len()],
            ..Stats::default()
        },
        suspect: false,
        has_setname,
        trace: std::env::var("FUZZ_TRACE").is_ok(),
        known_off,
        uncovered,
    };
    while f.stats.ops < ops {
        f.run_epoch(ops);
    }
    let elapsed = t0.elapsed();
    let s = &f.stats;
    eprintln!(
        "fuzz: {} ops in {:.1}s ({:.0} ops/s): RESP2 {}, RESP3 {}, in MULTI/EXEC {}; {} digests; {} restarts; \
         {} unspecified (lex ranges over mixed scores) not sent; \
         {} distinct commands; redis errors {:.0}%",
        s.ops,
        elapsed.as_secs_f64(),
        s.ops as f64 / elapsed.as_secs_f64(),
        s.by_mode[0],
        s.by_mode[1],
        s.by_mode[2],
        s.digests,
        s.restarts,
        s.undefined_skipped,
        s.names.len(),
        100.0 * s.redis_errors as f64 / s.ops.max(1) as f64
    );
    for ((k, n), h) in KNOWN_DIFFS.iter().zip(&s.known_skipped).zip(&s.known_hits) {
        if f.known_off {
            eprintln!(
                "fuzz: known diff {}: {h} differences ({})",
                k.finding, k.reason
            );
        } else {
            eprintln!(
                "fuzz: known diff {} skipped {n} times ({})",
                k.finding, k.reason
            );
        }
    }
    if f.known_off {
        eprintln!(
            "fuzz: {} differences no KNOWN_DIFFS entry explains",
            s.unexplained
        );
    }
    // Guards against a fuzzer that silently stopped fuzzing (a grammar that did not parse, a generator
    // that only produces errors).
    let want = (ops / 200).min(100) as usize;
    assert!(
        s.names.len() >= want,
        "only {} distinct commands ran",
        s.names.len()
    );
    assert!(
        s.redis_errors * 10 < s.ops * 7,
        "{} of {} commands were errors on redis-server",
        s.redis_errors,
        s.ops
    );

    if f.found.is_empty() {
        return;
    }
    let mut report = format!(
        "fuzz: FUZZ_SEED={seed} FUZZ_OPS={ops}: {} distinct differences\n",
        f.found.len()
    );
    let deadline = Instant::now() + Duration::from_secs(shrink_secs);
    let only = std::env::var("FUZZ_SHRINK_ONLY").unwrap_or_default();
    let wanted = |sig: &str| sig.contains(only.as_str());
    let n = f.found.keys().filter(|s| wanted(s)).count() as u32;
    let mut i = 0;
    for (sig, found) in &f.found {
        report += &format!(
            "\n{sig}\n  seen {} times, first at op {}\n",
            found.count, found.first_op
        );
        // Each difference gets a fair share of what is left of the shrink time.
        let left = deadline.saturating_duration_since(Instant::now());
        let mine = Instant::now() + left / n.saturating_sub(i).max(1);
        let (t1, r1) = (Instant::now(), harness::REPLAYS.with(|r| r.get()));
        let shrunk = if left.is_zero() || !wanted(sig) {
            None
        } else {
            i += 1;
            harness::shrink(&found.history, sig, mine)
        };
        report += &format!(
            "  shrinking: {} replays in {:.1}s, {} steps of history\n",
            harness::REPLAYS.with(|r| r.get()) - r1,
            t1.elapsed().as_secs_f64(),
            found.history.len()
        );
        let tail = &found.history[found.history.len().saturating_sub(15)..];
        let (label, steps, ours, redis) = match &shrunk {
            Some((s, o)) => (
                "replay (shrunk, reproduces on a fresh pair)",
                s.as_slice(),
                &o.ours,
                &o.redis,
            ),
            None if wanted(sig) && !left.is_zero() => (
                "did not reproduce on a fresh pair (timing?); the last steps before it",
                tail,
                &found.ours,
                &found.redis,
            ),
            None => (
                "not shrunk (FUZZ_SHRINK_ONLY or FUZZ_SHRINK_SECS); the last steps before it",
                tail,
                &found.ours,
                &found.redis,
            ),
        };
        report += &format!("  {label}:\n");
        for st in steps {
            report += &format!("    {}\n", harness::show(st));
        }
        report += &format!(
            "  ours:  {}\n  redis: {}\n",
            harness::show_answer(ours),
            harness::show_answer(redis)
        );
        if !found.diagnosis.is_empty() {
            report += &format!("  keys that differ when it was found:\n{}", found.diagnosis);
        }
    }
    if let Ok(path) = std::env::var("FUZZ_DUMP") {
        let mut dump = String::new();
        for (sig, found) in &f.found {
            dump += &format!("{sig}\n");
            for st in &found.history {
                dump += &format!("    {}\n", harness::show(st));
            }
        }
        std::fs::write(&path, dump).expect("write FUZZ_DUMP");
    }
    panic!("{report}");
}

fn cmd(args: &[&[u8]]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.to_vec()).collect()
}

/// Each KNOWN_DIFFS entry still matches the repro in its finding (and the narrow ones leave the valid form
/// alone), so a pattern cannot silently stop excluding, or start excluding everything.
#[test]
fn known_diffs_match_their_repros() {
    KEYLESS.with(|k| *k.borrow_mut() = vec!["keys".into()]);
    let hits = |c: &[&[u8]]| -> Vec<&str> {
        let c = cmd(c);
        KNOWN_DIFFS
            .iter()
            .filter(|k| (k.matches)(&c))
            .map(|k| k.finding)
            .collect()
    };
    let cases: &[(&[&[u8]], &str)] = &[
        (&[b"OBJECT", b"REFCOUNT", b"k"], "F18, F21"),
        (&[b"SET", b"k", b"v", b"PXAT", b"1000"], "F20"),
        (
            &[b"CONFIG", b"SET", b"list-max-listpack-size", b"16"],
            "F25",
        ),
    ];
    for (c, finding) in cases {
        assert!(hits(c).contains(finding), "{c:?} should match {finding}");
    }
    // The valid forms of the same commands are still generated, and the fixed findings' repros too.
    for c in [
        &[&b"EXPIRE"[..], b"k", b"100", b"foo\x00bar"][..],
        &[b"PEXPIRE", b"k", b"5", b"\r\n"],
        &[b"CONFIG", b"SET", b"\xff", b"-1"],
        &[&b"EXPIRE"[..], b"k", b"100", b"NX"][..],
        &[b"BLMPOP", b"0.01", b"1", b"a", b"LEFT"],
        &[b"GETEX", b"k", b"EX", b"100"],
        &[b"SET", b"k", b"v", b"EX", b"100", b"NX"],
        &[b"BITFIELD", b"s", b"GET", b"u8", b"0"],
        &[b"ZCOUNT", b"z", b" 1", b"(3"],
        &[b"SCAN", b"0", b"COUNT", b"10"],
        &[b"SELECT", b"1"],
        &[b"COMMAND", b"GETKEYS", b"GET", b"k"],
        &[b"SET", b"k", b"v", b"PXAT", b"99999999999999"],
        &[
            b"CONFIG",
            b"SET",
            b"list-max-listpack-size",
            b"-2",
            b"hash-max-listpack-value",
            b"16",
        ],
    ] {
        assert!(
            hits(c).is_empty(),
            "{c:?} should not be excluded: {:?}",
            hits(c)
        );
    }
}

/// The normalizations accept what Redis leaves open and nothing else.
#[test]
fn normalizations_are_narrow() {
    let eq = |c: &[&[u8]], a: &[u8], b: &[u8]| normalize::equivalent(&cmd(c), None, a, b, None);
    let hgetall: &[&[u8]] = &[b"HGETALL", b"h"];
    assert!(eq(
        hgetall,
        b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
        b"*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"
    ));
    // Pairs stay pairs: the same elements paired differently are a difference.
    assert!(!eq(
        hgetall,
        b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
        b"*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n1\r\n"
    ));
    assert!(eq(&[b"TTL", b"k"], b":100\r\n", b":99\r\n"));
    assert!(!eq(&[b"TTL", b"k"], b":-1\r\n", b":-2\r\n"));
    assert!(!eq(&[b"TTL", b"k"], b":100\r\n", b":97\r\n"));
    // Errors are exact even where the reply is normalized.
    assert!(!eq(&[b"KEYS", b"*"], b"-ERR a\r\n", b"-ERR b\r\n"));
    assert!(!eq(&[b"GET", b"k"], b"$1\r\na\r\n", b"$1\r\nb\r\n"));
    // A list keeps its order.
    assert!(!eq(
        &[b"LRANGE", b"l", b"0", b"-1"],
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
        b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"
    ));
    // SCAN from 0 finishing in one call: the same keys in any order, and not other keys.
    let scan: &[&[u8]] = &[b"SCAN", b"0"];
    assert!(eq(
        scan,
        b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n",
        b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n"
    ));
    assert!(!eq(
        scan,
        b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n",
        b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\nb\r\n"
    ));
}

/// Whatever the mutations produce, no command blocks for long, allocates gigabytes or expires mid-run.
#[test]
fn sanitize_makes_commands_safe() {
    let mut g = Gen::new(1, vec![]);
    let s = |g: &mut Gen, c: &[&[u8]]| {
        let mut c = cmd(c);
        g.sanitize(&mut c);
        c
    };
    for t in [&b"0"[..], b"0.0", b"100", b"0x10", b" 5"] {
        let c = s(&mut g, &[b"BLPOP", b"k", t]);
        assert!(c[2] != b"0" && c[2] != b"100", "{c:?}");
        let c = s(&mut g, &[b"BLMPOP", t, b"1", b"k", b"LEFT"]);
        assert!(c[1] != b"0" && c[1] != b"100", "{c:?}");
    }
    let n = |c: &[u8]| {
        std::str::from_utf8(c)
            .unwrap()
            .trim()
            .parse::<i64>()
            .unwrap()
    };
    assert!(n(&s(&mut g, &[b"EXPIRE", b"k", b"5"])[2]) >= 100_000);
    assert!(n(&s(&mut g, &[b"SET", b"k", b"v", b"px", b"5"])[4]) >= 100_000_000);
    assert!(n(&s(&mut g, &[b"SETBIT", b"k", b"4294967295", b"1"])[2]) < 1000);
    assert!(n(&s(&mut g, &[b"SRANDMEMBER", b"k", b"-2147483648"])[2]) > -1000);
    assert_eq!(s(&mut g, &[b"SPOP", b"k"]).len(), 3);
    // Expiries in the past stay in the past: they delete at once on both servers.
    assert_eq!(s(&mut g, &[b"EXPIREAT", b"k", b"5"])[2], b"5");
}
