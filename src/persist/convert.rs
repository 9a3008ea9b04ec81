//! Keyspace values <-> their RDB object form: what DUMP, RESTORE, DEBUG RELOAD, a replica's snapshot and
//! (later) RDB files and loading all share.
use crate::db::hash::{self, Hash};
use crate::db::list::List;
use crate::db::set::Set;
use crate::db::zset::{self, ZSet};
use crate::db::{Db, Value, NO_EXPIRE};

use super::rdb::{self, Encoding, RdbValue, SaveOptions};

/// The encoding limits in force when values are built from their RDB form (set-max-intset-entries,
/// hash-/zset-max-listpack-*), as Redis picks encodings on load.
#[derive(Clone, Copy)]
pub struct LoadLimits {
    pub max_intset: usize,
    pub hash: hash::Limits,
    pub zset: zset::Limits,
}

/// A keyspace value in the serializer's plain form, with the encoding that decides its RDB type (what OBJECT
/// ENCODING reports: listpack/intset values are written compact, as Redis does).
pub fn to_rdb(v: &Value) -> (RdbValue, Encoding) {
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

/// Builds the keyspace value from a loaded one, picking the in-memory encoding from `lim`.
pub fn from_rdb(v: RdbValue, lim: &LoadLimits) -> Value {
    match v {
        RdbValue::Str(s) => Value::string(&s),
        RdbValue::List(items) => Value::List(Box::new(List::from_vec(items))),
        RdbValue::Set(members) => {
            let mut set = members
                .first()
                .map(|m| Set::for_member(m))
                .unwrap_or_default();
            for m in &members {
                set.add(m, lim.max_intset);
            }
            Value::Set(Box::new(set))
        }
        RdbValue::Hash(pairs) => {
            let mut h = Hash::default();
            for (f, v) in &pairs {
                h.set(f, v, lim.hash);
            }
            Value::Hash(Box::new(h))
        }
        RdbValue::ZSet(pairs) => {
            // Sorted, then compact if within the listpack limits, as Redis converts a loaded zset.
            let mut v: Vec<(f64, Box<[u8]>)> = pairs
                .into_iter()
                .map(|(m, s)| (s, m.into_boxed_slice()))
                .collect();
            v.sort_by(|a, b| zset::cmp_entry(a.0, &a.1, b.0, &b.1));
            Value::ZSet(Box::new(ZSet::from_sorted(v, lim.zset)))
        }
    }
}

/// The DUMP payload of a value.
pub fn dump_value(v: &Value, opts: &SaveOptions) -> Vec<u8> {
    let (rv, enc) = to_rdb(v);
    rdb::create_dump_payload(&rv, enc, opts)
}

/// rdbSavedObjectLen: the size of the value's RDB body (without the type byte), as DEBUG OBJECT reports
/// it in `serializedlength`.
pub fn serialized_length(v: &Value, opts: &SaveOptions) -> usize {
    let (rv, enc) = to_rdb(v);
    let mut out = Vec::new();
    rdb::write_object(&mut out, &rv, enc, opts);
    out.len().saturating_sub(1)
}

/// The whole data set as an RDB file: `aux` fields, then every live key of every database with its TTL.
pub fn rdb_file(dbs: &[Db], now: i64, opts: SaveOptions, aux: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = rdb::FileWriter::new(opts, aux);
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.select_db(i, db.len(), db.volatile_len());
        for (k, e) in db.iter() {
            if e.is_expired(now) {
                continue;
            }
            let (rv, enc) = to_rdb(&e.value);
            let at = (e.expire_at != NO_EXPIRE).then_some(e.expire_at);
            w.entry(k, &rv, enc, at);
        }
    }
    w.finish()
}
