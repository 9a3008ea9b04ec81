//! Criterion micro-benchmarks of the hot paths: request parsing, reply encoding, keyspace get/set.
use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mini_redis::db::{Db, Value};
use mini_redis::resp::parse::Limits;
use mini_redis::resp::{Out, Parser};

fn parse_pipeline(c: &mut Criterion) {
    let one = b"*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$3\r\nxyz\r\n";
    let input: Vec<u8> = one.iter().copied().cycle().take(one.len() * 16).collect();
    c.bench_function("parse 16 pipelined SETs", |b| {
        let mut p = Parser::new();
        let mut args = Vec::new();
        b.iter(|| {
            let mut buf = BytesMut::from(&input[..]);
            let mut n = 0;
            while let Ok(true) = p.parse(&mut buf, &mut args, Limits::default()) {
                n += args.len();
            }
            black_box(n)
        })
    });
}

fn encode_replies(c: &mut Criterion) {
    c.bench_function("encode 16 bulk replies", |b| {
        let mut out = Out::new(2);
        b.iter(|| {
            out.buf.clear();
            for _ in 0..16 {
                out.bulk(black_box(b"some value of moderate size"));
            }
            black_box(out.buf.len())
        })
    });
}

fn keyspace(c: &mut Criterion) {
    let mut db = Db::default();
    let keys: Vec<Vec<u8>> = (0..100_000)
        .map(|i| format!("key:{i:012}").into_bytes())
        .collect();
    for k in &keys {
        db.set(k, Value::string(b"xyz"));
    }
    let mut i = 0;
    c.bench_function("keyspace get (100k keys)", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            black_box(db.get(&keys[i]).is_some())
        })
    });
    c.bench_function("keyspace set existing (100k keys)", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            db.set(&keys[i], Value::string(b"abc"));
        })
    });
}

criterion_group!(benches, parse_pipeline, encode_replies, keyspace);
criterion_main!(benches);
