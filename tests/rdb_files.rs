//! Loading RDB files at start-up, against redis-server 7.0: files it saved (every type and encoding, TTLs,
//! several databases), the RDB files of Redis's own test suite, damaged copies (the server refuses to start
//! and names the offset), and keys already expired in the file.
mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mini_redis::persist::rdb::{Encoding, FileWriter, RdbValue, SaveOptions};
use mini_redis::RunningServer;

fn bulk_text(r: &[u8]) -> String {
    match parse_reply(r) {
        Reply::Bulk(_, Some(v)) | Reply::Line(_, v) => String::from_utf8_lossy(&v).into_owned(),
        other => format!("{other:?}"),
    }
}

/// The keys of database `db`, sorted.
fn keys(c: &mut RawConn, db: usize) -> Vec<Vec<u8>> {
    assert_eq!(c.cmd(&["SELECT", &db.to_string()]), b"+OK\r\n");
    let Reply::Agg(_, Some(items)) = parse_reply(&c.cmd(&["KEYS", "*"])) else {
        panic!("KEYS did not return an array");
    };
    let mut out: Vec<Vec<u8>> = items
        .into_iter()
        .map(|r| match r {
            Reply::Bulk(_, Some(k)) => k,
            other => panic!("unexpected key {other:?}"),
        })
        .collect();
    out.sort();
    out
}

/// One line of INFO persistence, e.g. `rdb_last_load_keys_loaded:3`.
fn info_field(c: &mut RawConn, name: &str) -> String {
    let info = bulk_text(&c.cmd(&["INFO", "persistence"]));
    info.lines()
        .find(|l| l.starts_with(&format!("{name}:")))
        .unwrap_or_default()
        .to_string()
}

/// Our server on the file `dir/name`.
fn start_ours_on(dir: &Path, name: &str) -> std::io::Result<RunningServer> {
    RunningServer::start(ours_config(&[
        ("dir", &dir.display().to_string()),
        ("dbfilename", name),
    ]))
}

