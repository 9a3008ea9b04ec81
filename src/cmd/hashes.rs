//! Hash commands: HSET HSETNX HGET HMGET HMSET HGETALL HDEL HLEN HEXISTS HKEYS HVALS HINCRBY HINCRBYFLOAT HSTRLEN
//! HRANDFIELD HSCAN.
use bytes::Bytes;

use super::args::{parse_cursor, parse_scan_opts};
use super::args::{range_long, MAX_RANDOM_PICKS};
use super::{arg_i64, eq_ic, notify, CmdError, CmdResult, Ctx, Event, Handler, NOT_FLOAT, SYNTAX};
use crate::db::hash::Hash;
use crate::resp::Out;
use crate::util::glob::glob_match;

pub static COMMANDS: &[(&str, Handler)] = &[
    ("hset", hset),
    ("hmset", hmset),
    ("hsetnx", hsetnx),
    ("hget", hget),
    ("hmget", hmget),
    ("hgetall", hgetall),
    ("hdel", hdel),
    ("hlen", hlen),
    ("hexists", hexists),
    ("hkeys", hkeys),
    ("hvals", hvals),
    ("hincrby", hincrby),
    ("hincrbyfloat", hincrbyfloat),
    ("hstrlen", hstrlen),
    ("hrandfield", hrandfield),
    ("hscan", hscan),
];

const HSET: Event = Event(notify::HASH, "hset");

fn hset_generic(ctx: &mut Ctx, args: &[Bytes], name: &str) -> Result<i64, CmdError> {
    if args.len() % 2 == 1 {
        return Err(super::arity_error(name));
    }
    let key = &args[1];
    let lim = ctx.keys.engine().hash_limits();
    let h = ctx.keys.write_or_create::<Hash>(key)?;
    let mut created = 0;
    for pair in args[2..].chunks_exact(2) {
        if h.set(&pair[0], &pair[1], lim) {
            created += 1;
        }
    }
    ctx.keys.changed(key, HSET);
    Ok(created)
}

fn hset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = hset_generic(ctx, args, "hset")?;
    ctx.out.int(n);
    Ok(())
}

fn hmset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    hset_generic(ctx, args, "hmset")?;
    ctx.out.ok();
    Ok(())
}

fn hsetnx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let lim = ctx.keys.engine().hash_limits();
    let h = ctx.keys.write_or_create::<Hash>(key)?;
    if h.contains(&args[2]) {
        ctx.out.int(0);
        return Ok(());
    }
    h.set(&args[2], &args[3], lim);
    ctx.out.int(1);
    ctx.keys.changed(key, HSET);
    Ok(())
}

