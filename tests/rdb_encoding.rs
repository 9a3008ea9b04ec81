//! The pure RDB serialization functions (src/persist) checked byte for byte against DUMP payloads of values
//! built in a real redis-server 7.0, and decoded from them.
mod common;
use common::*;

use mini_redis::persist::rdb::{self, Encoding, RdbValue, SaveOptions};

fn bulk(reply: &[u8]) -> Vec<u8> {
    match parse_reply(reply) {
        Reply::Bulk(_, Some(v)) => v,
        other => panic!("not a bulk: {other:?}"),
    }
}

struct Redis {
    _srv: RedisServer,
    conn: RawConn,
}

impl Redis {
    fn new() -> Self {
        let srv = start_redis();
        let conn = RawConn::connect(srv.port);
        Redis { _srv: srv, conn }
    }
    fn cmd(&mut self, args: &[Vec<u8>]) -> Vec<u8> {
        self.conn.cmd(args)
    }
    fn dump(&mut self, key: &str) -> Vec<u8> {
        bulk(&self.cmd(&c(&["DUMP", key])))
    }
    fn encoding(&mut self, key: &str) -> String {
        String::from_utf8_lossy(&bulk(&self.cmd(&c(&["OBJECT", "ENCODING", key])))).to_string()
    }
}

fn s(v: &str) -> Vec<u8> {
    v.as_bytes().to_vec()
}

fn payload(v: &RdbValue, enc: Encoding) -> Vec<u8> {
    rdb::create_dump_payload(v, enc, &SaveOptions::default())
}

fn load(p: &[u8]) -> RdbValue {
    assert!(rdb::verify_dump_payload(p));
    rdb::load_dump_payload(p).expect("loads")
}

fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v
}

#[test]
fn crc64_is_redis_crc64() {
    assert_eq!(rdb::crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
}

#[test]
fn lists_match_redis() {
    let mut r = Redis::new();
    let mut rng = Rng(99);
    let small: Vec<Vec<u8>> = [
        "a",
        "1",
        "-1",
        "1000",
        "100000",
        "hello",
        "",
        "-4096",
        "9223372036854775807",
        "3.14",
    ]
    .iter()
    .map(|x| s(x))
    .collect();
    let mut big: Vec<Vec<u8>> = Vec::new();
    for i in 0..3000 {
        big.push(match i % 5 {
            0 => i.to_string().into_bytes(),
            1 => format!("element-{i}").into_bytes(),
            2 => vec![b'x'; rng.below(300) as usize],
            3 => (0..rng.below(40)).map(|_| rng.below(256) as u8).collect(),
            _ => (rng.next() as i64).to_string().into_bytes(),
        });
    }
    let huge = vec![vec![b'q'; 9000], vec![b'r'; 20000], s("tail")];
    for (name, items) in [("small", &small), ("big", &big), ("huge", &huge)] {
        let mut cmd = c(&["RPUSH", name]);
        cmd.extend(items.iter().cloned());
        r.cmd(&cmd);
        let theirs = r.dump(name);
        let v = RdbValue::List(items.clone());
        if payload(&v, Encoding::Compact) != theirs {
            let mut rd = rdb::Reader::new(&theirs[1..]);
            let n = rd.read_len().unwrap();
            let mut counts = vec![];
            for _ in 0..n {
                let _cont = rd.read_len().unwrap();
                let blob = rd.read_string().unwrap();
                counts.push((
                    blob.len(),
                    mini_redis::persist::listpack::decode(&blob).unwrap().len(),
                ));
            }
            let ours: Vec<(usize, usize)> = rdb::quicklist_nodes(items, -2)
                .iter()
                .map(|lp| {
                    (
                        lp.len(),
                        mini_redis::persist::listpack::decode(lp).unwrap().len(),
                    )
                })
                .collect();
            panic!("list {name}: redis nodes {counts:?}\nours {ours:?}");
        }
        assert_eq!(payload(&v, Encoding::Compact), theirs, "list {name}");
        assert_eq!(load(&theirs), v);
    }
}

#[test]
fn hashes_match_redis() {
    let mut r = Redis::new();
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..20)
        .map(|i| {
            (
                format!("field:{i}").into_bytes(),
                if i % 2 == 0 {
                    i.to_string()
                } else {
                    format!("v{i}")
                }
                .into_bytes(),
            )
        })
        .collect();
    let mut cmd = c(&["HSET", "small"]);
    for (f, v) in &pairs {
        cmd.push(f.clone());
        cmd.push(v.clone());
    }
    r.cmd(&cmd);
    assert_eq!(r.encoding("small"), "listpack");
    let theirs = r.dump("small");
    let v = RdbValue::Hash(pairs.clone());
    assert_eq!(payload(&v, Encoding::Compact), theirs);
    assert_eq!(load(&theirs), v);

    // A hashtable hash: field order is Redis's dict order, so compare contents, and let Redis load ours.
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..600)
        .map(|i| {
            (
                format!("f{i}").into_bytes(),
                format!("{}", i * 7).into_bytes(),
            )
        })
        .collect();
    let mut cmd = c(&["HSET", "big"]);
    for (f, v) in &pairs {
        cmd.push(f.clone());
        cmd.push(v.clone());
    }
    r.cmd(&cmd);
    assert_eq!(r.encoding("big"), "hashtable");
    let theirs = r.dump("big");
    assert_eq!(
        rdb::object_type(&RdbValue::Hash(vec![]), Encoding::Full),
        theirs[0]
    );
    match load(&theirs) {
        RdbValue::Hash(p) => assert_eq!(sorted(&p), sorted(&pairs)),
        other => panic!("{other:?}"),
    }
    let ours = payload(&RdbValue::Hash(pairs.clone()), Encoding::Full);
    let mut restore = c(&["RESTORE", "big2", "0"]);
    restore.push(ours);
    assert_eq!(r.cmd(&restore), b"+OK\r\n");
    assert_eq!(r.cmd(&c(&["HLEN", "big2"])), b":600\r\n");
    assert_eq!(r.cmd(&c(&["HGET", "big2", "f299"])), b"$4\r\n2093\r\n");
}

