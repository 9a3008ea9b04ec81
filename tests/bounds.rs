//! Client-controlled counts, ranges, offsets and lengths at their extremes (0, -1, i64::MIN, -i64::MAX,
//! i64::MAX, 2^63, ±2^32), one test per family: every command must answer within 2 s (in a debug build)
//! and with redis-server 7.0's exact bytes. Where Redis itself would build a reply of billions of
//! elements (a huge negative count of SRANDMEMBER, HRANDFIELD, ZRANDMEMBER), ours must refuse promptly.
mod common;

use std::time::{Duration, Instant};

use common::{parse_reply, sorted, start_ours, start_redis, RawConn};

const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "-9223372036854775808",
    "-9223372036854775807",
    "9223372036854775807",
    "9223372036854775808",
    "4294967296",
    "-4294967296",
];

/// How long one command may take on our side.
const PROMPT: Duration = Duration::from_secs(2);

/// Sends one command and returns its reply, failing the test if it takes longer than `PROMPT`.
fn timed(c: &mut RawConn, cmd: &[String]) -> Vec<u8> {
    let t0 = Instant::now();
    c.send_raw(&common::encode(cmd));
    let r = c
        .read_reply_timeout(PROMPT)
        .unwrap_or_else(|| panic!("no reply within {PROMPT:?} to {cmd:?}"));
    assert!(t0.elapsed() < PROMPT, "{cmd:?} took {:?}", t0.elapsed());
    r
}

/// A count below this makes Redis build a reply of that many random picks; ours refuses it.
const MAX_PICKS: i64 = 1 << 27;

/// True for a random-pick command whose negative count Redis would serve element by element.
fn unbounded_in_redis(cmd: &[String]) -> bool {
    matches!(
        cmd[0].as_str(),
        "SRANDMEMBER" | "HRANDFIELD" | "ZRANDMEMBER"
    ) && cmd
        .get(2)
        .and_then(|n| n.parse::<i64>().ok())
        .is_some_and(|n| n < -MAX_PICKS && n != i64::MIN)
        && cmd[1] != "nokey"
        // A syntax error still comes first.
        && cmd.get(3).is_none_or(|o| o.starts_with("WITH"))
}

/// Runs every template with every extreme in place of `{}`, each on a fresh copy of `setup`, and compares
/// with Redis. Replies of commands named in `unordered` are compared with their elements sorted.
fn family(setup: &[&str], templates: &[&str], unordered: &[&str]) {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let split = |l: &str| l.split(' ').map(String::from).collect::<Vec<_>>();
    let mut diffs = Vec::new();
    for t in templates {
        for x in EXTREMES {
            let cmd = split(&t.replace("{}", x));
            for c in [&mut a, &mut b] {
                c.cmd(&["FLUSHALL"]);
                for s in setup {
                    c.cmd(&split(s));
                }
            }
            let ra = timed(&mut a, &cmd);
            if unbounded_in_redis(&cmd) {
                if ra != b"-ERR value is out of range\r\n" {
                    diffs.push(format!("{cmd:?}: ours {:?}", String::from_utf8_lossy(&ra)));
                }
                continue;
            }
            let rb = b.cmd(&cmd);
            let same = if unordered.contains(&cmd[0].as_str()) {
                sorted(parse_reply(&ra)) == sorted(parse_reply(&rb))
            } else {
                ra == rb
            };
            if !same {
                diffs.push(format!(
                    "{cmd:?}\n  ours:  {:?}\n  redis: {:?}",
                    String::from_utf8_lossy(&ra[..ra.len().min(200)]),
                    String::from_utf8_lossy(&rb[..rb.len().min(200)])
                ));
            }
        }
    }
    common::assert_no_diffs(&diffs);
}