fn hget(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let out = &mut *ctx.out;
    match ctx
        .keys
        .read::<Hash>(&args[1])?
        .and_then(|h| h.get(&args[2]))
    {
        Some(v) => out.bulk(v),
        None => out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let out = &mut *ctx.out;
    let h = ctx.keys.read::<Hash>(&args[1])?;
    out.array(args.len() - 2);
    for f in &args[2..] {
        match h.as_ref().and_then(|h| h.get(f)) {
            Some(v) => out.bulk(v),
            None => out.null(),
        }
    }
    Ok(())
}

fn hgetall(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let out = &mut *ctx.out;
    match ctx.keys.read::<Hash>(&args[1])? {
        None => out.map(0),
        Some(h) => {
            out.map(h.len());
            for (f, v) in h.iter() {
                out.bulk(f);
                out.bulk(v);
            }
        }
    }
    Ok(())
}

fn hkeys_vals(ctx: &mut Ctx, args: &[Bytes], keys: bool) -> CmdResult {
    let out = &mut *ctx.out;
    match ctx.keys.read::<Hash>(&args[1])? {
        None => out.array(0),
        Some(h) => {
            out.array(h.len());
            for (f, v) in h.iter() {
                out.bulk(if keys { f } else { v });
            }
        }
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    hkeys_vals(ctx, args, true)
}
fn hvals(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    hkeys_vals(ctx, args, false)
}

fn hdel(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let Some(h) = ctx.keys.write::<Hash>(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for f in &args[2..] {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    ctx.out.int(deleted);
    if deleted > 0 {
        ctx.keys.changed(key, Event(notify::HASH, "hdel"));
    }
    Ok(())
}

fn hlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = ctx
        .keys
        .read::<Hash>(&args[1])?
        .map(|h| h.len())
        .unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let found = ctx
        .keys
        .read::<Hash>(&args[1])?
        .is_some_and(|h| h.contains(&args[2]));
    ctx.out.int(found as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = ctx
        .keys
        .read::<Hash>(&args[1])?
        .and_then(|h| h.get(&args[2]).map(|v| v.len()))
        .unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

fn hincrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let incr = arg_i64(&args[3])?;
    let (key, field) = (&args[1], &args[2]);
    // The new value is computed before the hash is created, so a failure never leaves an empty hash behind.
    let cur = match ctx.keys.read_quiet::<Hash>(key)?.and_then(|h| h.get(field)) {
        Some(v) => crate::util::num::parse_i64(v)
            .ok_or(CmdError::new("ERR hash value is not an integer"))?,
        None => 0,
    };
    let Some(new) = cur.checked_add(incr) else {
        return Err(super::OVERFLOW);
    };
    let lim = ctx.keys.engine().hash_limits();
    ctx.keys
        .write_or_create::<Hash>(key)?
        .set(field, &crate::util::num::fmt_i64(new), lim);
    ctx.out.int(new);
    ctx.keys.changed(key, Event(notify::HASH, "hincrby"));
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    use crate::util::ldouble::{self, LongDouble, Parsed};
    let nan_inf = || CmdError::new("ERR increment would produce NaN or Infinity");
    // hincrbyfloatCommand reads the increment as a long double (1e400 is valid) before it looks at the key.
    let incr = match ldouble::parse_ld(&args[3]) {
        None => return Err(NOT_FLOAT),
        Some(Parsed::Inf(_)) => return Err(CmdError::new("ERR value is NaN or Infinity")),
        Some(Parsed::Finite(x)) => x,
    };
    let (key, field) = (&args[1], &args[2]);
    let cur = match ctx.keys.read_quiet::<Hash>(key)?.and_then(|h| h.get(field)) {
        Some(v) => match ldouble::parse_ld(v) {
            None => return Err(CmdError::new("ERR hash value is not a float")),
            // A stored "inf" parses; the sum is then infinite.
            Some(Parsed::Inf(_)) => return Err(nan_inf()),
            Some(Parsed::Finite(x)) => x,
        },
        None => LongDouble {
            neg: false,
            mant: 0,
            exp: 0,
        },
    };
    let new = ldouble::format_human(ldouble::add(cur, incr).ok_or_else(nan_inf)?).into_bytes();
    let lim = ctx.keys.engine().hash_limits();
    ctx.keys.write_or_create::<Hash>(key)?.set(field, &new, lim);
    ctx.out.bulk(&new);
    ctx.keys.changed(key, Event(notify::HASH, "hincrbyfloat"));
    // The resulting value, as INCRBYFLOAT: float formatting must not make replicas differ.
    ctx.rewrite(&[b"HSET", key, field, &new]);
    Ok(())
}

/// One HRANDFIELD element: the field, or with values the pair (a nested pair in RESP3).
fn put_pair(out: &mut Out, f: &[u8], v: &[u8], withvalues: bool) {
    if withvalues && out.resp >= 3 {
        out.array(2);
    }
    out.bulk(f);
    if withvalues {
        out.bulk(v);
    }
}

fn hrandfield(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() == 2 {
        let Some((h, rng)) = ctx.keys.read_with_rng::<Hash>(&args[1])? else {
            ctx.out.null();
            return Ok(());
        };
        let i = rand::Rng::gen_range(rng, 0..h.len().max(1));
        match h.get_index(i) {
            Some((f, _)) => ctx.out.bulk(f),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = range_long(&args[2], -i64::MAX, i64::MAX, None)?;
    let mut withvalues = false;
    if args.len() > 4 || (args.len() == 4 && !eq_ic(&args[3], "withvalues")) {
        return Err(SYNTAX);
    } else if args.len() == 4 {
        withvalues = true;
        if !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
            return Err(CmdError::new("ERR value is out of range"));
        }
    }
    let out = &mut *ctx.out;
    let Some((h, rng)) = ctx.keys.read_with_rng::<Hash>(&args[1])? else {
        out.array(0);
        return Ok(());
    };
    let h = &*h;
    let size = h.len();
    if count == 0 || size == 0 {
        out.array(0);
        return Ok(());
    }
    if count < 0 && count.unsigned_abs() > MAX_RANDOM_PICKS {
        return Err(CmdError::new("ERR value is out of range"));
    }
    let n = count.unsigned_abs() as usize;
    let flat = withvalues && out.resp == 2;
    if count < 0 || count == 1 {
        // A packed hash has no O(1) positions: index its pairs once.
        let packed: Option<Vec<(&[u8], &[u8])>> =
            matches!(*h, Hash::Packed { .. }).then(|| h.iter().collect());
        out.array(if flat { n * 2 } else { n });
        for _ in 0..n {
            let i = rand::Rng::gen_range(rng, 0..size);
            let pair = match &packed {
                Some(v) => v.get(i).copied(),
                None => h.get_index(i),
            };
            if let Some((f, v)) = pair {
                put_pair(out, f, v, withvalues);
            }
        }
        return Ok(());
    }
    if n >= size {
        out.array(if flat { size * 2 } else { size });
        for (f, v) in h.iter() {
            put_pair(out, f, v, withvalues);
        }
        return Ok(());
    }
    out.array(if flat { n * 2 } else { n });
    for i in rand::seq::index::sample(rng, size, n) {
        if let Some((f, v)) = h.get_index(i) {
            put_pair(out, f, v, withvalues);
        }
    }
    Ok(())
}

fn hscan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let Some(h) = ctx.keys.read::<Hash>(&args[1])? else {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let o = parse_scan_opts(&args[3..], false)?;
    let keep = |f: &[u8]| match &o.pattern {
        Some(p) => p.as_ref() == b"*" || glob_match(p, f, false),
        None => true,
    };
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let next = match h {
        // A packed hash is returned whole with cursor 0, as Redis does for a listpack.
        Hash::Packed { .. } => {
            for (f, v) in h.iter() {
                if keep(f) {
                    found.push((f.to_vec(), v.to_vec()));
                }
            }
            0
        }
        Hash::Table(_) => h.scan(cursor, o.count, |f, v| {
            if keep(f) {
                found.push((f.to_vec(), v.to_vec()));
            }
        }),
    };
    let out = &mut *ctx.out;
    out.array(2);
    out.bulk(next.to_string().as_bytes());
    out.array(found.len() * 2);
    for (f, v) in &found {
        out.bulk(f);
        out.bulk(v);
    }
    Ok(())
}
