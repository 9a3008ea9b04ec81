//! The append-only file as users see it, with Redis 7.0's multi-part layout (`appendonlydir/`, the manifest,
//! `appendonly.aof.N.base.rdb|aof`, `appendonly.aof.N.incr.aof`): durability after SIGKILL with
//! `appendfsync always` and `everysec`, restarts after SHUTDOWN (every type, several databases, TTLs, keys
//! that expired meanwhile), BGREWRITEAOF (alone and under concurrent writes, and the files it leaves),
//! `CONFIG SET appendonly yes|no` at run time, damaged files at start-up (`aof-load-truncated`, bad format,
//! unknown command), the upgrade of a legacy single `appendonly.aof`, INFO persistence's aof fields, and the
//! exact bytes `appendfsync always` writes. Files go both ways between the server under test and
//! redis-server 7.0, checked with `redis-check-aof`.
//!
//! Every scenario runs the server under test as a child process (`Server`): our `mini-redis-server` by
//! default, redis-server with `AOF_TESTS_SERVER=redis`, so that `AOF_TESTS_SERVER=redis cargo test --test
//! aof` validates the suite itself against the real thing. The interop tests pair the server under test with
//! a real redis-server (which is then redis-server against itself when the variable says so). The exact log
//! lines and bytes asserted were read from redis-server 7.0.15.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{encode, parse_reply, text, RawConn, Reply, Rng};

// ---------------------------------------------------------------------------------------------------------
// Servers as child processes.

/// Which binary a `Server` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ours,
    Redis,
}

impl Kind {
    /// The server the single-server scenarios test: `AOF_TESTS_SERVER=redis` (or `ours`, the default).
    fn under_test() -> Kind {
        match std::env::var("AOF_TESTS_SERVER").as_deref() {
            Err(_) | Ok("") | Ok("ours") => Kind::Ours,
            Ok("redis") => Kind::Redis,
            Ok(other) => panic!("AOF_TESTS_SERVER must be `ours` or `redis`, not {other:?}"),
        }
    }

    fn program(self) -> &'static str {
        match self {
            Kind::Ours => env!("CARGO_BIN_EXE_mini-redis-server"),
            Kind::Redis => "redis-server",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Ours => "ours",
            Kind::Redis => "redis",
        }
    }
}

