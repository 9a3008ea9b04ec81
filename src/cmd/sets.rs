//! Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER SUNION SDIFF and
//! their STORE forms, SINTERCARD, SSCAN.
use bytes::Bytes;

use super::args::{parse_cursor, parse_scan_opts};
use super::args::{positive_long, range_long, MAX_RANDOM_PICKS};
use super::{notify, CmdError, CmdResult, Ctx, Event, Handler, SYNTAX};
use crate::db::set::{Elem, Set};
use crate::db::Value;
use crate::resp::Out;

const SADD: Event = Event(notify::SET, "sadd");
const SREM: Event = Event(notify::SET, "srem");
use crate::util::glob::glob_match;

pub static COMMANDS: &[(&str, Handler)] = &[
    ("sadd", sadd),
    ("srem", srem),
    ("smembers", smembers),
    ("sismember", sismember),
    ("smismember", smismember),
    ("scard", scard),
    ("spop", spop),
    ("srandmember", srandmember),
    ("smove", smove),
    ("sinter", sinter),
    ("sinterstore", sinterstore),
    ("sunion", sunion),
    ("sunionstore", sunionstore),
    ("sdiff", sdiff),
    ("sdiffstore", sdiffstore),
    ("sintercard", sintercard),
    ("sscan", sscan),
];

#[inline]
fn put_elem(out: &mut Out, e: Elem) {
    match e {
        Elem::Int(n) => out.bulk_int(n),
        Elem::Str(s) => out.bulk(s),
    }
}

fn sadd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let max = ctx.keys.engine().set_max_intset();
    let s = ctx
        .keys
        .write_or_create_with(key, || Set::for_member(&args[2]))?;
    let mut added = 0;
    for m in &args[2..] {
        if s.add(m, max) {
            added += 1;
        }
    }
    ctx.out.int(added);
    if added > 0 {
        ctx.keys.changed(key, SADD);
    }
    Ok(())
}

