//! Shared server state behind one lock: the databases, configuration, statistics, connected clients, blocked
//! clients, pub/sub and WATCH registries. Every command runs with exclusive access to it.
use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::SeedableRng;

pub mod aof;
pub mod client;
pub mod journal;
pub mod keys;
pub mod latency_monitor;
pub mod notify;
pub mod pubsub;
pub mod slowlog;
pub mod snapshot;
pub mod watch;

use crate::config::Config;
use crate::db::Db;
use crate::util::num::now_ms;
pub use crate::util::{HashMap, HashSet};
use client::{Client, Clients};

/// Counters behind INFO stats.
#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    pub pubsub_messages: u64,
    /// Background saves and rewrites started (Redis's forks: each has its stand-in child here).
    pub total_forks: u64,
    /// Per command id: calls, microseconds, rejected calls, failed calls.
    pub commands: Vec<CmdStat>,
    /// Error prefix (ERR, WRONGTYPE...) -> count.
    pub errors: HashMap<String, u64>,
    /// Per command id, once it ran with latency-tracking on (INFO latencystats).
    pub latency: Vec<Option<Box<crate::util::latency::Histogram>>>,
}

impl Stats {
    /// Adds one run of command `id` to its latency histogram (Redis records nanoseconds).
    pub fn record_latency(&mut self, id: usize, usec: u64) {
        if self.latency.len() <= id {
            self.latency.resize_with(id + 1, || None);
        }
        self.latency[id]
            .get_or_insert_with(Default::default)
            .record(usec.saturating_mul(1000).min(i64::MAX as u64) as i64);
    }
}

#[derive(Default, Debug, Clone, Copy)]
pub struct CmdStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected: u64,
    pub failed: u64,
}

#[derive(Default)]
pub struct Blocking {
    /// (db, key) -> ids of waiting clients, longest-waiting first. What each waits for is on the client.
    pub by_key: HashMap<(usize, Bytes), VecDeque<u64>>,
    /// Number of blocked clients (INFO blocked_clients).
    pub count: usize,
    /// Keys written since the last serve pass that have waiters.
    pub ready: Vec<(usize, Bytes)>,
}

/// RDB persistence state: the save in progress and the outcome of the last ones.
pub struct RdbState {
    pub snapshot: Option<snapshot::Snapshot>,
    /// BGSAVE asked for while it could not start (inside MULTI/EXEC): started by the cron.
    pub bgsave_scheduled: bool,
    pub last_bgsave_ok: bool,
    pub last_bgsave_time_sec: i64,
    /// Unix seconds of the last BGSAVE attempt (a failed one is retried after 5 s, as Redis does).
    pub last_bgsave_try: i64,
    pub saves: u64,
}

impl Default for RdbState {
    fn default() -> Self {
        RdbState {
            snapshot: None,
            bgsave_scheduled: false,
            last_bgsave_ok: true,
            last_bgsave_time_sec: -1,
            last_bgsave_try: 0,
            saves: 0,
        }
    }
}

/// A SHUTDOWN request waiting for the server to act on it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShutdownRequest {
    pub save: Option<bool>,
    pub now: bool,
    pub force: bool,
}

