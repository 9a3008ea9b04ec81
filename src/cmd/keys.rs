//! Generic key commands: DEL UNLINK EXISTS TYPE KEYS SCAN RANDOMKEY RENAME RENAMENX COPY MOVE TOUCH, and OBJECT.
use bytes::Bytes;

use super::args::{parse_cursor, parse_scan_opts};
use super::{eq_ic, notify, CmdError, CmdResult, Ctx, Event, Handler, NO_SUCH_KEY, SYNTAX};
use crate::db::Entry;
use crate::util::glob::glob_match;

pub static COMMANDS: &[(&str, Handler)] = &[
    ("del", del),
    ("unlink", del),
    ("exists", exists),
    ("type", type_cmd),
    ("keys", keys),
    ("scan", scan),
    ("randomkey", randomkey),
    ("rename", rename),
    ("renamenx", renamenx),
    ("copy", copy),
    ("move", move_cmd),
    ("touch", touch),
    ("object|encoding", object_encoding),
    ("object|refcount", object_refcount),
    ("object|idletime", object_idletime),
    ("object|freq", object_freq),
    ("object|help", object_help),
];

fn del(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut n = 0;
    for key in &args[1..] {
        if ctx.keys.delete(key, Event::DEL) {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn exists(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut n = 0;
    for key in &args[1..] {
        if ctx.keys.peek_entry(key).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn touch(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut n = 0;
    for key in &args[1..] {
        if ctx.keys.read_entry(key).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn type_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let t = ctx
        .keys
        .peek_entry(&args[1])
        .map(|e| e.value.type_name())
        .unwrap_or("none");
    ctx.out.simple(t);
    Ok(())
}

fn keys(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let pat = &args[1];
    let all = pat.as_ref() == b"*";
    let now = ctx.now;
    let found: Vec<Box<[u8]>> = ctx
        .keys
        .view()
        .iter()
        .filter(|(k, e)| !e.is_expired(now) && (all || glob_match(pat, k, false)))
        .map(|(k, _)| k.clone())
        .collect();
    ctx.out.array(found.len());
    for k in found {
        ctx.out.bulk(&k);
    }
    Ok(())
}

fn scan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[1])?;
    let o = parse_scan_opts(&args[2..], true)?;
    let now = ctx.now;
    let mut found: Vec<Box<[u8]>> = Vec::new();
    let mut expired: Vec<Box<[u8]>> = Vec::new();
    let next = ctx.keys.view().scan(cursor, o.count, |k, e| {
        if e.is_expired(now) {
            expired.push(k.clone());
            return;
        }
        if let Some(p) = &o.pattern {
            if !(p.as_ref() == b"*" || glob_match(p, k, false)) {
                return;
            }
        }
        if let Some(t) = &o.type_name {
            if e.value.type_name() != t {
                return;
            }
        }
        found.push(k.clone());
    });
    for k in expired {
        ctx.keys.expire_if_needed(&k);
    }
    ctx.out.array(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.array(found.len());
    for k in found {
        ctx.out.bulk(&k);
    }
    Ok(())
}

fn randomkey(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    for _ in 0..100 {
        match ctx.keys.random_key() {
            None => break,
            Some((k, true)) => {
                ctx.keys.expire_if_needed(&k);
            }
            Some((k, false)) => {
                ctx.out.bulk(&k);
                return Ok(());
            }
        }
    }
    ctx.out.null();
    Ok(())
}

fn rename_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool) -> CmdResult {
    let (src, dst) = (&args[1], &args[2]);
    if ctx.keys.write_entry(src).is_none() {
        return Err(NO_SUCH_KEY);
    }
    if src == dst {
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    let dst_exists = ctx.keys.exists(dst);
    if nx && dst_exists {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(entry) = ctx.keys.take(src, Event::NONE) else {
        return Err(NO_SUCH_KEY);
    };
    ctx.keys.set_entry(dst, entry, Event::NONE);
    ctx.keys.notify(Event(notify::GENERIC, "rename_from"), src);
    ctx.keys.notify(Event(notify::GENERIC, "rename_to"), dst);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn rename(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    rename_generic(ctx, args, true)
}

fn copy(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (src, dst) = (&args[1], &args[2]);
    let mut dbid = ctx.client.db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if eq_ic(&args[i], "replace") {
            replace = true;
        } else if eq_ic(&args[i], "db") && i + 1 < args.len() {
            dbid = super::connection::db_index(ctx, &args[i + 1], None)?;
            i += 1;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    if src == dst && dbid == ctx.client.db {
        return Err(CmdError::new(
            "ERR source and destination objects are the same",
        ));
    }
    let Some(e) = ctx.keys.read_entry(src) else {
        ctx.out.int(0);
        return Ok(());
    };
    let copy = Entry::with_expire(e.value.clone(), e.expire_at);
    let copied = ctx.keys.with_db(dbid, |keys| {
        if keys.exists(dst) && !replace {
            return false;
        }
        keys.set_entry(dst, copy, Event(notify::GENERIC, "copy_to"));
        true
    });
    ctx.out.int(copied as i64);
    Ok(())
}

fn move_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let dbid = super::connection::db_index(ctx, &args[2], None)?;
    if dbid == ctx.client.db {
        return Err(CmdError::new(
            "ERR source and destination objects are the same",
        ));
    }
    if ctx.keys.write_entry(key).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    if ctx.keys.with_db(dbid, |keys| keys.exists(key)) {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(e) = ctx.keys.take(key, Event::NONE) else {
        ctx.out.int(0);
        return Ok(());
    };
    ctx.keys
        .with_db(dbid, |keys| keys.set_entry(key, e, Event::NONE));
    ctx.keys.notify(Event(notify::GENERIC, "move_from"), key);
    ctx.keys.with_db(dbid, |keys| {
        keys.notify(Event(notify::GENERIC, "move_to"), key)
    });
    ctx.out.int(1);
    Ok(())
}

fn object_encoding(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match ctx.keys.peek_entry(&args[2]) {
        Some(e) => {
            let enc = e.value.encoding();
            ctx.out.bulk(enc.as_bytes());
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_refcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match ctx.keys.peek_entry(&args[2]) {
        Some(e) => {
            // Redis shares the objects of small integers (0..9999), reporting them as immortal.
            let shared = matches!(e.value, crate::db::Value::Int(n) if (0..10000).contains(&n));
            ctx.out.int(if shared { i32::MAX as i64 } else { 1 });
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match ctx.keys.peek_entry(&args[2]) {
        Some(e) => {
            let idle = e.idle_secs();
            ctx.out.int(idle as i64);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_freq(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if ctx.keys.peek_entry(&args[2]).is_none() {
        ctx.out.null();
        return Ok(());
    }
    let policy = ctx
        .keys
        .engine()
        .config
        .get("maxmemory-policy")
        .unwrap_or("")
        .to_string();
    if !policy.contains("lfu") {
        return Err(CmdError::new("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    }
    ctx.out.int(0);
    Ok(())
}

fn object_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    super::connection::help_reply(
        ctx,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    Ok(())
}
