//! List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LRANGE LLEN LINDEX LSET LREM LTRIM LINSERT LPOS LMOVE
//! RPOPLPUSH LMPOP, and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP.
//!
//! A blocking command that cannot be served sets `ctx.client.block` and writes nothing; the store re-runs it
//! when one of its keys is written (see `cmd::serve_blocked`), so each blocking handler is simply "parse,
//! try the non-blocking form, else block".
use bytes::Bytes;

use super::args::{positive_long, range_long};
use super::{
    arg_i64, eq_ic, notify, BlockRequest, CmdError, CmdResult, Ctx, Event, Handler, NO_SUCH_KEY,
    SYNTAX,
};
use crate::db::list::List;

pub static COMMANDS: &[(&str, Handler)] = &[
    ("lpush", lpush),
    ("rpush", rpush),
    ("lpushx", lpushx),
    ("rpushx", rpushx),
    ("lpop", lpop),
    ("rpop", rpop),
    ("lrange", lrange),
    ("llen", llen),
    ("lindex", lindex),
    ("lset", lset),
    ("lrem", lrem),
    ("ltrim", ltrim),
    ("linsert", linsert),
    ("lpos", lpos),
    ("lmove", lmove),
    ("rpoplpush", rpoplpush),
    ("lmpop", lmpop),
    ("blpop", blpop),
    ("brpop", brpop),
    ("blmove", blmove),
    ("brpoplpush", brpoplpush),
    ("blmpop", blmpop),
];

const LPUSH: Event = Event(notify::LIST, "lpush");
const RPUSH: Event = Event(notify::LIST, "rpush");
const LPOP: Event = Event(notify::LIST, "lpop");
const RPOP: Event = Event(notify::LIST, "rpop");

fn push_event(left: bool) -> Event {
    if left {
        LPUSH
    } else {
        RPUSH
    }
}

fn pop_event(left: bool) -> Event {
    if left {
        LPOP
    } else {
        RPOP
    }
}

/// LEFT / RIGHT -> true for the head.
fn parse_where(a: &[u8]) -> Result<bool, CmdError> {
    if eq_ic(a, "left") {
        Ok(true)
    } else if eq_ic(a, "right") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn push_generic(ctx: &mut Ctx, args: &[Bytes], left: bool, only_existing: bool) -> CmdResult {
    let key = &args[1];
    let l = if only_existing {
        match ctx.keys.write::<List>(key)? {
            Some(l) => l,
            None => {
                ctx.out.int(0);
                return Ok(());
            }
        }
    } else {
        ctx.keys.write_or_create::<List>(key)?
    };
    push_all(l, &args[2..], left);
    ctx.out.int(l.len() as i64);
    ctx.keys.changed(key, push_event(left));
    Ok(())
}

#[inline]
fn push_all(l: &mut List, items: &[Bytes], left: bool) {
    l.push_many(items, left);
}

fn lpush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, true, false)
}
fn rpush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, false, false)
}
fn lpushx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, true, true)
}
fn rpushx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, false, true)
}

fn pop_generic(ctx: &mut Ctx, args: &[Bytes], left: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(super::arity_error(if left { "lpop" } else { "rpop" }));
    }
    let count = match args.get(2) {
        Some(a) => Some(positive_long(a, None)?),
        None => None,
    };
    let key = &args[1];
    let out = &mut *ctx.out;
    let Some(l) = ctx.keys.write::<List>(key)? else {
        if count.is_some() {
            out.null_array();
        } else {
            out.null();
        }
        return Ok(());
    };
    match count {
        None => {
            if pop_into(l, left, out).is_none() {
                out.null();
            }
        }
        Some(0) => {
            out.array(0);
            return Ok(());
        }
        Some(n) => {
            let n = (n as usize).min(l.len());
            out.array(n);
            for _ in 0..n {
                pop_into(l, left, out);
            }
        }
    }
    ctx.keys.changed(key, pop_event(left));
    Ok(())
}