pub struct Store {
    dbs: Vec<Db>,
    pub config: Config,
    pub stats: Stats,
    /// Changes since the last save (INFO rdb_changes_since_last_save).
    dirty: u64,
    /// Every connected client's state.
    pub clients: Clients,
    blocking: Blocking,
    /// Clients in MONITOR mode, in the order they entered it.
    pub monitors: Vec<u64>,
    pub slowlog: slowlog::SlowLog,
    pub latency_events: latency_monitor::LatencyMonitor,
    /// What commands propagate, and the replicas it goes to.
    pub journal: crate::engine::journal::Journal,
    /// errno == ERANGE between commands (see crate::util::cerrno).
    pub errno_range: bool,
    /// The replication ID (INFO master_replid), new when a stream starts.
    pub repl_id: String,
    /// Nesting of `dispatch::call` (EXEC runs its queue inside): the journal is flushed when the top one ends.
    pub call_depth: u32,
    pub pubsub: crate::engine::pubsub::Registry,
    pub watch: crate::engine::watch::Watchers,
    /// Parsed notify-keyspace-events.
    pub notify_flags: u32,
    pub rng: SmallRng,
    pub started: Instant,
    pub shutdown: Option<ShutdownRequest>,
    /// SIGTERM/SIGINT asked for a shutdown, which the cron carries out (Redis's shutdown_asap); shared with
    /// the signal handler, which must never wait for the store lock.
    pub shutdown_asap: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The temporary file of a foreground save in progress (a second SIGINT removes it and exits).
    pub save_tmp: std::sync::Arc<parking_lot::Mutex<Option<std::path::PathBuf>>>,
    /// DEBUG PAUSE-CRON: the crons (active expiry; saves, the AOF's cron and a signalled shutdown) do nothing
    /// meanwhile.
    pub cron_paused: bool,
    pub active_expire_enabled: bool,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE takes payloads whatever their CRC64 (the suite's corrupt-dump
    /// tests feed hand-made payloads).
    pub skip_checksum_validation: bool,
    pub last_save: i64,
    /// Persistence: the save in progress, and how the last ones went (INFO persistence).
    pub rdb: RdbState,
    /// The append-only file.
    pub aof: aof::Aof,
    pub tcp_port: u16,
    /// Commands per second over the last samples (INFO instantaneous_ops_per_sec).
    pub ops_per_sec: u64,
    pub ops_samples: VecDeque<(Instant, u64)>,
    /// Keys loaded and expired by the last RDB load (INFO persistence).
    pub last_load: crate::persist::load::LoadCounts,
    /// The data set is being loaded at start-up (clients get -LOADING): since when (Unix s).
    pub loading_dataset: Option<i64>,
    /// The bytes a start-up load has read (shared with the store it loads into).
    pub load_progress: crate::persist::load::Progress,
}

impl Store {
    /// A store for `config`, with statistics for `n_commands` commands and subcommands.
    pub fn new(config: Config, n_commands: usize) -> Store {
        let n = config.databases;
        let notify_flags = notify::parse(&config.notify_keyspace_events);
        Store {
            dbs: (0..n).map(|_| Db::default()).collect(),
            stats: Stats {
                commands: vec![CmdStat::default(); n_commands],
                ..Stats::default()
            },
            config,
            dirty: 0,
            clients: Clients::default(),
            blocking: Blocking::default(),
            monitors: Vec::new(),
            slowlog: Default::default(),
            latency_events: Default::default(),
            journal: Default::default(),
            call_depth: 0,
            repl_id: "0".repeat(40),
            errno_range: false,
            pubsub: Default::default(),
            watch: Default::default(),
            notify_flags,
            rng: SmallRng::from_entropy(),
            started: Instant::now(),
            shutdown: None,
            shutdown_asap: Default::default(),
            save_tmp: Default::default(),
            cron_paused: false,
            active_expire_enabled: true,
            skip_checksum_validation: false,
            last_save: now_ms() / 1000,
            rdb: RdbState::default(),
            aof: aof::Aof::default(),
            tcp_port: 0,
            ops_per_sec: 0,
            ops_samples: VecDeque::new(),
            last_load: Default::default(),
            loading_dataset: None,
            load_progress: Default::default(),
        }
    }

    /// Samples the command counter (called from the server cron) to keep ops_per_sec current.
    pub fn sample_ops(&mut self) {
        let now = Instant::now();
        self.ops_samples
            .push_back((now, self.stats.total_commands_processed));
        while self.ops_samples.len() > 16 {
            self.ops_samples.pop_front();
        }
        if let (Some(a), Some(b)) = (self.ops_samples.front(), self.ops_samples.back()) {
            let dt = b.0.duration_since(a.0).as_secs_f64();
            if dt > 0.0 {
                // Saturating: CONFIG RESETSTAT sets the counter back to 0 under the samples.
                self.ops_per_sec = (b.1.saturating_sub(a.1) as f64 / dt) as u64;
            }
        }
    }

    /// hash-max-listpack-entries / -value: when a hash leaves its packed encoding.
    pub fn hash_limits(&self) -> crate::db::hash::Limits {
        crate::db::hash::Limits {
            entries: self.config.hash_max_listpack_entries,
            value: self.config.hash_max_listpack_value,
        }
    }

    /// set-max-intset-entries: when a set of integers leaves its intset encoding.
    pub fn set_max_intset(&self) -> usize {
        self.config.set_max_intset_entries
    }

    /// zset-max-listpack-entries / -value: when a sorted set leaves its packed encoding.
    pub fn zset_limits(&self) -> crate::db::zset::Limits {
        crate::db::zset::Limits {
            entries: self.config.zset_max_listpack_entries,
            value: self.config.zset_max_listpack_value,
        }
    }

    /// Number of databases (`databases`).
    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    /// Keys and keys with a TTL of each database (INFO keyspace), expired or not.
    pub fn db_sizes(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.dbs.iter().map(|d| (d.len(), d.volatile_len()))
    }

    /// Changes since the last save (INFO rdb_changes_since_last_save).
    pub fn dirty(&self) -> u64 {
        self.dirty
    }

    /// DEBUG DIGEST of the whole data set.
    pub fn digest(&self) -> [u8; 20] {
        crate::db::digest::of_dataset(&self.dbs)
    }

