//! The append-only file with the server in this process (tests/aof.rs runs the binary): restarts on the same
//! directory through every way the AOF changes (rewrites in both base formats, the fsync policies, switching it
//! on and off at run time, DEBUG LOADAOF), and files that must not or may only partly load.
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{fresh_dir, info_field, start_ours_with, text, RawConn};
use mini_redis::RunningServer;

fn wait_rewritten(c: &mut RawConn) {
    let t0 = Instant::now();
    // Both from one INFO: read one after the other, a scheduled rewrite starting in between looks done.
    let busy = |c: &mut RawConn| {
        let info = text(c.cmd(&["INFO", "persistence"]));
        info.contains("aof_rewrite_in_progress:1") || info.contains("aof_rewrite_scheduled:1")
    };
    while busy(c) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "rewrite never ended"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(info_field(c, "aof_last_bgrewrite_status"), "ok");
}

fn start(dir: &Path, extra: &[(&str, &str)]) -> RunningServer {
    let d = dir.display().to_string();
    let mut opts = vec![("dir", d.as_str()), ("appendonly", "yes")];
    opts.extend_from_slice(extra);
    start_ours_with(&opts)
}

/// Writes keys of every type in two databases; returns the DEBUG DIGEST after.
fn fill(c: &mut RawConn, tag: &str) -> String {
    for db in ["0", "5"] {
        c.cmd(&["SELECT", db]);
        c.cmd(&["SET", &format!("s:{tag}"), "v"]);
        c.cmd(&["SET", &format!("t:{tag}"), "v", "EX", "1000"]);
        c.cmd(&["INCRBYFLOAT", &format!("f:{tag}"), "1.5"]);
        for i in 0..100 {
            c.cmd(&["RPUSH", &format!("l:{tag}"), &i.to_string()]);
            c.cmd(&[
                "HSET",
                &format!("h:{tag}"),
                &format!("f{i}"),
                &i.to_string(),
            ]);
            c.cmd(&["SADD", &format!("i:{tag}"), &i.to_string()]);
            c.cmd(&["SADD", &format!("x:{tag}"), &format!("m{i}")]);
            c.cmd(&[
                "ZADD",
                &format!("z:{tag}"),
                &i.to_string(),
                &format!("m{i}"),
            ]);
        }
        c.cmd(&["MULTI"]);
        c.cmd(&["LPUSH", &format!("m:{tag}"), "a", "b"]);
        c.cmd(&["SPOP", &format!("x:{tag}")]);
        c.cmd(&["EXEC"]);
        c.cmd(&["PUBLISH", "ch", "not in the AOF"]);
    }
    c.cmd(&["SELECT", "0"]);
    text(c.cmd(&["DEBUG", "DIGEST"]))
}

fn digest_after_restart(dir: &Path, extra: &[(&str, &str)]) -> String {
    let srv = start(dir, extra);
    let mut c = RawConn::connect(srv.port);
    text(c.cmd(&["DEBUG", "DIGEST"]))
}

#[test]
fn every_change_survives_a_restart_through_rewrites_and_policies() {
    for preamble in ["yes", "no"] {
        let dir = fresh_dir("aof-inproc");
        let opts = [("aof-use-rdb-preamble", preamble)];
        let digest = {
            let mut srv = start(&dir, &opts);
            let mut c = RawConn::connect(srv.port);
            fill(&mut c, "a");
            assert_eq!(
                text(c.cmd(&["BGREWRITEAOF"])),
                "+Background append only file rewriting started\r\n"
            );
            wait_rewritten(&mut c);
            fill(&mut c, "b");
            assert_eq!(
                text(c.cmd(&["CONFIG", "SET", "appendfsync", "always"])),
                "+OK\r\n"
            );
            fill(&mut c, "c");
            assert_eq!(
                text(c.cmd(&["CONFIG", "SET", "appendfsync", "no"])),
                "+OK\r\n"
            );
            let d = fill(&mut c, "d");
            // DEBUG LOADAOF reads back what was written: the same data set.
            assert_eq!(text(c.cmd(&["DEBUG", "LOADAOF"])), "+OK\r\n");
            assert_eq!(text(c.cmd(&["DEBUG", "DIGEST"])), d);
            assert_eq!(info_field(&mut c, "aof_enabled"), "1");
            assert_eq!(info_field(&mut c, "aof_rewrites"), "1");
            srv.shutdown();
            d
        };
        let base = if preamble == "yes" { "rdb" } else { "aof" };
        let manifest =
            std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
        assert_eq!(
            manifest,
            format!(
                "file appendonly.aof.2.base.{base} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
            )
        );
        assert_eq!(
            digest_after_restart(&dir, &opts),
            digest,
            "preamble {preamble}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn switched_on_at_run_time_then_off() {
    let dir = fresh_dir("aof-inproc-switch");
    let d = dir.display().to_string();
    let digest = {
        let mut srv = start_ours_with(&[("dir", d.as_str())]);
        let mut c = RawConn::connect(srv.port);
        fill(&mut c, "a");
        assert_eq!(
            text(c.cmd(&["CONFIG", "SET", "appendonly", "yes"])),
            "+OK\r\n"
        );
        wait_rewritten(&mut c);
        assert_eq!(info_field(&mut c, "aof_enabled"), "1");
        let digest = fill(&mut c, "b");
        assert_eq!(
            text(c.cmd(&["CONFIG", "SET", "appendonly", "no"])),
            "+OK\r\n"
        );
        assert_eq!(info_field(&mut c, "aof_enabled"), "0");
        // Not in the AOF any more.
        c.cmd(&["SET", "after-off", "x"]);
        srv.shutdown();
        digest
    };
    assert_eq!(digest_after_restart(&dir, &[]), digest);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgsave_and_rewrite_take_turns() {
    let dir = fresh_dir("aof-inproc-turns");
    let mut srv = start(&dir, &[("rdb-key-save-delay", "1000")]);
    let mut c = RawConn::connect(srv.port);
    fill(&mut c, "a");
    assert_eq!(text(c.cmd(&["BGSAVE"])), "+Background saving started\r\n");
    assert_eq!(
        text(c.cmd(&["BGREWRITEAOF"])),
        "+Background append only file rewriting scheduled\r\n"
    );
    assert_eq!(info_field(&mut c, "aof_rewrite_scheduled"), "1");
    let rewrites: u64 = info_field(&mut c, "aof_rewrites").parse().unwrap();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]),
        b"+OK\r\n"
    );
    wait_rewritten(&mut c);
    let done: u64 = info_field(&mut c, "aof_rewrites").parse().unwrap();
    assert_eq!(done, rewrites + 1);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    // A rewrite in progress: BGSAVE must wait for it, a second rewrite is refused.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]),
        b"+OK\r\n"
    );
    assert_eq!(
        text(c.cmd(&["BGREWRITEAOF"])),
        "+Background append only file rewriting started\r\n"
    );
    assert_eq!(
        text(c.cmd(&["BGREWRITEAOF"])),
        "-ERR Background append only file rewriting already in progress\r\n"
    );
    assert!(text(c.cmd(&["BGSAVE"])).starts_with("-ERR Another child process is active (AOF?)"));
    assert_eq!(
        text(c.cmd(&["BGSAVE", "SCHEDULE"])),
        "+Background saving scheduled\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]),
        b"+OK\r\n"
    );
    wait_rewritten(&mut c);
    srv.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