/// Pops one element from the chosen end straight into the reply as a bulk string.
#[inline]
fn pop_into(l: &mut List, left: bool, out: &mut crate::resp::encode::Out) -> Option<()> {
    if left {
        l.pop_front_with(|v| out.bulk(v))
    } else {
        l.pop_back_with(|v| out.bulk(v))
    }
}

fn lpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    pop_generic(ctx, args, true)
}
fn rpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    pop_generic(ctx, args, false)
}

/// Redis's start/end normalisation for LRANGE: `None` when the range is empty.
fn norm_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

fn lrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    let out = &mut *ctx.out;
    match ctx.keys.read::<List>(&args[1])? {
        None => out.array(0),
        Some(l) => match norm_range(start, end, l.len()) {
            None => out.array(0),
            Some((s, e)) => {
                out.array(e - s + 1);
                for it in l.range(s, e) {
                    out.bulk(it);
                }
            }
        },
    }
    Ok(())
}

fn llen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = ctx
        .keys
        .read::<List>(&args[1])?
        .map(|l| l.len())
        .unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

/// A Redis list index (negative from the tail) -> position, if in range.
fn index_of(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { len as i64 + i } else { i };
    if i < 0 || i >= len as i64 {
        None
    } else {
        Some(i as usize)
    }
}

fn lindex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let out = &mut *ctx.out;
    let Some(l) = ctx.keys.read::<List>(&args[1])? else {
        out.null();
        return Ok(());
    };
    let i = arg_i64(&args[2])?;
    match index_of(i, l.len()).and_then(|p| l.get(p)) {
        Some(v) => out.bulk(v),
        None => out.null(),
    }
    Ok(())
}

fn lset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let Some(l) = ctx.keys.write::<List>(key)? else {
        return Err(NO_SUCH_KEY);
    };
    let i = arg_i64(&args[2])?;
    let Some(p) = index_of(i, l.len()) else {
        return Err(CmdError::new("ERR index out of range"));
    };
    l.set(p, &args[3]);
    ctx.out.ok();
    ctx.keys.changed(key, Event(notify::LIST, "lset"));
    Ok(())
}

