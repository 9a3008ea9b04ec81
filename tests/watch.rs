//! WATCH against redis-server 7.0 where expiry meets it: keys already expired when watched, lazy deletion,
//! FLUSHDB/FLUSHALL/SWAPDB over stale keys, and two clients watching one key. Every step runs on both servers
//! and every reply is compared.
mod common;

use std::time::Duration;

use common::{start_ours, start_redis, RawConn};

/// Runs `steps` (client index, command) on a server with two clients; `None` sleeps 5 ms, past a 1 ms TTL.
fn run(port: u16, steps: &[Option<(usize, &[&str])>]) -> Vec<String> {
    let mut conns = [RawConn::connect(port), RawConn::connect(port)];
    conns[0].cmd(&["FLUSHALL"]);
    conns[0].cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let mut out = Vec::new();
    for s in steps {
        match s {
            None => std::thread::sleep(Duration::from_millis(5)),
            Some((i, cmd)) => {
                let r = conns[*i].cmd(cmd);
                out.push(format!("{i} {cmd:?} -> {}", String::from_utf8_lossy(&r)));
            }
        }
    }
    conns[0].cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    out
}

fn same(steps: &[Option<(usize, &[&str])>]) {
    let ours = start_ours();
    let redis = start_redis();
    assert_eq!(run(ours.port, steps), run(redis.port, steps));
}

const EXEC: &[Option<(usize, &[&str])>] = &[
    Some((0, &["MULTI"])),
    Some((0, &["PING"])),
    Some((0, &["EXEC"])),
];

fn with_exec(
    mut v: Vec<Option<(usize, &'static [&'static str])>>,
) -> Vec<Option<(usize, &'static [&'static str])>> {
    v.extend_from_slice(EXEC);
    v
}

#[test]
fn stale_watched_keys_deleted_or_flushed_do_not_fail_exec() {
    for change in [
        &["EXISTS", "x"][..],
        &["FLUSHDB"],
        &["FLUSHALL"],
        &["DEL", "x"],
        &["GET", "x"],
    ] {
        same(&with_exec(vec![
            Some((0, &["SET", "x", "foo", "PX", "1"])),
            None,
            Some((0, &["WATCH", "x"])),
            Some((1, change)),
        ]));
    }
}

#[test]
fn flush_touches_only_watched_keys_that_exist() {
    for flush in [&["FLUSHALL"][..], &["FLUSHDB"]] {
        // Missing key: no change.
        same(&with_exec(vec![
            Some((0, &["DEL", "x"])),
            Some((0, &["WATCH", "x"])),
            Some((1, flush)),
        ]));
        // Existing key: EXEC fails.
        same(&with_exec(vec![
            Some((0, &["SET", "x", "1"])),
            Some((0, &["WATCH", "x"])),
            Some((1, flush)),
        ]));
    }
}

#[test]
fn swapdb_over_stale_and_missing_keys() {
    // Stale key swapped away: no change.
    same(&with_exec(vec![
        Some((0, &["SET", "x", "foo", "PX", "1"])),
        None,
        Some((0, &["WATCH", "x"])),
        Some((1, &["SWAPDB", "0", "1"])),
    ]));
    // Missing key replaced with a stale key: no change.
    same(&with_exec(vec![
        Some((1, &["SELECT", "1"])),
        Some((1, &["SET", "x", "foo", "PX", "1"])),
        None,
        Some((0, &["WATCH", "x"])),
        Some((1, &["SWAPDB", "0", "1"])),
    ]));
    // Stale key replaced with another stale key: no change.
    same(&with_exec(vec![
        Some((0, &["SET", "x", "foo", "PX", "1"])),
        Some((1, &["SELECT", "1"])),
        Some((1, &["SET", "x", "bar", "PX", "1"])),
        None,
        Some((0, &["WATCH", "x"])),
        Some((1, &["SWAPDB", "0", "1"])),
    ]));
    // Stale key replaced with a live key, and a live key replaced with nothing: EXEC fails.
    same(&with_exec(vec![
        Some((0, &["SET", "x", "foo", "PX", "1"])),
        Some((1, &["SELECT", "1"])),
        Some((1, &["SET", "x", "bar"])),
        None,
        Some((0, &["WATCH", "x"])),
        Some((1, &["SWAPDB", "0", "1"])),
    ]));
    same(&with_exec(vec![
        Some((0, &["SET", "x", "foo"])),
        Some((0, &["WATCH", "x"])),
        Some((1, &["SWAPDB", "0", "1"])),
    ]));
}

#[test]
fn watched_key_that_expires_fails_exec_and_rewrites_of_stale_keys() {
    // Live when watched, expired by EXEC: fails. (100 ms: WATCH must come while the key still lives, even
    // on a loaded machine.)
    same(&with_exec(vec![
        Some((0, &["SET", "x", "foo", "PX", "100"])),
        Some((0, &["WATCH", "x"])),
        Some((0, &["DEBUG", "SLEEP", "0.2"])),
    ]));
    // Stale when watched, then written by another client.
    same(&with_exec(vec![
        Some((0, &["SET", "x", "foo", "PX", "1"])),
        None,
        Some((0, &["WATCH", "x"])),
        Some((1, &["SET", "x", "new"])),
    ]));
    // Two clients: the first watched a stale key, the second the rewritten one; then a write.
    same(&[
        Some((0, &["SET", "x", "foo", "PX", "1"])),
        None,
        Some((0, &["WATCH", "x"])),
        Some((1, &["SET", "x", "new"])),
        Some((1, &["WATCH", "x"])),
        Some((0, &["SET", "x", "newer"])),
        Some((1, &["MULTI"])),
        Some((1, &["PING"])),
        Some((1, &["EXEC"])),
        Some((0, &["MULTI"])),
        Some((0, &["PING"])),
        Some((0, &["EXEC"])),
    ]);
    // WATCH after the client is dirty adds nothing; UNWATCH clears the dirty flag.
    same(&[
        Some((0, &["SET", "y", "1"])),
        Some((0, &["WATCH", "y"])),
        Some((1, &["SET", "y", "2"])),
        Some((0, &["WATCH", "z"])),
        Some((0, &["MULTI"])),
        Some((0, &["PING"])),
        Some((0, &["EXEC"])),
        Some((0, &["WATCH", "y"])),
        Some((1, &["SET", "y", "3"])),
        Some((0, &["UNWATCH"])),
        Some((0, &["MULTI"])),
        Some((0, &["PING"])),
        Some((0, &["EXEC"])),
    ]);
}
