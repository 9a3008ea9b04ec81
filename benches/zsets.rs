//! Micro-benchmarks of the sorted set structure: inserts, rank lookups and short range walks on a large set.
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mini_redis::db::zset::{Limits, ZSet};

fn members(n: usize) -> Vec<(f64, Vec<u8>)> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (
                (x % 1_000_000) as f64,
                format!("member:{i:07}").into_bytes(),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let lim = Limits::default();
    let items = members(100_000);
    c.bench_function("zset insert 100k", |b| {
        b.iter(|| {
            let mut z = ZSet::default();
            for (s, m) in &items {
                z.add(m, *s, lim);
            }
            black_box(z.len())
        })
    });
    let mut z = ZSet::default();
    for (s, m) in &items {
        z.add(m, *s, lim);
    }
    let mut i = 0;
    c.bench_function("zset rank (100k)", |b| {
        b.iter(|| {
            i = (i + 7919) % items.len();
            black_box(z.rank(&items[i].1))
        })
    });
    c.bench_function("zset range 10 from random rank (100k)", |b| {
        b.iter(|| {
            i = (i + 7919) % items.len();
            let mut n = 0;
            z.for_range(i, i + 10, false, |m, _| n += m.len());
            black_box(n)
        })
    });
    let small: Vec<(f64, Vec<u8>)> = members(100);
    c.bench_function("zset compact insert 100", |b| {
        b.iter(|| {
            let mut z = ZSet::default();
            for (s, m) in &small {
                z.add(m, *s, lim);
            }
            black_box(z.len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