/// A test's own directory tree: data directories (`--dir`) and the log files of every run. Removed at the
/// end unless the test failed (then its path is printed, to look at the files and logs).
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new(tag: &str) -> Scratch {
        Scratch {
            root: common::fresh_dir(&format!("aof-{tag}")),
        }
    }

    /// A data directory `name` under the root, created if needed.
    fn dir(&self, name: &str) -> PathBuf {
        let d = self.root.join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// The default data directory.
    fn data(&self) -> PathBuf {
        self.dir("data")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("files of the failed test kept in {}", self.root.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A server process (ours or redis-server) on a free port with `--dir` set, logging to a file of its own
/// per run (beside the data directory), SIGKILLed on drop.
struct Server {
    kind: Kind,
    dir: PathBuf,
    args: Vec<String>,
    port: u16,
    child: Child,
    log: PathBuf,
}

/// How a start that was expected to fail ended.
struct Refused {
    status: ExitStatus,
    log: String,
}

impl Server {
    /// Starts `kind` on `dir` with extra command-line options (`--save ""` is always given first, so only an
    /// AOF can hold data across restarts) and waits until it answers PING.
    fn start(kind: Kind, dir: &Path, args: &[&str]) -> Server {
        let args = args.iter().map(|s| s.to_string()).collect();
        match Server::launch(kind, dir, args) {
            Ok(s) => s,
            Err(r) => panic!(
                "{} exited at start-up ({}); its log:\n{}",
                kind.name(),
                r.status,
                r.log
            ),
        }
    }

    /// Starts `kind` expecting it to refuse to start: returns its exit status and log.
    fn start_refused(kind: Kind, dir: &Path, args: &[&str]) -> Refused {
        let args = args.iter().map(|s| s.to_string()).collect();
        match Server::launch(kind, dir, args) {
            Ok(s) => panic!(
                "{} started although it should have refused to; its log:\n{}",
                kind.name(),
                s.log()
            ),
            Err(r) => r,
        }
    }

    fn launch(kind: Kind, dir: &Path, args: Vec<String>) -> Result<Server, Refused> {
        'attempt: for _ in 0..5 {
            let port = free_port();
            let n = RUNS.fetch_add(1, Ordering::Relaxed);
            let base = dir.parent().unwrap().join(format!("{}-{n}", kind.name()));
            let log = base.with_extension("log");
            let out = File::create(base.with_extension("out")).unwrap();
            let mut child = Command::new(kind.program())
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--dir", &dir.display().to_string()])
                .args(["--logfile", &log.display().to_string()])
                .args(["--save", ""])
                .args(&args)
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", kind.program()));
            let t0 = Instant::now();
            loop {
                if let Some(status) = child.try_wait().unwrap() {
                    let text = format!(
                        "{}{}",
                        std::fs::read_to_string(&log).unwrap_or_default(),
                        std::fs::read_to_string(base.with_extension("out")).unwrap_or_default()
                    );
                    if text.contains("Address already in use") {
                        continue 'attempt;
                    }
                    return Err(Refused { status, log: text });
                }
                if let Ok(mut c) = RawConn::try_connect(port) {
                    let pong = c
                        .try_send_raw(&encode(&["PING"]))
                        .and_then(|_| c.try_read_reply());
                    if let Ok(b"+PONG\r\n") = pong.as_deref() {
                        // The port was free when picked; make sure the server answering is this child.
                        let info = text(c.cmd(&["INFO", "server"]));
                        if info.contains(&format!("process_id:{}\r\n", child.id())) {
                            return Ok(Server {
                                kind,
                                dir: dir.to_path_buf(),
                                args,
                                port,
                                child,
                                log,
                            });
                        }
                        let _ = child.kill();
                        let _ = child.wait();
                        continue 'attempt;
                    }
                }
                if t0.elapsed() > Duration::from_secs(10) {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "{} did not answer PING within 10 s; its log:\n{}",
                        kind.name(),
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("no free port for {} after 5 attempts", kind.name());
    }

    fn conn(&self) -> RawConn {
        RawConn::connect(self.port)
    }

    /// This run's log file.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no chance to flush or fsync anything.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SHUTDOWN, then waits for the process to exit with status 0.
    fn shutdown(&mut self) {
        let mut c = self.conn();
        c.send_raw(&encode(&["SHUTDOWN"]));
        // A server that shuts down closes the connection without a reply.
        if let Ok(r) = c.try_read_reply() {
            panic!("SHUTDOWN answered {:?}", text(r));
        }
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "still running 10 s after SHUTDOWN"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        assert!(status.success(), "exit status after SHUTDOWN: {status}");
    }

    /// Starts the same binary again on the same directory with the same options (plus `extra`), on a new
    /// port. The process must have ended (kill or shutdown).
    fn restart_with(&mut self, extra: &[&str]) {
        assert!(
            self.child.try_wait().unwrap().is_some(),
            "restart of a running server"
        );
        let mut args = self.args.clone();
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        *self = Server::start(self.kind, &self.dir, &refs);
    }

    fn restart(&mut self) {
        self.restart_with(&[]);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers.

/// Runs a command that must not fail; returns the reply's bytes.
fn ok<A: AsRef<[u8]>>(c: &mut RawConn, args: &[A]) -> Vec<u8> {
    let r = c.cmd(args);
    assert!(
        !r.starts_with(b"-"),
        "{:?}: {}",
        args.iter()
            .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
            .collect::<Vec<_>>(),
        text(r)
    );
    r
}

/// Sends many commands in one pipeline; none may fail.
fn pipeline(c: &mut RawConn, cmds: &[Vec<String>]) {
    let mut buf = Vec::new();
    for cmd in cmds {
        buf.extend(encode(cmd));
    }
    c.send_raw(&buf);
    for cmd in cmds {
        let r = c.read_reply();
        assert!(!r.starts_with(b"-"), "{cmd:?}: {}", text(r));
    }
}

fn s(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// INFO persistence as (field, value) pairs in order.
fn info_persistence(c: &mut RawConn) -> Vec<(String, String)> {
    let r = c.cmd(&["INFO", "persistence"]);
    let Reply::Bulk(_, Some(body)) = parse_reply(&r) else {
        panic!("INFO answered {}", text(r));
    };
    String::from_utf8_lossy(&body)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn info_field(c: &mut RawConn, name: &str) -> String {
    info_persistence(c)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in INFO persistence"))
}

/// Polls `cond` every 10 ms until it holds; fails after `secs` seconds.
fn wait_for(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until no AOF rewrite runs or is scheduled, and checks the last one succeeded.
fn wait_rewrite_done(c: &mut RawConn) {
    wait_for("the AOF rewrite to finish", 20, || {
        let info = info_persistence(c);
        let get = |k: &str| info.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
        get("aof_rewrite_in_progress") == Some("0") && get("aof_rewrite_scheduled") == Some("0")
    });
    assert_eq!(info_field(c, "aof_last_bgrewrite_status"), "ok");
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

// ---------------------------------------------------------------------------------------------------------
// The AOF directory.

const MANIFEST: &str = "appendonly.aof.manifest";

fn aof_dir(data: &Path) -> PathBuf {
    data.join("appendonlydir")
}

/// One manifest line: `file <name> seq <n> type <b|h|i>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    name: String,
    seq: u64,
    kind: char,
}

fn entry(name: &str, seq: u64, kind: char) -> Entry {
    Entry {
        name: name.to_string(),
        seq,
        kind,
    }
}

/// The manifest's entries, in file order.
fn manifest(data: &Path) -> Vec<Entry> {
    let path = aof_dir(data).join(MANIFEST);
    let body = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    body.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            assert!(
                w.len() == 6 && w[0] == "file" && w[2] == "seq" && w[4] == "type",
                "manifest line {l:?}"
            );
            entry(w[1], w[3].parse().unwrap(), w[5].chars().next().unwrap())
        })
        .collect()
}

/// The file names in appendonlydir.
fn aof_files(data: &Path) -> BTreeSet<String> {
    std::fs::read_dir(aof_dir(data))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The last incr file the manifest names.
fn last_incr(data: &Path) -> PathBuf {
    let m = manifest(data);
    let e = m
        .iter()
        .rev()
        .find(|e| e.kind == 'i')
        .unwrap_or_else(|| panic!("no incr file in the manifest {m:?}"));
    aof_dir(data).join(&e.name)
}

/// `redis-check-aof <manifest>` must exit 0 and call everything valid.
fn check_aof(data: &Path) {
    let out = Command::new("redis-check-aof")
        .arg(aof_dir(data).join(MANIFEST))
        .output()
        .expect("redis-check-aof (apt-get install redis-tools)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("All AOF files and manifest are valid"),
        "redis-check-aof ({}):\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Parses a stream of RESP multibulk commands (an AOF without preamble), all of it.
fn parse_commands(mut d: &[u8]) -> Vec<Vec<String>> {
    fn line<'a>(d: &mut &'a [u8]) -> &'a str {
        let end = d
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("CRLF-terminated line");
        let l = std::str::from_utf8(&d[..end]).unwrap();
        *d = &d[end + 2..];
        l
    }
    let mut out = Vec::new();
    while !d.is_empty() {
        let n: usize = line(&mut d).strip_prefix('*').unwrap().parse().unwrap();
        let mut cmd = Vec::new();
        for _ in 0..n {
            let len: usize = line(&mut d).strip_prefix('$').unwrap().parse().unwrap();
            cmd.push(String::from_utf8_lossy(&d[..len]).into_owned());
            assert_eq!(&d[len..len + 2], b"\r\n");
            d = &d[len + 2..];
        }
        out.push(cmd);
    }
    out
}

fn resp(cmds: &[&[&str]]) -> Vec<u8> {
    cmds.iter().flat_map(|c| encode(c)).collect()
}

// ---------------------------------------------------------------------------------------------------------
// The data set as a client sees it.

/// A value as read back: sets and hashes sorted, sorted sets in ZRANGE order with their scores as replied.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Str(String),
    List(Vec<String>),
    Set(Vec<String>),
    Hash(Vec<(String, String)>),
    Zset(Vec<(String, String)>),
}

/// (database, key) -> (value, has a TTL).
type Dataset = BTreeMap<(u32, String), (Val, bool)>;

fn bulks(r: &[u8]) -> Vec<Vec<u8>> {
    match parse_reply(r) {
        Reply::Agg(_, Some(items)) => items
            .into_iter()
            .map(|i| match i {
                Reply::Bulk(_, Some(b)) => b,
                other => panic!("not a bulk string: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn strings(r: &[u8]) -> Vec<String> {
    bulks(r)
        .into_iter()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect()
}

fn pairs(v: Vec<String>) -> Vec<(String, String)> {
    v.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect()
}

/// Every key of every database with its type's full value and whether it has a TTL.
fn dataset(port: u16) -> Dataset {
    let mut c = RawConn::connect(port);
    let mut out = Dataset::new();
    for db in 0..16u32 {
        ok(&mut c, &["SELECT", &db.to_string()]);
        for key in bulks(&c.cmd(&["KEYS", "*"])) {
            let k = key.as_slice();
            let ty = text(c.cmd(&[b"TYPE".as_slice(), k]));
            let val = match ty.as_str() {
                "+string\r\n" => match parse_reply(&c.cmd(&[b"GET".as_slice(), k])) {
                    Reply::Bulk(_, Some(v)) => Val::Str(String::from_utf8_lossy(&v).into_owned()),
                    other => panic!("GET: {other:?}"),
                },
                "+list\r\n" => Val::List(strings(&c.cmd(&[b"LRANGE".as_slice(), k, b"0", b"-1"]))),
                "+set\r\n" => {
                    let mut v = strings(&c.cmd(&[b"SMEMBERS".as_slice(), k]));
                    v.sort();
                    Val::Set(v)
                }
                "+hash\r\n" => {
                    let mut v = pairs(strings(&c.cmd(&[b"HGETALL".as_slice(), k])));
                    v.sort();
                    Val::Hash(v)
                }
                "+zset\r\n" => Val::Zset(pairs(strings(&c.cmd(&[
                    b"ZRANGE".as_slice(),
                    k,
                    b"0",
                    b"-1",
                    b"WITHSCORES",
                ])))),
                other => panic!("key {:?} of type {other:?}", String::from_utf8_lossy(k)),
            };
            let pttl = text(c.cmd(&[b"PTTL".as_slice(), k]));
            assert_ne!(pttl, ":-2\r\n", "key vanished while dumping");
            out.insert(
                (db, String::from_utf8_lossy(k).into_owned()),
                (val, pttl != ":-1\r\n"),
            );
        }
    }
    out
}

/// Fails with the keys that differ, if any.
fn assert_same_data(expected: &Dataset, actual: &Dataset, what: &str) {
    if expected == actual {
        return;
    }
    let mut diffs = Vec::new();
    for (k, v) in expected {
        match actual.get(k) {
            None => diffs.push(format!("missing {k:?} = {v:?}")),
            Some(a) if a != v => diffs.push(format!("{k:?}: expected {v:?}, got {a:?}")),
            _ => {}
        }
    }
    for (k, v) in actual {
        if !expected.contains_key(k) {
            diffs.push(format!("unexpected {k:?} = {v:?}"));
        }
    }
    let n = diffs.len();
    diffs.truncate(30);
    panic!(
        "{what}: {n} keys differ ({} expected, {} present):\n{}",
        expected.len(),
        actual.len(),
        diffs.join("\n")
    );
}

/// Keys of every type in databases 0, 3 and 9: small and large collections (more elements than one
/// rewritten command holds), integers, binary-looking values, float and infinite scores, TTLs.
fn fill_every_type(c: &mut RawConn) {
    let big = 150;
    let mut cmds = vec![
        s(&["SELECT", "0"]),
        s(&["SET", "str", "hello"]),
        s(&["SET", "int", "-12345"]),
        s(&["SET", "crlf", "a\r\nb\0c $3\r\n"]),
        s(&["SET", "empty", ""]),
        s(&["SET", "long", &"x".repeat(5000)]),
        s(&["SET", "ttl:str", "v", "EX", "100000"]),
        s(&["RPUSH", "list", "a", "1", "", "b c"]),
        s(&["HSET", "hash", "f", "v", "n", "1"]),
        s(&["SADD", "set:int", "1", "-5", "70000"]),
        s(&["SADD", "set:str", "a", "b", "c d"]),
        s(&[
            "ZADD", "zset", "1", "a", "2.5", "b", "-inf", "c", "inf", "d",
        ]),
        s(&["INCRBYFLOAT", "float", "1.5"]),
        s(&["APPEND", "app", "x"]),
        s(&["APPEND", "app", "y"]),
    ];
    let mut l = s(&["RPUSH", "list:big"]);
    let mut h = s(&["HSET", "hash:big"]);
    let mut st = s(&["SADD", "set:big"]);
    let mut z = s(&["ZADD", "zset:big"]);
    for i in 0..big {
        l.push(format!("e{i}"));
        h.extend([format!("f{i}"), format!("{}", i * 7)]);
        st.push(format!("m{i}"));
        z.extend([format!("{}", i as f64 / 4.0), format!("m{i}")]);
    }
    cmds.extend([l, h, st, z]);
    cmds.extend([
        s(&["PEXPIRE", "list", "99000000"]),
        s(&["SELECT", "3"]),
        s(&["SET", "str", "in db 3"]),
        s(&["HSET", "ttl:hash", "a", "b"]),
        s(&["EXPIRE", "ttl:hash", "100000"]),
        s(&["SADD", "set", "x"]),
        s(&["SELECT", "9"]),
        s(&["ZADD", "zset", "0", "only"]),
        s(&["RPUSH", "list", "nine"]),
        s(&["SET", "str", "in db 9", "PX", "100000000"]),
        s(&["SELECT", "0"]),
    ]);
    pipeline(c, &cmds);
}

/// Changes on top of `fill_every_type`: overwrites, deletions, removals of TTLs, new keys and databases.
fn change_every_type(c: &mut RawConn) {
    pipeline(
        c,
        &[
            s(&["SELECT", "0"]),
            s(&["SET", "str", "changed"]),
            s(&["INCR", "int"]),
            s(&["DEL", "empty"]),
            s(&["PERSIST", "ttl:str"]),
            s(&["LPUSH", "list:big", "head"]),
            s(&["RPOP", "list:big"]),
            s(&["HDEL", "hash:big", "f3"]),
            s(&["SREM", "set:big", "m4"]),
            s(&["ZINCRBY", "zset:big", "100", "m5"]),
            s(&["SET", "new", "after the rewrite", "EX", "50000"]),
            s(&["SELECT", "3"]),
            s(&["DEL", "set"]),
            s(&["SELECT", "5"]),
            s(&["RPUSH", "list5", "a", "b"]),
            s(&["SELECT", "0"]),
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------
// 1. appendfsync always: every acknowledged write survives SIGKILL.

/// What the client believes the data set is, from the writes it saw acknowledged.
#[derive(Default)]
struct Model {
    keys: BTreeMap<String, (MVal, bool)>,
}

enum MVal {
    Str(String),
    List(Vec<String>),
    Set(BTreeSet<String>),
    Hash(BTreeMap<String, String>),
    Zset(BTreeMap<String, i64>),
}

impl Model {
    /// Applies one acknowledged command (only the forms `random_write` generates).
    fn apply(&mut self, cmd: &[String]) {
        let a: Vec<&str> = cmd.iter().map(|x| x.as_str()).collect();
        let key = a[1].to_string();
        match a[0] {
            "SET" => {
                self.keys
                    .insert(key, (MVal::Str(a[2].to_string()), a.len() > 3));
            }
            "INCR" => {
                let e = self
                    .keys
                    .entry(key)
                    .or_insert((MVal::Str("0".into()), false));
                let MVal::Str(v) = &mut e.0 else { panic!() };
                *v = (v.parse::<i64>().unwrap() + 1).to_string();
            }
            "RPUSH" => {
                let e = self.keys.entry(key).or_insert((MVal::List(vec![]), false));
                let MVal::List(v) = &mut e.0 else { panic!() };
                v.extend(a[2..].iter().map(|x| x.to_string()));
            }
            "HSET" => {
                let e = self
                    .keys
                    .entry(key)
                    .or_insert((MVal::Hash(BTreeMap::new()), false));
                let MVal::Hash(v) = &mut e.0 else { panic!() };
                v.insert(a[2].to_string(), a[3].to_string());
            }
            "SADD" => {
                let e = self
                    .keys
                    .entry(key)
                    .or_insert((MVal::Set(BTreeSet::new()), false));
                let MVal::Set(v) = &mut e.0 else { panic!() };
                v.insert(a[2].to_string());
            }
            "ZADD" => {
                let e = self
                    .keys
                    .entry(key)
                    .or_insert((MVal::Zset(BTreeMap::new()), false));
                let MVal::Zset(v) = &mut e.0 else { panic!() };
                v.insert(a[3].to_string(), a[2].parse().unwrap());
            }
            "EXPIRE" => {
                if let Some(e) = self.keys.get_mut(&key) {
                    e.1 = true;
                }
            }
            "DEL" => {
                self.keys.remove(&key);
            }
            other => panic!("model: {other}"),
        }
    }

    fn dataset(&self) -> Dataset {
        self.keys
            .iter()
            .map(|(k, (v, ttl))| {
                let v = match v {
                    MVal::Str(x) => Val::Str(x.clone()),
                    MVal::List(x) => Val::List(x.clone()),
                    MVal::Set(x) => Val::Set(x.iter().cloned().collect()),
                    MVal::Hash(x) => Val::Hash(x.clone().into_iter().collect()),
                    MVal::Zset(x) => {
                        let mut v: Vec<(i64, String)> =
                            x.iter().map(|(m, sc)| (*sc, m.clone())).collect();
                        v.sort();
                        Val::Zset(v.into_iter().map(|(sc, m)| (m, sc.to_string())).collect())
                    }
                };
                ((0, k.clone()), (v, *ttl))
            })
            .collect()
    }
}

/// A random write on a small key space per type (so writes pile up on the same keys).
fn random_write(rng: &mut Rng, i: usize) -> Vec<String> {
    let k = rng.below(15);
    let any = |rng: &mut Rng| {
        let p = *rng.pick(&["str", "cnt", "list", "hash", "set", "zset"]);
        format!("{p}:{}", rng.below(15))
    };
    match rng.below(9) {
        0 => vec!["SET".into(), format!("str:{k}"), format!("v{i}\r\n*1 {i}")],
        1 => vec![
            "SET".into(),
            format!("str:{k}"),
            format!("t{i}"),
            "EX".into(),
            "100000".into(),
        ],
        2 => vec!["INCR".into(), format!("cnt:{k}")],
        3 => vec![
            "RPUSH".into(),
            format!("list:{k}"),
            format!("a{i}"),
            format!("b{i}"),
        ],
        4 => vec![
            "HSET".into(),
            format!("hash:{k}"),
            format!("f{}", rng.below(20)),
            format!("v{i}"),
        ],
        5 => vec![
            "SADD".into(),
            format!("set:{k}"),
            format!("m{}", rng.below(40)),
        ],
        6 => vec![
            "ZADD".into(),
            format!("zset:{k}"),
            format!("{}", rng.below(1000) as i64 - 500),
            format!("m{}", rng.below(40)),
        ],
        7 => vec!["EXPIRE".into(), any(rng), "100000".into()],
        _ => vec!["DEL".into(), any(rng)],
    }
}

#[test]
fn always_every_acknowledged_write_survives_sigkill() {
    let scratch = Scratch::new("always");
    let args = ["--appendonly", "yes", "--appendfsync", "always"];
    let mut srv = Server::start(Kind::under_test(), &scratch.data(), &args);
    let mut c = srv.conn();
    let mut rng = Rng(0x5eed_a0f1);
    let mut model = Model::default();
    for i in 0..2000 {
        if i % 10 == 9 {
            // A MULTI/EXEC block: acknowledged as a whole by EXEC.
            let block: Vec<Vec<String>> = (0..3).map(|_| random_write(&mut rng, i)).collect();
            assert_eq!(c.cmd(&["MULTI"]), b"+OK\r\n");
            for cmd in &block {
                assert_eq!(text(c.cmd(cmd)), "+QUEUED\r\n");
            }
            let r = c.cmd(&["EXEC"]);
            let Reply::Agg(_, Some(replies)) = parse_reply(&r) else {
                panic!("EXEC: {}", text(r));
            };
            assert!(
                replies.len() == 3 && !replies.iter().any(|x| matches!(x, Reply::Line(b'-', _))),
                "EXEC: {}",
                text(r)
            );
            block.iter().for_each(|cmd| model.apply(cmd));
        } else {
            let cmd = random_write(&mut rng, i);
            ok(&mut c, &cmd);
            model.apply(&cmd);
        }
    }
    srv.kill();
    srv.restart();
    assert_same_data(
        &model.dataset(),
        &dataset(srv.port),
        "after SIGKILL with appendfsync always",
    );
}

// ---------------------------------------------------------------------------------------------------------
// 2. appendfsync everysec: after a quiet 2.5 s, everything is on disk.

#[test]
fn everysec_writes_survive_sigkill_after_two_seconds() {
    let scratch = Scratch::new("everysec");
    let args = ["--appendonly", "yes", "--appendfsync", "everysec"];
    let mut srv = Server::start(Kind::under_test(), &scratch.data(), &args);
    let mut c = srv.conn();
    fill_every_type(&mut c);
    change_every_type(&mut c);
    let expected = dataset(srv.port);
    // everysec may lose up to about a second of writes on a crash (two if an fsync is slow); this is the
    // point past which nothing may be lost. Waiting is the scenario itself: there is nothing to poll.
    std::thread::sleep(Duration::from_millis(2500));
    srv.kill();
    srv.restart();
    assert_same_data(&expected, &dataset(srv.port), "after SIGKILL with everysec");
}

// ---------------------------------------------------------------------------------------------------------
// 3. SHUTDOWN and restart with only the AOF holding data.

#[test]
fn restart_after_shutdown_loads_every_type_and_database_from_the_aof() {
    let scratch = Scratch::new("shutdown");
    let data = scratch.data();
    let mut srv = Server::start(Kind::under_test(), &data, &["--appendonly", "yes"]);
    let mut c = srv.conn();
    fill_every_type(&mut c);
    change_every_type(&mut c);
    let expected = dataset(srv.port);
    // A key that expires between the shutdown and the restart.
    ok(&mut c, &["SELECT", "3"]);
    let set_at = Instant::now();
    ok(&mut c, &["SET", "soon", "gone", "PX", "400"]);
    ok(&mut c, &["RPUSH", "soon:list", "gone"]);
    ok(&mut c, &["PEXPIRE", "soon:list", "400"]);
    assert_eq!(c.cmd(&["EXISTS", "soon", "soon:list"]), b":2\r\n");
    srv.shutdown();
    assert!(
        !data.join("dump.rdb").exists(),
        "with --save \"\" SHUTDOWN must not write an RDB file"
    );
    // The expiry is wall-clock time while no server runs: nothing to poll.
    if let Some(rest) = Duration::from_millis(500).checked_sub(set_at.elapsed()) {
        std::thread::sleep(rest);
    }
    srv.restart();
    assert_same_data(&expected, &dataset(srv.port), "after SHUTDOWN and restart");
    // Restarting again (after loading, nothing was lost or duplicated: lists would show duplicates).
    srv.shutdown();
    srv.restart();
    assert_same_data(&expected, &dataset(srv.port), "after a second restart");
}

// ---------------------------------------------------------------------------------------------------------
// 4, 5. Files written by one server load in the other.

/// `writer` writes, rewrites, writes more (so both the base and the incr file matter) and shuts down;
/// `redis-check-aof` accepts the directory; `reader` started on it has the same data set.
fn interop(tag: &str, writer: Kind, reader: Kind, preamble: bool) {
    let scratch = Scratch::new(tag);
    let data = scratch.data();
    let pre = if preamble { "yes" } else { "no" };
    let mut w = Server::start(
        writer,
        &data,
        &["--appendonly", "yes", "--aof-use-rdb-preamble", pre],
    );
    let mut c = w.conn();
    fill_every_type(&mut c);
    assert_eq!(
        text(c.cmd(&["BGREWRITEAOF"])),
        "+Background append only file rewriting started\r\n"
    );
    wait_rewrite_done(&mut c);
    change_every_type(&mut c);
    let expected = dataset(w.port);
    w.shutdown();

    let m = manifest(&data);
    let base = m.iter().find(|e| e.kind == 'b').expect("a base file");
    let suffix = if preamble { ".base.rdb" } else { ".base.aof" };
    assert!(base.name.ends_with(suffix), "base file {base:?}");
    let incr = last_incr(&data);
    assert!(
        std::fs::metadata(&incr).unwrap().len() > 0,
        "the writes after the rewrite are not in {}",
        incr.display()
    );
    check_aof(&data);

    let r = Server::start(reader, &data, &["--appendonly", "yes"]);
    assert_same_data(
        &expected,
        &dataset(r.port),
        &format!("{} loading the AOF {} wrote", reader.name(), writer.name()),
    );
}

#[test]
fn interop_files_of_the_tested_server_load_in_redis() {
    interop("to-redis", Kind::under_test(), Kind::Redis, true);
}

#[test]
fn interop_files_of_the_tested_server_load_in_redis_without_preamble() {
    interop("to-redis-cmds", Kind::under_test(), Kind::Redis, false);
}

#[test]
fn interop_files_of_redis_load_in_the_tested_server() {
    interop("from-redis", Kind::Redis, Kind::under_test(), true);
}

#[test]
fn interop_files_of_redis_load_in_the_tested_server_without_preamble() {
    interop("from-redis-cmds", Kind::Redis, Kind::under_test(), false);
}

// ---------------------------------------------------------------------------------------------------------
// 6. Damaged files at start-up.

/// Writes appendonlydir by hand: a base file in AOF format and an incr file, named by a manifest.
fn write_aof_dir(data: &Path, base: &[u8], incr: &[u8]) {
    let d = aof_dir(data);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join(MANIFEST),
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    std::fs::write(d.join("appendonly.aof.1.base.aof"), base).unwrap();
    std::fs::write(d.join("appendonly.aof.1.incr.aof"), incr).unwrap();
}

fn base_commands() -> Vec<u8> {
    resp(&[
        &["SELECT", "0"],
        &["SET", "a", "1"],
        &["RPUSH", "l", "x", "y"],
    ])
}

/// The incr file with its last command cut in the middle of an argument.
fn truncated_incr() -> Vec<u8> {
    let mut incr = resp(&[&["SELECT", "0"], &["SET", "b", "2"]]);
    let last = encode(&["SET", "c", "3"]);
    incr.extend_from_slice(&last[..last.len() - 6]);
    incr
}

fn str_data(entries: &[(u32, &str, &str)]) -> Dataset {
    entries
        .iter()
        .map(|(db, k, v)| ((*db, k.to_string()), (Val::Str(v.to_string()), false)))
        .collect()
}

#[test]
fn truncated_tail_is_loaded_up_to_the_last_whole_command_with_aof_load_truncated_yes() {
    let scratch = Scratch::new("truncated-yes");
    let data = scratch.data();
    write_aof_dir(&data, &base_commands(), &truncated_incr());
    let mut srv = Server::start(
        Kind::under_test(),
        &data,
        &["--appendonly", "yes", "--aof-load-truncated", "yes"],
    );
    let log = srv.log();
    for line in [
        "# !!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!",
        "# !!! Truncating the AOF appendonly.aof.1.incr.aof at offset 50 !!!",
        "# AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled",
    ] {
        assert!(log.contains(line), "no {line:?} in the log:\n{log}");
    }
    let mut expected = str_data(&[(0, "a", "1"), (0, "b", "2")]);
    expected.insert(
        (0, "l".into()),
        (Val::List(vec!["x".into(), "y".into()]), false),
    );
    assert_same_data(&expected, &dataset(srv.port), "after a truncated load");
    // The half command was cut off the file: what is written now loads after a restart.
    let mut c = srv.conn();
    ok(&mut c, &["SET", "d", "4"]);
    srv.shutdown();
    srv.restart();
    expected.extend(str_data(&[(0, "d", "4")]));
    assert_same_data(&expected, &dataset(srv.port), "after writing past the cut");
}

#[test]
fn truncated_tail_refuses_to_start_with_aof_load_truncated_no() {
    let scratch = Scratch::new("truncated-no");
    let data = scratch.data();
    write_aof_dir(&data, &base_commands(), &truncated_incr());
    let r = Server::start_refused(
        Kind::under_test(),
        &data,
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert!(!r.status.success(), "exit status {}", r.status);
    let line = "# Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You can: \
                1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. \
                2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart \
                the server.";
    assert!(r.log.contains(line), "no {line:?} in the log:\n{}", r.log);
}

#[test]
fn bad_format_refuses_to_start() {
    let scratch = Scratch::new("garbage");
    let data = scratch.data();
    write_aof_dir(&data, &base_commands(), b"garbage\r\n");
    // aof-load-truncated (the default, yes) does not excuse a file that is not RESP at all.
    let r = Server::start_refused(Kind::under_test(), &data, &["--appendonly", "yes"]);
    assert!(!r.status.success(), "exit status {}", r.status);
    let line = "# Bad file format reading the append only file appendonly.aof.1.incr.aof: make a backup of \
                your AOF file, then use ./redis-check-aof --fix <filename.manifest>";
    assert!(r.log.contains(line), "no {line:?} in the log:\n{}", r.log);
}

#[test]
fn unknown_command_refuses_to_start() {
    let scratch = Scratch::new("unknown");
    let data = scratch.data();
    let incr = resp(&[&["SELECT", "0"], &["xyz", "a"], &["SET", "b", "2"]]);
    write_aof_dir(&data, &base_commands(), &incr);
    let r = Server::start_refused(Kind::under_test(), &data, &["--appendonly", "yes"]);
    assert!(!r.status.success(), "exit status {}", r.status);
    let line = "# Unknown command 'xyz' reading the append only file appendonly.aof.1.incr.aof";
    assert!(r.log.contains(line), "no {line:?} in the log:\n{}", r.log);
}

// ---------------------------------------------------------------------------------------------------------
// 7. BGREWRITEAOF while clients write.

#[test]
fn bgrewriteaof_under_concurrent_writes_loses_nothing_and_cleans_up() {
    let scratch = Scratch::new("rewrite-writes");
    let data = scratch.data();
    // 300 keys at 2 ms each: a rewrite of about 0.6 s, while the writer goes on.
    let mut srv = Server::start(
        Kind::under_test(),
        &data,
        &["--appendonly", "yes", "--rdb-key-save-delay", "2000"],
    );
    let mut c = srv.conn();
    let pre: Vec<Vec<String>> = (0..300)
        .map(|i| vec!["SET".into(), format!("pre:{i}"), format!("p{i}")])
        .collect();
    pipeline(&mut c, &pre);
    let first = manifest(&data);

    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (done, stop, port) = (done.clone(), stop.clone(), srv.port);
        std::thread::spawn(move || {
            let mut w = RawConn::connect(port);
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                assert_eq!(text(w.cmd(&["INCR", "counter"])), format!(":{}\r\n", n + 1));
                ok(&mut w, &["SET", &format!("w:{n}"), &format!("value {n}")]);
                n += 1;
                done.store(n, Ordering::Relaxed);
            }
            n
        })
    };
    wait_for("the writer to start", 10, || {
        done.load(Ordering::Relaxed) >= 100
    });
    assert_eq!(
        text(c.cmd(&["BGREWRITEAOF"])),
        "+Background append only file rewriting started\r\n"
    );
    let during = done.load(Ordering::Relaxed);
    wait_rewrite_done(&mut c);
    let after_rewrite = done.load(Ordering::Relaxed);
    wait_for("writes after the rewrite", 10, || {
        done.load(Ordering::Relaxed) >= after_rewrite + 100
    });
    stop.store(true, Ordering::Relaxed);
    let n = writer.join().unwrap();
    assert!(
        after_rewrite > during,
        "no write was acknowledged while the rewrite ran"
    );

    // One base and one incr file, newer than the first ones; the old ones deleted (in the background).
    let m = manifest(&data);
    assert_eq!(
        m.iter().map(|e| e.kind).collect::<String>(),
        "bi",
        "manifest {m:?}"
    );
    assert!(m[0].seq > first[0].seq, "{first:?} then {m:?}");
    let mut listed: BTreeSet<String> = m.iter().map(|e| e.name.clone()).collect();
    listed.insert(MANIFEST.to_string());
    wait_for("the old AOF files to be deleted", 10, || {
        aof_files(&data) == listed
    });

    srv.shutdown();
    check_aof(&data);
    srv.restart();
    let mut c = srv.conn();
    assert_eq!(
        text(c.cmd(&["GET", "counter"])),
        format!("${}\r\n{n}\r\n", n.to_string().len())
    );
    assert_eq!(
        text(c.cmd(&["DBSIZE"])),
        format!(":{}\r\n", 300 + n + 1),
        "keys lost or added"
    );
    for i in (0..n).step_by(7).chain([n - 1]) {
        let v = format!("value {i}");
        assert_eq!(
            text(c.cmd(&["GET", &format!("w:{i}")])),
            format!("${}\r\n{v}\r\n", v.len())
        );
    }
    assert_eq!(text(c.cmd(&["GET", "pre:299"])), "$4\r\np299\r\n");
}

// ---------------------------------------------------------------------------------------------------------
// 8. CONFIG SET appendonly yes|no at run time.

#[test]
fn config_set_appendonly_at_runtime_writes_the_data_set_then_stops() {
    let scratch = Scratch::new("config-set");
    let data = scratch.data();
    let mut srv = Server::start(Kind::under_test(), &data, &["--appendfsync", "always"]);
    let mut c = srv.conn();
    fill_every_type(&mut c);
    assert_eq!(info_field(&mut c, "aof_enabled"), "0");
    assert!(!aof_dir(&data).join(MANIFEST).exists());

    assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "yes"]), b"+OK\r\n");
    wait_for("the AOF to be turned on", 20, || {
        let info = info_persistence(&mut c);
        let get = |k: &str| info.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
        get("aof_enabled").as_deref() == Some("1")
            && get("aof_rewrite_in_progress").as_deref() == Some("0")
            && get("aof_rewrite_scheduled").as_deref() == Some("0")
    });
    assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
    let m = manifest(&data);
    assert_eq!(
        m.iter().map(|e| e.kind).collect::<String>(),
        "bi",
        "manifest {m:?}"
    );
    change_every_type(&mut c);
    let expected = dataset(srv.port);
    srv.kill();
    srv.restart_with(&["--appendonly", "yes"]);
    assert_same_data(
        &expected,
        &dataset(srv.port),
        "after CONFIG SET appendonly yes, SIGKILL and restart",
    );

    // Writes grow the incr file while the AOF is on, and no file at all once it is off.
    let mut c = srv.conn();
    let incr = last_incr(&data);
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    let before = size(&incr);
    ok(&mut c, &["SET", "on", "1"]);
    assert!(
        size(&incr) > before,
        "a write with the AOF on did not reach {}",
        incr.display()
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "no"]), b"+OK\r\n");
    assert_eq!(info_field(&mut c, "aof_enabled"), "0");
    let sizes = |d: &Path| -> Vec<(String, u64)> {
        aof_files(d)
            .into_iter()
            .map(|n| {
                let len = size(&aof_dir(d).join(&n));
                (n, len)
            })
            .collect()
    };
    let files = sizes(&data);
    ok(&mut c, &["SET", "off", "1"]);
    ok(&mut c, &["RPUSH", "list", "more"]);
    ok(&mut c, &["DEL", "str"]);
    assert_eq!(
        sizes(&data),
        files,
        "the AOF changed after CONFIG SET appendonly no"
    );
}

// ---------------------------------------------------------------------------------------------------------
// 9. The upgrade of a legacy single-file AOF.

/// Starts the server under test on `data` holding a legacy `appendonly.aof` with these bytes and checks
/// the migration: the file moved unchanged into appendonlydir as the base, the log line, and the data.
fn migrate(scratch: &Scratch, legacy: &[u8], expected: &Dataset) {
    let data = scratch.data();
    std::fs::write(data.join("appendonly.aof"), legacy).unwrap();
    let mut srv = Server::start(Kind::under_test(), &data, &["--appendonly", "yes"]);
    let line =
        "Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory \
                (appendonlydir).";
    let log = srv.log();
    assert!(log.contains(line), "no {line:?} in the log:\n{log}");
    assert_same_data(expected, &dataset(srv.port), "after the migration");
    assert!(
        !data.join("appendonly.aof").exists(),
        "the legacy file is still in the data directory"
    );
    assert_eq!(
        std::fs::read(aof_dir(&data).join("appendonly.aof")).unwrap(),
        legacy,
        "the legacy file changed on its way into appendonlydir"
    );
    assert_eq!(
        manifest(&data),
        [
            entry("appendonly.aof", 1, 'b'),
            entry("appendonly.aof.1.incr.aof", 1, 'i')
        ]
    );
    // The new layout is used from now on.
    let mut c = srv.conn();
    ok(&mut c, &["SET", "after", "migration"]);
    srv.shutdown();
    srv.restart();
    assert!(!srv.log().contains("migrated"), "migrated twice");
    let mut expected = expected.clone();
    expected.extend(str_data(&[(0, "after", "migration")]));
    assert_same_data(&expected, &dataset(srv.port), "after a restart");
}

#[test]
fn legacy_appendonly_aof_of_commands_is_migrated() {
    let scratch = Scratch::new("legacy");
    let far = (now_ms() + 100_000_000).to_string();
    let legacy = resp(&[
        &["SELECT", "0"],
        &["SET", "a", "1"],
        &["RPUSH", "l", "x", "y"],
        &["SET", "t", "v"],
        &["PEXPIREAT", "t", &far],
        &["SELECT", "2"],
        &["SADD", "s", "m"],
    ]);
    let mut expected = str_data(&[(0, "a", "1")]);
    expected.insert((0, "t".into()), (Val::Str("v".into()), true));
    expected.insert(
        (0, "l".into()),
        (Val::List(vec!["x".into(), "y".into()]), false),
    );
    expected.insert((2, "s".into()), (Val::Set(vec!["m".into()]), false));
    migrate(&scratch, &legacy, &expected);
}

#[test]
fn legacy_appendonly_aof_with_rdb_preamble_is_migrated() {
    let scratch = Scratch::new("legacy-preamble");
    // The preamble: the base file a real redis-server writes in a rewrite.
    let src = scratch.dir("source");
    let mut r = Server::start(Kind::Redis, &src, &["--appendonly", "yes"]);
    let mut c = r.conn();
    pipeline(
        &mut c,
        &[
            s(&["SET", "r", "from rdb"]),
            s(&["RPUSH", "l", "a", "b"]),
            s(&["SET", "gone", "x"]),
            s(&["SELECT", "4"]),
            s(&["HSET", "h", "f", "v"]),
        ],
    );
    ok(&mut c, &["BGREWRITEAOF"]);
    wait_rewrite_done(&mut c);
    r.shutdown();
    let base = manifest(&src).into_iter().find(|e| e.kind == 'b').unwrap();
    assert!(base.name.ends_with(".base.rdb"));
    let mut legacy = std::fs::read(aof_dir(&src).join(&base.name)).unwrap();
    assert!(legacy.starts_with(b"REDIS0010"));
    // The command tail, on top of the preamble's data.
    legacy.extend(resp(&[
        &["SELECT", "0"],
        &["RPUSH", "l", "c"],
        &["DEL", "gone"],
        &["SET", "tail", "1"],
    ]));
    let mut expected = str_data(&[(0, "r", "from rdb"), (0, "tail", "1")]);
    expected.insert(
        (0, "l".into()),
        (Val::List(vec!["a".into(), "b".into(), "c".into()]), false),
    );
    expected.insert(
        (4, "h".into()),
        (Val::Hash(vec![("f".into(), "v".into())]), false),
    );
    migrate(&scratch, &legacy, &expected);
}

// ---------------------------------------------------------------------------------------------------------
// 10. INFO persistence and BGREWRITEAOF's replies.

/// The aof fields of redis-server 7.0's INFO persistence with appendonly yes, in order (module_fork_* sit
/// between aof_last_cow_size and aof_current_size).
const AOF_FIELDS: &[&str] = &[
    "aof_enabled",
    "aof_rewrite_in_progress",
    "aof_rewrite_scheduled",
    "aof_last_rewrite_time_sec",
    "aof_current_rewrite_time_sec",
    "aof_last_bgrewrite_status",
    "aof_rewrites",
    "aof_rewrites_consecutive_failures",
    "aof_last_write_status",
    "aof_last_cow_size",
    "aof_current_size",
    "aof_base_size",
    "aof_pending_rewrite",
    "aof_buffer_length",
    "aof_pending_bio_fsync",
    "aof_delayed_fsync",
];

#[test]
fn info_persistence_fields_and_bgrewriteaof_replies() {
    let scratch = Scratch::new("info");
    let srv = Server::start(
        Kind::under_test(),
        &scratch.data(),
        &["--appendonly", "yes", "--rdb-key-save-delay", "20000"],
    );
    let redis = Server::start(Kind::Redis, &scratch.dir("redis"), &["--appendonly", "yes"]);
    let names = |port: u16| -> Vec<String> {
        info_persistence(&mut RawConn::connect(port))
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    let theirs = names(redis.port);
    assert_eq!(
        theirs
            .iter()
            .filter(|k| k.starts_with("aof_"))
            .collect::<Vec<_>>(),
        AOF_FIELDS
    );
    assert_eq!(names(srv.port), theirs, "INFO persistence fields");

    // 20 keys at 20 ms each: the first rewrite is still running when the second arrives (same pipeline).
    let mut c = srv.conn();
    let keys: Vec<Vec<String>> = (0..20)
        .map(|i| vec!["SET".into(), format!("k{i}"), "v".into()])
        .collect();
    pipeline(&mut c, &keys);
    assert_eq!(info_field(&mut c, "aof_rewrites"), "0");
    c.send_raw(&resp(&[&["BGREWRITEAOF"], &["BGREWRITEAOF"]]));
    assert_eq!(
        text(c.read_reply()),
        "+Background append only file rewriting started\r\n"
    );
    assert_eq!(
        text(c.read_reply()),
        "-ERR Background append only file rewriting already in progress\r\n"
    );
    assert_eq!(info_field(&mut c, "aof_rewrite_in_progress"), "1");
    wait_rewrite_done(&mut c);
    assert_eq!(info_field(&mut c, "aof_rewrites"), "1");
}

// ---------------------------------------------------------------------------------------------------------
// 11. What appendfsync always writes, byte for byte.

#[test]
fn incr_file_holds_absolute_expiry_times_and_no_publish() {
    let scratch = Scratch::new("bytes");
    let data = scratch.data();
    let srv = Server::start(
        Kind::under_test(),
        &data,
        &["--appendonly", "yes", "--appendfsync", "always"],
    );
    let incr = last_incr(&data);
    let read = || std::fs::read(&incr).unwrap();
    assert_eq!(read(), b"", "a fresh incr file is empty");
    let mut c = srv.conn();

    // Relative expiry times are written as absolute ones, in the canonical (upper-case) form.
    let t0 = now_ms();
    assert_eq!(c.cmd(&["set", "k", "v", "ex", "100"]), b"+OK\r\n");
    let t1 = now_ms();
    let cmds = parse_commands(&read());
    assert_eq!(cmds.len(), 2, "{cmds:?}");
    assert_eq!(cmds[0], ["SELECT", "0"]);
    let at: u64 = cmds[1][4].parse().unwrap();
    assert_eq!(cmds[1], ["SET", "k", "v", "PXAT", &at.to_string()]);
    assert!(
        (t0 + 100_000..=t1 + 100_000).contains(&at),
        "PXAT {at} not 100 s after [{t0}, {t1}]"
    );
    let mut expected = resp(&[
        &["SELECT", "0"],
        &["SET", "k", "v", "PXAT", &at.to_string()],
    ]);
    assert_eq!(text(read()), text(expected.clone()));

    // PUBLISH goes to replicas, not to the AOF.
    assert_eq!(c.cmd(&["PUBLISH", "ch", "m"]), b":0\r\n");
    assert_eq!(
        text(read()),
        text(expected.clone()),
        "PUBLISH reached the AOF"
    );

    // A plain write goes as sent (no second SELECT); EXPIRE becomes PEXPIREAT.
    assert_eq!(c.cmd(&["SET", "k2", "v2"]), b"+OK\r\n");
    expected.extend(encode(&["SET", "k2", "v2"]));
    assert_eq!(text(read()), text(expected.clone()));
    let t0 = now_ms();
    assert_eq!(c.cmd(&["EXPIRE", "k2", "100"]), b":1\r\n");
    let t1 = now_ms();
    let cmds = parse_commands(&read());
    let last = cmds.last().unwrap();
    let at: u64 = last[2].parse().unwrap();
    assert_eq!(last, &["PEXPIREAT", "k2", &at.to_string()]);
    assert!((t0 + 100_000..=t1 + 100_000).contains(&at));
    expected.extend(encode(&["PEXPIREAT", "k2", &at.to_string()]));
    assert_eq!(text(read()), text(expected));
}

/// While the AOF loads, clients are served: commands without the `loading` flag get `-LOADING`, INFO says
/// `loading:1` with the load's progress; once loaded, everything is there.
#[test]
fn clients_get_loading_while_the_aof_loads() {
    let scratch = Scratch::new("loading");
    let data = scratch.data();
    let d = aof_dir(&data);
    std::fs::create_dir_all(&d).unwrap();
    let cmds: Vec<Vec<String>> = (0..8000)
        .map(|i| s(&["SET", &format!("k{i}"), "v"]))
        .collect();
    let refs: Vec<Vec<&str>> = cmds
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let slices: Vec<&[&str]> = refs.iter().map(|c| &c[..]).collect();
    let file = d.join("appendonly.aof.1.incr.aof");
    std::fs::write(&file, resp(&slices)).unwrap();
    std::fs::write(
        d.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    served_while_loading(&data, &file, &["--appendonly", "yes"]);
}

/// The same for an RDB file (loading_total_bytes is the file's size).
#[test]
fn clients_get_loading_while_the_rdb_loads() {
    use mini_redis::persist::rdb::{Encoding, FileWriter, RdbValue, SaveOptions};
    let scratch = Scratch::new("loading-rdb");
    let data = scratch.data();
    let mut w = FileWriter::new(SaveOptions::default(), &[("redis-ver", b"7.0.15")]);
    w.select_db(0, 8000, 0);
    for i in 0..8000 {
        let v = RdbValue::Str(b"v".to_vec());
        w.entry(format!("k{i}").as_bytes(), &v, Encoding::Full, None);
    }
    let file = data.join("dump.rdb");
    std::fs::write(&file, w.finish()).unwrap();
    // Redis reads 2 MB between looks at its clients (loading-process-events-interval-bytes): 1 KB here.
    served_while_loading(
        &data,
        &file,
        &[
            "--appendonly",
            "no",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
}

/// Starts the server under test on `data` (8000 keys in `file`, loaded 150 µs apart) and checks what a
/// client sees while it loads and after.
fn served_while_loading(data: &Path, file: &Path, args: &[&str]) {
    let kind = Kind::under_test();
    let port = free_port();
    // 8000 keys 150 µs apart: over a second of loading (Redis serves clients every 1024 keys, one request
    // each time).
    let mut child = Command::new(kind.program())
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--dir", &data.display().to_string()])
        .args(args)
        .args(["--key-load-delay", "150", "--logfile", ""])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut c = None;
    wait_for("the port to open", 10, || {
        c = RawConn::try_connect(port).ok();
        c.is_some()
    });
    let mut c = c.unwrap();
    assert_eq!(
        text(c.cmd(&["GET", "k0"])),
        "-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert_eq!(info_field(&mut c, "loading"), "1");
    let size = std::fs::metadata(file).unwrap().len();
    assert_eq!(info_field(&mut c, "loading_total_bytes"), size.to_string());
    // Progress moves every 1024 keys, while the load is still going.
    let mut loaded = 0;
    wait_for("loading_loaded_bytes to move", 10, || {
        loaded = info_field(&mut c, "loading_loaded_bytes").parse().unwrap();
        loaded > 0
    });
    assert!(loaded < size, "{loaded} of {size}");
    assert_eq!(info_field(&mut c, "loading"), "1");
    wait_for("the load to end", 20, || {
        text(c.cmd(&["PING"])) == "+PONG\r\n"
    });
    assert_eq!(info_field(&mut c, "loading"), "0");
    assert_eq!(text(c.cmd(&["DBSIZE"])), ":8000\r\n");
    let _ = child.kill();
    let _ = child.wait();
}
