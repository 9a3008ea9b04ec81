//! String and integer commands: GET SET (all options) SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX
//! APPEND STRLEN GETRANGE SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT (bit operations and LCS live in `bits`).
use bytes::Bytes;

use super::{
    arg_i64, eq_ic, get_string, notify, CmdError, CmdResult, Ctx, Handler, NOT_INTEGER, OVERFLOW,
    SYNTAX, WRONGTYPE,
};
use crate::db::{Entry, Value, NO_EXPIRE};

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
fn check_size(ctx: &Ctx, base: usize, append: usize) -> CmdResult {
    let total = (base as u64).saturating_add(append as u64);
    if total > ctx.keys.engine_ref().config.proto_max_bulk_len.max(0) as u64 {
        return Err(CmdError::new(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

fn get(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // Written out (rather than through get_string) because GET is the hottest path: one probe, no copy.
    let Some(i) = ctx.read_index(&args[1]) else {
        ctx.out.null();
        return Ok(());
    };
    match &ctx.keys.engine().dbs[ctx.client.db].entry_at(i).value {
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
        match get_string(ctx, key)? {
            Some(v) => {
                let v = v.into_owned();
                ctx.out.bulk(&v);
            }
            None => ctx.out.null(),
        }
    }
    let found = ctx.lookup_write(key).is_some();
    if (o.nx && found) || (o.xx && !found) {
        if !o.get {
            ctx.out.null();
        }
        return Ok(());
    }
    let value = Value::string(&args[2]);
    match at {
        Some(at) => {
            ctx.db().insert_entry(key, Entry::with_expire(value, at));
        }
        None if o.keepttl => ctx.db().set_keep_ttl(key, value),
        None => {
            ctx.db().set(key, value);
        }
    }
    ctx.modified(key);
    ctx.notify(notify::STRING, "set", key);
    if let Some(at) = at {
        ctx.notify(notify::GENERIC, "expire", key);
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
    if ctx.exists(&args[1]) {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.db().set(&args[1], Value::string(&args[2]));
    ctx.modified(&args[1]);
    ctx.notify(notify::STRING, "set", &args[1]);
    ctx.out.int(1);
    Ok(())
}

fn setex_generic(ctx: &mut Ctx, args: &[Bytes], kind: ExpireKind, cmd: &str) -> CmdResult {
    let at = expire_ms(ctx.now, kind, &args[2], cmd)?;
    let key = &args[1];
    ctx.expire_if_needed(key);
    ctx.db()
        .insert_entry(key, Entry::with_expire(Value::string(&args[3]), at));
    ctx.modified(key);
    ctx.notify(notify::STRING, "set", key);
    ctx.notify(notify::GENERIC, "expire", key);
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
    match get_string(ctx, key)? {
        Some(v) => {
            let v = v.into_owned();
            ctx.out.bulk(&v)
        }
        None => ctx.out.null(),
    }
    ctx.db().set(key, Value::string(&args[2]));
    ctx.modified(key);
    ctx.notify(notify::STRING, "set", key);
    ctx.rewrite(&[b"SET", key, &args[2]]);
    Ok(())
}

fn getdel(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    match get_string(ctx, key)? {
        Some(v) => {
            let v = v.into_owned();
            ctx.out.bulk(&v);
            ctx.db().remove(key);
            ctx.modified(key);
            ctx.notify(notify::GENERIC, "del", key);
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
    let Some(v) = get_string(ctx, key)? else {
        ctx.out.null();
        return Ok(());
    };
    let v = v.into_owned();
    let at = match o.expire {
        Some((kind, i)) => Some((kind, expire_ms(ctx.now, kind, &args[i], "getex")?)),
        None => None,
    };
    ctx.out.bulk(&v);
    match at {
        // Only an absolute time can already be past (a relative one is at least now + 1).
        Some((ExpireKind::ExAt | ExpireKind::PxAt, at)) if at <= ctx.now => {
            ctx.db().remove(key);
            ctx.modified(key);
            ctx.notify(notify::GENERIC, "del", key);
            ctx.propagate_deletion(key);
        }
        Some((_, at)) => {
            ctx.db().set_expire(key, at);
            ctx.modified(key);
            ctx.notify(notify::GENERIC, "expire", key);
            let at = at.to_string();
            ctx.rewrite(&[b"PEXPIREAT", key, at.as_bytes()]);
        }
        None if o.persist && ctx.db().get(key).is_some_and(|e| e.expire_at != NO_EXPIRE) => {
            ctx.db().set_expire(key, NO_EXPIRE);
            ctx.modified(key);
            ctx.notify(notify::GENERIC, "persist", key);
            ctx.rewrite(&[b"PERSIST", key]);
        }
        None => {}
    }
    Ok(())
}

fn mget(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.out.array(args.len() - 1);
    for key in &args[1..] {
        let v = match ctx.lookup_read(key) {
            Some(e) if e.value.is_string() => e.value.as_bytes().map(|c| c.into_owned()),
            _ => None,
        };
        match v {
            Some(v) => ctx.out.bulk(&v),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn mset_pairs(ctx: &mut Ctx, args: &[Bytes]) {
    for pair in args[1..].chunks(2) {
        ctx.expire_if_needed(&pair[0]);
        ctx.db().set(&pair[0], Value::string(&pair[1]));
        ctx.modified(&pair[0]);
        ctx.notify(notify::STRING, "set", &pair[0]);
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
        if ctx.exists(&pair[0]) {
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
    let cur_len = match ctx.lookup_write(key) {
        Some(e) if !e.value.is_string() => return Err(WRONGTYPE),
        Some(e) => e.value.as_bytes().map(|b| b.len()).unwrap_or(0),
        None => {
            // Stored as SET would store it (tryObjectEncoding): an integer is int-encoded.
            ctx.db().set(key, Value::string(&args[2]));
            ctx.modified(key);
            ctx.notify(notify::STRING, "append", key);
            ctx.out.int(args[2].len() as i64);
            return Ok(());
        }
    };
    check_size(ctx, cur_len, args[2].len())?;
    let new_len = {
        let e = ctx.db().get_mut(key).ok_or(WRONGTYPE)?;
        let b = raw_mut(&mut e.value).ok_or(WRONGTYPE)?;
        b.extend_from_slice(&args[2]);
        b.len()
    };
    ctx.modified(key);
    ctx.notify(notify::STRING, "append", key);
    ctx.out.int(new_len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = get_string(ctx, &args[1])?.map(|v| v.len()).unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

fn getrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    let Some(v) = get_string(ctx, &args[1])? else {
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
    let slice = v[s as usize..=e as usize].to_vec();
    ctx.out.bulk(&slice);
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
    let exists = match ctx.lookup_write(key) {
        Some(e) if !e.value.is_string() => return Err(WRONGTYPE),
        Some(_) => true,
        None => false,
    };
    if !exists {
        if value.is_empty() {
            ctx.out.int(0);
            return Ok(());
        }
        check_size(ctx, offset, value.len())?;
        let mut b = vec![0u8; offset + value.len()];
        b[offset..].copy_from_slice(value);
        let n = b.len();
        ctx.db().set(key, Value::Raw(b));
        ctx.modified(key);
        ctx.notify(notify::STRING, "setrange", key);
        ctx.out.int(n as i64);
        return Ok(());
    }
    if value.is_empty() {
        let n = get_string(ctx, key)?.map(|v| v.len()).unwrap_or(0);
        ctx.out.int(n as i64);
        return Ok(());
    }
    check_size(ctx, offset, value.len())?;
    let n = {
        let e = ctx.db().get_mut(key).ok_or(WRONGTYPE)?;
        let b = raw_mut(&mut e.value).ok_or(WRONGTYPE)?;
        grow_zeroed(b, offset + value.len());
        b[offset..offset + value.len()].copy_from_slice(value);
        b.len()
    };
    ctx.modified(key);
    ctx.notify(notify::STRING, "setrange", key);
    ctx.out.int(n as i64);
    Ok(())
}

fn incr_by(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let cur = match ctx.lookup_write(key) {
        None => 0,
        Some(e) => match &e.value {
            Value::Int(n) => *n,
            Value::Str(s) => crate::util::num::parse_i64(s).ok_or(NOT_INTEGER)?,
            Value::Raw(s) => crate::util::num::parse_i64(s).ok_or(NOT_INTEGER)?,
            _ => return Err(WRONGTYPE),
        },
    };
    let n = cur.checked_add(by).ok_or(OVERFLOW)?;
    match ctx.db().get_mut(key) {
        Some(e) => e.value = Value::Int(n),
        None => {
            ctx.db().set(key, Value::Int(n));
        }
    }
    ctx.modified(key);
    ctx.notify(notify::STRING, "incrby", key);
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
    let cur: Vec<u8> = match ctx.lookup_write(key) {
        None => b"0".to_vec(),
        Some(e) => match e.value.as_bytes() {
            Some(b) => b.into_owned(),
            None => return Err(WRONGTYPE),
        },
    };
    let result = crate::util::ldouble::incr_by_float(&cur, &args[2])?;
    let keep = ctx.db().get(key).map(|e| e.expire_at).unwrap_or(NO_EXPIRE);
    ctx.db().insert_entry(
        key,
        Entry::with_expire(Value::Str(result.as_slice().into()), keep),
    );
    ctx.modified(key);
    ctx.notify(notify::STRING, "incrbyfloat", key);
    // The result, not the increment: float formatting must not make replicas or an AOF reload differ.
    ctx.rewrite(&[b"SET", key, &result, b"KEEPTTL"]);
    ctx.out.bulk(&result);
    Ok(())
}
