//! String and integer commands: GET SET (all options) SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX
//! APPEND STRLEN GETRANGE SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT (bit operations and LCS live in `bits`).
use bytes::Bytes;

use super::{
    arg_i64, eq_ic, notify, CmdError, CmdResult, Ctx, Event, Handler, NOT_INTEGER, OVERFLOW,
    SYNTAX, WRONGTYPE,
};
use crate::db::{Entry, Value, NO_EXPIRE};

const APPEND: Event = Event(notify::STRING, "append");
const SETRANGE: Event = Event(notify::STRING, "setrange");
const INCRBY: Event = Event(notify::STRING, "incrby");
const INCRBYFLOAT: Event = Event(notify::STRING, "incrbyfloat");

pub static COMMANDS: &[(&str, Handler)] = &[
    ("get", get),
    ("set", set),
    ("setnx", setnx),
    ("setex", setex),
    ("psetex", psetex),
    ("getset", getset),
    ("getdel", getdel),
    ("getex", getex),
    ("mget", mget),
    ("mset", mset),
    ("msetnx", msetnx),
    ("append", append),
    ("strlen", strlen),
    ("getrange", getrange),
    ("substr", getrange),
    ("setrange", setrange),
    ("incr", incr),
    ("decr", decr),
    ("incrby", incrby),
    ("decrby", decrby),
    ("incrbyfloat", incrbyfloat),
];

/// Largest string Redis lets APPEND / SETRANGE build (proto-max-bulk-len).
fn max_string(ctx: &Ctx) -> u64 {
    ctx.keys.engine_ref().config.proto_max_bulk_len.max(0) as u64
}