/// Fills redis-server with a value of every type in every encoding, TTLs and several databases.
fn fill_every_encoding(c: &mut RawConn) {
    let long = "x".repeat(100);
    let big_elem = "y".repeat(9000);
    let ok = |r: Vec<u8>| assert!(!r.starts_with(b"-"), "{}", String::from_utf8_lossy(&r));
    ok(c.cmd(&["SET", "str:int", "12345"]));
    ok(c.cmd(&["SET", "str:bigint", "-9223372036854775808"]));
    ok(c.cmd(&["SET", "str:embstr", "hello"]));
    ok(c.cmd(&["SET", "str:raw", &long]));
    ok(c.cmd(&["SET", "str:compressible", &"ab".repeat(500)]));
    ok(c.cmd(&["SET", "str:empty", ""]));
    ok(c.cmd(&[b"SET".as_slice(), b"bin\x00\xffkey", b"\x00\x01\xfe"]));
    ok(c.cmd(&["RPUSH", "list:small", "a", "1", "-7", "c"]));
    for i in 0..40 {
        let vals: Vec<String> = (0..50).map(|j| format!("e{i}-{j}-{}", j * i)).collect();
        let mut args = vec!["RPUSH".to_string(), "list:big".to_string()];
        args.extend(vals);
        ok(c.cmd(&args));
    }
    ok(c.cmd(&["RPUSH", "list:plain", "a", &big_elem, "b"]));
    ok(c.cmd(&["HSET", "hash:listpack", "f1", "v1", "f2", "2", "f3", ""]));
    let mut args = vec!["HSET".to_string(), "hash:table".to_string()];
    for i in 0..600 {
        args.push(format!("field{i}"));
        args.push(format!("{}", i * 7));
    }
    ok(c.cmd(&args));
    ok(c.cmd(&["HSET", "hash:longvalue", "f", &long]));
    ok(c.cmd(&[
        "SADD",
        "set:intset",
        "1",
        "-5",
        "70000",
        "9223372036854775807",
    ]));
    ok(c.cmd(&["SADD", "set:strings", "a", "b", "c"]));
    let mut args = vec!["SADD".to_string(), "set:bigints".to_string()];
    args.extend((0..600).map(|i| (i * 3).to_string()));
    ok(c.cmd(&args));
    ok(c.cmd(&[
        "ZADD",
        "zset:listpack",
        "1",
        "a",
        "2.5",
        "b",
        "-inf",
        "c",
        "inf",
        "d",
        "-0",
        "e",
    ]));
    let mut args = vec!["ZADD".to_string(), "zset:skiplist".to_string()];
    for i in 0..200 {
        args.push(format!("{}", i as f64 / 3.0));
        args.push(format!("m{i}"));
    }
    ok(c.cmd(&args));
    ok(c.cmd(&["ZADD", "zset:longmember", "1", &long]));
    // Small values held in their big encoding: a load converts them back, as Redis does.
    for (param, key, add) in [
        (
            "zset-max-listpack-entries",
            "zset:shrinks",
            ["ZADD", "1", "a"],
        ),
        (
            "hash-max-listpack-entries",
            "hash:shrinks",
            ["HSET", "f", "v"],
        ),
    ] {
        let Reply::Agg(_, Some(kv)) = parse_reply(&c.cmd(&["CONFIG", "GET", param])) else {
            panic!("CONFIG GET {param}");
        };
        let Reply::Bulk(_, Some(was)) = &kv[1] else {
            panic!("CONFIG GET {param}");
        };
        let was = String::from_utf8_lossy(was).into_owned();
        ok(c.cmd(&["CONFIG", "SET", param, "0"]));
        ok(c.cmd(&[add[0], key, add[1], add[2]]));
        ok(c.cmd(&["CONFIG", "SET", param, &was]));
    }
    ok(c.cmd(&["SADD", "set:becomes-intset", "a", "1", "2"]));
    ok(c.cmd(&["SREM", "set:becomes-intset", "a"]));
    // TTLs, far enough away to survive the test.
    ok(c.cmd(&["SET", "ttl:str", "v", "EX", "100000"]));
    ok(c.cmd(&["HSET", "ttl:hash", "f", "v"]));
    ok(c.cmd(&["PEXPIREAT", "ttl:hash", "99999999999999"]));
    ok(c.cmd(&["SELECT", "1"]));
    ok(c.cmd(&["SET", "db1:str", "one"]));
    ok(c.cmd(&["SADD", "db1:set", "x"]));
    ok(c.cmd(&["SELECT", "5"]));
    ok(c.cmd(&["ZADD", "db5:z", "3", "m"]));
    ok(c.cmd(&["SET", "db5:ttl", "v", "PX", "50000000"]));
    ok(c.cmd(&["SELECT", "15"]));
    ok(c.cmd(&["LPUSH", "db15:list", "z"]));
    ok(c.cmd(&["SELECT", "0"]));
}

