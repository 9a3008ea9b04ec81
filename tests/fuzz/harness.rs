//! A pair of servers (ours in-process, redis-server as a child) with one RESP2 and one RESP3 connection
//! each, steps run on both, and delta debugging of a difference over fresh pairs.

use std::time::Instant;

use crate::common::{encode, start_ours, start_redis_with, RawConn, RedisServer};
use crate::normalize;
use mini_redis::RunningServer;

/// Connection 0 speaks RESP2, connection 1 RESP3 (after `HELLO 3`).
pub const CONNS: usize = 2;

#[derive(Clone, Debug)]
pub struct Step {
    pub conn: usize,
    pub cmd: Vec<Vec<u8>>,
}

impl Step {
    pub fn new(conn: usize, cmd: Vec<Vec<u8>>) -> Step {
        Step { conn, cmd }
    }
}

pub type Answer = Result<Vec<u8>, String>;

/// Both replies to a step.
pub struct Outcome {
    pub ours: Answer,
    pub redis: Answer,
    /// For an EXEC: the commands redis-server queued, so each reply is compared by its own rule.
    pub queued: Option<Vec<Vec<Vec<u8>>>>,
}

type Queue = Option<Vec<Vec<Vec<u8>>>>;

pub struct Pair {
    _ours: RunningServer,
    _redis: RedisServer,
    pub ours_port: u16,
    ours: Vec<RawConn>,
    redis: Vec<RawConn>,
    /// A side connection to redis-server for questions outside the compared stream (OBJECT ENCODING).
    ctl: RawConn,
    /// Each connection's selected db, when known (a transaction may change it).
    db: [Option<u8>; CONNS],
    /// redis-server's working directory, removed with the pair.
    dir: std::path::PathBuf,
    /// Each connection's open transaction, as redis-server queued it. Kept here (not in the steps) so a
    /// shrunk replay that drops queued commands still compares EXEC's replies correctly.
    queue: [Queue; CONNS],
}

impl Pair {
    pub fn start() -> Pair {
        let ours_srv = start_ours();
        // At the default hz 10 redis-server notices a blocking timeout up to 100 ms late; blocking commands
        // would dominate the run. A directory of its own: it would load a dump.rdb that another test left
        // in the shared temp dir.
        static PAIRS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = PAIRS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("mini-redis-fuzz-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create redis-server dir");
        let redis_srv = start_redis_with(&["--hz", "100", "--dir", &dir.display().to_string()]);
        let mut ours = Vec::new();
        let mut redis = Vec::new();
        for i in 0..CONNS {
            let mut a = RawConn::connect(ours_srv.port);
            let mut b = RawConn::connect(redis_srv.port);
            if i == 0 {
                // Both start empty whatever their directories held.
                a.cmd(&["FLUSHALL"]);
                b.cmd(&["FLUSHALL"]);
            } else {
                // Not compared: HELLO reports the client id and server details.
                a.cmd(&["HELLO", "3"]);
                b.cmd(&["HELLO", "3"]);
            }
            ours.push(a);
            redis.push(b);
        }
        Pair {
            ours_port: ours_srv.port,
            ctl: RawConn::connect(redis_srv.port),
            _ours: ours_srv,
            _redis: redis_srv,
            ours,
            redis,
            db: [Some(0); CONNS],
            queue: [None, None],
            dir,
        }
    }

    /// Which keys differ (type, value digest, TTL, encoding), in every db, asked on side connections.
    pub fn diagnose(&mut self) -> String {
        use crate::common::{parse_reply, Reply};
        let mut ours = RawConn::connect(self.ours_port);
        let mut out = String::new();
        let names = |r: Vec<u8>| -> Vec<Vec<u8>> {
            match parse_reply(&r) {
                Reply::Agg(_, Some(v)) => v
                    .into_iter()
                    .filter_map(|x| match x {
                        Reply::Bulk(_, Some(b)) => Some(b),
                        _ => None,
                    })
                    .collect(),
                _ => vec![],
            }
        };
        for db in 0..16 {
            let db = db.to_string();
            ours.cmd(&["SELECT", &db]);
            self.ctl.cmd(&["SELECT", &db]);
            let mut keys = names(ours.cmd(&["KEYS", "*"]));
            keys.extend(names(self.ctl.cmd(&["KEYS", "*"])));
            keys.sort();
            keys.dedup();
            for k in &keys {
                for q in [
                    &[&b"TYPE"[..], k][..],
                    &[b"DEBUG", b"DIGEST-VALUE", k],
                    &[b"PTTL", k],
                    &[b"OBJECT", b"ENCODING", k],
                ] {
                    let (a, b) = (ours.cmd(q), self.ctl.cmd(q));
                    // TTLs only by sign: the clocks differ a little.
                    let ttl = q[0] == b"PTTL" && a.starts_with(b":-") == b.starts_with(b":-");
                    if a != b && !ttl {
                        out += &format!(
                            "    db {db} {}: ours {} redis {}\n",
                            q.iter().map(|x| quote(x)).collect::<Vec<_>>().join(" "),
                            show_answer(&Ok(a)),
                            show_answer(&Ok(b))
                        );
                    }
                }
            }
        }
        self.ctl.cmd(&["SELECT", "0"]);
        if out.is_empty() {
            out = "    (none: every key's type, value digest, TTL and encoding agree now)\n".into();
        }
        out
    }

