//! The sorted set commands: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK, the ZRANGE
//! family (by rank, score or lex, reversed, limited, stored), ZREMRANGEBY*, ZPOPMIN/MAX, ZMPOP and their
//! blocking forms, ZRANDMEMBER, ZSCAN, and the set algebra ZUNION ZINTER ZDIFF (and STORE forms), ZINTERCARD.
//!
//! Every range is turned into a rank interval of the set (`ZSet::partition_point`), so one code path serves
//! both encodings. Argument checks follow the order of Redis 7.0's t_zset.c, since that order decides which
//! error a client sees when several arguments are wrong.
use bytes::Bytes;

use super::{
    arg_f64, arg_i64, eq_ic, notify, BlockRequest, CmdError, CmdResult, Ctx, Event, Handler,
    SYNTAX, WRONGTYPE,
};
use crate::db::zset::{AddOutcome, Limits, ZSet};
use crate::db::Value;
use crate::util::glob::glob_match;

pub static COMMANDS: &[(&str, Handler)] = &[
    ("zadd", zadd),
    ("zincrby", zincrby),
    ("zrem", zrem),
    ("zscore", zscore),
    ("zmscore", zmscore),
    ("zcard", zcard),
    ("zcount", zcount),
    ("zlexcount", zlexcount),
    ("zrank", zrank),
    ("zrevrank", zrevrank),
    ("zrange", zrange),
    ("zrangestore", zrangestore),
    ("zrevrange", zrevrange),
    ("zrangebyscore", zrangebyscore),
    ("zrevrangebyscore", zrevrangebyscore),
    ("zrangebylex", zrangebylex),
    ("zrevrangebylex", zrevrangebylex),
    ("zremrangebyrank", zremrangebyrank),
    ("zremrangebyscore", zremrangebyscore),
    ("zremrangebylex", zremrangebylex),
    ("zpopmin", zpopmin),
    ("zpopmax", zpopmax),
    ("zmpop", zmpop),
    ("bzpopmin", bzpopmin),
    ("bzpopmax", bzpopmax),
    ("bzmpop", bzmpop),
    ("zrandmember", zrandmember),
    ("zscan", zscan),
    ("zunion", zunion),
    ("zinter", zinter),
    ("zdiff", zdiff),
    ("zunionstore", zunionstore),
    ("zinterstore", zinterstore),
    ("zdiffstore", zdiffstore),
    ("zintercard", zintercard),
];

const NOT_FLOAT_RANGE: CmdError =
    CmdError(std::borrow::Cow::Borrowed(b"ERR min or max is not a float"));
const NOT_LEX_RANGE: CmdError = CmdError(std::borrow::Cow::Borrowed(
    b"ERR min or max not valid string range item",
));
const NAN_SCORE: CmdError = CmdError(std::borrow::Cow::Borrowed(
    b"ERR resulting score is not a number (NaN)",
));

fn limits(ctx: &Ctx) -> Limits {
    ctx.keys.engine_ref().zset_limits()
}

/// A score written the way Redis prints it (RESP2 bulk string, RESP3 double).
#[inline]
fn reply_member_score(ctx: &mut Ctx, m: &[u8], s: f64, withscores: bool) {
    if withscores && ctx.out.resp >= 3 {
        ctx.out.array(2);
    }
    ctx.out.bulk(m);
    if withscores {
        ctx.out.double(s);
    }
}