    /// Empties one database, or all of them (FLUSHDB, FLUSHALL): WATCHes on their keys break first.
    /// Returns how many keys were removed.
    pub fn flush(&mut self, db: Option<usize>) -> u64 {
        match db {
            // FLUSHALL ends a BGSAVE in progress, as Redis kills its child.
            None => self.abort_save(),
            // A save must not lose the keys it has not written yet.
            Some(_) => self.complete_save(),
        }
        self.flushing_watched(db);
        let mut n = 0;
        for (i, d) in self.dbs.iter_mut().enumerate() {
            if db.is_none_or(|x| x == i) {
                n += d.len() as u64;
                d.clear();
            }
        }
        n
    }

    /// SWAPDB: exchanges two databases' contents, breaking WATCHes as Redis does and waking clients blocked
    /// on keys of either (what moved in may serve them). Counts one change.
    pub fn swap_dbs(&mut self, a: usize, b: usize, now: i64) {
        if a == b {
            return;
        }
        let (lo, hi) = (a.min(b), a.max(b));
        self.complete_save();
        self.swapping_watched(a, b, now);
        let (left, right) = self.dbs.split_at_mut(hi);
        left[lo].swap(&mut right[0]);
        self.dirty += 1;
        let keys: Vec<(usize, Bytes)> = self
            .blocking
            .by_key
            .keys()
            .filter(|(d, _)| *d == a || *d == b)
            .cloned()
            .collect();
        self.blocking.ready.extend(keys);
    }

    /// Whether `key` of database `db` exists and has expired at `now` (WATCH records that), without
    /// expiring it.
    pub fn is_expired_key(&self, db: usize, key: &[u8], now: i64) -> bool {
        self.dbs[db].get(key).is_some_and(|e| e.is_expired(now))
    }

    /// The save settings in force (rdbcompression, list-max-listpack-size).
    pub fn save_options(&self) -> crate::persist::rdb::SaveOptions {
        let cfg = &self.config;
        crate::persist::rdb::SaveOptions {
            compression: cfg.get("rdbcompression").map(|v| v != "no").unwrap_or(true),
            list_max_listpack_size: cfg
                .get("list-max-listpack-size")
                .and_then(|v| v.parse().ok())
                .unwrap_or(-2),
        }
    }

    /// The encodings a loaded value gets under the settings in force.
    pub fn load_limits(&self) -> crate::persist::convert::LoadLimits {
        crate::persist::convert::LoadLimits {
            max_intset: self.set_max_intset(),
            hash: self.hash_limits(),
            zset: self.zset_limits(),
        }
    }

    /// The whole data set as an RDB file after the `aux` fields (what SYNC sends a replica).
    pub fn rdb_file(&self, now: i64, aux: &[(&str, &[u8])]) -> Vec<u8> {
        crate::persist::convert::rdb_file(&self.dbs, now, self.save_options(), aux)
    }

    /// loadDataFromDisk: loads `<dir>/<dbfilename>` (see persist::load), replacing the databases only once
    /// the whole file loaded. False if there is no such file.
    pub fn load_from_disk(&mut self) -> Result<bool, crate::persist::load::LoadError> {
        let path = self.rdb_path();
        let opts = self.load_options();
        let Some(loaded) = crate::persist::load::load_file(&path, &opts)? else {
            return Ok(false);
        };
        // A save in progress sweeps the databases being replaced: it completes first.
        self.complete_save();
        self.flushing_watched(None);
        self.install_loaded(loaded);
        Ok(true)
    }

    /// The settings an RDB load follows.
    pub fn load_options(&self) -> crate::persist::load::LoadOptions {
        let cfg = &self.config;
        let lfu = cfg
            .get("maxmemory-policy")
            .is_some_and(|p| p.contains("lfu"));
        crate::persist::load::LoadOptions {
            databases: self.dbs.len(),
            limits: self.load_limits(),
            now_ms: now_ms(),
            checksum: self.rdb_checksum(),
            lru_clock: (!lfu).then(crate::db::lru_clock),
            progress: self.load_progress.clone(),
            progress_interval: cfg
                .get("loading-process-events-interval-bytes")
                .and_then(|v| v.parse().ok())
                .unwrap_or(2 << 20),
            key_load_delay: cfg
                .get("key-load-delay")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        }
    }

    /// Takes over what a load into `other` (a store of its own, while this one answered -LOADING) produced:
    /// the databases, the load counters and the AOF's manifest and sizes.
    pub fn adopt_loaded(&mut self, other: Store) {
        self.flushing_watched(None);
        self.dbs = other.dbs;
        self.last_load = other.last_load;
        self.aof.state = other.aof.state;
        self.aof.manifest = other.aof.manifest;
        self.aof.current_size = other.aof.current_size;
        self.aof.rewrite_base_size = other.aof.rewrite_base_size;
    }