    /// Asks redis-server `q` about the db connection `conn` is in (None if that is unknown), on the side
    /// connection: not part of the compared stream.
    pub fn redis_ask(&mut self, conn: usize, q: &[&[u8]]) -> Option<Vec<u8>> {
        let db = self.db[conn]?.to_string();
        self.ctl
            .try_send_raw(&encode(&[b"SELECT".as_slice(), db.as_bytes()]))
            .ok()?;
        self.ctl.try_read_reply().ok()?;
        self.ctl.try_send_raw(&encode(q)).ok()?;
        self.ctl.try_read_reply().ok()
    }

    /// redis-server's connection, for setup queries whose answers are not compared.
    pub fn redis_ctl(&mut self) -> &mut RawConn {
        &mut self.ctl
    }

    /// Sends the step to both servers before reading either reply, so they work at the same time.
    pub fn run(&mut self, st: &Step) -> Outcome {
        let req = encode(&st.cmd);
        let sa = self.ours[st.conn].try_send_raw(&req);
        let sb = self.redis[st.conn].try_send_raw(&req);
        let read = |c: &mut RawConn, s: std::io::Result<()>| -> Answer {
            s.map_err(|e| format!("send: {e}"))?;
            c.try_read_reply().map_err(|e| format!("read: {e}"))
        };
        let a = read(&mut self.ours[st.conn], sa);
        let b = read(&mut self.redis[st.conn], sb);
        let queued = match &b {
            Ok(r) => self.track(st, r),
            Err(_) => None,
        };
        Outcome {
            ours: a,
            redis: b,
            queued,
        }
    }

    /// Follows redis-server's side of the connection state: selected db and transaction queue. Returns
    /// the queued commands when `st` ends a transaction with EXEC.
    fn track(&mut self, st: &Step, reply: &[u8]) -> Queue {
        let name = st.cmd[0].to_ascii_lowercase();
        let q = &mut self.queue[st.conn];
        if let Some(cmds) = q {
            if name == b"exec" || name == b"discard" {
                let cmds = q.take().unwrap_or_default();
                if name == b"exec" {
                    self.track_exec_select(st.conn, &cmds, reply);
                }
                return (name == b"exec").then_some(cmds);
            }
            if reply == b"+QUEUED\r\n" {
                cmds.push(st.cmd.clone());
            }
            return None;
        }
        if name == b"multi" && reply == b"+OK\r\n" {
            *q = Some(Vec::new());
        } else if name == b"select" && reply == b"+OK\r\n" {
            self.db[st.conn] = std::str::from_utf8(&st.cmd[1])
                .ok()
                .and_then(|s| s.parse().ok());
        }
        None
    }

    /// A SELECT that succeeded inside the transaction changed the connection's db.
    fn track_exec_select(&mut self, conn: usize, cmds: &[Vec<Vec<u8>>], reply: &[u8]) {
        use crate::common::{parse_reply, Reply};
        let Reply::Agg(_, Some(items)) = parse_reply(reply) else {
            return;
        };
        for (c, r) in cmds.iter().zip(&items) {
            if c[0].eq_ignore_ascii_case(b"select") && *r == Reply::Line(b'+', b"OK".to_vec()) {
                self.db[conn] = std::str::from_utf8(&c[1]).ok().and_then(|s| s.parse().ok());
            }
        }
    }