#[test]
fn sets_match_redis() {
    let mut r = Redis::new();
    let ints: Vec<i64> = vec![5, -3, 70000, 12, 0, -40000];
    let mut cmd = c(&["SADD", "ints"]);
    cmd.extend(ints.iter().map(|i| i.to_string().into_bytes()));
    r.cmd(&cmd);
    assert_eq!(r.encoding("ints"), "intset");
    let theirs = r.dump("ints");
    let members: Vec<Vec<u8>> = ints.iter().map(|i| i.to_string().into_bytes()).collect();
    assert_eq!(
        payload(&RdbValue::Set(members.clone()), Encoding::Compact),
        theirs
    );
    match load(&theirs) {
        RdbValue::Set(m) => assert_eq!(sorted(&m), sorted(&members)),
        other => panic!("{other:?}"),
    }
    // Wide integers: 64-bit intset.
    r.cmd(&c(&[
        "SADD",
        "wide",
        "1",
        "9223372036854775807",
        "-9223372036854775808",
    ]));
    let members = vec![s("1"), s("9223372036854775807"), s("-9223372036854775808")];
    assert_eq!(
        payload(&RdbValue::Set(members), Encoding::Compact),
        r.dump("wide")
    );

    // Hashtable sets: contents compared, and Redis loads ours.
    for (name, members) in [
        ("strs", vec![s("a"), s("b"), s("hello"), s("1")]),
        (
            "bigints",
            (0..600)
                .map(|i: i32| i.to_string().into_bytes())
                .collect::<Vec<_>>(),
        ),
    ] {
        let mut cmd = c(&["SADD", name]);
        cmd.extend(members.iter().cloned());
        r.cmd(&cmd);
        assert_eq!(r.encoding(name), "hashtable");
        let theirs = r.dump(name);
        assert_eq!(theirs[0], rdb::TYPE_SET);
        match load(&theirs) {
            RdbValue::Set(m) => assert_eq!(sorted(&m), sorted(&members)),
            other => panic!("{other:?}"),
        }
        let mut restore = c(&["RESTORE", "copy", "0"]);
        restore.push(payload(&RdbValue::Set(members.clone()), Encoding::Full));
        restore.push(s("REPLACE"));
        assert_eq!(r.cmd(&restore), b"+OK\r\n");
        assert_eq!(
            r.cmd(&c(&["SCARD", "copy"])),
            format!(":{}\r\n", members.len()).into_bytes()
        );
    }
}

