//! The replication stream of a server (ours or redis-server) for a script, for comparing what each propagates.
use std::io::{BufRead, Read};
use std::time::Duration;

use super::{start_ours, start_redis, RawConn};

/// Reads one RESP multibulk command of the stream, skipping the newlines Redis sends as keepalives.
pub fn read_command(r: &mut std::io::BufReader<std::net::TcpStream>) -> Vec<String> {
    let mut line = String::new();
    loop {
        line.clear();
        r.read_line(&mut line).expect("stream line");
        if !line.trim().is_empty() {
            break;
        }
    }
    let n: usize = line
        .trim()
        .trim_start_matches('*')
        .parse()
        .expect("multibulk");
    (0..n)
        .map(|_| {
            let mut l = String::new();
            r.read_line(&mut l).expect("bulk len");
            let len: usize = l.trim().trim_start_matches('$').parse().expect("len");
            let mut b = vec![0; len + 2];
            r.read_exact(&mut b).expect("bulk");
            b.truncate(len);
            String::from_utf8_lossy(&b).to_string()
        })
        .collect()
}

/// Attaches a replica with `sync_cmd` (after turning off the replica PINGs, which would interleave with the
/// commands) and reads up to the end of the RDB payload: the `+FULLRESYNC` line seen (id hidden) and the
/// reader positioned at the stream's first command.
pub fn attach(
    port: u16,
    sync_cmd: &[&str],
) -> (Option<String>, std::io::BufReader<std::net::TcpStream>) {
    let mut ctl = RawConn::connect(port);
    ctl.cmd(&["CONFIG", "SET", "repl-ping-replica-period", "3600"]);
    let repl = RawConn::connect(port);
    let sock = repl.stream_clone();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut w = sock.try_clone().unwrap();
    std::io::Write::write_all(&mut w, &super::encode(sync_cmd)).unwrap();
    let mut r = std::io::BufReader::new(sock);
    let mut fullresync = None;
    let mut line = String::new();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line.starts_with("+FULLRESYNC") {
            let parts: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(parts.len(), 3, "{line}");
            assert_eq!(parts[1].len(), 40, "{line}");
            fullresync = Some(format!("+FULLRESYNC <id> {}", parts[2]));
        } else if line.starts_with('$') {
            break;
        }
    }
    let len: usize = line.trim()[1..].parse().unwrap();
    let mut rdb = vec![0; len];
    r.read_exact(&mut rdb).unwrap();
    assert!(rdb.starts_with(b"REDIS0010"), "{:?}", &rdb[..9.min(len)]);
    (fullresync, r)
}

/// The stream's commands, as sent, up to (not including) `SET __end__ 1`.
pub fn read_until_end(r: &mut std::io::BufReader<std::net::TcpStream>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    loop {
        let cmd = read_command(r);
        if is_end(&cmd) {
            return out;
        }
        out.push(cmd);
    }
}

fn is_end(cmd: &[String]) -> bool {
    cmd.len() == 3 && cmd[1] == "__end__"
}

/// Attaches a replica with `sync_cmd`, runs `script`, then returns the stream up to `SET __end__ 1`, with
/// absolute times replaced by `<t>` (they differ between servers) and the RDB payload's length checked.
pub fn stream(
    port: u16,
    sync_cmd: &[&str],
    script: &[Vec<Vec<u8>>],
) -> (Option<String>, Vec<Vec<String>>) {
    let (fullresync, mut r) = attach(port, sync_cmd);
    let mut ctl = RawConn::connect(port);
    for cmd in script {
        ctl.cmd(cmd);
    }
    ctl.cmd(&["SET", "__end__", "1"]);
    let mut out = read_until_end(&mut r);
    for cmd in &mut out {
        for i in 1..cmd.len() {
            if cmd[i - 1].eq_ignore_ascii_case("pxat") {
                cmd[i] = "<t>".into();
            }
        }
        if cmd[0].eq_ignore_ascii_case("pexpireat") && cmd.len() >= 3 {
            cmd[2] = "<t>".into();
        }
    }
    (fullresync, out)
}

/// Parses the RESP commands of an AOF (what redis-server appends to `appendonlydir/*.incr.aof`). None while
/// the last command is incomplete.
pub fn parse_aof(data: &[u8]) -> Option<Vec<Vec<String>>> {
    fn line(d: &[u8], i: &mut usize) -> Option<usize> {
        let end = d[*i..].windows(2).position(|w| w == b"\r\n")? + *i;
        let n = std::str::from_utf8(&d[*i + 1..end]).ok()?.parse().ok()?;
        *i = end + 2;
        Some(n)
    }
    let mut cmds = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i] != b'*' {
            return None;
        }
        let n = line(data, &mut i)?;
        let mut cmd = Vec::with_capacity(n);
        for _ in 0..n {
            let len = line(data, &mut i)?;
            let arg = data.get(i..i + len)?;
            cmd.push(String::from_utf8_lossy(arg).to_string());
            i += len + 2;
        }
        cmds.push(cmd);
    }
    Some(cmds)
}

/// The commands a redis-server started with `--appendonly yes` wrote to its AOF, up to (not including)
/// `SET __end__ 1` (waited for: the AOF is written when the server next sleeps).
pub fn aof_until_end(srv: &super::RedisServer) -> Vec<Vec<String>> {
    let dir = srv.dir().join("appendonlydir");
    let t0 = std::time::Instant::now();
    loop {
        let incr = std::fs::read_dir(&dir).ok().and_then(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with(".incr.aof"))
        });
        if let Some(cmds) = incr
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|d| parse_aof(&d))
        {
            if let Some(end) = cmds.iter().position(|c| is_end(c)) {
                return cmds[..end].to_vec();
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no SET __end__ in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn same_stream(sync_cmd: &[&str], script: &[Vec<Vec<u8>>]) {
    let ours = start_ours();
    let redis = start_redis();
    let a = stream(ours.port, sync_cmd, script);
    let b = stream(redis.port, sync_cmd, script);
    assert_eq!(a, b);
}
