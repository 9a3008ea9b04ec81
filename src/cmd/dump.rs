//! DUMP and RESTORE: values serialized in Redis's RDB object format (+ RDB version + CRC64), byte-identical
//! to redis-server 7.0's payloads, so keys move between Redis and us in either direction.
use bytes::Bytes;

use super::{arg_i64, eq_ic, notify, CmdError, CmdResult, Ctx, Handler, SYNTAX};
use crate::db::{Entry, Value, NO_EXPIRE};
use crate::persist::rdb::{self, Encoding, RdbValue, SaveOptions};

pub static COMMANDS: &[(&str, Handler)] = &[("dump", dump), ("restore", restore)];

/// The save settings in force (rdbcompression, list-max-listpack-size).
fn save_options(ctx: &Ctx) -> SaveOptions {
    let cfg = &ctx.keys.engine_ref().config;
    SaveOptions {
        compression: cfg.get("rdbcompression").map(|v| v != "no").unwrap_or(true),
        list_max_listpack_size: cfg
            .get("list-max-listpack-size")
            .and_then(|v| v.parse().ok())
            .unwrap_or(-2),
    }
}

/// A keyspace value in the serializer's plain form, with the encoding that decides its RDB type (what OBJECT
/// ENCODING reports: listpack/intset values are written compact, as Redis does).
fn to_rdb(v: &Value) -> (RdbValue, Encoding) {
    let enc_of = |name: &str| {
        if matches!(name, "listpack" | "intset" | "ziplist") {
            Encoding::Compact
        } else {
            Encoding::Full
        }
    };
    match v {
        Value::Str(_) | Value::Int(_) | Value::Raw(_) => (
            RdbValue::Str(v.as_bytes().map(|b| b.into_owned()).unwrap_or_default()),
            Encoding::Full,
        ),
        Value::List(l) => (RdbValue::List(l.to_vec()), Encoding::Compact),
        Value::Hash(h) => (
            RdbValue::Hash(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()),
            enc_of(h.encoding()),
        ),
        Value::Set(s) => (
            RdbValue::Set(s.iter().map(|m| m.to_vec()).collect()),
            enc_of(s.encoding()),
        ),
        Value::ZSet(z) => (
            RdbValue::ZSet({
                let mut v = Vec::with_capacity(z.len());
                z.for_each(|m, s| v.push((m.to_vec(), s)));
                v
            }),
            enc_of(z.encoding()),
        ),
    }
}

/// Builds the keyspace value from a restored one, picking the in-memory encoding from the current
/// *-max-listpack-* / set-max-intset-entries settings as Redis does on load.
fn from_rdb(ctx: &Ctx, v: RdbValue) -> Value {
    match v {
        RdbValue::Str(s) => Value::string(&s),
        RdbValue::List(items) => Value::List(Box::new(crate::db::list::List::from_vec(items))),
        RdbValue::Set(members) => {
            let max = ctx.keys.engine_ref().set_max_intset();
            let mut set = members
                .first()
                .map(|m| crate::db::set::Set::for_member(m))
                .unwrap_or_default();
            for m in &members {
                set.add(m, max);
            }
            Value::Set(Box::new(set))
        }
        RdbValue::Hash(pairs) => {
            let lim = ctx.keys.engine_ref().hash_limits();
            let mut h = crate::db::hash::Hash::default();
            for (f, v) in &pairs {
                h.set(f, v, lim);
            }
            Value::Hash(Box::new(h))
        }
        RdbValue::ZSet(pairs) => {
            // Sorted, then compact if within the listpack limits, as Redis converts a loaded zset.
            let mut v: Vec<(f64, Box<[u8]>)> = pairs
                .into_iter()
                .map(|(m, s)| (s, m.into_boxed_slice()))
                .collect();
            v.sort_by(|a, b| crate::db::zset::cmp_entry(a.0, &a.1, b.0, &b.1));
            let lim = ctx.keys.engine_ref().zset_limits();
            Value::ZSet(Box::new(crate::db::zset::ZSet::from_sorted(v, lim)))
        }
    }
}

/// The DUMP payload of a value with the current settings.
pub fn dump_value(ctx: &Ctx, v: &Value) -> Vec<u8> {
    let (rv, enc) = to_rdb(v);
    rdb::create_dump_payload(&rv, enc, &save_options(ctx))
}

