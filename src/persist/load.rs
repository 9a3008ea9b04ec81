//! Loading a whole RDB file into fresh databases (rdbLoadRioWithLoadingCtx of Redis 7.0): the header, the
//! opcodes (aux fields, database selection, expire times, LRU/LFU hints), every key, the trailing CRC64.
//! Works on the file's bytes and returns the databases, so the caller swaps them in only when all loaded.
use std::fmt;
use std::path::Path;
use std::time::Instant;

use super::convert::{from_rdb, LoadLimits};
use super::rdb::{self, RdbError, Reader};
use crate::db::{Db, Entry, LRU_CLOCK_MAX, NO_EXPIRE};

/// Value types Redis 7.0 writes that this server has no values for (rdb.h).
const TYPE_MODULE_PRE_GA: u8 = 6;
const TYPE_MODULE_2: u8 = 7;
const TYPE_STREAM_LISTPACKS: u8 = 15;
const TYPE_STREAM_LISTPACKS_2: u8 = 19;
/// Redis 7.2's: unknown to 7.0, refused here all the same.
const TYPE_STREAM_LISTPACKS_3: u8 = 21;

/// The settings a load depends on.
#[derive(Clone)]
pub struct LoadOptions {
    /// `databases`: a SELECTDB at or beyond it is fatal.
    pub databases: usize,
    pub limits: LoadLimits,
    /// Keys whose expire time is before this (Unix ms) are dropped: we are always a master.
    pub now_ms: i64,
    /// `rdbchecksum`: verify the CRC64 (unless the file says 0, "saved with checksum disabled").
    pub checksum: bool,
    /// The LRU clock the IDLE hints count back from; `None` under an LFU policy (Redis then keeps FREQ).
    pub lru_clock: Option<u32>,
    /// Bytes read so far, added to as the load goes (INFO loading_loaded_bytes while the server loads).
    pub progress: Progress,
    /// `loading-process-events-interval-bytes`: the progress is reported each time the reading crosses a
    /// multiple of it (rdbLoadProgressCallback).
    pub progress_interval: usize,
    /// `key-load-delay` (a test knob): microseconds to wait after each key, as `debug_delay` takes it.
    pub key_load_delay: i64,
}

/// Redis's debugDelay: sleeps `usec` microseconds; a negative value sleeps one microsecond once in `-usec`
/// calls (short waits without a system call each time).
pub fn debug_delay(usec: i64) {
    let usec = if usec < 0 {
        use rand::Rng;
        (rand::thread_rng().gen_range(0..usec.unsigned_abs()) == 0) as u64
    } else {
        usec as u64
    };
    if usec > 0 {
        std::thread::sleep(std::time::Duration::from_micros(usec));
    }
}

/// A load's progress in bytes, read and total, shared with the store that answers INFO meanwhile
/// (startLoading's total, loadingIncrProgress).
#[derive(Clone, Default, Debug)]
pub struct Progress(std::sync::Arc<[std::sync::atomic::AtomicU64; 2]>);