#[test]
fn zsets_match_redis() {
    let mut r = Redis::new();
    let small: Vec<(Vec<u8>, f64)> = vec![
        (s("a"), 1.0),
        (s("b"), 2.5),
        (s("c"), -3.0),
        (s("d"), 0.1),
        (s("e"), f64::INFINITY),
        (s("f"), f64::NEG_INFINITY),
        (s("g"), 1e20),
        (s("h"), 4503599627370496.0),
        (s("i"), -0.0),
        (s("j"), 1.0),
        (s("k"), 123456789.123),
    ];
    let mut big: Vec<(Vec<u8>, f64)> = (0..200)
        .map(|i| (format!("m{i}").into_bytes(), (i % 17) as f64 * 1.25))
        .collect();
    big.push((s("x"), 0.3));
    for (name, pairs) in [("small", &small), ("big", &big)] {
        let mut cmd = c(&["ZADD", name]);
        for (m, sc) in pairs.iter() {
            cmd.push(mini_redis::resp::encode::fmt_g17(*sc).into_bytes());
            cmd.push(m.clone());
        }
        r.cmd(&cmd);
        let enc = if name == "small" {
            Encoding::Compact
        } else {
            Encoding::Full
        };
        let theirs = r.dump(name);
        assert_eq!(
            payload(&RdbValue::ZSet(pairs.clone()), enc),
            theirs,
            "zset {name}"
        );
        match load(&theirs) {
            RdbValue::ZSet(mut z) => {
                let mut want = pairs.clone();
                let key = |p: &(Vec<u8>, f64)| (p.0.clone(), p.1.to_bits());
                z.sort_by_key(key);
                want.sort_by_key(key);
                // -0 is kept as "-0" text in the listpack and loads as -0.0.
                assert_eq!(z.len(), want.len());
                for (a, b) in z.iter().zip(&want) {
                    assert_eq!(a.0, b.0);
                    assert!(a.1 == b.1, "{:?} {} {}", a.0, a.1, b.1);
                }
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn restore_never_panics_on_garbage() {
    // Random bodies with a valid footer (so they reach the decoder), and mutations of real payloads.
    let mut rng = Rng(0xdead_beef);
    let samples = [
        payload(
            &RdbValue::List((0..50).map(|i| format!("item{i}").into_bytes()).collect()),
            Encoding::Compact,
        ),
        payload(
            &RdbValue::Hash(vec![(s("a"), s("1")), (s("b"), vec![b'z'; 100])]),
            Encoding::Compact,
        ),
        payload(
            &RdbValue::ZSet(vec![(s("a"), 1.5), (s("b"), 2.0)]),
            Encoding::Full,
        ),
        payload(&RdbValue::Set(vec![s("1"), s("2")]), Encoding::Compact),
        payload(&RdbValue::Str(vec![b'a'; 100]), Encoding::Full),
    ];
    for i in 0..20000 {
        let mut body: Vec<u8> = if i % 2 == 0 {
            (0..rng.below(64)).map(|_| rng.below(256) as u8).collect()
        } else {
            let src = &samples[rng.below(samples.len() as u64) as usize];
            let mut b = src[..src.len() - 10].to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(b.len() as u64) as usize;
                b[at] = rng.below(256) as u8;
            }
            if rng.below(4) == 0 {
                b.truncate(rng.below(b.len() as u64) as usize);
            }
            b
        };
        if i % 3 == 0 && !body.is_empty() {
            body[0] = rng.below(22) as u8;
        }
        body.extend_from_slice(&10u16.to_le_bytes());
        let crc = rdb::crc64(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        let _ = rdb::load_dump_payload(&body);
    }
}

/// A DUMP payload around `body` (type byte and value), with RDB version 10 and its CRC64.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&[10, 0]);
    let crc = rdb::crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// Quicklist nodes Redis refuses (an empty node, an unknown container) or takes (a plain node), checked in
/// Redis's order: RESTORE answers as redis-server does, and the key holds what it holds there.
#[test]
fn hostile_quicklist_payloads_answer_as_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let cases: Vec<Vec<u8>> = vec![
        // quicklist-v2, one plain node of 0 bytes (the suite's "quicklist encoded_len is 0").
        vec![18, 1, 1, 0],
        // packed, 0 bytes.
        vec![18, 1, 2, 0],
        // container 3: neither plain nor packed, with no string after it.
        vec![18, 1, 3],
        // a plain node of 3 bytes.
        vec![18, 1, 1, 3, b'a', b'b', b'c'],
        // quicklist (ziplist nodes), one node of 0 bytes.
        vec![14, 1, 0],
        // no nodes: an empty key.
        vec![18, 0],
    ];
    let mut cmds = Vec::new();
    for (i, body) in cases.iter().enumerate() {
        let key = format!("q{i}").into_bytes();
        cmds.push(vec![
            b"RESTORE".to_vec(),
            key.clone(),
            b"0".to_vec(),
            framed(body),
            b"REPLACE".to_vec(),
        ]);
        cmds.push(vec![b"LRANGE".to_vec(), key, b"0".to_vec(), b"-1".to_vec()]);
    }
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    assert_no_diffs(&diff_sequence(&mut a, &mut b, &cmds, |_| false));
}
