//! Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), TTL PTTL EXPIRETIME PEXPIRETIME PERSIST.
use bytes::Bytes;

use super::{arg_i64, eq_ic, CmdError, CmdResult, Ctx, Event, Handler};
use crate::db::NO_EXPIRE;

pub static COMMANDS: &[(&str, Handler)] = &[
    ("expire", expire),
    ("pexpire", pexpire),
    ("expireat", expireat),
    ("pexpireat", pexpireat),
    ("ttl", ttl),
    ("pttl", pttl),
    ("expiretime", expiretime),
    ("pexpiretime", pexpiretime),
    ("persist", persist),
];

/// NX XX GT LT, parsed as expire.c's parseExtendedExpireArgumentsOrReply: every option first, then the
/// incompatible pairs.
#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(args: &[Bytes]) -> Result<ExpireFlags, CmdError> {
    let mut f = ExpireFlags::default();
    for a in args {
        // strcasecmp and `%s` see the argument only up to a NUL.
        let opt = super::c_string(a);
        if eq_ic(opt, "nx") {
            f.nx = true;
        } else if eq_ic(opt, "xx") {
            f.xx = true;
        } else if eq_ic(opt, "gt") {
            f.gt = true;
        } else if eq_ic(opt, "lt") {
            f.lt = true;
        } else {
            return Err(CmdError::echoing("ERR Unsupported option ", opt, ""));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(CmdError::new(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f.gt && f.lt {
        return Err(CmdError::new(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// expireGenericCommand: options, then the time (overflow of the unit conversion or of the base time is an
/// error, a negative time is not), then the key.
fn expire_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    seconds: bool,
    relative: bool,
    name: &str,
) -> CmdResult {
    let key = &args[1];
    let f = parse_expire_flags(&args[3..])?;
    let n = arg_i64(&args[2])?;
    let invalid = || CmdError::from(format!("ERR invalid expire time in '{name}' command"));
    let when = if seconds {
        n.checked_mul(1000).ok_or_else(invalid)?
    } else {
        n
    };
    let base = if relative { ctx.now } else { 0 };
    let when = when.checked_add(base).ok_or_else(invalid)?;
    let Some(e) = ctx.keys.write_entry(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let cur = (e.expire_at != NO_EXPIRE).then_some(e.expire_at);
    // As Redis: a key without a TTL has an infinite one, so GT always fails on it and LT always passes.
    let refused = (f.nx && cur.is_some())
        || (f.xx && cur.is_none())
        || (f.gt && cur.is_none_or(|c| when <= c))
        || (f.lt && cur.is_some_and(|c| when >= c));
    if refused {
        ctx.out.int(0);
        return Ok(());
    }
    if when <= ctx.now && !ctx.keys.engine().loading() {
        ctx.keys.delete(key, Event::DEL);
        ctx.propagate_deletion(key);
    } else {
        ctx.keys.set_expire(key, when, Event::EXPIRE);
        // Replicas and the AOF get the absolute time, whatever form came in; Redis rewrites only the name and
        // the time, so NX/XX/GT/LT go along as sent.
        if name != "pexpireat" && ctx.propagating() {
            let at = when.to_string();
            let mut argv: Vec<&[u8]> = vec![b"PEXPIREAT", key, at.as_bytes()];
            argv.extend(args[3..].iter().map(|a| &a[..]));
            ctx.rewrite(&argv);
        }
    }
    ctx.out.int(1);
    Ok(())
}

fn expire(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, true, true, "expire")
}
fn pexpire(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, false, true, "pexpire")
}
fn expireat(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, true, false, "expireat")
}
fn pexpireat(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, false, false, "pexpireat")
}

/// -2 missing, -1 persistent, else the value computed from the absolute expiry.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], f: impl Fn(i64, i64) -> i64) -> CmdResult {
    let now = ctx.now;
    let r = match ctx.keys.peek_entry(key) {
        None => -2,
        Some(e) if e.expire_at == NO_EXPIRE => -1,
        Some(e) => f(e.expire_at, now),
    };
    ctx.out.int(r);
    Ok(())
}

fn ttl(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // In 128 bits: an expire time near i64::MAX must not overflow (Redis replies the exact quotient there).
    ttl_generic(ctx, &args[1], |at, now| {
        ((at as i128 - now as i128).max(0) + 500).div_euclid(1000) as i64
    })
}
fn pttl(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, &args[1], |at, now| (at - now).max(0))
}
fn expiretime(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, &args[1], |at, _| ((at as i128 + 500) / 1000) as i64)
}
fn pexpiretime(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, &args[1], |at, _| at)
}

fn persist(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let has = ctx
        .keys
        .write_entry(key)
        .is_some_and(|e| e.expire_at != NO_EXPIRE);
    if has {
        ctx.keys.set_expire(key, NO_EXPIRE, Event::PERSIST);
    }
    ctx.out.int(has as i64);
    Ok(())
}