    /// emptyData: every database emptied at once. A save in progress keeps the old databases and goes on
    /// with them at its own pace (as Redis's child keeps its copy); they are freed when it ends.
    pub fn empty_data(&mut self) -> u64 {
        self.flushing_watched(None);
        let n = self.dbs.iter().map(|d| d.len() as u64).sum();
        let fresh = (0..self.dbs.len()).map(|_| Db::default()).collect();
        let old = std::mem::replace(&mut self.dbs, fresh);
        if let Some(s) = self.rdb.snapshot.as_mut() {
            s.detach(old);
        }
        n
    }

    /// Replaces the databases with a loaded file's.
    fn install_loaded(&mut self, loaded: crate::persist::load::Loaded) {
        self.dbs = loaded.dbs;
        self.last_load = crate::persist::load::LoadCounts {
            keys_loaded: loaded.keys_loaded,
            keys_expired: loaded.keys_expired,
        };
    }

    /// Whether an AOF is being loaded: nothing expires then (keyIsExpired), an expire time already past is
    /// set rather than deleting the key (checkAlreadyExpired), nothing is propagated.
    #[inline]
    pub fn loading(&self) -> bool {
        self.journal.loading
    }

    /// Call after CONFIG SET: refreshes derived state.
    pub fn config_changed(&mut self) {
        self.notify_flags = notify::parse(&self.config.notify_keyspace_events);
    }

