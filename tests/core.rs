//! Integration tests of the core server through the `redis` crate and raw sockets: strings, keys, expiry,
//! connection state, pipelining, protocol errors, RESP3.
mod common;
use common::*;
use std::time::Duration;

#[test]
fn strings_roundtrip_through_client() {
    let s = start_ours();
    let mut c = conn(s.port);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(b"bin\x00ary\r\n")
        .query(&mut c)
        .unwrap();
    let v: Vec<u8> = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, b"bin\x00ary\r\n");
    let n: i64 = redis::cmd("INCRBY").arg("n").arg(41).query(&mut c).unwrap();
    assert_eq!(n, 41);
    let n: i64 = redis::cmd("INCR").arg("n").query(&mut c).unwrap();
    assert_eq!(n, 42);
    let old: Option<String> = redis::cmd("SET")
        .arg("n")
        .arg("x")
        .arg("GET")
        .query(&mut c)
        .unwrap();
    assert_eq!(old.as_deref(), Some("42"));
    let l: i64 = redis::cmd("APPEND")
        .arg("n")
        .arg("yz")
        .query(&mut c)
        .unwrap();
    assert_eq!(l, 3);
    let vals: Vec<Option<String>> = redis::cmd("MGET")
        .arg("n")
        .arg("missing")
        .query(&mut c)
        .unwrap();
    assert_eq!(vals, vec![Some("xyz".to_string()), None]);
    let e: redis::RedisResult<i64> = redis::cmd("INCR").arg("n").query(&mut c);
    assert_eq!(e.unwrap_err().to_string(), "An error was signalled by the server - ResponseError: value is not an integer or out of range");
}

#[test]
fn expiry_is_passive_and_ttl_rounds() {
    let s = start_ours();
    let mut c = conn(s.port);
    let _: () = redis::cmd("DEBUG")
        .arg("SET-ACTIVE-EXPIRE")
        .arg(0)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("long")
        .arg("v")
        .arg("PX")
        .arg(60_000)
        .query(&mut c)
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL").arg("long").query(&mut c).unwrap();
    assert!(ttl > 50_000 && ttl <= 60_000, "{ttl}");
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .arg("PX")
        .arg(100)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("s")
        .arg("v")
        .arg("EX")
        .arg(100)
        .query(&mut c)
        .unwrap();
    let ttl: i64 = redis::cmd("TTL").arg("s").query(&mut c).unwrap();
    assert!(ttl == 100 || ttl == 99, "{ttl}");
    std::thread::sleep(Duration::from_millis(150));
    // Still in the keyspace (no active expiry), but every access sees it gone.
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, None);
    let n: i64 = redis::cmd("EXISTS").arg("k").query(&mut c).unwrap();
    assert_eq!(n, 0);
    let t: i64 = redis::cmd("TTL").arg("k").query(&mut c).unwrap();
    assert_eq!(t, -2);
}

#[test]
fn active_expiry_reclaims_unread_keys() {
    let s = start_ours();
    let mut c = conn(s.port);
    // Load with the cycle off so the count is exact whatever the machine's speed, then let it run.
    let _: () = redis::cmd("DEBUG")
        .arg("SET-ACTIVE-EXPIRE")
        .arg(0)
        .query(&mut c)
        .unwrap();
    let mut pipe = redis::pipe();
    for i in 0..50_000 {
        pipe.cmd("SET")
            .arg(format!("k{i}"))
            .arg("v")
            .arg("PX")
            .arg(300)
            .ignore();
    }
    pipe.cmd("SET").arg("keep").arg("v").ignore();
    let _: () = pipe.query(&mut c).unwrap();
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 50_001);
    std::thread::sleep(Duration::from_millis(300));
    let _: () = redis::cmd("DEBUG")
        .arg("SET-ACTIVE-EXPIRE")
        .arg(1)
        .query(&mut c)
        .unwrap();
    let t0 = std::time::Instant::now();
    loop {
        let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
        if n == 1 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "still {n} keys");
        std::thread::sleep(Duration::from_millis(50));
    }
    let info: String = redis::cmd("INFO").arg("stats").query(&mut c).unwrap();
    assert!(info.contains("expired_keys:50000"), "{info}");
}