fn lrem(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let count = arg_i64(&args[2])?;
    let key = &args[1];
    let elem = &args[3][..];
    let Some(l) = ctx.keys.write::<List>(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = l.remove(elem, count);
    ctx.out.int(removed as i64);
    if removed > 0 {
        ctx.keys.changed(key, Event(notify::LIST, "lrem"));
    }
    Ok(())
}

fn ltrim(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    let key = &args[1];
    let Some(l) = ctx.keys.write::<List>(key)? else {
        ctx.out.ok();
        return Ok(());
    };
    let before = l.len();
    match norm_range(start, end, l.len()) {
        None => l.clear(),
        Some((s, e)) => l.trim(s, e),
    }
    let trimmed = before - l.len();
    ctx.out.ok();
    ctx.keys.changed(key, Event(notify::LIST, "ltrim"));
    // The key is signalled either way, but only removed elements count as changes (and get propagated).
    if trimmed == 0 {
        ctx.keys.add_dirty(-1);
    }
    Ok(())
}

fn linsert(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let after = if eq_ic(&args[2], "after") {
        true
    } else if eq_ic(&args[2], "before") {
        false
    } else {
        return Err(SYNTAX);
    };
    let key = &args[1];
    let Some(l) = ctx.keys.write::<List>(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let Some(p) = l.position(&args[3]) else {
        ctx.out.int(-1);
        return Ok(());
    };
    l.insert_at(if after { p + 1 } else { p }, &args[4]);
    let n = l.len();
    ctx.out.int(n as i64);
    ctx.keys.changed(key, Event(notify::LIST, "linsert"));
    Ok(())
}

fn lpos(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if eq_ic(&args[j], "rank") && more {
            j += 1;
            rank = arg_i64(&args[j])?;
            // Redis 7.0 negates LLONG_MIN into itself, and every match then passes its rank test: the result
            // is that of RANK -1.
            if rank == i64::MIN {
                rank = -1;
            }
            if rank == 0 {
                return Err(CmdError::new(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if eq_ic(&args[j], "count") && more {
            j += 1;
            count = Some(positive_long(
                &args[j],
                Some("ERR COUNT can't be negative"),
            )?);
        } else if eq_ic(&args[j], "maxlen") && more {
            j += 1;
            maxlen = positive_long(&args[j], Some("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let out = &mut *ctx.out;
    let Some(l) = ctx.keys.read::<List>(&args[1])? else {
        if count.is_some() {
            out.array(0);
        } else {
            out.null();
        }
        return Ok(());
    };
    let elem = &args[2][..];
    let len = l.len();
    let want = match count {
        Some(0) => usize::MAX,
        Some(n) => n as usize,
        None => 1,
    };
    let mut skip = rank.unsigned_abs() - 1;
    let max = if maxlen == 0 {
        len
    } else {
        (maxlen as usize).min(len)
    };
    let mut found = Vec::new();
    // Walk from the chosen end; indexing each position would cost a node search per step.
    let mut scan = |step: usize, it: &[u8]| {
        if it != elem {
            return true;
        }
        if skip > 0 {
            skip -= 1;
            return true;
        }
        found.push(if rank > 0 { step } else { len - 1 - step } as i64);
        found.len() < want
    };
    if rank > 0 {
        for (step, it) in l.iter().take(max).enumerate() {
            if !scan(step, it) {
                break;
            }
        }
    } else {
        for (step, it) in l.iter().rev().take(max).enumerate() {
            if !scan(step, it) {
                break;
            }
        }
    }
    match count {
        Some(_) => {
            out.array(found.len());
            for i in found {
                out.int(i);
            }
        }
        None => match found.first() {
            Some(&i) => out.int(i),
            None => out.null(),
        },
    }
    Ok(())
}

/// Pops from `src` and pushes onto `dst` (LMOVE and friends). The source must exist and be a non-empty list;
/// the destination is checked for type before anything changes.
fn move_one(ctx: &mut Ctx, src: &[u8], dst: &[u8], from_left: bool, to_left: bool) -> CmdResult {
    if ctx.keys.write::<List>(src)?.is_none_or(|l| l.is_empty()) {
        ctx.out.null();
        return Ok(());
    }
    // Type check of the destination before popping, as Redis does.
    ctx.keys.write::<List>(dst)?;
    let Some(l) = ctx.keys.write::<List>(src)? else {
        ctx.out.null();
        return Ok(());
    };
    let v = if from_left {
        l.pop_front()
    } else {
        l.pop_back()
    };
    let Some(v) = v else {
        ctx.out.null();
        return Ok(());
    };
    ctx.out.bulk(&v);
    let d = ctx.keys.write_or_create::<List>(dst)?;
    if to_left {
        d.push_front(&v)
    } else {
        d.push_back(&v)
    }
    ctx.keys.changed(dst, push_event(to_left));
    ctx.keys.changed(src, pop_event(from_left));
    Ok(())
}

fn lmove(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let from = parse_where(&args[3])?;
    let to = parse_where(&args[4])?;
    move_one(ctx, &args[1], &args[2], from, to)
}

fn rpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    move_one(ctx, &args[1], &args[2], false, true)
}

/// Parsed `numkeys key... LEFT|RIGHT [COUNT n]` of LMPOP / BLMPOP, starting at `numkeys_at`.
struct MpopArgs {
    first_key: usize,
    numkeys: usize,
    left: bool,
    count: usize,
}

fn parse_mpop(args: &[Bytes], numkeys_at: usize) -> Result<MpopArgs, CmdError> {
    let numkeys = range_long(
        &args[numkeys_at],
        1,
        i64::MAX,
        Some("ERR numkeys should be greater than 0"),
    )? as u64;
    let where_at = (numkeys_at as u64 + 1).saturating_add(numkeys);
    if where_at >= args.len() as u64 {
        return Err(SYNTAX);
    }
    let where_at = where_at as usize;
    let left = parse_where(&args[where_at])?;
    let mut count: Option<i64> = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && eq_ic(&args[j], "count") && j + 1 < args.len() {
            j += 1;
            count = Some(range_long(
                &args[j],
                1,
                i64::MAX,
                Some("ERR count should be greater than 0"),
            )?);
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    Ok(MpopArgs {
        first_key: numkeys_at + 1,
        numkeys: numkeys as usize,
        left,
        count: count.unwrap_or(1) as usize,
    })
}

/// Pops from the first non-empty list among the keys: up to `count` elements replying `[key, [elements]]`
/// (LMPOP), or with `None` one element replying `[key, element]` (BLPOP/BRPOP). Returns false (having written
/// nothing) when every list is empty or missing.
fn mpop_try(
    ctx: &mut Ctx,
    keys: &[Bytes],
    left: bool,
    count: Option<usize>,
) -> Result<bool, CmdError> {
    let skip_wrongtype = reprocessing(ctx);
    for key in candidate_keys(ctx, keys) {
        let out = &mut *ctx.out;
        let l = match ctx.keys.write::<List>(key) {
            Ok(Some(l)) => l,
            Ok(None) => continue,
            Err(_) if skip_wrongtype => continue,
            Err(e) => return Err(e),
        };
        if l.is_empty() {
            continue;
        }
        out.array(2);
        out.bulk(key);
        let mut popped = 0;
        match count {
            Some(count) => {
                popped = count.min(l.len());
                out.array(popped);
                for _ in 0..popped {
                    pop_into(l, left, out);
                }
            }
            None => {
                pop_into(l, left, out);
            }
        }
        ctx.keys.changed(key, pop_event(left));
        // Propagated as the plain pop from the key served: [LR]POP key for BLPOP/BRPOP, with the count popped
        // for LMPOP/BLMPOP (mpopGenericCommand, blockingPopGenericCommand, serveClientBlockedOnList).
        let pop: &[u8] = if left { b"LPOP" } else { b"RPOP" };
        if count.is_none() {
            ctx.rewrite(&[pop, key]);
        } else if ctx.propagating() {
            ctx.rewrite(&[pop, key, popped.to_string().as_bytes()]);
        }
        return Ok(true);
    }
    Ok(false)
}

fn lmpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let m = parse_mpop(args, 1)?;
    let keys = &args[m.first_key..m.first_key + m.numkeys];
    if !mpop_try(ctx, keys, m.left, Some(m.count))? {
        ctx.out.null_array();
    }
    Ok(())
}

/// True while `cmd::serve_blocked` re-runs a blocked command. Redis serves a blocked client only from keys
/// that hold a list, so in that re-run a key of another type is skipped rather than answered with WRONGTYPE:
/// the client keeps waiting.
fn reprocessing(ctx: &Ctx) -> bool {
    ctx.client.serving_key.is_some()
}

/// The keys a blocking pop may take from: all of them on the first try, only the key that became ready when
/// the blocked client is being served (Redis pops from the key that was pushed to, not the first non-empty).
fn candidate_keys<'k>(ctx: &Ctx, keys: &'k [Bytes]) -> Vec<&'k Bytes> {
    match &ctx.client.serving_key {
        Some(ready) => keys.iter().filter(|k| *k == ready).take(1).collect(),
        None => keys.iter().collect(),
    }
}

/// Blocks the client on `keys` until `deadline`, or, inside MULTI/EXEC where blocking is not allowed, answers
/// at once as a timeout would.
fn block_on(ctx: &mut Ctx, keys: &[Bytes], deadline: i64) {
    if ctx.client.in_exec || ctx.client.deny_blocking {
        ctx.out.null_array();
        return;
    }
    ctx.client.block = Some(BlockRequest::new(keys.to_vec(), deadline));
}

fn bpop_generic(ctx: &mut Ctx, args: &[Bytes], left: bool) -> CmdResult {
    let deadline = super::args::parse_timeout(ctx.now, &args[args.len() - 1])?;
    let keys = &args[1..args.len() - 1];
    if !mpop_try(ctx, keys, left, None)? {
        block_on(ctx, keys, deadline);
    }
    Ok(())
}

fn blpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bpop_generic(ctx, args, true)
}
fn brpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bpop_generic(ctx, args, false)
}

fn blmove_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    from: bool,
    to: bool,
    timeout: &[u8],
) -> CmdResult {
    let deadline = super::args::parse_timeout(ctx.now, timeout)?;
    let (src, dst) = (&args[1], &args[2]);
    let skip_wrongtype = reprocessing(ctx);
    let src_list = match ctx.keys.write::<List>(src) {
        Err(_) if skip_wrongtype => None,
        r => r?,
    };
    match src_list {
        Some(l) if !l.is_empty() => {
            move_one(ctx, src, dst, from, to)?;
            // BRPOPLPUSH -> RPOPLPUSH; BLMOVE -> LMOVE with the ends as sent, or as Redis names them when a
            // blocked client is served (serveClientBlockedOnList).
            let side = |l: bool| -> &'static [u8] {
                if l {
                    b"left"
                } else {
                    b"right"
                }
            };
            if args.len() == 4 {
                ctx.rewrite(&[b"RPOPLPUSH", src, dst]);
            } else if reprocessing(ctx) {
                ctx.rewrite(&[b"LMOVE", src, dst, side(from), side(to)]);
            } else {
                ctx.rewrite(&[b"LMOVE", src, dst, &args[3], &args[4]]);
            }
            Ok(())
        }
        _ => {
            if ctx.client.in_exec || ctx.client.deny_blocking {
                // Redis answers a null bulk here (not the null array of a timeout).
                ctx.out.null();
            } else {
                block_on(ctx, std::slice::from_ref(src), deadline);
            }
            Ok(())
        }
    }
}

fn blmove(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let from = parse_where(&args[3])?;
    let to = parse_where(&args[4])?;
    blmove_generic(ctx, args, from, to, &args[5])
}

fn brpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    blmove_generic(ctx, args, false, true, &args[3])
}

fn blmpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // lmpopGenericCommand reads numkeys, the direction and COUNT before the timeout.
    let m = parse_mpop(args, 2)?;
    let deadline = super::args::parse_timeout(ctx.now, &args[1])?;
    let keys = &args[m.first_key..m.first_key + m.numkeys];
    if !mpop_try(ctx, keys, m.left, Some(m.count))? {
        block_on(ctx, keys, deadline);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_normalise_like_redis() {
        assert_eq!(norm_range(0, -1, 3), Some((0, 2)));
        assert_eq!(norm_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(norm_range(2, 1, 3), None);
        assert_eq!(norm_range(3, 5, 3), None);
        assert_eq!(norm_range(-1, -1, 3), Some((2, 2)));
        assert_eq!(index_of(-1, 3), Some(2));
        assert_eq!(index_of(3, 3), None);
        assert_eq!(index_of(-4, 3), None);
    }

    #[test]
    fn range_errors_follow_redis_texts() {
        assert_eq!(
            range_long(b"-9223372036854775808", -i64::MAX, i64::MAX, None)
                .unwrap_err()
                .text(),
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
        );
        assert_eq!(
            positive_long(b"-1", None).unwrap_err().text(),
            "ERR value is out of range, must be positive"
        );
        assert_eq!(
            positive_long(b"x", Some("ERR COUNT can't be negative"))
                .unwrap_err()
                .text(),
            "ERR COUNT can't be negative"
        );
    }
}