/// Array header for `n` results, flat in RESP2 (member, score, ...) and of pairs in RESP3.
fn reply_results_header(ctx: &mut Ctx, n: usize, withscores: bool) {
    if withscores && ctx.out.resp < 3 {
        ctx.out.array(n * 2);
    } else {
        ctx.out.array(n);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Ranges

/// C's strtod as zslParseRange uses it: the argument as a C string (up to a NUL), leading whitespace
/// skipped, an empty string is 0 but whitespace alone is no number, out of range is ±inf (ERANGE is not
/// looked at, but left set), trailing garbage and NaN rejected.
fn strtod_full(a: &[u8]) -> Option<f64> {
    let (v, whole, erange) = crate::util::cerrno::strtod(a);
    crate::util::cerrno::raise_range(erange);
    (whole && !v.is_nan()).then_some(v)
}

#[derive(Clone, Copy)]
struct ScoreRange {
    min: f64,
    minex: bool,
    max: f64,
    maxex: bool,
}

fn parse_score_bound(a: &[u8]) -> Option<(f64, bool)> {
    if a.first() == Some(&b'(') {
        strtod_full(&a[1..]).map(|v| (v, true))
    } else {
        strtod_full(a).map(|v| (v, false))
    }
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    let (min, minex) = parse_score_bound(min).ok_or(NOT_FLOAT_RANGE)?;
    let (max, maxex) = parse_score_bound(max).ok_or(NOT_FLOAT_RANGE)?;
    Ok(ScoreRange {
        min,
        minex,
        max,
        maxex,
    })
}

impl ScoreRange {
    /// Ranks [start, end) of the entries in range.
    fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let r = *self;
        let start = z.partition_point(|s, _| if r.minex { s <= r.min } else { s < r.min });
        let end = z.partition_point(|s, _| if r.maxex { s < r.max } else { s <= r.max });
        (start, end.max(start))
    }
}

#[derive(Clone)]
enum LexBound {
    NegInf,
    PosInf,
    Incl(Bytes),
    Excl(Bytes),
}

fn parse_lex_bound(a: &Bytes) -> Option<LexBound> {
    match a.first()? {
        b'+' if a.len() == 1 => Some(LexBound::PosInf),
        b'-' if a.len() == 1 => Some(LexBound::NegInf),
        b'[' => Some(LexBound::Incl(a.slice(1..))),
        b'(' => Some(LexBound::Excl(a.slice(1..))),
        _ => None,
    }
}

struct LexRange {
    min: LexBound,
    max: LexBound,
}

fn parse_lex_range(min: &Bytes, max: &Bytes) -> Result<LexRange, CmdError> {
    Ok(LexRange {
        min: parse_lex_bound(min).ok_or(NOT_LEX_RANGE)?,
        max: parse_lex_bound(max).ok_or(NOT_LEX_RANGE)?,
    })
}

impl LexRange {
    fn below_min(&self, m: &[u8]) -> bool {
        match &self.min {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Incl(x) => m < &x[..],
            LexBound::Excl(x) => m <= &x[..],
        }
    }
    fn within_max(&self, m: &[u8]) -> bool {
        match &self.max {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Incl(x) => m <= &x[..],
            LexBound::Excl(x) => m < &x[..],
        }
    }
    /// Whether the range is empty by its bounds alone (min above max, or equal with an exclusive end;
    /// `-` and `+` count as exclusive, as in Redis).
    fn empty_by_bounds(&self) -> bool {
        use std::cmp::Ordering::*;
        let rank = |b: &LexBound| match b {
            LexBound::NegInf => 0,
            LexBound::PosInf => 2,
            _ => 1,
        };
        let ex = |b: &LexBound| !matches!(b, LexBound::Incl(_));
        let cmp = match (&self.min, &self.max) {
            (LexBound::Incl(a) | LexBound::Excl(a), LexBound::Incl(b) | LexBound::Excl(b)) => {
                a.cmp(b)
            }
            (a, b) => rank(a).cmp(&rank(b)),
        };
        cmp == Greater || (cmp == Equal && (ex(&self.min) || ex(&self.max)))
    }

    /// Ranks [start, end) of the entries in range. Lex ranges assume equal scores; for mixed scores the
    /// result follows how Redis walks the set: it finds the first (or, reversed, the last) entry in range
    /// and walks from there while entries stay in range, after quick rejections against the first and last
    /// entries (zslIsInLexRange). A listpack is searched linearly, a skiplist by descent (here: binary
    /// search); counts use the two boundaries, as ZLEXCOUNT does.
    fn ranks(&self, z: &ZSet, mode: LexMode) -> (usize, usize) {
        let (Some((first, _)), Some((last, _))) = (z.get(0), z.get(z.len().wrapping_sub(1))) else {
            return (0, 0);
        };
        if self.empty_by_bounds() || self.below_min(last) || !self.within_max(first) {
            return (0, 0);
        }
        let compact = z.is_compact();
        match mode {
            LexMode::Count if !compact => {
                let end = z.partition_point(|_, m| self.within_max(m));
                let start = z.partition_point(|_, m| self.below_min(m));
                (start.min(end), end)
            }
            LexMode::Forward | LexMode::Count => {
                let start = if compact {
                    z.run_from(0, |_, m| self.below_min(m))
                } else {
                    z.partition_point(|_, m| self.below_min(m))
                };
                let end = z.run_from(start, |_, m| self.within_max(m));
                (start, end)
            }
            LexMode::Reverse => {
                let end = if compact {
                    z.run_back_from(z.len(), |_, m| !self.within_max(m))
                } else {
                    z.partition_point(|_, m| self.within_max(m))
                };
                let start = z.run_back_from(end, |_, m| !self.below_min(m));
                (start, end)
            }
        }
    }
}

#[derive(Clone, Copy)]
enum LexMode {
    Forward,
    Reverse,
    Count,
}

/// Redis's rank range normalisation (negative indices from the end); `None` when empty.
fn rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { start + len } else { start };
    let mut end = if end < 0 { end + len } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize + 1))
}

/// Applies LIMIT offset count to a rank interval [start, end) walked forwards (or backwards when `rev`),
/// returning the ranks to emit. A negative offset yields nothing (Redis walks off the end); a negative
/// count means no limit.
fn apply_limit(start: usize, end: usize, offset: i64, count: i64, rev: bool) -> (usize, usize) {
    if offset < 0 {
        return (start, start);
    }
    let n = end - start;
    let off = (offset as u64).min(n as u64) as usize;
    let take = if count < 0 {
        n - off
    } else {
        (count as u64).min((n - off) as u64) as usize
    };
    if rev {
        (end - off - take, end - off)
    } else {
        (start + off, start + off + take)
    }
}

// ---------------------------------------------------------------------------------------------------------
// ZADD / ZINCRBY / ZREM / reads