#[test]
fn strings_offsets_and_lengths() {
    family(
        &["SET str hello", "SET n 10", "SETRANGE bf 0 ab"],
        &[
            "SETRANGE str {} v",
            "SETRANGE nokey {} ",
            "GETRANGE str {} 5",
            "GETRANGE str 0 {}",
            "GETRANGE str {} {}",
            "SUBSTR str {} -1",
            "SETBIT bk {} 1",
            "GETBIT str {}",
            "BITCOUNT str {} -1",
            "BITCOUNT str 0 {} BIT",
            "BITPOS str 1 {}",
            "BITPOS str 0 0 {} BIT",
            "BITFIELD bf SET u8 {} 1",
            "BITFIELD bf GET i64 {}",
            "BITFIELD bf INCRBY u8 #{} 1",
            "BITFIELD bf OVERFLOW FAIL INCRBY i8 0 {}",
            "BITFIELD_RO bf GET u8 {}",
            "INCRBY n {}",
            "DECRBY n {}",
            "SETEX se {} v",
            "PSETEX se {} v",
            "SET se v PX {}",
            "GETEX str EXAT {}",
            "LCS str str MINMATCHLEN {} IDX",
        ],
        &[],
    );
}

#[test]
fn strings_past_proto_max_bulk_len() {
    let ours = start_ours();
    let redis = start_redis();
    let big = vec![b'x'; 1 << 20];
    for port in [ours.port, redis.port] {
        let mut c = RawConn::connect(port);
        c.cmd(&["FLUSHALL"]);
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1048576"]),
            b"+OK\r\n"
        );
        c.cmd(&[&b"SET"[..], b"big", &big]);
    }
    let script: &[&[&str]] = &[
        &["APPEND", "big", "x"],
        &["SETRANGE", "big", "1048576", "x"],
        &["SETRANGE", "fresh", "1048576", "x"],
        &["SETRANGE", "fresh", "1048575", "x"],
        &["SETBIT", "fresh", "8388608", "1"],
        &["BITFIELD", "fresh", "SET", "u8", "8388608", "1"],
        &["STRLEN", "fresh"],
    ];
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    for cmd in script {
        let cmd: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            String::from_utf8_lossy(&timed(&mut a, &cmd)),
            String::from_utf8_lossy(&b.cmd(&cmd)),
            "{cmd:?}"
        );
    }
}

#[test]
fn lists_ranges_and_counts() {
    family(
        &["RPUSH l a b c a"],
        &[
            "LRANGE l {} -1",
            "LRANGE l 0 {}",
            "LRANGE l {} {}",
            "LINDEX l {}",
            "LSET l {} q",
            "LPOS l a RANK {}",
            "LPOS l a COUNT {}",
            "LPOS l a MAXLEN {}",
            "LPOS l a RANK {} COUNT {} MAXLEN {}",
            "LREM l {} a",
            "LPOP l {}",
            "RPOP nolist {}",
            "LMPOP 1 l LEFT COUNT {}",
            "LMPOP {} l LEFT",
            "LTRIM l {} -1",
            "LTRIM l 0 {}",
            "LINSERT l BEFORE {} y",
            "BLPOP l {}",
            "BLMPOP {} 1 l RIGHT COUNT 2",
            "BLMPOP 0 1 l RIGHT COUNT {}",
            "BRPOPLPUSH l l {}",
        ],
        &[],
    );
}

#[test]
fn hashes_random_counts() {
    family(
        &["HSET hone f v", "HSET h f v g w"],
        &[
            "HRANDFIELD hone {}",
            "HRANDFIELD hone {} WITHVALUES",
            "HRANDFIELD nokey {} WITHVALUES",
            "HRANDFIELD hone {} BOGUS",
            "HINCRBY h cnt {}",
            "HINCRBYFLOAT h cnt {}",
            "HSCAN h 0 COUNT {}",
            "HSCAN h {}",
        ],
        &[],
    );
}

#[test]
fn sets_random_counts() {
    family(
        &["SADD one x", "SADD s 1 2 3", "SADD sp 1 2"],
        &[
            "SRANDMEMBER one {}",
            "SRANDMEMBER nokey {}",
            "SPOP sp {}",
            "SPOP nokey {}",
            "SINTERCARD {} s",
            "SINTERCARD 1 s LIMIT {}",
            "SSCAN s 0 COUNT {}",
            "SSCAN s {}",
        ],
        &["SPOP"],
    );
}