impl Progress {
    /// A new load of `total` bytes (the AOF's loader sets it again once it has read the manifest).
    pub fn start(&self, total: u64) {
        self.0[0].store(0, std::sync::atomic::Ordering::Relaxed);
        self.0[1].store(total, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn set_total(&self, total: u64) {
        self.0[1].store(total, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn add(&self, bytes: usize) {
        self.0[0].fetch_add(bytes as u64, std::sync::atomic::Ordering::Relaxed);
    }

    /// (loaded, total) bytes.
    pub fn get(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.0[0].load(Relaxed), self.0[1].load(Relaxed))
    }
}

/// What a successful load produced (INFO persistence reports the counts).
pub struct Loaded {
    pub dbs: Vec<Db>,
    pub keys_loaded: u64,
    pub keys_expired: u64,
    pub empty_keys_skipped: u64,
    /// Bytes of the input the file took, checksum included (an AOF's RDB preamble is followed by commands).
    pub consumed: usize,
}

/// The counters of the last load (rdb_last_load_keys_loaded / _expired).
#[derive(Default, Debug, Clone, Copy)]
pub struct LoadCounts {
    pub keys_loaded: u64,
    pub keys_expired: u64,
}

/// Why a file did not load. Each kind is logged as Redis logs it before refusing to start.
#[derive(Debug)]
pub enum LoadError {
    /// Not an RDB file, or a version we cannot read (Redis: errno EINVAL, "Fatal error loading the DB").
    Format(String),
    /// The file could not be read.
    Io(std::io::Error),
    /// The data ended early ("Short read or OOM loading DB").
    ShortRead { offset: usize },
    /// Malformed content, at the record starting at `offset` (rdbReportCorruptRDB).
    Corrupt { offset: usize, reason: String },
    /// A corrupt or short file, with the report redis-check-rdb gives on it (logged between the error and
    /// the exit, as rdbReportError runs the checker).
    Checked(Box<LoadError>, String),
    /// Content this server refuses by design (too many databases, module data, functions, streams,
    /// duplicate keys), as Redis exits on them; `offset` is where the record starts.
    Fatal { offset: usize, reason: String },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Format(m) => f.write_str(m),
            LoadError::Fatal { offset, reason } => write!(f, "{reason} (RDB offset {offset})"),
            LoadError::Io(e) => write!(f, "{e}"),
            LoadError::Checked(inner, _) => inner.fmt(f),
            LoadError::ShortRead { offset } => write!(
                f,
                "Internal error in RDB reading offset {offset} -> Unexpected EOF reading RDB file"
            ),
            LoadError::Corrupt { offset, reason } => {
                write!(
                    f,
                    "Internal error in RDB reading offset {offset} -> {reason}"
                )
            }
        }
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    /// The log lines Redis writes before it exits on this error.
    pub fn log(&self) {
        match self {
            LoadError::Format(m) => {
                tracing::warn!("{m}");
                tracing::warn!("Fatal error loading the DB: Invalid argument. Exiting.");
            }
            LoadError::Io(e) => tracing::warn!("Fatal error loading the DB: {e}. Exiting."),
            LoadError::ShortRead { .. } | LoadError::Corrupt { .. } => self.log_read_failure(None),
            LoadError::Checked(inner, report) => inner.log_read_failure(Some(report)),
            LoadError::Fatal { .. } => tracing::warn!("{self}"),
        }
    }

    /// A short or corrupt file, as rdbReportError logs it (with the checker's report when it ran) before the
    /// exit.
    fn log_read_failure(&self, report: Option<&str>) {
        if matches!(self, LoadError::ShortRead { .. }) {
            tracing::warn!("Short read or OOM loading DB. Unrecoverable error, aborting now.");
        }
        tracing::warn!("{self}");
        if let Some(r) = report {
            crate::util::log::raw(r);
        }
        tracing::warn!("Terminating server after rdb file reading failure.");
    }
}

/// rdbLoad: reads `path` and loads it, logging as Redis does. `Ok(None)` when the file does not exist.
pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Option<Loaded>, LoadError> {
    let start = Instant::now();
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LoadError::Io(e)),
    };
    let loaded = match load(&data, opts) {
        Ok(l) => l,
        Err(e @ (LoadError::Corrupt { .. } | LoadError::ShortRead { .. })) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let report =
                super::check::report(&data, &name, &e.to_string(), opts.now_ms, opts.checksum);
            return Err(LoadError::Checked(Box::new(e), report));
        }
        Err(e) => return Err(e),
    };
    tracing::info!(
        "DB loaded from disk: {:.3} seconds",
        start.elapsed().as_secs_f64()
    );
    Ok(Some(loaded))
}