fn write_aof(dir: &Path, incr: &[u8]) {
    let d = dir.join("appendonlydir");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    std::fs::write(d.join("appendonly.aof.1.incr.aof"), incr).unwrap();
}

#[test]
fn damaged_files_load_as_far_as_redis_would() {
    let whole =
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n".to_vec();
    // A truncated last command, and an unfinished MULTI: loaded up to what is whole.
    for tail in [
        &b"*3\r\n$3\r\nSET\r\n$1\r\nb"[..],
        b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n",
    ] {
        let dir = fresh_dir("aof-inproc-trunc");
        let mut data = whole.clone();
        data.extend_from_slice(tail);
        write_aof(&dir, &data);
        {
            let srv = start(&dir, &[]);
            let mut c = RawConn::connect(srv.port);
            assert_eq!(text(c.cmd(&["GET", "a"])), "$1\r\n1\r\n");
            assert_eq!(text(c.cmd(&["EXISTS", "b"])), ":0\r\n");
        }
        let len = std::fs::metadata(dir.join("appendonlydir/appendonly.aof.1.incr.aof"))
            .unwrap()
            .len();
        assert_eq!(len, whole.len() as u64, "cut after the last whole command");
        let _ = std::fs::remove_dir_all(&dir);
    }
    // Refused: truncation with aof-load-truncated no, bad format, an unknown command, a bad manifest.
    let refused: [(&[u8], &str); 3] = [
        (b"*3\r\n$3\r\nSET\r\n$1\r\nb", "no"),
        (b"garbage\r\n", "yes"),
        (b"*1\r\n$7\r\nNOTACMD\r\n", "yes"),
    ];
    for (data, truncated) in refused {
        let dir = fresh_dir("aof-inproc-bad");
        write_aof(&dir, data);
        let d = dir.display().to_string();
        let cfg = common::ours_config(&[
            ("dir", d.as_str()),
            ("appendonly", "yes"),
            ("aof-load-truncated", truncated),
        ]);
        assert!(RunningServer::start(cfg).is_err(), "started on {data:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
    let dir = fresh_dir("aof-inproc-manifest");
    write_aof(&dir, &whole);
    std::fs::write(
        dir.join("appendonlydir/appendonly.aof.manifest"),
        "file x seq 1\n",
    )
    .unwrap();
    let d = dir.display().to_string();
    let cfg = common::ours_config(&[("dir", d.as_str()), ("appendonly", "yes")]);
    assert!(RunningServer::start(cfg).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn expired_keys_in_the_aof_stay_until_the_load_ends() {
    // As Redis: nothing expires while loading, so a later command finds the key with its old elements.
    let dir = fresh_dir("aof-inproc-expire");
    write_aof(
        &dir,
        b"*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$3\r\nfoo\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nl\r\n$4\r\n1000\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$3\r\nbar\r\n",
    );
    let srv = start(&dir, &[]);
    let mut c = RawConn::connect(srv.port);
    assert_eq!(text(c.cmd(&["LLEN", "l"])), ":0\r\n");
    drop(c);
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}
