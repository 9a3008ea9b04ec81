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

/// Attaches a replica with `sync_cmd`, runs `script`, then returns the stream up to `SET __end__ 1`, with
/// absolute times replaced by `<t>` (they differ between servers) and the RDB payload's length checked.
pub fn stream(
    port: u16,
    sync_cmd: &[&str],
    script: &[Vec<Vec<u8>>],
) -> (Option<String>, Vec<Vec<String>>) {
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
    for cmd in script {
        ctl.cmd(cmd);
    }
    ctl.cmd(&["SET", "__end__", "1"]);
    let mut out = Vec::new();
    loop {
        let mut cmd = read_command(&mut r);
        if cmd.len() == 3 && cmd[1] == "__end__" {
            return (fullresync, out);
        }
        for i in 1..cmd.len() {
            if cmd[i - 1].eq_ignore_ascii_case("pxat") {
                cmd[i] = "<t>".into();
            }
        }
        if cmd[0].eq_ignore_ascii_case("pexpireat") && cmd.len() >= 3 {
            cmd[2] = "<t>".into();
        }
        out.push(cmd);
    }
}

pub fn same_stream(sync_cmd: &[&str], script: &[Vec<Vec<u8>>]) {
    let ours = start_ours();
    let redis = start_redis();
    let a = stream(ours.port, sync_cmd, script);
    let b = stream(redis.port, sync_cmd, script);
    assert_eq!(a, b);
}
