//! The `mini-redis-server` binary as users run it: config file plus flags, redis-cli against it, graceful
//! shutdown on SIGTERM / SIGINT / SHUTDOWN with exit code 0.
mod common;
use common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mini-redis-server"))
        .args(args)
        // An empty working directory (the default `dir`): a dump.rdb in the project root is not loaded.
        .current_dir(fresh_dir("bin"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_ready(port: u16) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        if let Ok(mut c) = RawConn::try_connect(port) {
            let r = c.cmd(&["PING"]);
            if r == b"+PONG\r\n" || r.starts_with(b"-NOAUTH") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server did not start");
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let t0 = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "server did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn output(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn config_file_then_flags_like_redis_server() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("mr-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, "# a redis.conf\nport 1\nrequirepass fromfile\nhash-max-ziplist-entries 64\nsave 900 1\nappendonly no\n").unwrap();
    let mut child = spawn(&[
        conf.to_str().unwrap(),
        "--port",
        &port.to_string(),
        "--requirepass",
        "fromflag",
    ]);
    wait_ready(port);
    let mut c = RawConn::connect(port);
    assert_eq!(c.cmd(&["PING"]), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(c.cmd(&["AUTH", "fromflag"]), b"+OK\r\n");
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hash-max-listpack-entries"]),
        b"*2\r\n$25\r\nhash-max-listpack-entries\r\n$2\r\n64\r\n"
    );
    c.send_raw(&encode(&["SHUTDOWN", "NOSAVE"]));
    assert!(c.is_closed());
    assert!(wait_exit(&mut child).success());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_config_is_fatal() {
    let out = Command::new(env!("CARGO_BIN_EXE_mini-redis-server"))
        .args(["--nosuch-directive", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Bad directive"));
}

#[test]
fn sigterm_and_sigint_shut_down_cleanly() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let port = free_port();
        let mut child = spawn(&["--port", &port.to_string(), "--save", ""]);
        wait_ready(port);
        let mut c = RawConn::connect(port);
        c.cmd(&["SET", "k", "v"]);
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(child.id() as i32, sig) };
        assert!(wait_exit(&mut child).success());
        let log = output(child);
        assert!(log.contains("scheduling shutdown"), "{log}");
        assert!(log.contains("ready to exit, bye bye"), "{log}");
    }
}

#[test]
fn redis_cli_works_against_it() {
    let port = free_port();
    let mut child = spawn(&["--port", &port.to_string(), "--save", ""]);
    wait_ready(port);
    let cli = |args: &[&str]| {
        let out = Command::new("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli must be installed (apt-get install redis-tools)");
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert_eq!(cli(&["SET", "user:1", "alice"]), "OK\n");
    assert_eq!(cli(&["GET", "user:1"]), "alice\n");
    for i in 0..30 {
        cli(&["SET", &format!("k{i}"), "x"]);
    }
    let scanned = cli(&["--scan", "--pattern", "k*"]);
    let mut keys: Vec<&str> = scanned.lines().collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 30);
    // Commands fed on stdin, one per line (redis-cli prints raw replies when stdout is not a terminal).
    let mut inter = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(inter.stdin.as_mut().unwrap(), b"INCR n\nINCR n\nTTL n\n").unwrap();
    let out = inter.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n2\n-1\n");
    assert_eq!(cli(&["SHUTDOWN"]), "");
    assert!(wait_exit(&mut child).success());
}