fn check_size(limit: u64, base: usize, append: usize) -> CmdResult {
    let total = (base as u64).saturating_add(append as u64);
    if total > limit {
        return Err(CmdError::new(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

fn get(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // Written out (rather than through read_string) because GET is the hottest path: one probe, no copy.
    let Some(e) = ctx.keys.read_entry(&args[1]) else {
        ctx.out.null();
        return Ok(());
    };
    match &e.value {
        Value::Str(s) => ctx.out.bulk(s),
        Value::Raw(s) => ctx.out.bulk(s),
        Value::Int(n) => ctx.out.bulk_int(*n),
        _ => return Err(WRONGTYPE),
    }
    Ok(())
}

/// The unit and base of an EX/PX/EXAT/PXAT argument.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// SET / GETEX options as Redis's parseExtendedStringArgumentsOrReply collects them: flags accumulate, so a
/// repeated option is accepted and the last expire argument wins; only conflicting options are refused.
#[derive(Default)]
struct StringOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    /// The expire option and the index of its (not yet parsed) value: Redis reads the number later.
    expire: Option<(ExpireKind, usize)>,
}

/// Parses options from `args[first..]`; `set` selects SET's (NX XX GET KEEPTTL) or GETEX's (PERSIST) set.
fn parse_string_opts(args: &[Bytes], first: usize, set: bool) -> Result<StringOpts, CmdError> {
    let mut o = StringOpts::default();
    let mut j = first;
    while j < args.len() {
        let opt = super::c_string(&args[j]);
        let has_next = j + 1 < args.len();
        let kind = o.expire.map(|(k, _)| k);
        // An expire option conflicts with KEEPTTL, PERSIST and any other expire kind, not with itself.
        let expire_ok = |k: ExpireKind| !o.keepttl && !o.persist && kind.is_none_or(|x| x == k);
        let as_expire = if eq_ic(opt, "ex") {
            Some(ExpireKind::Ex)
        } else if eq_ic(opt, "px") {
            Some(ExpireKind::Px)
        } else if eq_ic(opt, "exat") {
            Some(ExpireKind::ExAt)
        } else if eq_ic(opt, "pxat") {
            Some(ExpireKind::PxAt)
        } else {
            None
        };
        if set && eq_ic(opt, "nx") && !o.xx {
            o.nx = true;
        } else if set && eq_ic(opt, "xx") && !o.nx {
            o.xx = true;
        } else if set && eq_ic(opt, "get") {
            o.get = true;
        } else if set && eq_ic(opt, "keepttl") && !o.persist && kind.is_none() {
            o.keepttl = true;
        } else if !set && eq_ic(opt, "persist") && kind.is_none() && !o.keepttl {
            o.persist = true;
        } else if let Some(k) = as_expire.filter(|&k| expire_ok(k) && has_next) {
            o.expire = Some((k, j + 1));
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    Ok(o)
}

/// The absolute Unix ms time of an expire argument, with getExpireMillisecondsOrReply's checks and texts.
fn expire_ms(now: i64, kind: ExpireKind, v: &[u8], cmd: &str) -> Result<i64, CmdError> {
    let n = arg_i64(v)?;
    let invalid = || CmdError::from(format!("ERR invalid expire time in '{cmd}' command"));
    let seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let ms = if seconds { n * 1000 } else { n };
    match kind {
        ExpireKind::Ex | ExpireKind::Px => ms.checked_add(now).ok_or_else(invalid),
        ExpireKind::ExAt | ExpireKind::PxAt => Ok(ms),
    }
}

fn set(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let o = parse_string_opts(args, 3, true)?;
    // The time is read before anything else is looked at, as setGenericCommand does.
    let at = match o.expire {
        Some((kind, i)) => Some(expire_ms(ctx.now, kind, &args[i], "set")?),
        None => None,
    };
    let key = &args[1];
    if o.get {
        match ctx.keys.read_string(key)? {
            Some(v) => ctx.out.bulk(&v),
            None => ctx.out.null(),
        }
    }
    if o.nx || o.xx {
        let found = ctx.keys.exists(key);
        if (o.nx && found) || (o.xx && !found) {
            if !o.get {
                ctx.out.null();
            }
            return Ok(());
        }
    }
    let value = Value::string(&args[2]);
    match at {
        Some(at) => {
            ctx.keys
                .set_entry(key, Entry::with_expire(value, at), Event::SET);
        }
        None if o.keepttl => ctx.keys.set_keep_ttl(key, value, Event::SET),
        None => {
            ctx.keys.set(key, value, Event::SET);
        }
    }
    if let Some(at) = at {
        ctx.keys.notify(Event::EXPIRE, key);
        // Propagated as exactly SET key value PXAT ms (setGenericCommand), whatever the options were.
        propagate_set_pxat(ctx, key, &args[2], at);
    } else if o.get && ctx.keys.engine().journal.is_active() {
        // Without an expire, propagated as sent less every GET (compared as a C string).
        let kept: Vec<&[u8]> = args
            .iter()
            .enumerate()
            .filter(|(j, a)| *j < 3 || !eq_ic(super::c_string(a), "get"))
            .map(|(_, a)| &a[..])
            .collect();
        ctx.rewrite(&kept);
    }
    if !o.get {
        ctx.out.ok();
    }
    Ok(())
}

/// `SET key value PXAT ms`: how SET with a relative or seconds expire, SETEX and PSETEX propagate.
fn propagate_set_pxat(ctx: &mut Ctx, key: &[u8], value: &[u8], at: i64) {
    let at = at.to_string();
    ctx.rewrite(&[b"SET", key, value, b"PXAT", at.as_bytes()]);
}

fn setnx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if ctx.keys.exists(&args[1]) {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.keys.set(&args[1], Value::string(&args[2]), Event::SET);
    ctx.out.int(1);
    Ok(())
}

fn setex_generic(ctx: &mut Ctx, args: &[Bytes], kind: ExpireKind, cmd: &str) -> CmdResult {
    let at = expire_ms(ctx.now, kind, &args[2], cmd)?;
    let key = &args[1];
    let entry = Entry::with_expire(Value::string(&args[3]), at);
    ctx.keys.set_entry(key, entry, Event::SET);
    ctx.keys.notify(Event::EXPIRE, key);
    propagate_set_pxat(ctx, key, &args[3], at);
    ctx.out.ok();
    Ok(())
}

fn setex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    setex_generic(ctx, args, ExpireKind::Ex, "setex")
}

fn psetex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    setex_generic(ctx, args, ExpireKind::Px, "psetex")
}

fn getset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    match ctx.keys.read_string(key)? {
        Some(v) => ctx.out.bulk(&v),
        None => ctx.out.null(),
    }
    ctx.keys.set(key, Value::string(&args[2]), Event::SET);
    ctx.rewrite(&[b"SET", key, &args[2]]);
    Ok(())
}

fn getdel(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    match ctx.keys.read_string(key)? {
        Some(v) => {
            ctx.out.bulk(&v);
            ctx.keys.delete(key, Event::DEL);
            let del = ctx.engine().user_deletion_command();
            ctx.rewrite(&[del, key]);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn getex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let o = parse_string_opts(args, 2, false)?;
    // getexCommand looks the key up and checks its type before it reads the time.
    let now = ctx.now;
    let Some(v) = ctx.keys.read_string(key)? else {
        ctx.out.null();
        return Ok(());
    };
    let at = match o.expire {
        Some((kind, i)) => Some((kind, expire_ms(now, kind, &args[i], "getex")?)),
        None => None,
    };
    ctx.out.bulk(&v);
    match at {
        // Only an absolute time can already be past (a relative one is at least now + 1).
        Some((ExpireKind::ExAt | ExpireKind::PxAt, at))
            if at <= ctx.now && !ctx.keys.engine().loading() =>
        {
            ctx.keys.delete(key, Event::DEL);
            ctx.propagate_deletion(key);
        }
        Some((_, at)) => {
            ctx.keys.set_expire(key, at, Event::EXPIRE);
            let at = at.to_string();
            ctx.rewrite(&[b"PEXPIREAT", key, at.as_bytes()]);
        }
        None if o.persist && ctx.keys.has_ttl(key) => {
            ctx.keys.set_expire(key, NO_EXPIRE, Event::PERSIST);
            ctx.rewrite(&[b"PERSIST", key]);
        }
        None => {}
    }
    Ok(())
}

fn mget(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.out.array(args.len() - 1);
    for key in &args[1..] {
        match ctx.keys.read_entry(key).and_then(|e| e.value.as_bytes()) {
            Some(v) => ctx.out.bulk(&v),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn mset_pairs(ctx: &mut Ctx, args: &[Bytes]) {
    for pair in args[1..].chunks(2) {
        ctx.keys.set(&pair[0], Value::string(&pair[1]), Event::SET);
    }
}

fn mset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(super::arity_error("mset"));
    }
    mset_pairs(ctx, args);
    ctx.out.ok();
    Ok(())
}

fn msetnx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(super::arity_error("msetnx"));
    }
    for pair in args[1..].chunks(2) {
        if ctx.keys.exists(&pair[0]) {
            ctx.out.int(0);
            return Ok(());
        }
    }
    mset_pairs(ctx, args);
    ctx.out.int(1);
    Ok(())
}

/// Turns a string entry into an in-place editable buffer (what Redis calls a raw sds).
pub(crate) fn raw_mut(v: &mut Value) -> Option<&mut Vec<u8>> {
    let bytes = match v {
        Value::Raw(_) => None,
        Value::Str(s) => Some(s.to_vec()),
        Value::Int(n) => Some(crate::util::num::fmt_i64(*n)),
        _ => return None,
    };
    if let Some(b) = bytes {
        *v = Value::Raw(b);
    }
    match v {
        Value::Raw(b) => Some(b),
        _ => None,
    }
}

/// Extends `b` with zeros to `len` bytes. A fresh zeroed allocation (calloc: pages the kernel zeroes lazily)
/// plus one copy, because `resize` writes the zeros byte by byte in a debug build: seconds for the 512 MB a
/// SETBIT or SETRANGE at the largest offset asks for.
pub(crate) fn grow_zeroed(b: &mut Vec<u8>, len: usize) {
    if len <= b.len() {
        return;
    }
    let mut grown = vec![0u8; len];
    grown[..b.len()].copy_from_slice(b);
    *b = grown;
}

fn append(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let limit = max_string(ctx);
    let Some(e) = ctx.keys.write_entry(key) else {
        // Stored as SET would store it (tryObjectEncoding): an integer is int-encoded.
        ctx.keys.set(key, Value::string(&args[2]), APPEND);
        ctx.out.int(args[2].len() as i64);
        return Ok(());
    };
    let cur_len = e.value.string_len().ok_or(WRONGTYPE)?;
    check_size(limit, cur_len, args[2].len())?;
    let b = raw_mut(&mut e.value).ok_or(WRONGTYPE)?;
    b.extend_from_slice(&args[2]);
    let new_len = b.len();
    ctx.keys.changed_string(key, APPEND);
    ctx.out.int(new_len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = match ctx.keys.read_entry(&args[1]) {
        Some(e) => e.value.string_len().ok_or(WRONGTYPE)?,
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

fn getrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    let Some(v) = ctx.keys.read_string(&args[1])? else {
        ctx.out.bulk(b"");
        return Ok(());
    };
    let len = v.len() as i64;
    // Redis: a negative start beyond a negative end is empty before any clamping.
    if start < 0 && end < 0 && start > end {
        ctx.out.bulk(b"");
        return Ok(());
    }
    let mut s = if start < 0 { len + start } else { start };
    let mut e = if end < 0 { len + end } else { end };
    if s < 0 {
        s = 0;
    }
    if e < 0 {
        e = 0;
    }
    if e >= len {
        e = len - 1;
    }
    if s > e || len == 0 {
        ctx.out.bulk(b"");
        return Ok(());
    }
    ctx.out.bulk(&v[s as usize..=e as usize]);
    Ok(())
}

fn setrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let offset = arg_i64(&args[2])?;
    if offset < 0 {
        return Err(CmdError::new("ERR offset is out of range"));
    }
    let value = &args[3];
    let offset = offset as usize;
    let limit = max_string(ctx);
    let Some(e) = ctx.keys.write_entry(key) else {
        if value.is_empty() {
            ctx.out.int(0);
            return Ok(());
        }
        check_size(limit, offset, value.len())?;
        let mut b = vec![0u8; offset + value.len()];
        b[offset..].copy_from_slice(value);
        let n = b.len();
        ctx.keys.set(key, Value::Raw(b), SETRANGE);
        ctx.out.int(n as i64);
        return Ok(());
    };
    let len = e.value.string_len().ok_or(WRONGTYPE)?;
    if value.is_empty() {
        ctx.out.int(len as i64);
        return Ok(());
    }
    check_size(limit, offset, value.len())?;
    let b = raw_mut(&mut e.value).ok_or(WRONGTYPE)?;
    grow_zeroed(b, offset + value.len());
    b[offset..offset + value.len()].copy_from_slice(value);
    let n = b.len();
    ctx.keys.changed_string(key, SETRANGE);
    ctx.out.int(n as i64);
    Ok(())
}

fn incr_by(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let n = match ctx.keys.write_entry(key) {
        None => {
            ctx.keys.set(key, Value::Int(by), INCRBY);
            by
        }
        Some(e) => {
            let cur = match &e.value {
                Value::Int(n) => *n,
                Value::Str(s) => crate::util::num::parse_i64(s).ok_or(NOT_INTEGER)?,
                Value::Raw(s) => crate::util::num::parse_i64(s).ok_or(NOT_INTEGER)?,
                _ => return Err(WRONGTYPE),
            };
            let n = cur.checked_add(by).ok_or(OVERFLOW)?;
            e.value = Value::Int(n);
            ctx.keys.changed_string(key, INCRBY);
            n
        }
    };
    ctx.out.int(n);
    Ok(())
}

fn incr(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    incr_by(ctx, &args[1], 1)
}

fn decr(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    incr_by(ctx, &args[1], -1)
}

fn incrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let by = arg_i64(&args[2])?;
    incr_by(ctx, &args[1], by)
}

fn decrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let by = arg_i64(&args[2])?;
    if by == i64::MIN {
        return Err(CmdError::new("ERR decrement would overflow"));
    }
    incr_by(ctx, &args[1], -by)
}

fn incrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let result = match ctx.keys.write_entry(key) {
        None => crate::util::ldouble::incr_by_float(b"0", &args[2])?,
        Some(e) => {
            let cur = e.value.as_bytes().ok_or(WRONGTYPE)?;
            crate::util::ldouble::incr_by_float(&cur, &args[2])?
        }
    };
    ctx.keys
        .set_keep_ttl(key, Value::Str(result.as_slice().into()), INCRBYFLOAT);
    // The result, not the increment: float formatting must not make replicas or an AOF reload differ.
    ctx.rewrite(&[b"SET", key, &result, b"KEEPTTL"]);
    ctx.out.bulk(&result);
    Ok(())
}