    /// Passive expiry: deletes `key` if its time has passed. True if it did.
    #[inline]
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8], now: i64) -> bool {
        match self.dbs[db].get(key) {
            Some(e) if e.is_expired(now) && !self.loading() => {
                self.delete_expired(db, key);
                true
            }
            _ => false,
        }
    }

    /// Position of a live key (passive expiry applied), one probe when it exists. With `read`, counts keyspace
    /// hits and misses as Redis's lookupKeyRead does; with `touch`, records the access for OBJECT IDLETIME.
    #[inline]
    pub fn live_index(
        &mut self,
        db: usize,
        key: &[u8],
        now: i64,
        read: bool,
        touch: bool,
    ) -> Option<usize> {
        let found = match self.dbs[db].index_of(key) {
            Some(i) if self.dbs[db].entry_at(i).is_expired(now) && !self.loading() => {
                self.delete_expired(db, key);
                None
            }
            other => other,
        };
        if read {
            match found {
                Some(_) => self.stats.keyspace_hits += 1,
                None => self.key_miss(db, key),
            }
        }
        if let (Some(i), true) = (found, touch) {
            self.dbs[db].entry_at_mut(i).lru = crate::db::lru_clock();
        }
        found
    }

    /// Forgets a client everywhere the store keeps it: the registry (its state goes), blocked-client queues,
    /// its subscriptions, WATCH, MONITOR, replicas. True if it was a replica.
    pub fn forget_client(&mut self, id: u64) -> bool {
        self.unblock(id);
        if let Some(c) = self.clients.remove(id) {
            for ch in &c.channels {
                self.pubsub.unsubscribe(ch, id);
            }
            for p in &c.patterns {
                self.pubsub.punsubscribe(p, id);
            }
        }
        self.watch.unwatch_all(id);
        self.monitors.retain(|&m| m != id);
        self.journal.remove_replica(id)
    }

    /// The command a deletion of an expired key propagates as (lazyfree-lazy-expire picks UNLINK).
    pub fn expired_deletion_command(&self) -> &'static [u8] {
        if self.config.get("lazyfree-lazy-expire") == Some("yes") {
            b"UNLINK"
        } else {
            b"DEL"
        }
    }

    /// The command a user deletion propagates as (GETDEL: lazyfree-lazy-user-del picks UNLINK).
    pub fn user_deletion_command(&self) -> &'static [u8] {
        if self.config.get("lazyfree-lazy-user-del") == Some("yes") {
            b"UNLINK"
        } else {
            b"DEL"
        }
    }

    /// A read found no key: the miss counter and the `keymiss` event, as Redis's lookupKeyRead.
    pub fn key_miss(&mut self, db: usize, key: &[u8]) {
        self.stats.keyspace_misses += 1;
        self.notify(notify::KEY_MISS, "keymiss", key, db);
    }

    /// Deletes an expired key with everything Redis does for it: counters, WATCH, `expired` event.
    pub fn delete_expired(&mut self, db: usize, key: &[u8]) {
        self.snapshot_before_write(db, key);
        self.snapshot_before_remove(db, key);
        self.dbs[db].remove(key);
        self.stats.expired_keys += 1;
        self.touch_watched(db, key);
        self.notify(notify::EXPIRED, "expired", key, db);
        // Replicas do not expire keys themselves: the master sends the deletion (propagateDeletion).
        if self.journal.is_active() {
            let del = self.expired_deletion_command();
            self.journal
                .propagate(db, crate::engine::journal::argv(&[del, key]));
        }
    }

    /// A key was modified: dirty counter, WATCH invalidation, wake-up of clients blocked on it.
    #[inline]
    pub fn modified(&mut self, db: usize, key: &[u8]) {
        self.dirty += 1;
        self.touch_watched(db, key);
        if !self.blocking.by_key.is_empty() {
            let k = (db, Bytes::copy_from_slice(key));
            if self.blocking.by_key.contains_key(&k) {
                self.blocking.ready.push(k);
            }
        }
    }

    #[inline]
    pub fn touch_watched(&mut self, db: usize, key: &[u8]) {
        if self.watch.is_empty() {
            return;
        }
        let exists = self.dbs[db].get(key).is_some();
        self.watch.touch(db, key, exists);
    }

    /// True when a client's EXEC must fail: a key it watches changed, or expired since it was watched.
    pub fn watch_broken(&self, client: u64, now: i64) -> bool {
        if self.watch.is_dirty(client) {
            return true;
        }
        let dbs = &self.dbs;
        self.watch.any_expired(client, |db, key| {
            dbs[db].get(key).is_some_and(|e| e.is_expired(now))
        })
    }

    /// WATCHes on a database about to be emptied (FLUSHDB, FLUSHALL, a reload), or on all of them: called
    /// before the keys go, as Redis's signalFlushedDb, since a watch breaks only where its key existed.
    pub fn flushing_watched(&mut self, db: Option<usize>) {
        if self.watch.is_empty() {
            return;
        }
        for d in 0..self.dbs.len() {
            if db.is_none_or(|x| x == d) {
                let keys = &self.dbs[d];
                self.watch.touch_db(d, |k| keys.get(k).is_some(), None);
            }
        }
    }

    /// WATCHes on two databases about to be swapped (SWAPDB): a watch breaks where its key exists in either.
    pub fn swapping_watched(&mut self, a: usize, b: usize, now: i64) {
        if self.watch.is_empty() {
            return;
        }
        for (emptied, other) in [(a, b), (b, a)] {
            let (e, o) = (&self.dbs[emptied], &self.dbs[other]);
            let has = |k: &[u8]| o.get(k).is_some();
            let expired = |k: &[u8]| o.get(k).is_some_and(|x| x.is_expired(now));
            self.watch
                .touch_db(emptied, |k| e.get(k).is_some(), Some((&has, &expired)));
        }
    }

    /// Publishes a keyspace notification if `class` is enabled.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        let f = self.notify_flags;
        if f & class == 0 {
            return;
        }
        let now = now_ms();
        let limit = self.config.pubsub_limit;
        if f & notify::KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{db}__:").into_bytes();
            ch.extend_from_slice(key);
            self.stats.pubsub_messages += 1;
            self.pubsub.publish(&ch, event.as_bytes(), limit, now);
        }
        if f & notify::KEYEVENT != 0 {
            let ch = format!("__keyevent@{db}__:{event}");
            self.stats.pubsub_messages += 1;
            self.pubsub.publish(ch.as_bytes(), key, limit, now);
        }
    }

    /// Keys written since the last serve pass that have clients waiting on them.
    pub fn has_ready_keys(&self) -> bool {
        !self.blocking.ready.is_empty()
    }

    pub fn take_ready_keys(&mut self) -> Vec<(usize, Bytes)> {
        std::mem::take(&mut self.blocking.ready)
    }

    /// Ids of the clients waiting on a key, longest-waiting first.
    pub fn waiting_on(&self, key: &(usize, Bytes)) -> Vec<u64> {
        self.blocking
            .by_key
            .get(key)
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Whether a client is waiting in a blocking command.
    pub fn is_blocked(&self, id: u64) -> bool {
        self.clients.get(id).is_some_and(|c| c.block.is_some())
    }

    /// Number of blocked clients (INFO blocked_clients).
    pub fn blocked_count(&self) -> usize {
        self.blocking.count
    }

    /// Whether `key` is in database `db`, expired or not.
    pub fn contains_key(&self, db: usize, key: &[u8]) -> bool {
        self.dbs[db].contains(key)
    }

    /// A blocked client timed out (its reply is the timeout's): Redis adds its latency then.
    pub fn unblocked_by_timeout(&mut self, id: u64) -> bool {
        let Some(req) = self.clients.get(id).and_then(|c| c.block.as_ref()) else {
            return false;
        };
        if let (Some(cmd), true) = (req.command_id, self.config.latency_tracking) {
            self.stats.record_latency(cmd, 0);
        }
        self.unblock(id)
    }

    /// Registers a client that just blocked (its `block` is set), out of its slot while its batch runs.
    pub fn block(&mut self, client: &Client) {
        let Some(b) = &client.block else {
            return;
        };
        for k in &b.keys {
            self.blocking
                .by_key
                .entry((client.db, k.clone()))
                .or_default()
                .push_back(client.id);
        }
        self.blocking.count += 1;
    }

    /// Unblocks a client in its slot (served, timed out, unblocked or disconnected). False if it was not
    /// blocked.
    pub fn unblock(&mut self, id: u64) -> bool {
        let Some(c) = self.clients.get_mut(id) else {
            return false;
        };
        let Some(b) = c.block.take() else {
            return false;
        };
        let db = c.db;
        for k in b.keys {
            let key = (db, k);
            if let Some(q) = self.blocking.by_key.get_mut(&key) {
                q.retain(|&x| x != id);
                if q.is_empty() {
                    self.blocking.by_key.remove(&key);
                }
            }
        }
        self.blocking.count = self.blocking.count.saturating_sub(1);
        true
    }

    /// One slice of the active expiry cycle (Redis's activeExpireCycle): per database, sample keys with a TTL,
    /// delete the expired, and go on while more than 25% of a sample had expired. Returns true if the slice ran
    /// out of time with work left.
    pub fn active_expire_slice(&mut self, now: i64, deadline: Instant) -> bool {
        if !self.active_expire_enabled {
            return false;
        }
        let effort = self.config.active_expire_effort.max(1) as usize;
        let per_loop = 20 + 20 / 4 * (effort - 1);
        let acceptable_stale = 10usize.saturating_sub(effort - 1);
        let mut sampled_total = 0u64;
        let mut expired_total = 0u64;
        let mut timed_out = false;
        for db in 0..self.dbs.len() {
            let mut iteration = 0u32;
            loop {
                let n = self.dbs[db].volatile_len();
                if n == 0 {
                    break;
                }
                let num = per_loop.min(n);
                let mut expired = 0;
                for _ in 0..num {
                    let Some(key) = self.dbs[db].random_volatile(&mut self.rng) else {
                        break;
                    };
                    let expire_at = self.dbs[db].get(key).map(|e| e.expire_at).unwrap_or(0);
                    if expire_at <= now {
                        let key = key.clone();
                        self.delete_expired(db, &key);
                        expired += 1;
                    }
                }
                sampled_total += num as u64;
                expired_total += expired as u64;
                iteration += 1;
                if iteration.is_multiple_of(16) && Instant::now() >= deadline {
                    timed_out = true;
                    break;
                }
                if expired * 100 / num.max(1) <= acceptable_stale {
                    break;
                }
            }
            if timed_out {
                break;
            }
        }
        if sampled_total > 0 {
            let current = expired_total as f64 / sampled_total as f64;
            self.stats.expired_stale_perc = current * 0.05 + self.stats.expired_stale_perc * 0.95;
        }
        timed_out
    }
}

