//! Shared test support: start our server in-process, start a real redis-server beside it, and a raw RESP
//! connection that returns each reply's exact bytes (for byte-for-byte comparisons).
#![allow(dead_code)]

pub mod stream;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mini_redis::{Config, RunningServer};

/// Our server on a free port, with DEBUG enabled (as test suites configure redis-server).
pub fn start_ours() -> RunningServer {
    start_ours_with(&[])
}

/// Our server with extra directives, e.g. `&[("requirepass", "x")]`.
pub fn start_ours_with(opts: &[(&str, &str)]) -> RunningServer {
    RunningServer::start(ours_config(opts)).expect("start server")
}

/// The configuration `start_ours_with` starts with: DEBUG enabled, no save points, and a fresh directory of
/// its own unless `opts` sets `dir` (so a dump.rdb lying in the project root is never loaded).
pub fn ours_config(opts: &[(&str, &str)]) -> Config {
    let mut c = Config::default();
    c.set("port", "0").unwrap();
    c.set("save", "").unwrap();
    c.set_startup("enable-debug-command", "yes").unwrap();
    if !opts.iter().any(|(k, _)| k.eq_ignore_ascii_case("dir")) {
        c.set_startup("dir", &fresh_dir("ours").display().to_string())
            .unwrap();
    }
    for (k, v) in opts {
        c.set_startup(k, v).unwrap();
    }
    c
}

/// A new empty directory under the system temp dir, unique in this process.
pub fn fresh_dir(tag: &str) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mini-redis-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a test directory");
    dir
}

/// A reply's bytes as text (lossy), for assertions on exact replies.
pub fn text(r: Vec<u8>) -> String {
    String::from_utf8_lossy(&r).to_string()
}