#[test]
fn loads_what_redis_saved_with_the_same_digest_encodings_and_ttls() {
    let redis = start_redis();
    let mut rc = RawConn::connect(redis.port);
    fill_every_encoding(&mut rc);
    assert_eq!(rc.cmd(&["SAVE"]), b"+OK\r\n");
    let dir = fresh_dir("rdb-from-redis");
    std::fs::copy(redis.dir().join("dump.rdb"), dir.join("from-redis.rdb")).unwrap();
    let ours = start_ours_on(&dir, "from-redis.rdb").expect("our server loads redis's file");
    let mut oc = RawConn::connect(ours.port);
    assert_eq!(oc.cmd(&["DEBUG", "DIGEST"]), rc.cmd(&["DEBUG", "DIGEST"]));
    // Redis's own encodings after a load of the same file.
    assert_eq!(rc.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    for field in ["rdb_last_load_keys_loaded", "rdb_last_load_keys_expired"] {
        assert_eq!(info_field(&mut oc, field), info_field(&mut rc, field));
    }
    let mut total = 0;
    for db in 0..16 {
        let ks = keys(&mut rc, db);
        assert_eq!(keys(&mut oc, db), ks, "keys of db {db}");
        total += ks.len();
        for k in &ks {
            for cmd in [&["OBJECT", "ENCODING"][..], &["PEXPIRETIME"][..]] {
                let mut args: Vec<&[u8]> = cmd.iter().map(|s| s.as_bytes()).collect();
                args.push(k);
                assert_eq!(
                    String::from_utf8_lossy(&oc.cmd(&args)),
                    String::from_utf8_lossy(&rc.cmd(&args)),
                    "{cmd:?} {} in db {db}",
                    String::from_utf8_lossy(k)
                );
            }
        }
    }
    assert!(total >= 25, "the data set was filled ({total} keys)");
    assert_eq!(
        info_field(&mut oc, "rdb_last_load_keys_loaded"),
        format!("rdb_last_load_keys_loaded:{total}")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a server holds, comparable across servers: DEBUG DIGEST, then per key of every database its
/// OBJECT ENCODING and PEXPIRETIME.
fn snapshot(c: &mut RawConn) -> Vec<String> {
    let mut out = vec![bulk_text(&c.cmd(&["DEBUG", "DIGEST"]))];
    for field in ["rdb_last_load_keys_loaded", "rdb_last_load_keys_expired"] {
        out.push(info_field(c, field));
    }
    for db in 0..16 {
        for k in keys(c, db) {
            let enc = bulk_text(&c.cmd(&[b"OBJECT".as_slice(), b"ENCODING", &k]));
            let at = String::from_utf8_lossy(&c.cmd(&[b"PEXPIRETIME".as_slice(), &k])).into_owned();
            out.push(format!(
                "db{db} {} {enc} {}",
                String::from_utf8_lossy(&k),
                at.trim_end()
            ));
        }
    }
    out
}

/// True if a server on `port` answers PING (a reset or a close is false, not a panic).
fn answers_ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// Runs redis-server (with `extra` flags) on a copy of `file`: what it loaded, or `None` if it refused to
/// start (exited).
fn redis_on(file: &Path, extra: &[&str]) -> Option<Vec<String>> {
    let dir = fresh_dir("redis-on-file");
    let name = file.file_name().unwrap().to_str().unwrap();
    std::fs::copy(file, dir.join(name)).unwrap();
    let log = dir.join("redis.log");
    // The port was free when picked but may be taken before redis binds it: then try another.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--enable-debug-command", "yes", "--dir"])
            .arg(&dir)
            .args(["--dbfilename", name, "--logfile"])
            .arg(&log)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        let pid_line = format!("process_id:{}\r\n", child.id());
        let t0 = Instant::now();
        let out = loop {
            if let Ok(Some(_)) = child.try_wait() {
                break None;
            }
            // Redis listens before it loads: a probe may be reset when it then exits on a bad file.
            if answers_ping(port) {
                let mut c = RawConn::connect(port);
                if bulk_text(&c.cmd(&["INFO", "server"])).contains(&pid_line) {
                    break Some(snapshot(&mut c));
                }
            }
            assert!(t0.elapsed() < Duration::from_secs(10), "redis-server hung");
            std::thread::sleep(Duration::from_millis(20));
        };
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if out.is_none() && text.contains("Could not create server TCP listening socket") {
            continue;
        }
        let _ = std::fs::remove_dir_all(&dir);
        return out;
    }
    panic!("redis-server found no free port");
}

/// Our server (with `extra` directives) on a copy of `file`: what it loaded, or the start-up error.
fn ours_on(file: &Path, extra: &[(&str, &str)]) -> Result<Vec<String>, String> {
    let dir = fresh_dir("ours-on-file");
    let name = file.file_name().unwrap().to_str().unwrap();
    std::fs::copy(file, dir.join(name)).unwrap();
    let d = dir.display().to_string();
    let mut opts = vec![("dir", d.as_str()), ("dbfilename", name)];
    opts.extend_from_slice(extra);
    let r = match RunningServer::start(ours_config(&opts)) {
        Ok(s) => Ok(snapshot(&mut RawConn::connect(s.port))),
        Err(e) => Err(e.to_string()),
    };
    let _ = std::fs::remove_dir_all(&dir);
    r
}

/// Both servers on the same file: the same data, or both refusing (ours naming an offset). True if they
/// loaded it.
fn assert_loads_like_redis(file: &Path, redis_extra: &[&str], ours_extra: &[(&str, &str)]) -> bool {
    let theirs = redis_on(file, redis_extra);
    let ours = ours_on(file, ours_extra);
    match (&theirs, &ours) {
        (Some(t), Ok(o)) => assert_eq!(o, t, "{}", file.display()),
        (None, Err(e)) => assert!(e.contains("offset"), "{}: {e}", file.display()),
        _ => panic!("{}: redis {theirs:?}, ours {ours:?}", file.display()),
    }
    theirs.is_some()
}

fn assets_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/redis-tests/suite/tests/assets");
    d.is_dir().then_some(d)
}

#[test]
fn loads_the_rdb_files_of_redis_test_suite_as_redis_does() {
    let Some(assets) = assets_dir() else {
        eprintln!("skipped: ../shared/redis-tests/suite/tests/assets is absent");
        return;
    };
    let mut names: Vec<PathBuf> = std::fs::read_dir(&assets)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rdb"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "the suite's RDB files: {names:?}");
    for file in &names {
        assert_loads_like_redis(file, &[], &[]);
    }
}

/// A small file redis-server saved.
fn redis_saved_file() -> Vec<u8> {
    let redis = start_redis();
    let mut c = RawConn::connect(redis.port);
    fill_every_encoding(&mut c);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    std::fs::read(redis.dir().join("dump.rdb")).unwrap()
}

/// The lines of a redis-check-rdb report in `log`, the error's message cut to its offset.
fn report_lines(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.starts_with('[') || l.starts_with("---"))
        .map(|l| match l.split_once("] Internal error") {
            Some((off, _)) => format!("{off}] (error)"),
            None if l.contains("Unexpected EOF") => l.to_string(),
            None => l.to_string(),
        })
        .collect()
}