#[test]
fn scan_returns_every_key_that_stays() {
    let s = start_ours();
    let mut c = conn(s.port);
    for i in 0..2000 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query(&mut c)
            .unwrap();
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let (next, keys): (String, Vec<String>) = redis::cmd("SCAN")
            .arg(&cursor)
            .arg("COUNT")
            .arg(37)
            .query(&mut c)
            .unwrap();
        seen.extend(keys);
        // Delete odd keys and add new ones while the scan runs.
        round += 1;
        let _: () = redis::cmd("DEL")
            .arg(format!("k{}", (round * 2 + 1) % 2000))
            .query(&mut c)
            .unwrap();
        let _: () = redis::cmd("SET")
            .arg(format!("new{round}"))
            .arg(1)
            .query(&mut c)
            .unwrap();
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    for i in (0..2000).step_by(2) {
        assert!(seen.contains(&format!("k{i}")), "k{i} missed");
    }
    let (_, typed): (String, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("COUNT")
        .arg(10000)
        .arg("MATCH")
        .arg("k1?")
        .arg("TYPE")
        .arg("string")
        .query(&mut c)
        .unwrap();
    assert!(typed.iter().all(|k| k.starts_with("k1") && k.len() == 3) && !typed.is_empty());
}

#[test]
fn pipelined_commands_all_answered_in_order() {
    let s = start_ours();
    let mut raw = RawConn::connect(s.port);
    let mut batch = Vec::new();
    for i in 0..1000 {
        batch.extend(encode(&["SET", &format!("k{i}"), &i.to_string()]));
        batch.extend(encode(&["GET", &format!("k{i}")]));
    }
    raw.send_raw(&batch);
    for i in 0..1000 {
        assert_eq!(raw.read_reply(), b"+OK\r\n");
        let v = i.to_string();
        assert_eq!(
            raw.read_reply(),
            format!("${}\r\n{}\r\n", v.len(), v).into_bytes()
        );
    }
}

#[test]
fn inline_commands_and_half_sent_requests() {
    let s = start_ours();
    let mut raw = RawConn::connect(s.port);
    raw.send_raw(b"PING\r\n");
    assert_eq!(raw.read_reply(), b"+PONG\r\n");
    raw.send_raw(b"set \"a b\" 'c d'\r\nget \"a b\"\n");
    assert_eq!(raw.read_reply(), b"+OK\r\n");
    assert_eq!(raw.read_reply(), b"$3\r\nc d\r\n");
    // A request split across writes is answered once complete.
    raw.send_raw(b"*2\r\n$3\r\nGET\r\n$3\r\na");
    assert!(raw.read_reply_timeout(Duration::from_millis(200)).is_none());
    raw.send_raw(b" b\r\n");
    assert_eq!(raw.read_reply(), b"$3\r\nc d\r\n");
    // A client that sends half a huge bulk costs only what it sent; others are served meanwhile.
    let mut slow = RawConn::connect(s.port);
    slow.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$500000000\r\nabc");
    raw.send_raw(b"PING\r\n");
    assert_eq!(raw.read_reply(), b"+PONG\r\n");
}

#[test]
fn protocol_errors_are_answered_then_closed() {
    let s = start_ours();
    let cases: &[(&[u8], &[u8])] = &[
        (
            b"*abc\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\r\n$x\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n+PING\r\n",
            b"-ERR Protocol error: expected '$', got '+'\r\n",
        ),
        (
            b"*1\r\n$999999999999\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"SET \"a b\r\n",
            b"-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ];
    for (input, want) in cases {
        let mut raw = RawConn::connect(s.port);
        raw.send_raw(b"PING\r\n");
        raw.send_raw(input);
        assert_eq!(raw.read_reply(), b"+PONG\r\n");
        assert_eq!(
            raw.read_reply(),
            want.to_vec(),
            "input {:?}",
            String::from_utf8_lossy(input)
        );
        assert!(raw.is_closed());
    }
    // The server still serves others.
    let mut raw = RawConn::connect(s.port);
    assert_eq!(raw.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn protocol_errors_match_redis_bytes() {
    let ours = start_ours();
    let redis = start_redis();
    let inputs: &[&[u8]] = &[
        b"*-1\r\nPING\r\n",
        b"*0\r\nPING\r\n",
        b"*2\r\n$4\r\nECHO\r\n$3\r\nabcXYPING\r\n",
        b"*1\r\n$-5\r\n",
        b"*3000000000\r\n",
        b"*1\r\n:5\r\n",
        b"\r\n\r\nPING\r\n",
        b"ECHO \"\\x41\\x4a\" '\\'q'\r\n",
        b"ECHO \"a\"b\r\n",
    ];
    for input in inputs {
        let mut a = RawConn::connect(ours.port);
        let mut b = RawConn::connect(redis.port);
        a.send_raw(input);
        b.send_raw(input);
        let ra = a.read_reply();
        let rb = b.read_reply();
        assert_eq!(
            String::from_utf8_lossy(&ra),
            String::from_utf8_lossy(&rb),
            "input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn resp3_after_hello() {
    let s = start_ours();
    let mut raw = RawConn::connect(s.port);
    let hello = raw.cmd(&["HELLO", "3"]);
    assert!(hello.starts_with(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"));
    assert_eq!(raw.cmd(&["GET", "nokey"]), b"_\r\n");
    raw.cmd(&["SET", "k", "v"]);
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "maxmemory"]),
        b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    );
    let info = raw.cmd(&["INFO", "keyspace"]);
    assert!(info.starts_with(b"="), "INFO is verbatim text in RESP3");
    raw.cmd(&["HELLO", "2"]);
    assert_eq!(raw.cmd(&["GET", "nokey"]), b"$-1\r\n");
}

#[test]
fn auth_select_and_client_state() {
    let s = start_ours_with(&[("requirepass", "secret")]);
    let mut raw = RawConn::connect(s.port);
    assert_eq!(
        raw.cmd(&["GET", "k"]),
        b"-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        raw.cmd(&["AUTH", "wrong"]),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(raw.cmd(&["AUTH", "secret"]), b"+OK\r\n");
    assert_eq!(raw.cmd(&["SELECT", "3"]), b"+OK\r\n");
    raw.cmd(&["SET", "k", "in3"]);
    raw.cmd(&["CLIENT", "SETNAME", "tester"]);
    assert_eq!(raw.cmd(&["CLIENT", "GETNAME"]), b"$6\r\ntester\r\n");
    let list = String::from_utf8(raw.cmd(&["CLIENT", "LIST"])).unwrap();
    assert!(
        list.contains("name=tester") && list.contains("db=3") && list.contains("cmd=client|list"),
        "{list}"
    );
    // Another client authenticating with HELLO.
    let mut other = RawConn::connect(s.port);
    let r = other.cmd(&["HELLO", "3", "AUTH", "default", "secret", "SETNAME", "o"]);
    assert!(r.starts_with(b"%7"));
    assert_eq!(other.cmd(&["GET", "k"]), b"_\r\n");
    other.cmd(&["SELECT", "3"]);
    assert_eq!(other.cmd(&["GET", "k"]), b"$3\r\nin3\r\n");
    // CLIENT KILL by name-less filter: kill the other client by id.
    let id = String::from_utf8(other.cmd(&["CLIENT", "ID"])).unwrap();
    let id = id.trim_start_matches(':').trim().to_string();
    assert_eq!(raw.cmd(&["CLIENT", "KILL", "ID", &id]), b":1\r\n");
    assert!(other.is_closed());
    // RESET drops auth and state.
    assert_eq!(raw.cmd(&["RESET"]), b"+RESET\r\n");
    assert_eq!(
        raw.cmd(&["GET", "k"]),
        b"-NOAUTH Authentication required.\r\n"
    );
}

#[test]
fn client_reply_off_and_skip() {
    let s = start_ours();
    let mut raw = RawConn::connect(s.port);
    raw.send_raw(&encode(&["CLIENT", "REPLY", "OFF"]));
    raw.send_raw(&encode(&["SET", "a", "1"]));
    raw.send_raw(&encode(&["CLIENT", "REPLY", "ON"]));
    assert_eq!(raw.read_reply(), b"+OK\r\n");
    raw.send_raw(&encode(&["CLIENT", "REPLY", "SKIP"]));
    raw.send_raw(&encode(&["GET", "a"]));
    raw.send_raw(&encode(&["INCR", "a"]));
    assert_eq!(raw.read_reply(), b":2\r\n");
}

#[test]
fn swapdb_flush_and_dbsize() {
    let s = start_ours();
    let mut c = conn(s.port);
    let _: () = redis::cmd("SET").arg("a").arg(1).query(&mut c).unwrap();
    let _: () = redis::cmd("SWAPDB").arg(0).arg(5).query(&mut c).unwrap();
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 0);
    let _: () = redis::cmd("SELECT").arg(5).query(&mut c).unwrap();
    let v: String = redis::cmd("GET").arg("a").query(&mut c).unwrap();
    assert_eq!(v, "1");
    let _: () = redis::cmd("FLUSHALL").arg("ASYNC").query(&mut c).unwrap();
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn info_config_and_command_docs() {
    let s = start_ours();
    let mut c = conn(s.port);
    let info: String = redis::cmd("INFO").query(&mut c).unwrap();
    for section in ["# Server", "# Clients", "# Memory", "# Stats", "# Keyspace"] {
        assert!(info.contains(section), "{section} missing");
    }
    assert!(info.contains("redis_version:7.0.15"));
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("list-max-listpack-size")
        .arg("-3")
        .arg("save")
        .arg("100 1")
        .query(&mut c)
        .unwrap();
    let v: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("list-max-ziplist-size")
        .query(&mut c)
        .unwrap();
    assert_eq!(v, vec!["list-max-ziplist-size", "-3"]);
    let v: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("save")
        .query(&mut c)
        .unwrap();
    assert_eq!(v, vec!["save", "100 1"]);
    let _: () = redis::cmd("SET").arg("x").arg(1).query(&mut c).unwrap();
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut c)
        .unwrap();
    assert!(stats.contains("cmdstat_set:calls=1,"), "{stats}");
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query(&mut c).unwrap();
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut c)
        .unwrap();
    assert!(!stats.contains("cmdstat_set"), "{stats}");
    let count: i64 = redis::cmd("COMMAND").arg("COUNT").query(&mut c).unwrap();
    assert!(count > 50);
    let keys: Vec<String> = redis::cmd("COMMAND")
        .arg("GETKEYS")
        .arg("MSET")
        .arg("a")
        .arg("1")
        .arg("b")
        .arg("2")
        .query(&mut c)
        .unwrap();
    assert_eq!(keys, vec!["a", "b"]);
}

#[test]
fn unknown_and_arity_errors_keep_connection() {
    let s = start_ours();
    let mut raw = RawConn::connect(s.port);
    assert_eq!(
        raw.cmd(&["NOPE", "a", "b"]),
        b"-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        raw.cmd(&["GET"]),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(raw.cmd(&["PING"]), b"+PONG\r\n");
    let stats = String::from_utf8(raw.cmd(&["INFO", "errorstats"])).unwrap();
    assert!(stats.contains("errorstat_ERR:count=2"), "{stats}");
}

#[test]
fn many_clients_at_once() {
    let s = start_ours();
    let port = s.port;
    let threads: Vec<_> = (0..32)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = conn(port);
                for i in 0..200 {
                    let _: i64 = redis::cmd("INCR").arg("counter").query(&mut c).unwrap();
                    let _: () = redis::cmd("SET")
                        .arg(format!("t{t}:{i}"))
                        .arg(i)
                        .query(&mut c)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = conn(port);
    let n: i64 = redis::cmd("GET").arg("counter").query(&mut c).unwrap();
    assert_eq!(n, 32 * 200);
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 32 * 200 + 1);
}

#[test]
fn query_buffer_limit_closes_the_client() {
    let s = start_ours_with(&[("client-query-buffer-limit", "1mb")]);
    let mut big = RawConn::connect(s.port);
    // A bulk declared at 3 MB, sent in full but never completed: past the limit the client is closed.
    big.send_raw(b"*2\r\n$4\r\nECHO\r\n$3000000\r\n");
    let chunk = vec![b'x'; 64 * 1024];
    let mut closed = false;
    for _ in 0..(2_500_000 / chunk.len()) {
        if std::io::Write::write_all(&mut big_stream(&big), &chunk).is_err() {
            closed = true;
            break;
        }
    }
    assert!(closed || big.is_closed());
    let mut other = RawConn::connect(s.port);
    assert_eq!(other.cmd(&["PING"]), b"+PONG\r\n");
}

fn big_stream(c: &RawConn) -> std::net::TcpStream {
    c.stream_clone()
}