/// Redis's module type name of a module id (moduleTypeNameByID): 9 characters of 6 bits above 10 bits of
/// encoding version.
fn module_name(id: u64) -> String {
    const CSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = id >> 10;
    let mut name = [0u8; 9];
    for c in name.iter_mut().rev() {
        *c = CSET[(id & 63) as usize];
        id >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// An object-reader error at the record starting at `offset`: a short read or a corruption.
fn object_error(e: RdbError, offset: usize) -> LoadError {
    if e == rdb::UNEXPECTED_END {
        LoadError::ShortRead { offset }
    } else {
        LoadError::Corrupt {
            offset,
            reason: e.0.to_string(),
        }
    }
}

/// An aux field: the ones Redis reports at start-up are logged, the rest ignored (the aux contract).
fn aux_field(key: &[u8], val: &[u8], now_ms: i64) {
    let v = String::from_utf8_lossy(val);
    let num = || crate::util::num::parse_i64(val).unwrap_or(0);
    if key.first() == Some(&b'%') {
        tracing::info!("RDB '{}': {v}", String::from_utf8_lossy(key));
    } else if key.eq_ignore_ascii_case(b"redis-ver") {
        tracing::info!("Loading RDB produced by version {v}");
    } else if key.eq_ignore_ascii_case(b"ctime") {
        tracing::info!("RDB age {} seconds", (now_ms / 1000 - num()).max(0));
    } else if key.eq_ignore_ascii_case(b"used-mem") {
        let mb = num() as f64 / (1024.0 * 1024.0);
        tracing::info!("RDB memory usage when created {mb:.2} Mb");
    } else if key.eq_ignore_ascii_case(b"aof-preamble") {
        if num() != 0 {
            tracing::info!("RDB has an AOF tail");
        }
    } else if key.eq_ignore_ascii_case(b"aof-base") {
        if num() != 0 {
            tracing::info!("RDB is base AOF");
        }
    } else {
        // repl-id, repl-offset, repl-stream-db, lua, redis-bits...: nothing to restore on a master.
        tracing::trace!(
            "Unrecognized RDB AUX field: '{}'",
            String::from_utf8_lossy(key)
        );
    }
}

/// The LRU clock value of a key idle for `idle` seconds (objectSetLRUOrLFU).
fn lru_from_idle(clock: u32, idle: u64) -> u32 {
    match (clock as u64).checked_sub(idle) {
        Some(abs) => abs as u32,
        None => ((clock as u64 + LRU_CLOCK_MAX as u64 / 2) % LRU_CLOCK_MAX as u64) as u32,
    }
}

/// rdbLoadRio: loads a whole file's bytes. Nothing is returned unless every record loaded.
pub fn load(data: &[u8], opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let mut r = Reader::new(data);
    let header = r.bytes(9).map_err(|_| LoadError::ShortRead { offset: 0 })?;
    if &header[..5] != b"REDIS" {
        return Err(LoadError::Format(
            "Wrong signature trying to load DB from file".into(),
        ));
    }
    // atoi, as rdbLoad reads it.
    let version = crate::util::num::c_strtol(&header[5..]).clamp(0, u32::MAX as i64) as u32;
    if !(1..=rdb::RDB_VERSION as u32).contains(&version) {
        return Err(LoadError::Format(format!(
            "Can't handle RDB format version {version}"
        )));
    }
    let mut out = Loaded {
        dbs: (0..opts.databases).map(|_| Db::default()).collect(),
        keys_loaded: 0,
        keys_expired: 0,
        empty_keys_skipped: 0,
        consumed: 0,
    };
    let mut db = 0usize;
    // Attributes of the next key, set by the opcodes before it.
    let mut expire_at: Option<i64> = None;
    let mut idle: Option<u64> = None;
    let mut reported = 0;
    let interval = opts.progress_interval.max(1);
    loop {
        let start = r.position();
        let err = |e: RdbError| object_error(e, start);
        let ty = r.u8().map_err(err)?;
        match ty {
            rdb::OPCODE_EXPIRETIME | rdb::OPCODE_EXPIRETIME_MS => {
                expire_at = Some(r.expire_ms(ty).map_err(err)?);
                continue;
            }
            rdb::OPCODE_FREQ => {
                // LFU counters are not kept: read and dropped.
                r.u8().map_err(err)?;
                continue;
            }
            rdb::OPCODE_IDLE => {
                idle = Some(r.read_len().map_err(err)?);
                continue;
            }
            rdb::OPCODE_EOF => break,
            rdb::OPCODE_SELECTDB => {
                let id = r.read_len().map_err(err)?;
                if id >= opts.databases as u64 {
                    return Err(LoadError::Fatal {
                        offset: start,
                        reason: format!(
                            "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting",
                            opts.databases
                        ),
                    });
                }
                db = id as usize;
                continue;
            }
            rdb::OPCODE_RESIZEDB => {
                // Size hints (dictExpand): the table is sized once instead of growing, but never beyond what
                // the rest of the file could hold (a key takes 8 bytes or more in practice), whatever it says.
                let keys = r.read_len().map_err(err)?;
                let expires = r.read_len().map_err(err)?;
                let cap = (data.len() - r.position()) as u64 / 8;
                out.dbs[db].reserve(keys.min(cap) as usize, expires.min(cap) as usize);
                continue;
            }
            rdb::OPCODE_AUX => {
                let k = r.read_string().map_err(err)?;
                let v = r.read_string().map_err(err)?;
                aux_field(&k, &v, opts.now_ms);
                continue;
            }
            rdb::OPCODE_MODULE_AUX => {
                let id = r.read_len().map_err(err)?;
                let when_opcode = r.read_len().map_err(err)?;
                r.read_len().map_err(err)?;
                // RDB_MODULE_OPCODE_UINT
                if when_opcode != 2 {
                    return Err(err(RdbError("bad when_opcode")));
                }
                return Err(LoadError::Fatal {
                    offset: start,
                    reason: format!(
                        "The RDB file contains AUX module data I can't load: no matching module '{}'",
                        module_name(id)
                    ),
                });
            }
            rdb::OPCODE_FUNCTION_PRE_GA => {
                return Err(err(RdbError("Pre-release function format not supported.")));
            }
            rdb::OPCODE_FUNCTION2 => {
                // Dropping a library would lose data silently: refuse, as Redis does a library it
                // cannot create.
                return Err(LoadError::Fatal {
                    offset: start,
                    reason: "Failed loading library, functions are not supported by this server"
                        .into(),
                });
            }
            _ => {}
        }
        let key = r.read_string().map_err(err)?;
        let value = match ty {
            TYPE_MODULE_PRE_GA => Err(RdbError("Pre-release module format not supported")),
            TYPE_MODULE_2 => {
                let id = r.read_len().map_err(err)?;
                return Err(LoadError::Corrupt {
                    offset: start,
                    reason: format!(
                        "The RDB file contains module data I can't load: no matching module type '{}'",
                        module_name(id)
                    ),
                });
            }
            TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => {
                return Err(LoadError::Fatal {
                    offset: start,
                    reason: format!(
                        "Stream key '{}' found in RDB file: streams are not supported by this server",
                        String::from_utf8_lossy(&key)
                    ),
                })
            }
            _ => r.read_object_body(ty),
        };
        let value = match value {
            Ok(v) => v,
            Err(e) if e == rdb::EMPTY_KEY => {
                // An old bug (#8453) could save empty collections: Redis 7.0 skips them.
                if out.empty_keys_skipped < 10 {
                    tracing::warn!(
                        "rdbLoadObject skipping empty key: {}",
                        String::from_utf8_lossy(&key)
                    );
                }
                out.empty_keys_skipped += 1;
                expire_at = None;
                idle = None;
                continue;
            }
            Err(RdbError("unsupported object type")) => {
                return Err(LoadError::Corrupt {
                    offset: start,
                    reason: format!("Unknown RDB encoding type {ty}"),
                })
            }
            // Which key, as redis-check-rdb's "[additional info]" tells.
            Err(e) => {
                return Err(match err(e) {
                    LoadError::Corrupt { offset, reason } => LoadError::Corrupt {
                        offset,
                        reason: format!(
                            "{reason} (key '{}', type {ty})",
                            String::from_utf8_lossy(&key)
                        ),
                    },
                    other => other,
                })
            }
        };
        let at = expire_at.take();
        let idle_secs = idle.take();
        // Strictly before now, as rdbLoadRio compares (Entry::is_expired counts the ms itself expired).
        if at.is_some_and(|t| t < opts.now_ms) {
            out.keys_expired += 1;
            continue;
        }
        let target = &mut out.dbs[db];
        if target.contains(&key) {
            tracing::warn!(
                "RDB has duplicated key '{}' in DB {db}",
                String::from_utf8_lossy(&key)
            );
            return Err(LoadError::Fatal {
                offset: start,
                reason: "Duplicated key found in RDB file".into(),
            });
        }
        let mut entry = Entry::with_expire(from_rdb(value, &opts.limits), at.unwrap_or(NO_EXPIRE));
        if let (Some(clock), Some(idle)) = (opts.lru_clock, idle_secs) {
            entry.lru = lru_from_idle(clock, idle);
        }
        target.insert_absent(&key, entry);
        out.keys_loaded += 1;
        if opts.key_load_delay != 0 {
            debug_delay(opts.key_load_delay);
        }
        if r.position() / interval > reported / interval {
            opts.progress.add(r.position() - reported);
            reported = r.position();
        }
    }
    // The CRC64 of everything before it (RDB 5 and later).
    if version >= 5 {
        let covered = r.position();
        let stored = r
            .checksum()
            .map_err(|_| LoadError::ShortRead { offset: covered })?;
        if opts.checksum {
            let expected = rdb::crc64(&data[..covered]);
            if stored == 0 {
                tracing::info!("RDB file was saved with checksum disabled: no check performed.");
            } else if stored != expected {
                tracing::warn!(
                    "Wrong RDB checksum expected: ({expected:x}) but got ({stored:x}). Aborting now."
                );
                return Err(LoadError::Corrupt {
                    offset: covered,
                    reason: "RDB CRC error".into(),
                });
            }
        }
    }
    out.consumed = r.position();
    opts.progress.add(r.position() - reported);
    if out.empty_keys_skipped > 0 {
        tracing::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
            out.keys_loaded,
            out.keys_expired,
            out.empty_keys_skipped
        );
    } else {
        tracing::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            out.keys_loaded,
            out.keys_expired
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{hash, zset};
    use crate::persist::rdb::{Encoding, FileWriter, RdbValue, SaveOptions};

    fn opts(now_ms: i64) -> LoadOptions {
        LoadOptions {
            databases: 16,
            limits: LoadLimits {
                max_intset: 512,
                hash: hash::Limits {
                    entries: 128,
                    value: 64,
                },
                zset: zset::Limits {
                    entries: 128,
                    value: 64,
                },
            },
            now_ms,
            checksum: true,
            lru_clock: Some(1000),
            progress: Default::default(),
            key_load_delay: 0,
            progress_interval: 2 << 20,
        }
    }

    fn sample() -> Vec<u8> {
        let mut w = FileWriter::new(SaveOptions::default(), &[("redis-ver", b"7.0.15")]);
        w.select_db(0, 2, 1);
        w.entry(b"a", &RdbValue::Str(b"1".to_vec()), Encoding::Full, None);
        w.entry(
            b"gone",
            &RdbValue::List(vec![b"x".to_vec()]),
            Encoding::Compact,
            Some(1000),
        );
        w.select_db(3, 1, 1);
        w.entry(
            b"h",
            &RdbValue::Hash(vec![(b"f".to_vec(), b"v".to_vec())]),
            Encoding::Compact,
            Some(10_000),
        );
        w.finish()
    }

    #[test]
    fn loads_and_drops_expired() {
        let l = load(&sample(), &opts(5000)).unwrap();
        assert_eq!((l.keys_loaded, l.keys_expired), (2, 1));
        assert!(l.dbs[0].contains(b"a") && !l.dbs[0].contains(b"gone"));
        assert_eq!(l.dbs[3].get(b"h").map(|e| e.expire_at), Some(10_000));
    }

    #[test]
    fn every_truncation_and_flip_is_an_error_not_a_panic() {
        let f = sample();
        for n in 0..f.len() {
            assert!(load(&f[..n], &opts(0)).is_err(), "truncated at {n}");
        }
        for i in 9..f.len() {
            let mut g = f.clone();
            g[i] ^= 0x5a;
            // With the checksum every flip is caught; without it none may panic.
            assert!(load(&g, &opts(0)).is_err(), "flipped at {i}");
            let _ = load(
                &g,
                &LoadOptions {
                    checksum: false,
                    ..opts(0)
                },
            );
        }
    }

    #[test]
    fn refuses_what_redis_refuses() {
        let f = sample();
        let mut v = f.clone();
        v[5..9].copy_from_slice(b"0011");
        assert!(
            matches!(load(&v, &opts(0)), Err(LoadError::Format(m)) if m == "Can't handle RDB format version 11")
        );
        let few = LoadOptions {
            databases: 2,
            ..opts(0)
        };
        assert!(matches!(load(&f, &few), Err(LoadError::Fatal { .. })));
        // A length claiming 2^60 bytes is an error, not an allocation.
        let mut huge = b"REDIS0010".to_vec();
        huge.extend_from_slice(&[0, 0x81]);
        huge.extend_from_slice(&(1u64 << 60).to_be_bytes());
        assert!(matches!(
            load(&huge, &opts(0)),
            Err(LoadError::ShortRead { offset: 9 })
        ));
        // A duplicate key.
        let mut w = FileWriter::new(SaveOptions::default(), &[]);
        w.select_db(0, 2, 0);
        w.entry(b"k", &RdbValue::Str(b"1".to_vec()), Encoding::Full, None);
        w.entry(b"k", &RdbValue::Str(b"2".to_vec()), Encoding::Full, None);
        assert!(matches!(
            load(&w.finish(), &opts(0)),
            Err(LoadError::Fatal { reason, .. }) if reason == "Duplicated key found in RDB file"
        ));
        assert_eq!(module_name(0), "AAAAAAAAA");
    }

    /// A RESIZEDB that claims 2^64-1 keys sizes nothing beyond what the file could hold.
    #[test]
    fn a_huge_resizedb_hint_is_capped_by_the_file() {
        let mut f = b"REDIS0010".to_vec();
        f.extend_from_slice(&[rdb::OPCODE_SELECTDB, 0, rdb::OPCODE_RESIZEDB]);
        for _ in 0..2 {
            f.push(0x81);
            f.extend_from_slice(&u64::MAX.to_be_bytes());
        }
        // One key, "k" -> "v".
        f.extend_from_slice(&[0, 1, b'k', 1, b'v', rdb::OPCODE_EOF]);
        f.extend_from_slice(&[0; 8]);
        let loaded = load(&f, &opts(0)).expect("loads");
        assert_eq!(loaded.keys_loaded, 1);
        assert!(loaded.dbs[0].len() == 1);
    }
}