/// The report redis-check-rdb prints on `dir/name`.
fn redis_check_report(dir: &Path, name: &str) -> Vec<String> {
    let out = Command::new("redis-check-rdb")
        .arg(name)
        .current_dir(dir)
        .output()
        .unwrap();
    report_lines(&String::from_utf8_lossy(&out.stdout))
}

/// The report our binary logs when it refuses `dir/name`.
fn check_report_in_log(dir: &Path, name: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_mini-redis-server"))
        .args(["--port", "0", "--save", ""])
        .arg("--dir")
        .arg(dir)
        .args(["--dbfilename", name])
        .output()
        .unwrap();
    report_lines(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn a_damaged_file_stops_the_start_with_its_offset() {
    let good = redis_saved_file();
    let dir = fresh_dir("rdb-damaged");
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for cut in [good.len() / 2, good.len() - 1, good.len() - 9, 20] {
        cases.push((format!("truncated at {cut}"), good[..cut].to_vec()));
    }
    // Bytes spread over the whole file after the header, the checksum included.
    let spread = (0..24).map(|i| 9 + i * (good.len() - 10) / 23);
    for at in spread.chain([good.len() / 3, good.len() / 2, good.len() - 3]) {
        let mut bad = good.clone();
        bad[at] ^= 0x21;
        cases.push((format!("byte {at} flipped"), bad));
    }
    for (what, bytes) in &cases {
        std::fs::write(dir.join("bad.rdb"), bytes).unwrap();
        match start_ours_on(&dir, "bad.rdb") {
            Ok(_) => panic!("{what}: the server started"),
            Err(e) => assert!(e.to_string().contains("offset"), "{what}: {e}"),
        }
        // redis-server refuses it too.
        assert_eq!(redis_on(&dir.join("bad.rdb"), &[]), None, "{what}");
    }
    // Without rdbchecksum a flipped byte inside a value loads, as in Redis (the value changed).
    let at = good
        .windows(5)
        .position(|w| w == b"hello")
        .expect("the embstr value is in the file");
    let mut bad = good.clone();
    bad[at] ^= 0x21;
    std::fs::write(dir.join("value-flipped.rdb"), &bad).unwrap();
    assert!(assert_loads_like_redis(
        &dir.join("value-flipped.rdb"),
        &["--rdbchecksum", "no"],
        &[("rdbchecksum", "no")],
    ));
    // The log holds redis-check-rdb's report on the file, as Redis's does (the checker's own error text
    // aside: Redis names its source lines).
    let mut differ = Vec::new();
    for (what, bytes) in &cases {
        std::fs::write(dir.join("bad.rdb"), bytes).unwrap();
        let ours = check_report_in_log(&dir, "bad.rdb");
        let theirs = redis_check_report(&dir, "bad.rdb");
        if ours != theirs {
            differ.push(format!("{what}:\n ours {ours:#?}\n redis {theirs:#?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // The binary exits non-zero and its log names the offset.
    std::fs::write(dir.join("bad.rdb"), &good[..good.len() / 2]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mini-redis-server"))
        .args(["--port", "0", "--save", ""])
        .arg("--dir")
        .arg(&dir)
        .args(["--dbfilename", "bad.rdb"])
        .output()
        .unwrap();
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{log}");
    assert!(log.contains("Short read or OOM loading DB"), "{log}");
    assert!(
        log.contains("Internal error in RDB reading offset"),
        "{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn expired_keys_in_the_file_are_not_loaded() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut w = FileWriter::new(SaveOptions::default(), &[("redis-ver", b"7.0.15")]);
    w.select_db(0, 3, 2);
    let s = |v: &str| RdbValue::Str(v.as_bytes().to_vec());
    w.entry(b"gone", &s("a"), Encoding::Full, Some(now - 1000));
    w.entry(b"stays", &s("b"), Encoding::Full, Some(now + 3_600_000));
    w.entry(b"plain", &s("c"), Encoding::Full, None);
    w.select_db(2, 1, 1);
    w.entry(
        b"gone2",
        &RdbValue::Set(vec![b"m".to_vec()]),
        Encoding::Compact,
        Some(1),
    );
    let dir = fresh_dir("rdb-expired");
    std::fs::write(dir.join("dump.rdb"), w.finish()).unwrap();
    let ours = start_ours_on(&dir, "dump.rdb").unwrap();
    let mut c = RawConn::connect(ours.port);
    assert_eq!(c.cmd(&["EXISTS", "gone", "stays", "plain"]), b":2\r\n");
    assert_eq!(
        c.cmd(&["PEXPIRETIME", "stays"]),
        format!(":{}\r\n", now + 3_600_000).into_bytes()
    );
    assert_eq!(c.cmd(&["SELECT", "2"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["DBSIZE"]), b":0\r\n");
    assert_eq!(
        info_field(&mut c, "rdb_last_load_keys_expired"),
        "rdb_last_load_keys_expired:2"
    );
    assert_eq!(
        info_field(&mut c, "rdb_last_load_keys_loaded"),
        "rdb_last_load_keys_loaded:2"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_file_is_an_empty_start() {
    let dir = fresh_dir("rdb-missing");
    let ours = start_ours_on(&dir, "nothing-here.rdb").unwrap();
    assert_eq!(RawConn::connect(ours.port).cmd(&["DBSIZE"]), b":0\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file made by hand with the opcodes redis-server 7.0 does not write by default: EXPIRETIME in seconds,
/// IDLE and FREQ hints, '%' aux fields, RESIZEDB, and a zero checksum ("saved with checksum disabled").
fn hand_made(version: &[u8; 4], zero_crc: bool) -> Vec<u8> {
    use mini_redis::persist::rdb::{crc64, save_string};
    let mut f = b"REDIS".to_vec();
    f.extend_from_slice(version);
    let st = |f: &mut Vec<u8>, v: &str| save_string(f, v.as_bytes(), false);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (k, v) in [
        ("redis-ver", "7.0.15".to_string()),
        ("%note", "hello".to_string()),
        ("ctime", (now - 5).to_string()),
        ("used-mem", "1048576".to_string()),
        ("lua", "return 1".to_string()),
    ] {
        f.push(0xFA);
        st(&mut f, k);
        st(&mut f, &v);
    }
    f.extend_from_slice(&[0xFE, 0, 0xFB, 4, 1]);
    f.push(0xFD);
    f.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    f.push(0);
    st(&mut f, "secs");
    st(&mut f, "v");
    f.push(0xFD);
    f.extend_from_slice(&1_000_000i32.to_le_bytes());
    f.push(0);
    st(&mut f, "expired");
    st(&mut f, "v");
    // IDLE 100 seconds (a length: 100 takes the 14-bit form).
    f.extend_from_slice(&[0xF8, 0x40, 100, 0]);
    st(&mut f, "idle");
    st(&mut f, "v");
    f.extend_from_slice(&[0xF9, 5, 0]);
    st(&mut f, "freq");
    st(&mut f, "12");
    f.extend_from_slice(&[0xFE, 3, 0]);
    st(&mut f, "in3");
    st(&mut f, "x");
    f.push(0xFF);
    let crc = if zero_crc { 0 } else { crc64(&f) };
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

#[test]
fn opcodes_redis_does_not_write_by_default_load_as_in_redis() {
    let dir = fresh_dir("rdb-hand-made");
    for (name, bytes) in [
        ("crc.rdb", hand_made(b"0010", false)),
        ("zero-crc.rdb", hand_made(b"0010", true)),
        ("v9.rdb", hand_made(b"0009", false)),
    ] {
        std::fs::write(dir.join(name), bytes).unwrap();
        assert!(assert_loads_like_redis(&dir.join(name), &[], &[]), "{name}");
    }
    // The IDLE hint sets the key's idle time.
    let ours = start_ours_on(&dir, "crc.rdb").unwrap();
    let idle = RawConn::connect(ours.port).cmd(&["OBJECT", "IDLETIME", "idle"]);
    assert!(idle == b":100\r\n" || idle == b":101\r\n", "{idle:?}");
    // A version newer than 7.0's is refused by both.
    std::fs::write(dir.join("v11.rdb"), hand_made(b"0011", false)).unwrap();
    assert_eq!(redis_on(&dir.join("v11.rdb"), &[]), None);
    let e = start_ours_on(&dir, "v11.rdb").err().unwrap().to_string();
    assert_eq!(e, "Can't handle RDB format version 11");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A table-encoded set, hash or sorted set with a repeated member: the report stops right after it, as
/// rdbLoadObject's dictAdd fails there (redis-check-rdb's offset), not at the end of the value.
#[test]
fn a_repeated_member_is_reported_where_redis_stops() {
    let dir = fresh_dir("rdb-dup-member");
    let s = |v: &str| v.as_bytes().to_vec();
    let values = [
        RdbValue::Set(vec![s("a"), s("b"), s("a"), s("c"), s("d")]),
        RdbValue::Hash(vec![(s("f"), s("1")), (s("f"), s("2")), (s("g"), s("3"))]),
        RdbValue::ZSet(vec![(s("m"), 1.0), (s("m"), 2.0), (s("n"), 3.0)]),
    ];
    for v in &values {
        let mut w = FileWriter::new(SaveOptions::default(), &[("redis-ver", b"7.0.15")]);
        w.select_db(0, 2, 0);
        w.entry(b"first", &RdbValue::Str(s("x")), Encoding::Full, None);
        w.entry(b"dups", v, Encoding::Full, None);
        std::fs::write(dir.join("dup.rdb"), w.finish()).unwrap();
        let ours = check_report_in_log(&dir, "dup.rdb");
        let theirs = redis_check_report(&dir, "dup.rdb");
        assert_eq!(ours, theirs, "{v:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
