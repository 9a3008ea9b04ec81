//! Blocking commands against redis-server 7.0: which key a multi-key blocked pop is served from, and what a
//! blocked client sees when its key changes type.
mod common;
use common::*;
use std::time::Duration;

/// A command as its arguments.
type Cmd = Vec<Vec<u8>>;

/// Runs `setup` on a fresh pair of connections per server: `blocker` sends its blocking command, then
/// `writer` runs the commands; returns the blocker's reply.
fn scenario(port: u16, blocking: &[&str], writes: &[Cmd]) -> Vec<u8> {
    let mut blocker = RawConn::connect(port);
    let mut writer = RawConn::connect(port);
    blocker.send_raw(&encode(blocking));
    std::thread::sleep(Duration::from_millis(100));
    for w in writes {
        writer.cmd(w);
    }
    blocker.read_reply()
}

#[test]
fn multi_key_pops_are_served_from_the_key_that_became_ready() {
    let ours = start_ours();
    let redis = start_redis();
    let cases: Vec<(Vec<&str>, Vec<Cmd>)> = vec![
        (
            vec!["BLPOP", "a", "b", "0"],
            vec![
                c(&["MULTI"]),
                c(&["RPUSH", "b", "x"]),
                c(&["RPUSH", "a", "y"]),
                c(&["EXEC"]),
            ],
        ),
        (
            vec!["BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "5"],
            vec![
                c(&["MULTI"]),
                c(&["RPUSH", "b", "1", "2"]),
                c(&["RPUSH", "a", "3"]),
                c(&["EXEC"]),
            ],
        ),
        (
            vec!["BRPOP", "k", "1"],
            vec![
                c(&["SET", "k", "string"]),
                c(&["DEL", "k"]),
                c(&["RPUSH", "k", "v"]),
            ],
        ),
        (
            vec!["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"],
            vec![c(&["RPUSH", "src", "a", "b"])],
        ),
    ];
    for (blocking, writes) in cases {
        let a = scenario(ours.port, &blocking, &writes);
        let b = scenario(redis.port, &blocking, &writes);
        assert_eq!(
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b),
            "{blocking:?}"
        );
        // Leave both servers empty for the next case.
        RawConn::connect(ours.port).cmd(&["FLUSHALL"]);
        RawConn::connect(redis.port).cmd(&["FLUSHALL"]);
    }
}