/// A field of INFO persistence ("" when absent).
pub fn info_field(c: &mut RawConn, field: &str) -> String {
    let info = text(c.cmd(&["INFO", "persistence"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .to_string()
}

/// A redis-server 7.0 child process on a free port, killed on drop.
pub struct RedisServer {
    pub port: u16,
    child: Child,
    dir: std::path::PathBuf,
}

impl RedisServer {
    /// The server's own directory (its `--dir`): where it writes dump.rdb and appendonlydir/.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts the real redis-server. Panics if it is not installed: .ci/run installs it.
pub fn start_redis() -> RedisServer {
    start_redis_with(&[])
}

pub fn start_redis_with(extra: &[&str]) -> RedisServer {
    start_redis_prepared(extra, |_| {})
}

/// Starts redis-server after `prepare` has filled its directory (e.g. with an RDB file to load).
pub fn start_redis_prepared(extra: &[&str], prepare: impl Fn(&std::path::Path)) -> RedisServer {
    for _ in 0..5 {
        let port = free_port();
        // A directory of its own: a dump.rdb another test's server saved (DEBUG RELOAD, SAVE) must not be
        // loaded by this one at start.
        let dir =
            std::env::temp_dir().join(format!("mini-redis-test-{}-{port}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        prepare(&dir);
        let mut cmd = Command::new("redis-server");
        cmd.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--enable-debug-command",
            "yes",
            "--dir",
            &dir.display().to_string(),
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let child = cmd.spawn().expect(
            "redis-server must be installed for differential tests (apt-get install redis-server)",
        );
        let mut srv = RedisServer { port, child, dir };
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(5) {
            if let Ok(mut c) = RawConn::try_connect(port) {
                // The port was free when picked, but another test's server may have taken it since: make
                // sure the one answering is our child.
                let info = String::from_utf8_lossy(&c.cmd(&["INFO", "server"])).to_string();
                if info.contains(&format!("process_id:{}\r\n", srv.child.id())) {
                    return srv;
                }
                if !info.is_empty() && !info.starts_with("-LOADING") {
                    break;
                }
            }
            if let Ok(Some(_)) = srv.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("redis-server did not start");
}

/// A plain TCP connection speaking RESP, returning raw reply bytes.
pub struct RawConn {
    reader: BufReader<TcpStream>,
    stream: TcpStream,
}

impl RawConn {
    pub fn connect(port: u16) -> RawConn {
        Self::try_connect(port).expect("connect")
    }

    pub fn try_connect(port: u16) -> std::io::Result<RawConn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_nodelay(true)?;
        Ok(RawConn {
            reader: BufReader::new(stream.try_clone()?),
            stream,
        })
    }

    /// The underlying socket, for writes that must not panic when the server closes it.
    pub fn stream_clone(&self) -> TcpStream {
        self.stream.try_clone().expect("clone socket")
    }

    pub fn send_raw(&mut self, data: &[u8]) {
        self.stream.write_all(data).unwrap();
    }

    /// Sends one command as a multibulk request and returns the reply's bytes.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        self.send_raw(&encode(args));
        self.read_reply()
    }

    /// Reads exactly one reply (RESP2 or RESP3), returning its bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.read_into(&mut out);
        out
    }

    /// Reads one reply, or None if nothing arrives within `timeout`.
    pub fn read_reply_timeout(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        self.stream.set_read_timeout(Some(timeout)).unwrap();
        let r = self.reader.fill_buf().map(|b| !b.is_empty());
        self.stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        match r {
            Ok(true) => Some(self.read_reply()),
            _ => None,
        }
    }

    /// True when the server closed the connection.
    pub fn is_closed(&mut self) -> bool {
        self.stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        match self.reader.fill_buf() {
            Ok(b) => b.is_empty(),
            // A reset (the server closed with our data unread) is a close too; a timeout is not.
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }

    fn read_into(&mut self, out: &mut Vec<u8>) {
        let mut line = Vec::new();
        let n = self.reader.read_until(b'\n', &mut line).unwrap();
        assert!(n > 0, "connection closed while waiting for a reply");
        out.extend_from_slice(&line);
        let head = std::str::from_utf8(&line[1..line.len() - 2])
            .unwrap_or("0")
            .to_string();
        match line[0] {
            b'$' | b'=' | b'!' => {
                let len: i64 = head.parse().unwrap();
                if len >= 0 {
                    let mut buf = vec![0; len as usize + 2];
                    self.reader.read_exact(&mut buf).unwrap();
                    out.extend_from_slice(&buf);
                }
            }
            b'*' | b'~' | b'>' => {
                let len: i64 = head.parse().unwrap();
                for _ in 0..len.max(0) {
                    self.read_into(out);
                }
            }
            b'%' | b'|' => {
                let len: i64 = head.parse().unwrap();
                for _ in 0..len * 2 {
                    self.read_into(out);
                }
            }
            _ => {}
        }
    }
}

pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// A parsed reply, for comparisons that ignore element order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reply {
    Line(u8, Vec<u8>),
    Bulk(u8, Option<Vec<u8>>),
    Agg(u8, Option<Vec<Reply>>),
}

pub fn parse_reply(data: &[u8]) -> Reply {
    fn go(d: &[u8], i: &mut usize) -> Reply {
        let t = d[*i];
        let end = d[*i..].windows(2).position(|w| w == b"\r\n").unwrap() + *i;
        let head = d[*i + 1..end].to_vec();
        *i = end + 2;
        match t {
            b'$' | b'=' | b'!' => {
                let n: i64 = std::str::from_utf8(&head).unwrap().parse().unwrap();
                if n < 0 {
                    return Reply::Bulk(t, None);
                }
                let v = d[*i..*i + n as usize].to_vec();
                *i += n as usize + 2;
                Reply::Bulk(t, Some(v))
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n: i64 = std::str::from_utf8(&head).unwrap().parse().unwrap();
                if n < 0 {
                    return Reply::Agg(t, None);
                }
                let n = if t == b'%' || t == b'|' { n * 2 } else { n };
                Reply::Agg(t, Some((0..n).map(|_| go(d, i)).collect()))
            }
            _ => Reply::Line(t, head),
        }
    }
    let mut i = 0;
    go(data, &mut i)
}

/// The reply with the elements of every array sorted (for replies whose order Redis does not define).
pub fn sorted(r: Reply) -> Reply {
    match r {
        Reply::Agg(t, Some(mut v)) => {
            v = v.into_iter().map(sorted).collect();
            v.sort();
            Reply::Agg(t, Some(v))
        }
        other => other,
    }
}

/// Runs each command on both servers (one connection each) and returns the commands whose replies differ.
/// `unordered` decides per command whether element order is compared.
pub fn diff_sequence(
    ours: &mut RawConn,
    redis: &mut RawConn,
    cmds: &[Vec<Vec<u8>>],
    unordered: impl Fn(&[Vec<u8>]) -> bool,
) -> Vec<String> {
    diff_by(ours, redis, cmds, |c, a, b| {
        if unordered(c) {
            sorted(parse_reply(a)) == sorted(parse_reply(b))
        } else {
            a == b
        }
    })
}

/// Like `diff_sequence`, with the caller deciding when two replies to a command are the same (for random
/// replies compared by shape). With DIFF_TRACE set, the commands before the first difference are printed.
pub fn diff_by(
    ours: &mut RawConn,
    redis: &mut RawConn,
    cmds: &[Vec<Vec<u8>>],
    same: impl Fn(&[Vec<u8>], &[u8], &[u8]) -> bool,
) -> Vec<String> {
    let show = |c: &[Vec<u8>]| {
        c.iter()
            .map(|a| String::from_utf8_lossy(a).to_string())
            .collect::<Vec<_>>()
    };
    let mut diffs = Vec::new();
    for (i, c) in cmds.iter().enumerate() {
        let a = ours.cmd(c);
        let b = redis.cmd(c);
        if same(c, &a, &b) {
            continue;
        }
        if diffs.is_empty() && std::env::var("DIFF_TRACE").is_ok() {
            for p in &cmds[i.saturating_sub(60)..i] {
                eprintln!("  before: {:?}", show(p));
            }
        }
        diffs.push(format!(
            "{:?}\n  ours:  {:?}\n  redis: {:?}",
            show(c),
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b)
        ));
    }
    diffs
}

/// Runs `script` with `notify-keyspace-events KEA` and returns every notification a pattern subscriber
/// received, in order. The script must end with `SET done 1`, whose `set` event closes the stream.
pub fn keyspace_event_stream(port: u16, script: &[Vec<Vec<u8>>]) -> Vec<String> {
    let mut ctl = RawConn::connect(port);
    ctl.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let mut sub = RawConn::connect(port);
    sub.cmd(&["PSUBSCRIBE", "__key*@*__:*"]);
    for cmd in script {
        ctl.cmd(cmd);
    }
    let mut events = Vec::new();
    loop {
        let m = String::from_utf8_lossy(&sub.read_reply()).to_string();
        let end = m.contains("__keyevent@0__:set") && m.ends_with("$4\r\ndone\r\n");
        events.push(m);
        if end {
            return events;
        }
    }
}

/// Fails the test with every difference listed (the output of `diff_sequence` / `diff_by`).
pub fn assert_no_diffs(diffs: &[String]) {
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// A `redis` crate connection to a server on 127.0.0.1.
pub fn conn(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap()
}

/// OBJECT ENCODING of a key, through a `redis` crate connection.
pub fn encoding(c: &mut redis::Connection, key: &str) -> String {
    redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(key)
        .query(c)
        .unwrap()
}

/// Builds a command from string slices.
pub fn c(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

/// A tiny deterministic PRNG for random command sequences (reproducible from the seed).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

impl RawConn {
    /// Like `send_raw`, but a broken connection is an error instead of a panic.
    pub fn try_send_raw(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(data)
    }

    /// Like `read_reply`, but a timeout, a closed connection or a malformed reply is an error instead of a
    /// panic (the fuzzer reports it as a difference and carries on with fresh connections).
    pub fn try_read_reply(&mut self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.try_read_into(&mut out)?;
        Ok(out)
    }

    fn try_read_into(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        use std::io::{Error, ErrorKind};
        let bad = |what: &str| Error::new(ErrorKind::InvalidData, what.to_string());
        let mut line = Vec::new();
        if self.reader.read_until(b'\n', &mut line)? == 0 {
            return Err(Error::new(ErrorKind::UnexpectedEof, "connection closed"));
        }
        if line.len() < 3 || !line.ends_with(b"\r\n") {
            return Err(bad("reply line without CRLF"));
        }
        out.extend_from_slice(&line);
        let len = || -> std::io::Result<i64> {
            std::str::from_utf8(&line[1..line.len() - 2])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("bad length"))
        };
        match line[0] {
            b'$' | b'=' | b'!' => {
                let n = len()?;
                if n >= 0 {
                    let mut buf = vec![0; n as usize + 2];
                    self.reader.read_exact(&mut buf)?;
                    out.extend_from_slice(&buf);
                }
            }
            b'*' | b'~' | b'>' => {
                for _ in 0..len()?.max(0) {
                    self.try_read_into(out)?;
                }
            }
            b'%' | b'|' => {
                for _ in 0..len()?.max(0) * 2 {
                    self.try_read_into(out)?;
                }
            }
            b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {}
            _ => return Err(bad("unknown reply type")),
        }
        Ok(())
    }
}

/// Sends `script` to a fresh server of ours and a fresh redis-server, one command at a time on one
/// connection each, and fails with every reply that differs byte for byte.
pub fn assert_same_as_redis(script: &[&[&str]]) {
    let ours = start_ours();
    let redis = start_redis();
    let cmds: Vec<Vec<Vec<u8>>> = script.iter().map(|a| c(a)).collect();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    assert_no_diffs(&diff_sequence(&mut a, &mut b, &cmds, |_| false));
}