fn zadd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zadd_generic(ctx, args, false)
}

fn zincrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zadd_generic(ctx, args, true)
}

fn zadd_generic(ctx: &mut Ctx, args: &[Bytes], incr_cmd: bool) -> CmdResult {
    let (mut nx, mut xx, mut ch, mut incr, mut gt, mut lt) =
        (false, false, false, incr_cmd, false, false);
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if eq_ic(a, "nx") {
            nx = true;
        } else if eq_ic(a, "xx") {
            xx = true;
        } else if eq_ic(a, "ch") {
            ch = true;
        } else if eq_ic(a, "incr") {
            incr = true;
        } else if eq_ic(a, "gt") {
            gt = true;
        } else if eq_ic(a, "lt") {
            lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let rest = &args[i..];
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Err(SYNTAX);
    }
    let elements = rest.len() / 2;
    if nx && xx {
        return Err(CmdError::new(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if ((gt || lt) && nx) || (gt && lt) {
        return Err(CmdError::new(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if incr && elements > 1 {
        return Err(CmdError::new(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let mut scores = Vec::with_capacity(elements);
    for p in rest.chunks(2) {
        scores.push(arg_f64(&p[0])?);
    }
    let key = &args[1];
    let lim = limits(ctx);
    // No key and XX: nothing to do.
    if xx && ctx.keys.write::<ZSet>(key)?.is_none() {
        if incr {
            ctx.out.null();
        } else {
            ctx.out.int(0);
        }
        return Ok(());
    }
    let z = ctx
        .keys
        .write_or_create_with(key, || ZSet::for_first_member(rest[1].len(), lim))?;
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0);
    let mut last_score = 0.0;
    let mut err = None;
    for (p, &score) in rest.chunks(2).zip(&scores) {
        let member = &p[1];
        let mut score = score;
        match z.score(member) {
            Some(cur) => {
                if nx {
                    continue;
                }
                if incr {
                    score += cur;
                    if score.is_nan() {
                        err = Some(NAN_SCORE);
                        break;
                    }
                }
                if (lt && score >= cur) || (gt && score <= cur) {
                    continue;
                }
                last_score = score;
                processed += 1;
                if z.add(member, score, lim) == AddOutcome::Updated {
                    updated += 1;
                }
            }
            None => {
                if xx {
                    continue;
                }
                last_score = score;
                processed += 1;
                z.add(member, score, lim);
                added += 1;
            }
        }
    }
    // A set created here always takes its first member, so nothing changed means nothing to record.
    if added + updated > 0 {
        let event = if incr { "zincr" } else { "zadd" };
        ctx.keys.changed(key, Event(notify::ZSET, event));
    }
    if let Some(e) = err {
        return Err(e);
    }
    if incr {
        if processed > 0 {
            ctx.out.double(last_score);
        } else {
            ctx.out.null();
        }
    } else {
        ctx.out.int(if ch { added + updated } else { added });
    }
    Ok(())
}

fn zrem(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let Some(z) = ctx.keys.write::<ZSet>(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for m in &args[2..] {
        if z.remove(m).is_some() {
            deleted += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.keys.changed(key, Event(notify::ZSET, "zrem"));
    }
    ctx.out.int(deleted);
    Ok(())
}

fn zscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match ctx
        .keys
        .read::<ZSet>(&args[1])?
        .and_then(|z| z.score(&args[2]))
    {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let scores: Vec<Option<f64>> = match ctx.keys.read::<ZSet>(&args[1])? {
        Some(z) => args[2..].iter().map(|m| z.score(m)).collect(),
        None => vec![None; args.len() - 2],
    };
    ctx.out.array(scores.len());
    for s in scores {
        match s {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn zcard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = ctx
        .keys
        .read::<ZSet>(&args[1])?
        .map(|z| z.len())
        .unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

fn zcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let r = parse_score_range(&args[2], &args[3])?;
    let n = ctx
        .keys
        .read::<ZSet>(&args[1])?
        .map(|z| {
            let (a, b) = r.ranks(z);
            b - a
        })
        .unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

fn zlexcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let r = parse_lex_range(&args[2], &args[3])?;
    let n = ctx
        .keys
        .read::<ZSet>(&args[1])?
        .map(|z| {
            let (a, b) = r.ranks(z, LexMode::Count);
            b - a
        })
        .unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

fn zrank_generic(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> CmdResult {
    let r = ctx.keys.read::<ZSet>(&args[1])?.and_then(|z| {
        z.rank(&args[2])
            .map(|r| if rev { z.len() - 1 - r } else { r })
    });
    match r {
        Some(r) => ctx.out.int(r as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrank_generic(ctx, args, true)
}

// ---------------------------------------------------------------------------------------------------------
// The ZRANGE family

#[derive(Clone, Copy, PartialEq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// ZRANGE and every older form of it, and ZRANGESTORE (`store`: argument 1 is the destination).
fn zrange_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    store: bool,
    mut rangetype: RangeType,
    mut direction: Direction,
) -> CmdResult {
    let src_idx = if store { 2 } else { 1 };
    let (mut minidx, mut maxidx) = (src_idx + 1, src_idx + 2);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = src_idx + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j];
        if !store && eq_ic(a, "withscores") {
            withscores = true;
        } else if eq_ic(a, "limit") && left >= 2 {
            offset = arg_i64(&args[j + 1])?;
            limit = arg_i64(&args[j + 2])?;
            j += 2;
        } else if direction == Direction::Auto && eq_ic(a, "rev") {
            direction = Direction::Reverse;
        } else if rangetype == RangeType::Auto && eq_ic(a, "bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && eq_ic(a, "byscore") {
            rangetype = RangeType::Score;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    if direction == Direction::Auto {
        direction = Direction::Forward;
    }
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    if limit != -1 && rangetype == RangeType::Rank {
        return Err(CmdError::new(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rangetype == RangeType::Lex {
        return Err(CmdError::new(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let rev = direction == Direction::Reverse;
    if rev && rangetype != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let spec = match rangetype {
        RangeType::Score => Spec::Score(parse_score_range(&args[minidx], &args[maxidx])?),
        RangeType::Lex => Spec::Lex(parse_lex_range(&args[minidx], &args[maxidx])?),
        _ => Spec::Rank(arg_i64(&args[minidx])?, arg_i64(&args[maxidx])?),
    };
    let src = &args[src_idx];
    if store {
        // Redis 7.0 builds the destination by adding the results one by one, in reply order, to a new
        // listpack that converts itself when it outgrows the limits: that decides the encoding (and which
        // scores went through the listpack, turning -0 into 0).
        let lim = limits(ctx);
        let mut dst = ZSet::default();
        if let Some(z) = ctx.keys.read::<ZSet>(src)? {
            let (a, b) = spec_ranks(&spec, z, rev, offset, limit);
            z.for_range(a, b, rev, |m, s| {
                dst.add(m, s, lim);
            });
        }
        return store_set(ctx, &args[1], dst, "zrangestore");
    }
    let out = &mut *ctx.out;
    let Some(z) = ctx.keys.read::<ZSet>(src)? else {
        out.array(0);
        return Ok(());
    };
    let (a, b) = spec_ranks(&spec, z, rev, offset, limit);
    // Written straight from the set into the reply buffer: no copies of members.
    let resp3 = out.resp >= 3;
    if withscores && !resp3 {
        out.array((b - a) * 2);
    } else {
        out.array(b - a);
    }
    z.for_range(a, b, rev, |m, s| {
        if withscores && resp3 {
            out.array(2);
        }
        out.bulk(m);
        if withscores {
            out.double(s);
        }
    });
    Ok(())
}

enum Spec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// The ranks [a, b) a range specification selects.
fn spec_ranks(spec: &Spec, z: &ZSet, rev: bool, offset: i64, limit: i64) -> (usize, usize) {
    match spec {
        Spec::Rank(s, e) => match rank_range(*s, *e, z.len()) {
            None => (0, 0),
            Some((s, e)) => {
                if rev {
                    (z.len() - e, z.len() - s)
                } else {
                    (s, e)
                }
            }
        },
        Spec::Score(r) => {
            let (s, e) = r.ranks(z);
            apply_limit(s, e, offset, limit, rev)
        }
        Spec::Lex(r) => {
            let (s, e) = r.ranks(
                z,
                if rev {
                    LexMode::Reverse
                } else {
                    LexMode::Forward
                },
            );
            apply_limit(s, e, offset, limit, rev)
        }
    }
}

/// Stores a result set (sorted entries) at `dst` as Redis's STORE commands do: replaces any value (and TTL),
/// or deletes `dst` when the result is empty; replies the cardinality.
fn finish_store(
    ctx: &mut Ctx,
    dst: &[u8],
    items: Vec<(f64, Box<[u8]>)>,
    event: &'static str,
) -> CmdResult {
    let z = ZSet::from_sorted(items, limits(ctx));
    store_set(ctx, dst, z, event)
}

/// Stores `z` at `dst` (or deletes `dst` when `z` is empty) and replies its cardinality.
fn store_set(ctx: &mut Ctx, dst: &[u8], z: ZSet, event: &'static str) -> CmdResult {
    let n = z.len();
    if n > 0 {
        ctx.keys
            .set(dst, Value::ZSet(Box::new(z)), Event(notify::ZSET, event));
    } else {
        ctx.keys.delete(dst, Event::DEL);
    }
    ctx.out.int(n as i64);
    Ok(())
}

fn zrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, false, RangeType::Auto, Direction::Auto)
}
fn zrangestore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, true, RangeType::Auto, Direction::Auto)
}
fn zrevrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, false, RangeType::Rank, Direction::Reverse)
}
fn zrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, false, RangeType::Score, Direction::Forward)
}
fn zrevrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, false, RangeType::Score, Direction::Reverse)
}
fn zrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, false, RangeType::Lex, Direction::Forward)
}
fn zrevrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, false, RangeType::Lex, Direction::Reverse)
}

// ---------------------------------------------------------------------------------------------------------
// ZREMRANGEBY*

fn zremrange_generic(ctx: &mut Ctx, args: &[Bytes], rangetype: RangeType) -> CmdResult {
    let spec = match rangetype {
        RangeType::Score => Spec::Score(parse_score_range(&args[2], &args[3])?),
        RangeType::Lex => Spec::Lex(parse_lex_range(&args[2], &args[3])?),
        _ => Spec::Rank(arg_i64(&args[2])?, arg_i64(&args[3])?),
    };
    let key = &args[1];
    let Some(z) = ctx.keys.write::<ZSet>(key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let (a, b) = match spec {
        Spec::Rank(s, e) => rank_range(s, e, z.len()).unwrap_or((0, 0)),
        Spec::Score(r) => r.ranks(z),
        Spec::Lex(r) => r.ranks(z, LexMode::Forward),
    };
    let deleted = z.remove_range(a, b);
    if deleted > 0 {
        let event = match rangetype {
            RangeType::Score => "zremrangebyscore",
            RangeType::Lex => "zremrangebylex",
            _ => "zremrangebyrank",
        };
        ctx.keys.changed(key, Event(notify::ZSET, event));
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zremrange_generic(ctx, args, RangeType::Rank)
}
fn zremrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zremrange_generic(ctx, args, RangeType::Score)
}
fn zremrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zremrange_generic(ctx, args, RangeType::Lex)
}

// ---------------------------------------------------------------------------------------------------------
// Pops

/// Reply shape of a pop, after Redis's genericZpopCommand.
#[derive(Clone, Copy)]
struct PopShape {
    /// Name the key in the reply (blocking pops and ZMPOP).
    emit_key: bool,
    /// Pairs as nested arrays.
    nested: bool,
    /// Null array (rather than an empty one) when nothing can be popped.
    nil_when_empty: bool,
}

/// Pops up to `count` (-1: a plain single pop) entries from the first existing key of `keys`.
/// Returns false (writing nothing) when no key holds a sorted set and `write_empty` is false.
fn pop_generic(
    ctx: &mut Ctx,
    keys: &[Bytes],
    max: bool,
    count: i64,
    shape: PopShape,
    write_empty: bool,
) -> Result<bool, CmdError> {
    let mut found = None;
    for k in keys {
        if ctx.keys.write::<ZSet>(k)?.is_some() {
            found = Some(k);
            break;
        }
    }
    let Some(key) = found else {
        if write_empty {
            if shape.nil_when_empty {
                ctx.out.null_array();
            } else {
                ctx.out.array(0);
            }
        }
        return Ok(write_empty);
    };
    if count == 0 {
        ctx.out.array(0);
        return Ok(true);
    }
    let single = count == -1;
    let count = if single { 1 } else { count };
    let mut popped = Vec::new();
    if let Some(z) = ctx.keys.write::<ZSet>(key)? {
        let n = (count as u64).min(z.len() as u64) as usize;
        popped.reserve(n);
        for _ in 0..n {
            let k = if max { z.len() - 1 } else { 0 };
            match z.pop_at(k) {
                Some(e) => popped.push(e),
                None => break,
            }
        }
    }
    let n = popped.len();
    match (shape.nested, shape.emit_key) {
        (false, false) => ctx.out.array(n * 2),
        (true, false) => ctx.out.array(n),
        (false, true) => {
            ctx.out.array(n * 2 + 1);
            ctx.out.bulk(key);
        }
        (true, true) => {
            ctx.out.array(2);
            ctx.out.bulk(key);
            ctx.out.array(n);
        }
    }
    for (m, s) in &popped {
        if shape.nested {
            ctx.out.array(2);
        }
        ctx.out.bulk(m);
        ctx.out.double(*s);
    }
    if n > 0 {
        let event = if max { "zpopmax" } else { "zpopmin" };
        ctx.keys.changed(key, Event(notify::ZSET, event));
        // The forms naming the key (BZPOPMIN/BZPOPMAX, ZMPOP, BZMPOP) propagate as ZPOPMIN/ZPOPMAX of the key
        // popped, the M forms with the count popped; ZPOPMIN/ZPOPMAX go as sent.
        let pop: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        if shape.emit_key && single {
            ctx.rewrite(&[pop, key]);
        } else if shape.emit_key && ctx.propagating() {
            ctx.rewrite(&[pop, key, n.to_string().as_bytes()]);
        }
    }
    Ok(true)
}

/// `getRangeLongFromObjectOrReply` with a custom message: a non-integer gets the same message.
fn arg_at_least(a: &[u8], min: i64, msg: &'static str) -> Result<i64, CmdError> {
    match crate::util::num::parse_i64(a) {
        Some(n) if n >= min => Ok(n),
        _ => Err(CmdError::new(msg)),
    }
}

/// `getPositiveLongFromObjectOrReply`.
fn arg_positive(a: &[u8], msg: &'static str) -> Result<i64, CmdError> {
    arg_at_least(a, 0, msg)
}

fn zpop_cmd(ctx: &mut Ctx, args: &[Bytes], max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(SYNTAX);
    }
    let count = match args.get(2) {
        Some(a) => arg_positive(a, "ERR value is out of range, must be positive")?,
        None => -1,
    };
    let shape = PopShape {
        emit_key: false,
        nested: ctx.out.resp >= 3 && count != -1,
        nil_when_empty: false,
    };
    pop_generic(ctx, &args[1..2], max, count, shape, true)?;
    Ok(())
}

fn zpopmin(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zpop_cmd(ctx, args, false)
}
fn zpopmax(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zpop_cmd(ctx, args, true)
}

/// True while `cmd::serve_blocked` re-runs a blocked command: Redis serves a blocked client only from keys
/// holding a sorted set, so a key of another type is skipped and the client keeps waiting.
fn reprocessing(ctx: &Ctx) -> bool {
    ctx.client.serving_key.is_some()
}

/// Serves a blocking pop from the first key holding a sorted set, or blocks (answers as a timeout inside
/// MULTI/EXEC).
fn blocking_pop(
    ctx: &mut Ctx,
    keys: &[Bytes],
    max: bool,
    count: i64,
    shape: PopShape,
    deadline: i64,
) -> CmdResult {
    let skip_wrongtype = reprocessing(ctx);
    // When a blocked client is served, only the key that became ready is popped from (as Redis does).
    let candidates: Vec<&Bytes> = match &ctx.client.serving_key {
        Some(ready) => keys.iter().filter(|k| *k == ready).take(1).collect(),
        None => keys.iter().collect(),
    };
    for k in candidates {
        match ctx.keys.write::<ZSet>(k) {
            Ok(Some(_)) => {
                pop_generic(ctx, std::slice::from_ref(k), max, count, shape, true)?;
                return Ok(());
            }
            Ok(None) => {}
            Err(_) if skip_wrongtype => {}
            Err(e) => return Err(e),
        }
    }
    if ctx.client.in_exec || ctx.client.deny_blocking {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.client.block = Some(BlockRequest::new(keys.to_vec(), deadline));
    Ok(())
}

fn bzpop_cmd(ctx: &mut Ctx, args: &[Bytes], max: bool) -> CmdResult {
    let deadline = super::args::parse_timeout(ctx.now, &args[args.len() - 1])?;
    let shape = PopShape {
        emit_key: true,
        nested: false,
        nil_when_empty: false,
    };
    blocking_pop(ctx, &args[1..args.len() - 1], max, -1, shape, deadline)
}

fn bzpopmin(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bzpop_cmd(ctx, args, false)
}
fn bzpopmax(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bzpop_cmd(ctx, args, true)
}

/// ZMPOP / BZMPOP: `numkeys_idx` is where numkeys sits (1, or 2 after BZMPOP's timeout).
fn zmpop_generic(ctx: &mut Ctx, args: &[Bytes], numkeys_idx: usize, blocking: bool) -> CmdResult {
    let numkeys = arg_at_least(
        &args[numkeys_idx],
        1,
        "ERR numkeys should be greater than 0",
    )?;
    let where_idx = (numkeys as u64).saturating_add(numkeys_idx as u64 + 1);
    if where_idx >= args.len() as u64 {
        return Err(SYNTAX);
    }
    let where_idx = where_idx as usize;
    let max = if eq_ic(&args[where_idx], "min") {
        false
    } else if eq_ic(&args[where_idx], "max") {
        true
    } else {
        return Err(SYNTAX);
    };
    let mut count = -1i64;
    let mut j = where_idx + 1;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if count == -1 && eq_ic(&args[j], "count") && more > 0 {
            j += 1;
            count = arg_at_least(&args[j], 1, "ERR count should be greater than 0")?;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    let keys = &args[numkeys_idx + 1..where_idx];
    let shape = PopShape {
        emit_key: true,
        nested: true,
        nil_when_empty: true,
    };
    if blocking {
        let deadline = super::args::parse_timeout(ctx.now, &args[1])?;
        blocking_pop(ctx, keys, max, count, shape, deadline)
    } else {
        pop_generic(ctx, keys, max, count, shape, true)?;
        Ok(())
    }
}

fn zmpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zmpop_generic(ctx, args, 1, false)
}
fn bzmpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zmpop_generic(ctx, args, 2, true)
}

// ---------------------------------------------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN

fn zrandmember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    use rand::Rng;
    if args.len() >= 3 {
        // zrandmemberCommand's order: the range of the count, the syntax, then (WITHSCORES doubles the reply)
        // half the range.
        let l = arg_i64(&args[2])?;
        if l == i64::MIN {
            return Err(CmdError::new(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ));
        }
        if args.len() > 4 || (args.len() == 4 && !eq_ic(&args[3], "withscores")) {
            return Err(SYNTAX);
        }
        let withscores = args.len() == 4;
        if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::new("ERR value is out of range"));
        }
        let Some((z, rng)) = ctx.keys.read_with_rng::<ZSet>(&args[1])? else {
            ctx.out.array(0);
            return Ok(());
        };
        let z = &*z;
        let size = z.len();
        let out = &mut *ctx.out;
        let resp3 = out.resp >= 3;
        let emit = |out: &mut crate::resp::Out, m: &[u8], s: f64| {
            if withscores && resp3 {
                out.array(2);
            }
            out.bulk(m);
            if withscores {
                out.double(s);
            }
        };
        if l == 0 || size == 0 {
            out.array(0);
            return Ok(());
        }
        // Redis would build a reply of any size (and run out of memory): refused, as SRANDMEMBER and
        // HRANDFIELD refuse it.
        if l < 0 && l.unsigned_abs() > super::args::MAX_RANDOM_PICKS {
            return Err(CmdError::new("ERR value is out of range"));
        }
        if l < 0 || l == 1 {
            // With repetitions (or a single element): independent draws.
            let count = l.unsigned_abs() as usize;
            out.array(if withscores && !resp3 {
                count.saturating_mul(2)
            } else {
                count
            });
            for _ in 0..count {
                if let Some((m, s)) = z.get(rng.gen_range(0..size)) {
                    emit(out, m, s);
                }
            }
            return Ok(());
        }
        let count = l as usize;
        let n = count.min(size);
        out.array(if withscores && !resp3 { n * 2 } else { n });
        if count >= size {
            // The whole set, in the order Redis's zuiNext walks it: from the tail (highest first).
            z.for_range(0, size, true, |m, s| emit(out, m, s));
            return Ok(());
        }
        // Distinct ranks by Floyd's sampling, emitted in random order.
        let mut chosen = std::collections::HashSet::with_capacity(n);
        let mut order = Vec::with_capacity(n);
        for j in size - n..size {
            let t = rng.gen_range(0..=j);
            let pick = if chosen.insert(t) { t } else { j };
            if pick == j {
                chosen.insert(j);
            }
            order.push(pick);
        }
        for i in (1..order.len()).rev() {
            let k = rng.gen_range(0..=i);
            order.swap(i, k);
        }
        for r in order {
            if let Some((m, s)) = z.get(r) {
                emit(out, m, s);
            }
        }
        return Ok(());
    }
    match ctx.keys.read_with_rng::<ZSet>(&args[1])? {
        None => ctx.out.null(),
        Some((z, rng)) => {
            let size = z.len();
            if size == 0 {
                ctx.out.null();
            } else if let Some((m, _)) = z.get(rng.gen_range(0..size)) {
                ctx.out.bulk(m);
            }
        }
    }
    Ok(())
}

fn zscan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = super::args::parse_cursor(&args[2])?;
    let Some(z) = ctx.keys.read::<ZSet>(&args[1])? else {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let o = super::args::parse_scan_opts(&args[3..], false)?;
    let mut found: Vec<(Box<[u8]>, f64)> = Vec::new();
    let next = z.scan(cursor, o.count, |m, s| {
        if let Some(p) = &o.pattern {
            if !(p.as_ref() == b"*" || glob_match(p, m, false)) {
                return;
            }
        }
        found.push((m.into(), s));
    });
    ctx.out.array(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.array(found.len() * 2);
    for (m, s) in found {
        ctx.out.bulk(&m);
        // SCAN replies carry scores as strings in both protocols.
        ctx.out.bulk(crate::util::num::fmt_double(s).as_bytes());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Set algebra

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// One input of ZUNION/ZINTER/ZDIFF: a sorted set, a plain set (every score 1) or nothing.
enum Source {
    Empty,
    Z(Vec<(f64, Box<[u8]>)>, ahash::AHashMap<Box<[u8]>, f64>),
}

impl Source {
    fn len(&self) -> usize {
        match self {
            Source::Empty => 0,
            Source::Z(v, _) => v.len(),
        }
    }
    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Source::Empty => None,
            Source::Z(_, map) => map.get(m).copied(),
        }
    }
}

/// The members of a plain set (SET inputs of ZUNION & co. count with score 1).
fn set_members(s: &crate::db::set::Set) -> Vec<Box<[u8]>> {
    s.iter().map(|e| e.to_vec().into_boxed_slice()).collect()
}

fn load_source(ctx: &mut Ctx, key: &[u8], need_map: bool) -> Result<Source, CmdError> {
    // Not counted as a hit or miss: the type-check pass already made the one read Redis makes per key.
    let items: Vec<(f64, Box<[u8]>)> = match ctx.keys.quiet_entry(key) {
        None => return Ok(Source::Empty),
        Some(e) => match &e.value {
            Value::ZSet(z) => {
                let mut v = Vec::with_capacity(z.len());
                z.for_each(|m, s| v.push((s, m.into())));
                v
            }
            Value::Set(s) => set_members(s).into_iter().map(|m| (1.0, m)).collect(),
            _ => return Err(WRONGTYPE),
        },
    };
    let map = if need_map {
        items.iter().map(|(s, m)| (m.clone(), *s)).collect()
    } else {
        Default::default()
    };
    Ok(Source::Z(items, map))
}

#[inline]
fn weighted(w: f64, s: f64) -> f64 {
    let v = w * s;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

#[inline]
fn aggregate(agg: Aggregate, target: &mut f64, v: f64) {
    match agg {
        Aggregate::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if v < *target {
                *target = v;
            }
        }
        Aggregate::Max => {
            if v > *target {
                *target = v;
            }
        }
    }
}

/// ZUNION ZINTER ZDIFF, their STORE forms and ZINTERCARD (`card`), after zunionInterDiffGenericCommand.
fn setop_generic(ctx: &mut Ctx, args: &[Bytes], store: bool, op: SetOp, card: bool) -> CmdResult {
    let numkeys_idx = if store { 2 } else { 1 };
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let setnum = {
        let n = arg_i64(&args[numkeys_idx])?;
        if n < 1 {
            return Err(CmdError::from(format!(
                "ERR at least 1 input key is needed for '{name}' command"
            )));
        }
        if n as u64 > (args.len() - numkeys_idx - 1) as u64 {
            return Err(SYNTAX);
        }
        n as usize
    };
    let keys = &args[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    // Type checks come before the options, as in Redis.
    for k in keys {
        if let Some(e) = ctx.keys.read_entry(k) {
            if !matches!(e.value, Value::ZSet(_) | Value::Set(_)) {
                return Err(WRONGTYPE);
            }
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0i64;
    let mut j = numkeys_idx + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        let a = &args[j];
        if op != SetOp::Diff && !card && remaining > setnum && eq_ic(a, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = super::parse_f64(&args[j])
                    .ok_or(CmdError::new("ERR weight value is not a float"))?;
                j += 1;
            }
        } else if op != SetOp::Diff && !card && remaining >= 2 && eq_ic(a, "aggregate") {
            let v = &args[j + 1];
            agg = if eq_ic(v, "sum") {
                Aggregate::Sum
            } else if eq_ic(v, "min") {
                Aggregate::Min
            } else if eq_ic(v, "max") {
                Aggregate::Max
            } else {
                return Err(SYNTAX);
            };
            j += 2;
        } else if !store && !card && eq_ic(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card && remaining >= 2 && eq_ic(a, "limit") {
            limit = arg_positive(&args[j + 1], "ERR LIMIT can't be negative")?;
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    // Load the inputs (sorted by cardinality for union and intersection, as Redis processes them).
    let mut srcs = Vec::with_capacity(setnum);
    for (i, k) in keys.iter().enumerate() {
        let need_map = match op {
            SetOp::Inter => true,
            SetOp::Diff => i > 0,
            SetOp::Union => false,
        };
        srcs.push((load_source(ctx, k, need_map)?, weights[i]));
    }
    if op != SetOp::Diff {
        srcs.sort_by_key(|(s, _)| s.len());
    }
    let mut result: Vec<(f64, Box<[u8]>)> = Vec::new();
    match op {
        SetOp::Inter => {
            if let Some(((Source::Z(first, _), w0), rest)) = srcs.split_first() {
                if rest.iter().all(|(s, _)| s.len() > 0) {
                    'outer: for (s0, m) in first {
                        let mut score = weighted(*w0, *s0);
                        for (src, w) in rest {
                            match src.score(m) {
                                // Unlike the first input, later products are not cleared of NaN in Redis.
                                Some(s) => aggregate(agg, &mut score, *w * s),
                                None => continue 'outer,
                            }
                        }
                        if card {
                            result.push((0.0, Box::default()));
                            if limit > 0 && result.len() as i64 >= limit {
                                break;
                            }
                        } else {
                            result.push((score, m.clone()));
                        }
                    }
                }
            }
        }
        SetOp::Union => {
            let mut acc: ahash::AHashMap<Box<[u8]>, f64> = ahash::AHashMap::new();
            for (src, w) in &srcs {
                if let Source::Z(items, _) = src {
                    for (s, m) in items {
                        let v = weighted(*w, *s);
                        match acc.get_mut(m) {
                            Some(t) => aggregate(agg, t, v),
                            None => {
                                acc.insert(m.clone(), v);
                            }
                        }
                    }
                }
            }
            result = acc.into_iter().map(|(m, s)| (s, m)).collect();
        }
        SetOp::Diff => {
            if let Some((Source::Z(first, _), _)) = srcs.first() {
                for (s, m) in first {
                    if srcs[1..].iter().all(|(src, _)| src.score(m).is_none()) {
                        result.push((*s, m.clone()));
                    }
                }
            }
        }
    }
    if card {
        ctx.out.int(result.len() as i64);
        return Ok(());
    }
    result.sort_by(|a, b| crate::db::zset::cmp_entry(a.0, &a.1, b.0, &b.1));
    if store {
        let event = match op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        return finish_store(ctx, &args[1], result, event);
    }
    reply_results_header(ctx, result.len(), withscores);
    for (s, m) in &result {
        reply_member_score(ctx, m, *s, withscores);
    }
    Ok(())
}

fn zunion(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    setop_generic(ctx, args, false, SetOp::Union, false)
}
fn zinter(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    setop_generic(ctx, args, false, SetOp::Inter, false)
}
fn zdiff(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    setop_generic(ctx, args, false, SetOp::Diff, false)
}
fn zunionstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    setop_generic(ctx, args, true, SetOp::Union, false)
}
fn zinterstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    setop_generic(ctx, args, true, SetOp::Inter, false)
}
fn zdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    setop_generic(ctx, args, true, SetOp::Diff, false)
}
fn zintercard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    setop_generic(ctx, args, false, SetOp::Inter, true)
}