/// rdbSavedObjectLen: the size of the value's RDB body (without the type byte), as DEBUG OBJECT reports
/// it in `serializedlength`.
pub fn serialized_length(v: &Value, opts: &SaveOptions) -> usize {
    let (rv, enc) = to_rdb(v);
    let mut out = Vec::new();
    rdb::write_object(&mut out, &rv, enc, opts);
    out.len().saturating_sub(1)
}

/// The save settings in force, for callers outside this module.
pub fn current_save_options(ctx: &Ctx) -> SaveOptions {
    save_options(ctx)
}

fn dump(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let opts = save_options(ctx);
    let payload = match ctx.lookup_read(&args[1]) {
        None => None,
        Some(e) => {
            let (rv, enc) = to_rdb(&e.value);
            Some(rdb::create_dump_payload(&rv, enc, &opts))
        }
    };
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
    if !replace && ctx.lookup_write(key).is_some() {
        return Err(CmdError::new("BUSYKEY Target key name already exists."));
    }
    let mut ttl = arg_i64(&args[2])?;
    if ttl < 0 {
        return Err(CmdError::new("ERR Invalid TTL value, must be >= 0"));
    }
    let payload = &args[3];
    if !rdb::verify_dump_payload(payload) {
        return Err(CmdError::new(
            "ERR DUMP payload version or checksum are wrong",
        ));
    }
    let value =
        rdb::load_dump_payload(payload).map_err(|_| CmdError::new("ERR Bad data format"))?;
    let deleted = replace && ctx.delete(key);
    if ttl != 0 && !absttl {
        // Redis adds in C long long; an overflow wraps into the past and the key is not created.
        ttl = ttl.wrapping_add(ctx.now);
    }
    if ttl != 0 && ttl <= ctx.now {
        if deleted {
            ctx.notify(notify::GENERIC, "del", key);
        }
        ctx.out.ok();
        return Ok(());
    }
    // LRU/LFU hints (IDLETIME, FREQ) are validated but not kept: access times are not tracked per key.
    let expire_at = if ttl != 0 { ttl } else { NO_EXPIRE };
    let value = from_rdb(ctx, value);
    ctx.db()
        .insert_entry(key, Entry::with_expire(value, expire_at));
    ctx.modified(key);
    ctx.notify(notify::GENERIC, "restore", key);
    ctx.out.ok();
    Ok(())
}

/// DEBUG RELOAD's round trip, until RDB files land: every live key of every database is written in its RDB
/// object form and loaded back, so encodings are chosen afresh from the settings as a load does, and keys
/// already expired are dropped as a master's load drops them. Returns false (nothing changed) if a value
/// fails to load back, which would be a serializer bug.
pub fn reload_dataset(ctx: &mut Ctx) -> bool {
    let opts = save_options(ctx);
    let mut rebuilt = Vec::with_capacity(ctx.keys.engine().dbs.len());
    for db in &ctx.keys.engine().dbs {
        let mut entries = Vec::with_capacity(db.len());
        for (k, e) in db.iter() {
            if e.is_expired(ctx.now) {
                continue;
            }
            let (rv, enc) = to_rdb(&e.value);
            let mut body = Vec::new();
            rdb::write_object(&mut body, &rv, enc, &opts);
            match rdb::Reader::new(&body).read_object() {
                Ok(v) => entries.push((k.clone(), v, e.expire_at)),
                Err(_) => return false,
            }
        }
        rebuilt.push(entries);
    }
    for (i, entries) in rebuilt.into_iter().enumerate() {
        let mut db = crate::db::Db::default();
        for (k, v, at) in entries {
            let value = from_rdb(ctx, v);
            db.insert_entry(&k, Entry::with_expire(value, at));
        }
        ctx.keys.engine().dbs[i] = db;
    }
    true
}

/// The whole data set as an RDB file (what SYNC sends a replica, and later SAVE writes): every live key of every
/// database with its TTL, after Redis's aux fields.
pub fn rdb_snapshot(ctx: &Ctx, repl_id: &str, repl_offset: u64) -> Vec<u8> {
    let opts = save_options(ctx);
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
    let mut w = rdb::FileWriter::new(opts, &aux);
    for (i, db) in ctx.keys.engine_ref().dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.select_db(i, db.len(), db.volatile_len());
        for (k, e) in db.iter() {
            if e.is_expired(ctx.now) {
                continue;
            }
            let (rv, enc) = to_rdb(&e.value);
            let at = (e.expire_at != crate::db::NO_EXPIRE).then_some(e.expire_at);
            w.entry(k, &rv, enc, at);
        }
    }
    w.finish()
}