fn srem(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let Some(s) = ctx.keys.write::<Set>(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut removed = 0;
    for m in &args[2..] {
        if s.remove(m) {
            removed += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    ctx.out.int(removed);
    if removed > 0 {
        ctx.keys.changed(key, SREM);
    }
    Ok(())
}

fn smembers(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let out = &mut *ctx.out;
    match ctx.keys.read::<Set>(&args[1])? {
        None => out.set(0),
        Some(s) => {
            out.set(s.len());
            for e in s.iter() {
                put_elem(out, e);
            }
        }
    }
    Ok(())
}

fn sismember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let found = ctx
        .keys
        .read::<Set>(&args[1])?
        .is_some_and(|s| s.contains(&args[2]));
    ctx.out.int(found as i64);
    Ok(())
}

fn smismember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let out = &mut *ctx.out;
    let s = ctx.keys.read::<Set>(&args[1])?;
    out.array(args.len() - 2);
    for m in &args[2..] {
        out.int(s.as_ref().is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

fn scard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = ctx
        .keys
        .read::<Set>(&args[1])?
        .map(|s| s.len())
        .unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

fn spop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 3 {
        return Err(SYNTAX);
    }
    let count = match args.get(2) {
        Some(a) => Some(positive_long(a, None)? as usize),
        None => None,
    };
    let key = &args[1];
    // The popped members, kept only while something consumes the stream (SPOP propagates as SREMs).
    let mut popped = Vec::new();
    let record = ctx.propagating();
    let out = &mut *ctx.out;
    let Some((s, rng)) = ctx.keys.write_with_rng::<Set>(key)? else {
        match count {
            Some(_) => out.set(0),
            None => out.null(),
        }
        return Ok(());
    };
    let whole = count.is_some_and(|n| n >= s.len());
    match count {
        None => {
            let i = rand::Rng::gen_range(rng, 0..s.len().max(1));
            match s.remove_index(i) {
                Some(m) => {
                    out.bulk(&m);
                    if record {
                        popped.push(m);
                    }
                }
                None => out.null(),
            }
        }
        Some(0) => {
            out.set(0);
            return Ok(());
        }
        Some(n) => {
            let n = n.min(s.len());
            out.set(n);
            for _ in 0..n {
                let i = rand::Rng::gen_range(rng, 0..s.len());
                if let Some(m) = s.remove_index(i) {
                    out.bulk(&m);
                    if record && !whole {
                        popped.push(m);
                    }
                }
            }
        }
    }
    // As Redis 7.0: SPOP key -> SREM key member; SPOP key count -> DEL key when it takes the whole set, else
    // one SREM per member (wrapped in MULTI/EXEC when more than one) and not the SPOP itself.
    if whole {
        ctx.rewrite(&[b"DEL", key]);
    } else if count.is_some() {
        for m in &popped {
            ctx.also(&[b"SREM", key, m]);
        }
        ctx.prop.prevent = true;
    } else if let Some(m) = popped.first() {
        ctx.rewrite(&[b"SREM", key, m]);
    }
    ctx.keys.changed(key, Event(notify::SET, "spop"));
    Ok(())
}

fn srandmember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 3 {
        return Err(SYNTAX);
    }
    let count = match args.get(2) {
        Some(a) => Some(range_long(a, -i64::MAX, i64::MAX, None)?),
        None => None,
    };
    let key = &args[1];
    let out = &mut *ctx.out;
    let Some((s, rng)) = ctx.keys.read_with_rng::<Set>(key)? else {
        match count {
            Some(_) => out.array(0),
            None => out.null(),
        }
        return Ok(());
    };
    let s = &*s;
    let size = s.len();
    let Some(count) = count else {
        match s.get_index(rand::Rng::gen_range(rng, 0..size.max(1))) {
            Some(e) => put_elem(out, e),
            None => out.null(),
        }
        return Ok(());
    };
    if count == 0 || size == 0 {
        out.array(0);
        return Ok(());
    }
    if count < 0 && count.unsigned_abs() > MAX_RANDOM_PICKS {
        return Err(CmdError::new("ERR value is out of range"));
    }
    let n = count.unsigned_abs() as usize;
    if count < 0 || n == 1 {
        out.array(n);
        for _ in 0..n {
            if let Some(e) = s.get_index(rand::Rng::gen_range(rng, 0..size)) {
                put_elem(out, e);
            }
        }
        return Ok(());
    }
    if n >= size {
        out.array(size);
        for e in s.iter() {
            put_elem(out, e);
        }
        return Ok(());
    }
    out.array(n);
    for i in rand::seq::index::sample(rng, size, n) {
        if let Some(e) = s.get_index(i) {
            put_elem(out, e);
        }
    }
    Ok(())
}

fn smove(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (src, dst, m) = (&args[1], &args[2], &args[3]);
    let max = ctx.keys.engine().set_max_intset();
    // Both keys are looked up, then their types checked, before anything changes (smoveCommand); a missing
    // source answers 0 before any type is looked at.
    let src_found = ctx.keys.read_quiet::<Set>(src).map(|s| s.is_some());
    let dst_type = ctx.keys.read_quiet::<Set>(dst).map(|_| ());
    if !src_found? {
        ctx.out.int(0);
        return Ok(());
    }
    dst_type?;
    if src == dst {
        let found = ctx
            .keys
            .read_quiet::<Set>(src)?
            .is_some_and(|s| s.contains(m));
        ctx.out.int(found as i64);
        return Ok(());
    }
    let Some(s) = ctx.keys.write::<Set>(src)? else {
        ctx.out.int(0);
        return Ok(());
    };
    if !s.remove(m) {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.keys.changed(src, SREM);
    if ctx
        .keys
        .write_or_create_with(dst, || Set::for_member(m))?
        .add(m, max)
    {
        ctx.keys.changed(dst, SADD);
    }
    ctx.out.int(1);
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// Computes an intersection, union or difference of the sets at `keys` (missing keys are empty sets).
/// WRONGTYPE if any key holds another type. `limit` (SINTERCARD) stops an intersection early; 0 = none.
fn compute(ctx: &mut Ctx, keys: &[Bytes], op: Op, limit: usize) -> Result<Set, CmdError> {
    let mut any_missing = false;
    for k in keys {
        // Every source is a read (lookupKeyRead), also for the STORE forms.
        if ctx.keys.read::<Set>(k)?.is_none() {
            any_missing = true;
        }
    }
    let max = ctx.keys.engine().set_max_intset();
    // Every key was looked up above (expiry and statistics applied): the sets are read side by side.
    let dbr = ctx.keys.view();
    let get = |k: &[u8]| match dbr.get(k).map(|e| &e.value) {
        Some(Value::Set(s)) => Some(&**s),
        _ => None,
    };
    let mut result = Set::default();
    let add = |r: &mut Set, e: Elem| match e {
        Elem::Int(n) => r.add(&crate::util::num::fmt_i64(n), max),
        Elem::Str(s) => r.add(s, max),
    };
    match op {
        Op::Inter => {
            if any_missing {
                return Ok(result);
            }
            let mut sets: Vec<&Set> = keys.iter().filter_map(|k| get(k)).collect();
            // Walk the smallest set and probe the others, as Redis does.
            sets.sort_by_key(|s| s.len());
            let Some((first, rest)) = sets.split_first() else {
                return Ok(result);
            };
            for e in first.iter() {
                if rest.iter().all(|s| s.contains_elem(e)) {
                    add(&mut result, e);
                    if limit > 0 && result.len() >= limit {
                        break;
                    }
                }
            }
        }
        Op::Union => {
            for k in keys {
                if let Some(s) = get(k) {
                    for e in s.iter() {
                        add(&mut result, e);
                    }
                }
            }
        }
        Op::Diff => {
            let Some(first) = get(&keys[0]) else {
                return Ok(result);
            };
            let rest: Vec<&Set> = keys[1..].iter().filter_map(|k| get(k)).collect();
            for e in first.iter() {
                if !rest.iter().any(|s| s.contains_elem(e)) {
                    add(&mut result, e);
                }
            }
        }
    }
    Ok(result)
}

fn set_op(ctx: &mut Ctx, keys: &[Bytes], op: Op) -> CmdResult {
    let r = compute(ctx, keys, op, 0)?;
    ctx.out.set(r.len());
    for e in r.iter() {
        put_elem(ctx.out, e);
    }
    Ok(())
}

fn set_op_store(ctx: &mut Ctx, args: &[Bytes], op: Op, event: &'static str) -> CmdResult {
    let dst = &args[1];
    let r = compute(ctx, &args[2..], op, 0)?;
    let n = r.len();
    if n > 0 {
        ctx.keys
            .set(dst, Value::Set(Box::new(r)), Event(notify::SET, event));
    } else {
        ctx.keys.delete(dst, Event::DEL);
    }
    ctx.out.int(n as i64);
    Ok(())
}

fn sinter(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_op(ctx, &args[1..], Op::Inter)
}
fn sunion(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_op(ctx, &args[1..], Op::Union)
}
fn sdiff(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_op(ctx, &args[1..], Op::Diff)
}
fn sinterstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_op_store(ctx, args, Op::Inter, "sinterstore")
}
fn sunionstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_op_store(ctx, args, Op::Union, "sunionstore")
}
fn sdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_op_store(ctx, args, Op::Diff, "sdiffstore")
}

fn sintercard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let numkeys = range_long(
        &args[1],
        1,
        i64::MAX,
        Some("ERR numkeys should be greater than 0"),
    )? as u64;
    if numkeys > (args.len() - 2) as u64 {
        return Err(CmdError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let numkeys = numkeys as usize;
    let mut limit = 0usize;
    let mut j = 2 + numkeys;
    while j < args.len() {
        if super::eq_ic(&args[j], "limit") && j + 1 < args.len() {
            j += 1;
            limit = positive_long(&args[j], Some("ERR LIMIT can't be negative"))? as usize;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let r = compute(ctx, &args[2..2 + numkeys], Op::Inter, limit)?;
    ctx.out.int(r.len() as i64);
    Ok(())
}

fn sscan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let Some(s) = ctx.keys.read::<Set>(&args[1])? else {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let o = parse_scan_opts(&args[3..], false)?;
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut visit = |e: Elem| {
        let m = e.to_vec();
        let keep = match &o.pattern {
            Some(p) => p.as_ref() == b"*" || glob_match(p, &m, false),
            None => true,
        };
        if keep {
            found.push(m);
        }
    };
    let next = match s {
        // An intset is returned whole with cursor 0, as Redis does.
        Set::Ints(_) => {
            s.iter().for_each(&mut visit);
            0
        }
        Set::Table(_) => s.scan(cursor, o.count, visit),
    };
    let out = &mut *ctx.out;
    out.array(2);
    out.bulk(next.to_string().as_bytes());
    out.array(found.len());
    for m in &found {
        out.bulk(m);
    }
    Ok(())
}