/// The aux fields rdbSaveInfoAuxFields writes, as a master without a backlog writes them; `aof_base` for the
/// base file of an AOF.
pub fn rdb_aux(now: i64, aof_base: bool) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("redis-ver", b"7.0.15".to_vec()),
        ("redis-bits", b"64".to_vec()),
        ("ctime", (now / 1000).to_string().into_bytes()),
        (
            "used-mem",
            crate::util::alloc::allocated().to_string().into_bytes(),
        ),
        (
            "aof-base",
            if aof_base {
                b"1".to_vec()
            } else {
                b"0".to_vec()
            },
        ),
    ]
}

/// Persistence: SAVE, BGSAVE without fork, and the keyspace hooks that keep a save point-in-time.
impl Store {
    /// `<dir>/<dbfilename>`.
    pub fn rdb_path(&self) -> std::path::PathBuf {
        self.server_dir()
            .join(self.config.get("dbfilename").unwrap_or("dump.rdb"))
    }

    /// `rdbchecksum`: files get a CRC64 and loads check it.
    fn rdb_checksum(&self) -> bool {
        self.config.get("rdbchecksum") != Some("no")
    }

    /// Starts a snapshot of the data set as it is now, with the save settings in force.
    fn start_snapshot(
        &self,
        target: snapshot::Target,
        now: i64,
        background: bool,
    ) -> std::io::Result<snapshot::Snapshot> {
        snapshot::Snapshot::start(
            &self.dbs,
            target,
            self.save_options(),
            self.rdb_checksum(),
            now,
            self.dirty,
            background,
        )
    }

    /// Whether an RDB save is in progress (SAVE refuses, INFO rdb_bgsave_in_progress).
    pub fn saving(&self) -> bool {
        self.rdb.snapshot.as_ref().is_some_and(|s| !s.aof_rewrite)
    }

    /// Whether any snapshot runs (an RDB save or an AOF rewrite: Redis's hasActiveChildProcess).
    pub fn snapshot_running(&self) -> bool {
        self.rdb.snapshot.is_some()
    }

