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
    for i in 0..300 {
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

/// Runs redis-server on a copy of `file`: the DEBUG DIGEST of what it loaded, or `None` if it refused to
/// start (exited).
fn redis_digest_of(file: &Path) -> Option<Vec<u8>> {
    let dir = fresh_dir("redis-on-file");
    let name = file.file_name().unwrap().to_str().unwrap();
    std::fs::copy(file, dir.join(name)).unwrap();
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
        .args(["--dbfilename", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed");
    let t0 = Instant::now();
    let out = loop {
        if let Ok(Some(_)) = child.try_wait() {
            break None;
        }
        if let Ok(mut c) = RawConn::try_connect(port) {
            let r = c.cmd(&["DEBUG", "DIGEST"]);
            if !r.starts_with(b"-LOADING") {
                break Some(r);
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "redis-server hung");
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// Our server on a copy of `file`: its DEBUG DIGEST, or the start-up error.
fn our_digest_of(file: &Path) -> Result<Vec<u8>, String> {
    let dir = fresh_dir("ours-on-file");
    let name = file.file_name().unwrap().to_str().unwrap();
    std::fs::copy(file, dir.join(name)).unwrap();
    let r = match start_ours_on(&dir, name) {
        Ok(s) => Ok(RawConn::connect(s.port).cmd(&["DEBUG", "DIGEST"])),
        Err(e) => Err(e.to_string()),
    };
    let _ = std::fs::remove_dir_all(&dir);
    r
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
        let theirs = redis_digest_of(file);
        let ours = our_digest_of(file);
        match (&theirs, &ours) {
            (Some(d), Ok(o)) => assert_eq!(
                String::from_utf8_lossy(o),
                String::from_utf8_lossy(d),
                "{}",
                file.display()
            ),
            (None, Err(e)) => assert!(e.contains("offset"), "{}: {e}", file.display()),
            _ => panic!("{}: redis {theirs:?}, ours {ours:?}", file.display()),
        }
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

#[test]
fn a_damaged_file_stops_the_start_with_its_offset() {
    let good = redis_saved_file();
    let dir = fresh_dir("rdb-damaged");
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for cut in [good.len() / 2, good.len() - 1, good.len() - 9, 20] {
        cases.push((format!("truncated at {cut}"), good[..cut].to_vec()));
    }
    for at in [good.len() / 3, good.len() / 2, good.len() - 3] {
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
        assert_eq!(redis_digest_of(&dir.join("bad.rdb")), None, "{what}");
    }
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
