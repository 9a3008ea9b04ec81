//! Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), TTL PTTL EXPIRETIME PEXPIRETIME PERSIST.
use bytes::Bytes;

use super::{arg_i64, eq_ic, notify, CmdError, CmdResult, Ctx, Handler};
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

fn expire_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    seconds: bool,
    relative: bool,
    name: &str,
) -> CmdResult {
    let key = &args[1];
    let n = arg_i64(&args[2])?;
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for a in &args[3..] {
        if eq_ic(a, "nx") {
            nx = true;
        } else if eq_ic(a, "xx") {
            xx = true;
        } else if eq_ic(a, "gt") {
            gt = true;
        } else if eq_ic(a, "lt") {
            lt = true;
        } else {
            return Err(CmdError::from(format!(
                "ERR Unsupported option {}",
                String::from_utf8_lossy(a)
            )));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(CmdError::new(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(CmdError::new(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    let invalid = || CmdError::from(format!("ERR invalid expire time in '{name}' command"));
    let mut when = if seconds {
        n.checked_mul(1000).ok_or_else(invalid)?
    } else {
        n
    };
    if relative {
        when = when.checked_add(ctx.now).ok_or_else(invalid)?;
    }
    let Some(e) = ctx.lookup_write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let cur = e.expire_at;
    let has = cur != NO_EXPIRE;
    let ok = if nx {
        !has
    } else if xx && !(gt || lt) {
        has
    } else {
        (!xx || has) && (!gt || (has && when > cur)) && (!lt || !has || when < cur)
    };
    if !ok {
        ctx.out.int(0);
        return Ok(());
    }
    if when <= ctx.now {
        ctx.db().remove(key);
        ctx.modified(key);
        ctx.notify(notify::GENERIC, "del", key);
        ctx.propagate_deletion(key);
    } else {
        ctx.db().set_expire(key, when);
        ctx.modified(key);
        ctx.notify(notify::GENERIC, "expire", key);
        // Replicas and the AOF get the absolute time, whatever form came in.
        if name != "pexpireat" {
            let at = when.to_string();
            ctx.rewrite(&[b"PEXPIREAT", key, at.as_bytes()]);
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
    let r = match ctx.peek_read(key) {
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
        .lookup_write(key)
        .is_some_and(|e| e.expire_at != NO_EXPIRE);
    if has {
        ctx.db().set_expire(key, NO_EXPIRE);
        ctx.modified(key);
        ctx.notify(notify::GENERIC, "persist", key);
    }
    ctx.out.int(has as i64);
    Ok(())
}