    /// Starts a save of the whole data set (rdbSaveRio's aux fields, as a master without a backlog writes
    /// them).
    fn start_save(&mut self, background: bool, now: i64) -> Result<(), String> {
        if self.rdb.snapshot.is_some() {
            return Err("Background save already in progress".into());
        }
        let dir = self.server_dir();
        // A BGSAVE's file is named after its stand-in child, as Redis's after its forked child.
        let child = if background {
            self.stats.total_forks += 1;
            snapshot::Child::spawn()
        } else {
            None
        };
        let pid = child.as_ref().map_or(std::process::id(), |c| c.pid());
        let tmp = format!("temp-{pid}.rdb");
        let target = snapshot::Target {
            tmp: dir.join(tmp),
            path: self.rdb_path(),
            format: snapshot::Format::Rdb,
            aux: rdb_aux(now, false),
            preamble: Vec::new(),
        };
        let snap = self.start_snapshot(target, now, background).map_err(|e| {
            let msg = format!(
                "Failed opening the temp RDB file temp-{pid}.rdb (in server root dir {}) for saving: {e}",
                self.config.get("dir").unwrap_or(".")
            );
            tracing::warn!("{msg}");
            msg
        })?;
        let mut snap = snap;
        snap.set_child(child);
        self.rdb.snapshot = Some(snap);
        Ok(())
    }

    /// SAVE (and the saves of FLUSHALL and shutdown): the whole data set written before returning.
    pub fn save(&mut self, now: i64) -> Result<(), String> {
        // An AOF rewrite holds the one snapshot slot: it is finished first.
        if self.aof_rewriting() {
            self.complete_save();
            let _ = self.reap_save(true);
        }
        self.start_save(false, now)?;
        let pid = std::process::id();
        *self.save_tmp.lock() = Some(self.server_dir().join(format!("temp-{pid}.rdb")));
        // rdb-key-save-delay (a test knob) slows a foreground save too, as rdbSaveRio's debugDelay.
        let delay = self
            .config
            .get("rdb-key-save-delay")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        if let Some(s) = self.rdb.snapshot.as_mut() {
            s.key_delay_us = delay;
        }
        self.complete_save();
        let r = self.reap_save(true).unwrap_or(Err("no save".into()));
        *self.save_tmp.lock() = None;
        r
    }

    /// BGSAVE: starts a save that the cron advances in slices (`save_step`).
    pub fn bgsave(&mut self, now: i64) -> Result<(), String> {
        if self.rdb.snapshot.is_some() {
            return Err("Background save already in progress".into());
        }
        self.rdb.last_bgsave_try = now / 1000;
        tracing::info!("Background saving started");
        // As with Redis's forked child, a save that cannot even open its file fails in the background: the
        // client was told it started, INFO and the log tell how it ended.
        if let Err(e) = self.start_save(true, now) {
            self.rdb.last_bgsave_ok = false;
            tracing::warn!("Background saving error: {e}");
        }
        Ok(())
    }

    /// Runs the save in progress to its end now (before SWAPDB, FLUSHDB, DEBUG RELOAD, SAVE).
    pub fn complete_save(&mut self) {
        if let Some(s) = self.rdb.snapshot.as_mut() {
            s.step(&self.dbs, None, usize::MAX);
        }
    }

    /// Ends the RDB save in progress without a file (FLUSHALL, SHUTDOWN). An AOF rewrite is finished
    /// instead: it needs the data set as it was.
    pub fn abort_save(&mut self) {
        if self.aof_rewriting() {
            self.complete_save();
            return;
        }
        if let Some(s) = self.rdb.snapshot.take() {
            if s.background {
                tracing::warn!("Background saving terminated by FLUSHALL or shutdown");
            }
            drop(s);
        }
    }

    /// One slice of the save in progress, until `deadline` or `limit` keys; reaps it once its file is
    /// written. Returns true while there is sweeping left.
    pub fn save_step(&mut self, deadline: Instant, limit: usize) -> bool {
        let Some(s) = self.rdb.snapshot.as_mut() else {
            return false;
        };
        // A save whose stand-in child was killed is abandoned, as Redis's when its child dies.
        if let Some(sig) = s.child_killed() {
            let Some(s) = self.rdb.snapshot.take() else {
                return false;
            };
            let (rewrite, started) = (s.aof_rewrite, s.started);
            drop(s);
            if rewrite {
                self.aof_rewrite_done(Err("killed".into()), Some(sig));
            } else {
                tracing::warn!("Background saving terminated by signal {sig}");
                self.rdb.last_bgsave_ok = false;
                self.rdb.last_bgsave_time_sec = started.elapsed().as_secs() as i64;
            }
            return false;
        }
        let more = !s.step(&self.dbs, Some(deadline), limit);
        if !more && s.done() {
            let _ = self.reap_save(false);
        }
        more
    }