#[test]
fn zsets_ranges_limits_and_counts() {
    family(
        &["ZADD z 1 a 2 b 3 c", "ZADD zone 1 m", "ZADD zp 1 a 2 b"],
        &[
            "ZRANGE z {} -1",
            "ZRANGE z 0 {}",
            "ZRANGE z {} {} REV",
            "ZRANGE z -inf +inf BYSCORE LIMIT {} {}",
            "ZRANGE z -inf +inf BYSCORE LIMIT {} 1",
            "ZRANGE z - + BYLEX LIMIT 0 {}",
            "ZRANGESTORE zd z {} -1",
            "ZRANGESTORE zd z -inf +inf BYSCORE LIMIT {} {}",
            "ZRANGEBYSCORE z -inf +inf LIMIT {} {}",
            "ZREVRANGEBYLEX z + - LIMIT 0 {}",
            "ZRANDMEMBER zone {}",
            "ZRANDMEMBER zone {} WITHSCORES",
            "ZRANDMEMBER nokey {}",
            "ZPOPMIN zp {}",
            "ZPOPMAX nokey {}",
            "ZMPOP 1 zp MIN COUNT {}",
            "ZMPOP {} z MIN",
            "BZPOPMIN z {}",
            "BZMPOP {} 1 z MAX COUNT 2",
            "ZREMRANGEBYRANK zp {} -1",
            "ZREMRANGEBYRANK zp 0 {}",
            "ZINTERCARD {} z",
            "ZINTERCARD 1 z LIMIT {}",
            "ZUNION {} z",
            "ZUNIONSTORE zd {} z",
            "ZSCAN z 0 COUNT {}",
            "ZADD za {} m",
        ],
        &[],
    );
    // A count past the size answers the whole set, highest first.
    family(
        &["ZADD z 1 a 2 b 3 c"],
        &[
            "ZRANDMEMBER z 9223372036854775807",
            "ZRANDMEMBER z 5 WITHSCORES",
        ],
        &[],
    );
}

#[test]
fn keys_counts_and_database_numbers() {
    family(
        &["SET str v", "SET ex v", "RPUSH l a"],
        &[
            // Only cursor 0: other cursors are positions in each implementation's own table.
            "SCAN 0 COUNT {}",
            "SCAN 0 COUNT {} TYPE string",
            "SELECT {}",
            "MOVE str {}",
            "COPY str str2 DB {}",
            "SWAPDB {} 0",
            "SWAPDB 0 {}",
            "EXPIRE ex {}",
            "PEXPIREAT ex {}",
            "EXPIRE ex 100 GT {}",
            "RESTORE rk {} bad",
            "OBJECT FREQ {}",
        ],
        &["SCAN"],
    );
}

#[test]
fn blocking_timeouts_read_as_long_doubles() {
    // Timeouts that answer at once (an error) or within a millisecond: 0.0001 s is ceil(0.1) = 1 ms.
    let timeouts = [
        "0.0001",
        "0.001",
        "1e-400",
        "0x1p-20",
        "-0.0015",
        "-1",
        "1e400",
        "-1e400",
        "inf",
        "nan",
        " 1",
        "",
        "9223372036854776",
        "9223372036854775807",
        "-9223372036854775808",
    ];
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let mut diffs = Vec::new();
    for t in timeouts {
        for cmd in [
            vec!["BLPOP", "nokey", t],
            vec!["BRPOPLPUSH", "nokey", "d", t],
            vec!["BLMOVE", "nokey", "d", "LEFT", "RIGHT", t],
            vec!["BLMPOP", t, "1", "nokey", "LEFT"],
            vec!["BZPOPMAX", "nokey", t],
            vec!["BZMPOP", t, "1", "nokey", "MIN"],
        ] {
            let cmd: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
            let (ra, rb) = (timed(&mut a, &cmd), b.cmd(&cmd));
            if ra != rb {
                diffs.push(format!(
                    "{cmd:?}\n  ours:  {:?}\n  redis: {:?}",
                    String::from_utf8_lossy(&ra),
                    String::from_utf8_lossy(&rb)
                ));
            }
        }
    }
    common::assert_no_diffs(&diffs);
}
