//! DUMP and RESTORE: values serialized in Redis's RDB object format (+ RDB version + CRC64), byte-identical
//! to redis-server 7.0's payloads, so keys move between Redis and us in either direction.
use bytes::Bytes;

use super::{arg_i64, eq_ic, notify, CmdError, CmdResult, Ctx, Event, Handler, SYNTAX};
use crate::db::{Entry, NO_EXPIRE};
use crate::persist::{convert, rdb};

pub static COMMANDS: &[(&str, Handler)] = &[("dump", dump), ("restore", restore)];

fn dump(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let opts = ctx.engine().save_options();
    let payload = ctx
        .keys
        .read_entry(&args[1])
        .map(|e| convert::dump_value(&e.value, &opts));
    match payload {
        Some(p) => ctx.out.bulk(&p),
        None => ctx.out.null(),
    }
    Ok(())
}

fn restore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (i64, i64) = (-1, -1);
    let mut j = 4;
    while j < args.len() {
        let a = &args[j];
        let more = args.len() - j - 1;
        if eq_ic(a, "replace") {
            replace = true;
        } else if eq_ic(a, "absttl") {
            absttl = true;
        } else if eq_ic(a, "idletime") && more >= 1 && freq == -1 {
            idle = arg_i64(&args[j + 1])?;
            if idle < 0 {
                return Err(CmdError::new("ERR Invalid IDLETIME value, must be >= 0"));
            }
            j += 1;
        } else if eq_ic(a, "freq") && more >= 1 && idle == -1 {
            freq = arg_i64(&args[j + 1])?;
            if !(0..=255).contains(&freq) {
                return Err(CmdError::new(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let key = &args[1];
    if !replace && ctx.keys.write_entry(key).is_some() {
        return Err(CmdError::new("BUSYKEY Target key name already exists."));
    }
    let mut ttl = arg_i64(&args[2])?;
    if ttl < 0 {
        return Err(CmdError::new("ERR Invalid TTL value, must be >= 0"));
    }
    let payload = &args[3];
    let skip = ctx.engine().skip_checksum_validation;
    if !rdb::verify_dump_payload_with(payload, skip) {
        return Err(CmdError::new(
            "ERR DUMP payload version or checksum are wrong",
        ));
    }
    let value = rdb::load_dump_payload(payload).map_err(|e| {
        // rdbReportError in a RESTORE: logged at verbose level, the client gets only the error.
        tracing::debug!(
            "Internal error in RDB reading offset 0, function at rdb.c:0 -> {}",
            e.0
        );
        CmdError::new("ERR Bad data format")
    })?;
    // A replaced key's `del` event comes only if the restored key is not created (below).
    let deleted = replace && ctx.keys.delete(key, Event::NONE);
    if ttl != 0 && !absttl {
        // Redis adds in C long long; an overflow wraps into the past and the key is not created.
        ttl = ttl.wrapping_add(ctx.now);
    }
    if ttl != 0 && ttl <= ctx.now {
        if deleted {
            ctx.keys.notify(Event::DEL, key);
            ctx.rewrite(&[b"DEL", key]);
        }
        ctx.out.ok();
        return Ok(());
    }
    // LRU/LFU hints (IDLETIME, FREQ) are validated but not kept: access times are not tracked per key.
    let expire_at = if ttl != 0 { ttl } else { NO_EXPIRE };
    let value = convert::from_rdb(value, &ctx.engine().load_limits());
    ctx.keys.set_entry(
        key,
        Entry::with_expire(value, expire_at),
        Event(notify::GENERIC, "restore"),
    );
    // A relative TTL goes out as the absolute time it became, with ABSTTL appended (restoreCommand).
    if ttl != 0 && !absttl && ctx.propagating() {
        let at = ttl.to_string();
        let mut argv: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
        argv[2] = at.as_bytes();
        argv.push(b"ABSTTL");
        ctx.rewrite(&argv);
    }
    ctx.out.ok();
    Ok(())
}

/// The whole data set as an RDB file (what SYNC sends a replica, and later SAVE writes), after Redis's aux
/// fields.
pub fn rdb_snapshot(ctx: &mut Ctx, repl_id: &str, repl_offset: u64) -> Vec<u8> {
    let ctime = (ctx.now / 1000).to_string();
    let used = crate::util::alloc::allocated().to_string();
    let stream_db = ctx.client.db.to_string();
    let offset = repl_offset.to_string();
    let aux: [(&str, &[u8]); 8] = [
        ("redis-ver", super::connection::REDIS_VERSION.as_bytes()),
        ("redis-bits", b"64"),
        ("ctime", ctime.as_bytes()),
        ("used-mem", used.as_bytes()),
        ("repl-stream-db", stream_db.as_bytes()),
        ("repl-id", repl_id.as_bytes()),
        ("repl-offset", offset.as_bytes()),
        ("aof-base", b"0"),
    ];
    let now = ctx.now;
    ctx.engine().rdb_file(now, &aux)
}