    /// Whether the replies to `st` differ (after normalization).
    pub fn differs(&mut self, st: &Step, o: &Outcome) -> bool {
        let (Ok(a), Ok(b)) = (&o.ours, &o.redis) else {
            return true;
        };
        let db = self.db[st.conn];
        let ctl = &mut self.ctl;
        let mut enc = |key: &[u8]| -> Option<Vec<u8>> {
            let db = db?.to_string();
            ctl.try_send_raw(&encode(&[b"SELECT".as_slice(), db.as_bytes()]))
                .ok()?;
            ctl.try_read_reply().ok()?;
            ctl.try_send_raw(&encode(&[b"OBJECT".as_slice(), b"ENCODING", key]))
                .ok()?;
            let r = ctl.try_read_reply().ok()?;
            match crate::common::parse_reply(&r) {
                crate::common::Reply::Bulk(_, Some(v)) => Some(v),
                _ => None,
            }
        };
        let enc: normalize::Encoding = if o.queued.is_some() {
            None
        } else {
            Some(&mut enc)
        };
        !normalize::equivalent(&st.cmd, o.queued.as_deref(), a, b, enc)
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What a difference is, for grouping: the command (and subcommand) and the kind of each reply.
pub fn signature(st: &Step, o: &Outcome) -> String {
    sig(st, &o.ours, &o.redis, o.queued.as_deref())
}

fn sig(st: &Step, a: &Answer, b: &Answer, queued: Option<&[Vec<Vec<u8>>]>) -> String {
    if let (Some(q), Ok(x), Ok(y)) = (queued, a, b) {
        use crate::common::{parse_reply, Reply};
        if let (Reply::Agg(_, Some(x)), Reply::Agg(_, Some(y))) = (parse_reply(x), parse_reply(y)) {
            if x.len() == q.len() && y.len() == q.len() {
                for (c, (x, y)) in q.iter().zip(x.iter().zip(&y)) {
                    if normalize::same(c, x, y, None) {
                        continue;
                    }
                    let enc = |r: &crate::common::Reply| {
                        let mut v = Vec::new();
                        write_reply(r, &mut v);
                        Ok(v)
                    };
                    return format!(
                        "exec> {}",
                        sig(&Step::new(st.conn, c.clone()), &enc(x), &enc(y), None)
                    );
                }
            }
        }
    }
    format!(
        "{}: ours {} / redis {}",
        command_name(&st.cmd),
        class(a),
        class(b)
    )
}

/// `name` or `container|sub`, lowercase.
pub fn command_name(cmd: &[Vec<u8>]) -> String {
    let name = String::from_utf8_lossy(&cmd[0]).to_ascii_lowercase();
    let containers = [
        "config", "client", "command", "object", "pubsub", "acl", "debug", "memory", "script",
        "function", "xinfo", "xgroup",
    ];
    match cmd.get(1) {
        Some(s) if containers.contains(&name.as_str()) => {
            format!("{name}|{}", String::from_utf8_lossy(s).to_ascii_lowercase())
        }
        _ => name,
    }
}

/// A reply's kind: errors by their first three words (numbers blanked), which name the check that failed
/// without the argument that failed it; other replies by type.
fn class(r: &Answer) -> String {
    match r {
        Err(e) => format!("<{e}>"),
        Ok(v) if v.first() == Some(&b'-') => {
            let msg = String::from_utf8_lossy(&v[1..v.len().saturating_sub(2)]).to_string();
            let words: Vec<String> = msg
                .split(' ')
                .take(3)
                .map(|w| {
                    if w.chars().any(|c| c.is_ascii_digit()) {
                        "N".to_string()
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            format!("-{}", words.join(" "))
        }
        Ok(v) => format!("{}", v.first().map(|&c| c as char).unwrap_or('?')),
    }
}

fn write_reply(r: &crate::common::Reply, out: &mut Vec<u8>) {
    use crate::common::Reply;
    match r {
        Reply::Line(t, v) => {
            out.push(*t);
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Bulk(t, None) => out.extend_from_slice(format!("{}-1\r\n", *t as char).as_bytes()),
        Reply::Bulk(t, Some(v)) => {
            out.extend_from_slice(format!("{}{}\r\n", *t as char, v.len()).as_bytes());
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Agg(t, None) => out.extend_from_slice(format!("{}-1\r\n", *t as char).as_bytes()),
        Reply::Agg(t, Some(v)) => {
            let n = if *t == b'%' || *t == b'|' {
                v.len() / 2
            } else {
                v.len()
            };
            out.extend_from_slice(format!("{}{}\r\n", *t as char, n).as_bytes());
            for x in v {
                write_reply(x, out);
            }
        }
    }
}

thread_local! {
    /// How many replays shrinking has run, for the report.
    pub static REPLAYS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Replays `steps` on a fresh pair: does the last step still differ, with the same signature?
pub fn reproduces(steps: &[Step], sig: &str) -> bool {
    replay(steps, sig).is_some()
}

/// `reproduces`, returning the last step's replies when it does.
pub fn replay(steps: &[Step], sig: &str) -> Option<Outcome> {
    REPLAYS.with(|r| r.set(r.get() + 1));
    let mut p = Pair::start();
    let last = steps.len() - 1;
    for (i, st) in steps.iter().enumerate() {
        if i == last && st.cmd[0].eq_ignore_ascii_case(b"DEBUG") {
            // Data set differences can come from background work (expiry): give it time to run.
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let o = p.run(st);
        if i == last {
            return (p.differs(st, &o) && signature(st, &o) == sig).then_some(o);
        }
        if o.ours.is_err() || o.redis.is_err() {
            return None;
        }
    }
    None
}

/// Delta debugging (ddmin, removing chunks) of the steps before the last one, until `deadline`: a short
/// sequence whose last step still shows the difference, with that step's replies in the replay. None if
/// the full sequence does not reproduce.
pub fn shrink(steps: &[Step], sig: &str, deadline: Instant) -> Option<(Vec<Step>, Outcome)> {
    let found = shrink_steps(steps, sig, deadline)?;
    // One more replay for the replies to show (the shrunk sequence reproduced a moment ago).
    let o = (0..4).find_map(|_| replay(&found, sig))?;
    Some((found, o))
}

fn shrink_steps(steps: &[Step], sig: &str, deadline: Instant) -> Option<Vec<Step>> {
    let with_target = |prefix: &[Step]| -> Vec<Step> {
        let mut v = prefix.to_vec();
        v.push(steps[steps.len() - 1].clone());
        v
    };
    // Some differences only show in some processes (ours's hash seeds, timing): a few tries before giving
    // up, and then a few tries per candidate too.
    let first = (1..=4).find(|_| reproduces(steps, sig))?;
    let tries = if first == 1 { 1 } else { 3 };
    let reproduces = |cand: &[Step], sig: &str| (0..tries).any(|_| reproduces(cand, sig));
    let mut cur: Vec<Step> = steps[..steps.len() - 1].to_vec();
    // A difference that needs no history at all is common: try that first.
    if reproduces(&with_target(&[]), sig) {
        return Some(with_target(&[]));
    }
    let mut gran = 2usize;
    while !cur.is_empty() && Instant::now() < deadline {
        let chunk = cur.len().div_ceil(gran);
        // The first chunk whose removal keeps the difference.
        let removable = (0..gran).find(|&i| {
            let (lo, hi) = (i * chunk, ((i + 1) * chunk).min(cur.len()));
            if lo >= hi || Instant::now() >= deadline {
                return false;
            }
            let cand: Vec<Step> = cur[..lo].iter().chain(&cur[hi..]).cloned().collect();
            reproduces(&with_target(&cand), sig)
        });
        match removable {
            Some(i) => {
                let (lo, hi) = (i * chunk, ((i + 1) * chunk).min(cur.len()));
                cur.drain(lo..hi);
                gran = (gran - 1).max(2);
            }
            None if gran >= cur.len() => break,
            None => gran = (gran * 2).min(cur.len()),
        }
    }
    Some(with_target(&cur))
}

/// A command as a replay line: `r2> SET "k" "v"` (r2/r3: the RESP2 or RESP3 connection).
pub fn show(st: &Step) -> String {
    let args: Vec<String> = st.cmd.iter().map(|a| quote(a)).collect();
    format!("r{}> {}", st.conn + 2, args.join(" "))
}

pub fn quote(a: &[u8]) -> String {
    format!("\"{}\"", a.escape_ascii())
}

/// Reply bytes for a report, escaped and cut.
pub fn show_answer(a: &Answer) -> String {
    match a {
        Ok(v) => {
            let s = v.escape_ascii().to_string();
            if s.len() > 400 {
                format!("{}... ({} bytes)", &s[..400], v.len())
            } else {
                s
            }
        }
        Err(e) => format!("<{e}>"),
    }
}