    /// Collects a swept save: waits for its writer when `wait`, else only if it has finished. Updates what
    /// INFO persistence and LASTSAVE report.
    fn reap_save(&mut self, wait: bool) -> Option<Result<(), String>> {
        let s = self.rdb.snapshot.as_ref()?;
        if !s.swept() || (!wait && !s.done()) {
            return None;
        }
        let s = self.rdb.snapshot.take()?;
        let (background, started, dirty_at_start) = (s.background, s.started, s.dirty_at_start);
        if s.aof_rewrite {
            let r = s.finish();
            self.aof_rewrite_done(r.clone(), None);
            return Some(r);
        }
        let r = s.finish();
        match &r {
            Ok(()) => {
                // Changes made while the save ran are not in the file.
                self.dirty = self.dirty.saturating_sub(dirty_at_start);
                self.last_save = now_ms() / 1000;
                self.rdb.saves += 1;
                if background {
                    self.rdb.last_bgsave_ok = true;
                    tracing::info!("Background saving terminated with success");
                } else {
                    tracing::info!("DB saved on disk");
                }
            }
            Err(e) => {
                if background {
                    self.rdb.last_bgsave_ok = false;
                    tracing::warn!("Background saving error: {e}");
                } else {
                    tracing::warn!("{e}");
                }
            }
        }
        if background {
            self.rdb.last_bgsave_time_sec = started.elapsed().as_secs() as i64;
        }
        Some(r)
    }

    /// The save point (`save <seconds> <changes>`) that is due, if any, as serverCron checks them: enough
    /// changes, enough time since the last save, and a failed BGSAVE retried only after 5 seconds.
    pub fn save_point_due(&self, now_s: i64) -> Option<(u64, i64)> {
        if self.rdb.snapshot.is_some() {
            return None;
        }
        let spec = self.config.get("save").unwrap_or("");
        let nums: Vec<i64> = spec
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        nums.chunks_exact(2).find_map(|p| {
            let (secs, changes) = (p[0], p[1]);
            let due = self.dirty >= changes.max(0) as u64
                && now_s - self.last_save > secs
                && (now_s - self.rdb.last_bgsave_try > 5 || self.rdb.last_bgsave_ok);
            due.then_some((changes.max(0) as u64, secs))
        })
    }

    /// Before the server stops (SHUTDOWN, SIGTERM, SIGINT), as prepareForShutdown: a BGSAVE in progress is
    /// abandoned, then the data set is saved if asked to or if save points exist (unless NOSAVE). A failed save
    /// stops the shutdown unless FORCE. True if the server may stop.
    pub fn prepare_shutdown(&mut self, mut req: ShutdownRequest, now: i64) -> bool {
        tracing::warn!("User requested shutdown...");
        // Saving now would overwrite the files being loaded with a part of them.
        if self.loading_dataset.is_some() {
            req.save = Some(false);
        }
        if self.aof_rewriting() {
            // The AOF already holds the whole data set, unless it is waiting for its first rewrite.
            if self.aof.state == aof::State::WaitRewrite {
                if req.force {
                    tracing::warn!("Writing initial AOF. Exit anyway.");
                } else {
                    tracing::warn!("Writing initial AOF, can't exit.");
                    tracing::warn!(
                        "Errors trying to shut down the server. Check the logs for more information."
                    );
                    return false;
                }
            }
            tracing::warn!("There is a child rewriting the AOF. Killing it!");
        }
        self.aof_shutdown();
        self.abort_save();
        let save = req.save == Some(true) || (req.save.is_none() && self.has_save_points());
        if !save {
            return true;
        }
        tracing::info!("Saving the final RDB snapshot before exiting.");
        if self.save(now).is_ok() {
            return true;
        }
        if req.force {
            tracing::warn!("Error trying to save the DB. Exit anyway.");
            return true;
        }
        tracing::warn!("Error trying to save the DB, can't exit.");
        tracing::warn!(
            "Errors trying to shut down the server. Check the logs for more information."
        );
        false
    }

    /// Whether `save` points are configured (FLUSHALL and shutdown then save).
    pub fn has_save_points(&self) -> bool {
        self.config
            .get("save")
            .is_some_and(|s| !s.trim().is_empty())
    }

    /// Writes refused because the last BGSAVE failed (stop-writes-on-bgsave-error with save points).
    pub fn writes_refused(&self) -> bool {
        !self.rdb.last_bgsave_ok
            && self.has_save_points()
            && self.config.get("stop-writes-on-bgsave-error") != Some("no")
    }

    /// The keyspace's pre-write hook: a save in progress writes the key's old value first.
    #[inline]
    pub fn snapshot_before_write(&mut self, db: usize, key: &[u8]) {
        if let Some(s) = self.rdb.snapshot.as_mut() {
            s.before_write(&mut self.dbs, db, key);
        }
    }

    /// Before a key is removed: a save in progress writes the entry the removal moves, if it must.
    #[inline]
    pub fn snapshot_before_remove(&mut self, db: usize, key: &[u8]) {
        if let Some(s) = self.rdb.snapshot.as_mut() {
            s.before_remove(&mut self.dbs, db, key);
        }
    }
}
