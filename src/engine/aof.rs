//! The append-only file at run time, as Redis 7.0's aof.c: the multi-part layout (manifest, base, incr
//! files), writing the journal's AOF feed with the three fsync policies (`always` as a group commit: no reply
//! leaves before what was written is on disk), rewrites without fork (a snapshot of the data set becomes the
//! new base while writes go to a new incr file), switching the AOF on and off at run time, and loading.
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::engine::snapshot::{self, Format, Snapshot};
use crate::engine::Store;
use crate::persist::aof::{self as fmt, Manifest, Next};
use crate::util::num::now_ms;

/// A failure already logged as Redis logs it (the caller only decides what to do next).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logged;

impl From<()> for Logged {
    fn from(_: ()) -> Self {
        Logged
    }
}

/// aof_state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Off,
    On,
    /// Switched on at run time: on for good once the first rewrite succeeds.
    WaitRewrite,
}

/// appendfsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    Always,
    EverySec,
    No,
}

/// What connections check before a reply leaves under `appendfsync always`: bytes written to the AOF so far
/// and bytes known to be on disk. A connection whose batch wrote waits (without holding a worker thread) for
/// the syncer thread, which fsyncs everything written up to the moment it starts: the batches of every
/// client that wrote meanwhile share one fsync (a group commit), outside the store lock.
#[derive(Default)]
pub struct Durability {
    always: AtomicBool,
    written: AtomicU64,
    synced: AtomicU64,
    file: Mutex<Option<Arc<File>>>,
    /// An fsync is wanted: the syncer thread sleeps on it.
    wanted: std::sync::Mutex<bool>,
    wake: std::sync::Condvar,
    /// Wakes the connections waiting for `synced` to move.
    done: tokio::sync::Notify,
    syncer_started: AtomicBool,
}

impl Durability {
    /// Returns once everything written to the AOF before this call is on disk (`appendfsync always`); at
    /// once otherwise.
    pub async fn wait(&self) {
        if !self.always.load(Ordering::Acquire) {
            return;
        }
        let target = self.written.load(Ordering::Acquire);
        loop {
            if self.synced.load(Ordering::Acquire) >= target {
                return;
            }
            // Registered before the request, so the wake-up that follows cannot be missed.
            let notified = self.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.synced.load(Ordering::Acquire) >= target {
                return;
            }
            if let Ok(mut w) = self.wanted.lock() {
                *w = true;
                self.wake.notify_one();
            }
            notified.await;
        }
    }

    /// Starts the syncer thread once (when `always` is first in force).
    fn start_syncer(self: &Arc<Self>) {
        if self.syncer_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let d = self.clone();
        let spawned = std::thread::Builder::new()
            .name("aof-always".into())
            .spawn(move || d.syncer());
        if spawned.is_err() {
            self.syncer_started.store(false, Ordering::Release);
        }
    }

    fn syncer(&self) {
        loop {
            {
                let Ok(mut w) = self.wanted.lock() else {
                    return;
                };
                while !*w {
                    w = match self.wake.wait(w) {
                        Ok(w) => w,
                        Err(_) => return,
                    };
                }
                *w = false;
            }
            let upto = self.written.load(Ordering::Acquire);
            let file = self.file.lock().clone();
            if let Some(f) = file {
                if let Err(e) = f.sync_data() {
                    // Replies are waiting on a promise that cannot be kept (Redis exits too).
                    tracing::warn!(
                        "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {e}. Exiting..."
                    );
                    std::process::exit(1);
                }
            }
            self.synced.fetch_max(upto, Ordering::AcqRel);
            self.done.notify_waiters();
        }
    }
}

/// The background fsync thread of `everysec` (Redis's BIO_AOF_FSYNC).
struct Fsyncer {
    tx: mpsc::Sender<Arc<File>>,
    pending: Arc<AtomicUsize>,
}

impl Fsyncer {
    fn start() -> Option<Fsyncer> {
        let (tx, rx) = mpsc::channel::<Arc<File>>();
        let pending = Arc::new(AtomicUsize::new(0));
        let p = pending.clone();
        std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                for f in rx {
                    if let Err(e) = f.sync_data() {
                        tracing::warn!("Fail to fsync the AOF file: {e}");
                    }
                    p.fetch_sub(1, Ordering::AcqRel);
                }
            })
            .ok()?;
        Some(Fsyncer { tx, pending })
    }

    fn submit(&self, f: Arc<File>) {
        self.pending.fetch_add(1, Ordering::AcqRel);
        if self.tx.send(f).is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn in_progress(&self) -> bool {
        self.pending.load(Ordering::Acquire) != 0
    }
}

/// The AOF's state (server.aof_*).
pub struct Aof {
    pub state: State,
    pub manifest: Manifest,
    file: Option<Arc<File>>,
    pub durability: Arc<Durability>,
    fsyncer: Option<Fsyncer>,
    pub current_size: u64,
    /// The size when the last rewrite ended (auto-aof-rewrite-percentage grows from it).
    pub rewrite_base_size: u64,
    pub last_incr_size: u64,
    pub last_incr_fsync_offset: u64,
    /// Unix seconds of the last fsync.
    pub last_fsync: i64,
    flush_postponed_start: i64,
    pub rewrite_scheduled: bool,
    pub last_bgrewrite_ok: bool,
    pub rewrites: u64,
    pub consecutive_failures: u64,
    pub rewrite_time_last: i64,
    pub rewrite_started: Option<Instant>,
    pub last_write_ok: bool,
    pub last_write_error: String,
    last_write_error_log: i64,
    pub delayed_fsync: u64,
    /// The pid the running (or last) rewrite's temporary files are named after.
    pub rewrite_pid: u32,
    /// DEBUG AOF-FLUSH-SLEEP: a pause before each write of the AOF (a test knob).
    pub flush_sleep_us: u64,
    /// aofRewriteLimited's state: (next delay in minutes, Unix second the next automatic rewrite may run).
    limit: (i64, i64),
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            state: State::Off,
            manifest: Manifest::default(),
            file: None,
            durability: Arc::new(Durability::default()),
            fsyncer: None,
            current_size: 0,
            rewrite_base_size: 0,
            last_incr_size: 0,
            last_incr_fsync_offset: 0,
            last_fsync: 0,
            flush_postponed_start: 0,
            rewrite_scheduled: false,
            last_bgrewrite_ok: true,
            rewrites: 0,
            consecutive_failures: 0,
            rewrite_time_last: -1,
            rewrite_started: None,
            last_write_ok: true,
            last_write_error: String::new(),
            last_write_error_log: 0,
            delayed_fsync: 0,
            flush_sleep_us: 0,
            rewrite_pid: 0,
            limit: (0, 0),
        }
    }
}

/// How loading the AOF went (loadAppendOnlyFiles' return codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadStatus {
    Ok,
    NotExist,
    Empty,
    OpenErr,
    Failed,
    Truncated,
}

/// What running one command read from the AOF did.
pub enum Replayed {
    Ok,
    /// No such command: the load fails.
    Unknown,
    /// The command was MULTI (the offset before it is where a truncation goes back to).
    Multi,
}

/// Runs commands read from the AOF as the AOF client (the command layer provides it). `in_multi` tells
/// whether a MULTI is open at the end.
pub trait Replayer {
    fn replay(&mut self, store: &mut Store, argv: &[Bytes]) -> Replayed;
    fn in_multi(&self) -> bool;
    /// Forgets an open MULTI (a file ending inside one is cut back to before it).
    fn discard_multi(&mut self, store: &mut Store);
}

fn unix_s() -> i64 {
    now_ms() / 1000
}

/// Whether `dir` exists as a directory.
fn dir_exists(p: &Path) -> bool {
    p.is_dir()
}

/// fsyncs a directory, so a rename or a created file in it survives a crash.
fn fsync_dir(p: &Path) -> std::io::Result<()> {
    File::open(p)?.sync_all()
}

/// Deletes files in a thread of their own (bg_unlink): unlinking a large file can take long.
fn bg_unlink(paths: Vec<PathBuf>) {
    let work = move || {
        for p in &paths {
            let _ = std::fs::remove_file(p);
        }
    };
    if std::thread::Builder::new()
        .name("aof-unlink".into())
        .spawn(work.clone())
        .is_err()
    {
        work();
    }
}

fn open_append(p: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(p)
}

fn open_truncate(p: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .create(true)
        .open(p)
}

impl Store {
    /// The server directory (`dir`).
    pub fn server_dir(&self) -> PathBuf {
        let dir = self.config.get("dir").unwrap_or("");
        PathBuf::from(if dir.is_empty() { "." } else { dir })
    }

    /// `<dir>/<appenddirname>`.
    pub fn aof_dir(&self) -> PathBuf {
        self.server_dir()
            .join(self.config.get("appenddirname").unwrap_or("appendonlydir"))
    }

    /// `appendfilename`: the prefix of every AOF file name.
    pub fn aof_prefix(&self) -> String {
        self.config
            .get("appendfilename")
            .unwrap_or("appendonly.aof")
            .to_string()
    }

    fn aof_fsync_policy(&self) -> Fsync {
        match self.config.get("appendfsync") {
            Some("always") => Fsync::Always,
            Some("no") => Fsync::No,
            _ => Fsync::EverySec,
        }
    }

    fn aof_use_rdb_preamble(&self) -> bool {
        self.config.get("aof-use-rdb-preamble") != Some("no")
    }

    /// Whether a rewrite is running (the AOF "child").
    pub fn aof_rewriting(&self) -> bool {
        self.rdb.snapshot.as_ref().is_some_and(|s| s.aof_rewrite)
    }

    /// Keeps the journal's AOF feed, the durability policy and the fsync thread in line with the state and
    /// the configuration (after start-up, CONFIG SET, a rewrite starting or ending).
    pub fn aof_refresh(&mut self) {
        let feeding = self.aof.state == State::On
            || (self.aof.state == State::WaitRewrite && self.aof_rewriting());
        if feeding && !self.journal.aof.on {
            // A new stream: it starts with a SELECT.
            self.journal.aof.seldb = None;
        }
        self.journal.aof.on = feeding;
        self.journal.aof.timestamps = self.config.get("aof-timestamp-enabled") == Some("yes");
        let policy = self.aof_fsync_policy();
        let always = self.aof.state != State::Off && policy == Fsync::Always;
        if always {
            self.aof.durability.start_syncer();
        }
        self.aof.durability.always.store(always, Ordering::Release);
        if policy == Fsync::EverySec && self.aof.fsyncer.is_none() && self.aof.state != State::Off {
            self.aof.fsyncer = Fsyncer::start();
        }
    }

    fn aof_set_file(&mut self, f: Option<Arc<File>>) {
        self.aof.file = f.clone();
        *self.aof.durability.file.lock() = f;
    }

    /// writeAofManifestFile through persistAofManifest: the manifest replaced atomically (temp file, fsync,
    /// rename, directory fsync). Does nothing when it has not changed.
    fn persist_manifest(&self, am: &mut Manifest) -> Result<(), ()> {
        if !am.dirty {
            return Ok(());
        }
        let dir = self.aof_dir();
        let prefix = self.aof_prefix();
        let name = fmt::manifest_name(&prefix);
        let tmp_name = fmt::temp_manifest_name(&prefix);
        let (path, tmp) = (dir.join(&name), dir.join(&tmp_name));
        let mut f = open_truncate(&tmp).map_err(|e| {
            tracing::warn!("Can't open the AOF manifest file {tmp_name}: {e}");
        })?;
        f.write_all(am.render().as_bytes()).map_err(|e| {
            tracing::warn!("Error trying to write the temporary AOF manifest file {tmp_name}: {e}");
        })?;
        f.sync_all().map_err(|e| {
            tracing::warn!("Fail to fsync the temp AOF file {tmp_name}: {e}.");
        })?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            tracing::warn!(
                "Error trying to rename the temporary AOF manifest file {tmp_name} into {name}: {e}"
            );
        })?;
        fsync_dir(&dir).map_err(|e| {
            tracing::warn!("Fail to fsync AOF directory {}: {e}.", path.display());
        })?;
        am.dirty = false;
        Ok(())
    }

    /// aofLoadManifestFromDisk: the manifest, if the directory and the file exist. An unreadable or invalid
    /// manifest is fatal (logged as Redis logs it).
    pub fn aof_load_manifest(&mut self) -> Result<(), Logged> {
        self.aof.manifest = Manifest::default();
        let dir = self.aof_dir();
        if !dir_exists(&dir) {
            return Ok(());
        }
        let path = dir.join(fmt::manifest_name(&self.aof_prefix()));
        if !path.exists() {
            return Ok(());
        }
        let text = std::fs::read(&path).map_err(|e| {
            tracing::warn!(
                "Fatal error: can't open the AOF manifest file {} for reading: {e}",
                path.display()
            );
        })?;
        match Manifest::parse(&text) {
            Ok(m) => {
                self.aof.manifest = m;
                Ok(())
            }
            Err(e) => {
                tracing::warn!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
                if let Some((n, line)) = &e.line {
                    tracing::warn!("Reading the manifest file, at line {n}\n");
                    tracing::warn!(">>> '{line}'\n");
                }
                tracing::warn!("{}\n", e.message);
                Err(Logged)
            }
        }
    }

    /// aofUpgradePrepare: an old single-file AOF in the server directory becomes the base of a manifest in the
    /// AOF directory.
    fn aof_upgrade_prepare(&mut self) -> Result<(), ()> {
        let dir = self.aof_dir();
        let prefix = self.aof_prefix();
        std::fs::create_dir_all(&dir).map_err(|e| {
            tracing::warn!(
                "Can't open or create append-only dir {}: {e}",
                dir.display()
            );
        })?;
        let mut am = std::mem::take(&mut self.aof.manifest);
        am.base = Some(fmt::AofInfo {
            name: prefix.clone(),
            seq: 1,
            kind: fmt::FileType::Base,
        });
        am.curr_base_seq = 1;
        am.dirty = true;
        let r = self.persist_manifest(&mut am);
        self.aof.manifest = am;
        r?;
        let appenddir = self.config.get("appenddirname").unwrap_or("appendonlydir");
        std::fs::rename(self.server_dir().join(&prefix), dir.join(&prefix)).map_err(|e| {
            tracing::warn!(
                "Error trying to move the old AOF file {prefix} into dir {appenddir}: {e}"
            );
        })?;
        tracing::info!(
            "Successfully migrated an old-style AOF file ({prefix}) into the AOF directory ({appenddir})."
        );
        Ok(())
    }

    /// loadAppendOnlyFiles: the base file, then every incr file, through `r`, with nothing propagated.
    pub fn aof_load(&mut self, r: &mut dyn Replayer) -> LoadStatus {
        self.journal.loading = true;
        let ret = self.aof_load_files(r);
        self.journal.loading = false;
        ret
    }

    /// DEBUG LOADAOF: the AOF written out, the data set emptied and loaded back from the files.
    pub fn aof_debug_reload(&mut self, r: &mut dyn Replayer) -> LoadStatus {
        if self.aof.state != State::Off {
            self.aof_flush(true);
        }
        self.empty_data();
        if self.aof_load_manifest().is_err() {
            return LoadStatus::Failed;
        }
        let _ = self.aof_del_history_files();
        let ret = self.aof_load(r);
        self.dirty = 0;
        if ret == LoadStatus::Ok || ret == LoadStatus::Empty {
            tracing::warn!("Append Only File loaded by DEBUG LOADAOF");
        }
        ret
    }

    fn aof_load_files(&mut self, r: &mut dyn Replayer) -> LoadStatus {
        let prefix = self.aof_prefix();
        let dir = self.aof_dir();
        if self.server_dir().join(&prefix).is_file() {
            let am = &self.aof.manifest;
            let upgrade = !dir_exists(&dir)
                || (am.base.is_none() && am.incr.is_empty())
                || (am.incr.is_empty()
                    && am.base.as_ref().is_some_and(|b| b.name == prefix)
                    && !dir.join(&prefix).exists());
            if upgrade && self.aof_upgrade_prepare().is_err() {
                return LoadStatus::Failed;
            }
        }
        let am = self.aof.manifest.clone();
        if am.base.is_none() && am.incr.is_empty() {
            return LoadStatus::NotExist;
        }
        let files: Vec<(String, bool)> = am
            .base
            .iter()
            .map(|b| (b.name.clone(), true))
            .chain(am.incr.iter().map(|i| (i.name.clone(), false)))
            .collect();
        let mut total = 0u64;
        for (name, _) in &files {
            match std::fs::metadata(dir.join(name)) {
                Ok(m) => total += m.len(),
                Err(e) => {
                    tracing::warn!("Unable to obtain the AOF file {name} length. stat: {e}");
                    return if e.kind() == std::io::ErrorKind::NotFound {
                        LoadStatus::Failed
                    } else {
                        LoadStatus::OpenErr
                    };
                }
            }
        }
        if total == 0 {
            return LoadStatus::Empty;
        }
        self.load_progress.set_total(total);
        let mut ret = LoadStatus::Ok;
        let mut base_size = 0;
        let n = files.len();
        for (i, (name, is_base)) in files.iter().enumerate() {
            let last = i + 1 == n;
            if *is_base {
                base_size = std::fs::metadata(dir.join(name))
                    .map(|m| m.len())
                    .unwrap_or(0);
            }
            let start = Instant::now();
            ret = self.aof_load_file(name, r);
            if ret == LoadStatus::Ok || (ret == LoadStatus::Truncated && last) {
                tracing::info!(
                    "DB loaded from {} file {name}: {:.3} seconds",
                    if *is_base { "base" } else { "incr" },
                    start.elapsed().as_secs_f64()
                );
            }
            if ret == LoadStatus::Empty && !is_base {
                ret = LoadStatus::Ok;
            }
            if ret == LoadStatus::Truncated && !last {
                ret = LoadStatus::Failed;
                tracing::warn!("Fatal error: the truncated file is not the last file");
            }
            if matches!(ret, LoadStatus::OpenErr | LoadStatus::Failed) {
                return ret;
            }
        }
        self.aof.current_size = total;
        self.aof.rewrite_base_size = base_size;
        ret
    }

    /// loadSingleAppendOnlyFile.
    fn aof_load_file(&mut self, name: &str, r: &mut dyn Replayer) -> LoadStatus {
        let path = self.aof_dir().join(name);
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!("The append log file {name} doesn't exist: {e}");
                return LoadStatus::NotExist;
            }
            Err(e) => {
                tracing::warn!(
                    "Fatal error: can't open the append log file {name} for reading: {e}"
                );
                return LoadStatus::OpenErr;
            }
        };
        if data.is_empty() {
            return LoadStatus::Empty;
        }
        let mut pos = 0;
        if data.starts_with(b"REDIS") {
            let old_style = name == self.aof_prefix();
            if old_style {
                tracing::info!("Reading RDB preamble from AOF file...");
            } else {
                tracing::info!("Reading RDB base file on AOF loading...");
            }
            match self.aof_load_preamble(&data) {
                Ok(n) => pos = n,
                Err(e) => {
                    e.log();
                    if old_style {
                        tracing::warn!("Error reading the RDB preamble of the AOF file {name}, AOF loading aborted");
                    } else {
                        tracing::warn!(
                            "Error reading the RDB base file {name}, AOF loading aborted"
                        );
                    }
                    return self.aof_unexpected_eof(name, &path, None);
                }
            }
            if old_style {
                tracing::info!("Reading the remaining AOF tail...");
            }
        }
        let truncated_ok = self.config.get("aof-load-truncated") != Some("no");
        let mut valid_up_to = pos;
        let mut valid_before_multi = pos;
        // loadingIncrProgress every 1024 commands (the preamble's load counted its own bytes).
        let progress = self.load_progress.clone();
        let (mut reported, mut loops) = (pos, 0u64);
        let delay = self
            .config
            .get("key-load-delay")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        loop {
            match fmt::read_command(&data, pos) {
                Next::Eof => break,
                Next::Annotation { end } => pos = end,
                Next::BadFormat => {
                    tracing::warn!("Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>");
                    return LoadStatus::Failed;
                }
                Next::Truncated => {
                    return self.aof_unexpected_eof(
                        name,
                        &path,
                        truncated_ok.then_some(valid_up_to),
                    )
                }
                Next::Command { argv, end } => {
                    let before = valid_up_to;
                    match r.replay(self, &argv) {
                        Replayed::Unknown => {
                            tracing::warn!(
                                "Unknown command '{}' reading the append only file {name}",
                                String::from_utf8_lossy(&argv[0])
                            );
                            return LoadStatus::Failed;
                        }
                        Replayed::Multi => valid_before_multi = before,
                        Replayed::Ok => {}
                    }
                    pos = end;
                    loops += 1;
                    if loops.is_multiple_of(1024) {
                        progress.add(pos - reported);
                        reported = pos;
                    }
                    if truncated_ok {
                        valid_up_to = end;
                    }
                    if delay != 0 {
                        crate::persist::load::debug_delay(delay);
                    }
                }
            }
        }
        progress.add(pos - reported);
        if r.in_multi() {
            tracing::warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
            r.discard_multi(self);
            return self.aof_unexpected_eof(
                name,
                &path,
                truncated_ok.then_some(valid_before_multi),
            );
        }
        LoadStatus::Ok
    }

    /// The `uxeof` path of loadSingleAppendOnlyFile: with aof-load-truncated (`valid` is Some) the file is
    /// cut after its last whole command and the load goes on; otherwise it fails.
    fn aof_unexpected_eof(&mut self, name: &str, path: &Path, valid: Option<usize>) -> LoadStatus {
        if let Some(valid) = valid {
            tracing::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
            tracing::warn!("!!! Truncating the AOF {name} at offset {valid} !!!");
            let cut = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(valid as u64));
            match cut {
                Ok(()) => {
                    tracing::warn!(
                        "AOF {name} loaded anyway because aof-load-truncated is enabled"
                    );
                    return LoadStatus::Truncated;
                }
                Err(e) => tracing::warn!("Error truncating the AOF file {name}: {e}"),
            }
        }
        tracing::warn!("Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.");
        LoadStatus::Failed
    }

    /// Loads an RDB preamble (or an RDB base file) into the databases; returns the bytes it took.
    fn aof_load_preamble(&mut self, data: &[u8]) -> Result<usize, crate::persist::load::LoadError> {
        let mut opts = self.load_options();
        // An AOF's RDB part keeps keys already expired (rdbLoad drops them only outside RDBFLAGS_AOF_PREAMBLE):
        // the commands after it may still touch them.
        opts.now_ms = i64::MIN;
        let loaded = crate::persist::load::load(data, &opts)?;
        // Keys of the base come before any command of the incr files: the databases are replaced whole.
        self.flushing_watched(None);
        let consumed = loaded.consumed;
        self.install_loaded(loaded);
        Ok(consumed)
    }

    /// aofOpenIfNeededOnServerStart: with the AOF on, a base file for an empty start, the last incr file
    /// opened for appending (or a new one), and the manifest written.
    pub fn aof_open_on_start(&mut self) -> Result<(), Logged> {
        if self.aof.state != State::On {
            return Ok(());
        }
        let dir = self.aof_dir();
        std::fs::create_dir_all(&dir).map_err(|e| {
            tracing::warn!(
                "Can't open or create append-only dir {}: {e}",
                dir.display()
            );
        })?;
        let prefix = self.aof_prefix();
        let mut am = std::mem::take(&mut self.aof.manifest);
        let incr_len = am.incr.len();
        let r = (|| {
            if am.base.is_none() && incr_len == 0 {
                let base = am.new_base(&prefix, self.aof_use_rdb_preamble());
                self.aof_rewrite_foreground(&dir.join(&base))?;
                tracing::info!("Creating AOF base file {base} on server start");
            }
            let name = am.last_incr(&prefix);
            let f = open_append(&dir.join(&name)).map_err(|e| {
                tracing::warn!("Can't open the append-only file {name}: {e}");
            })?;
            self.persist_manifest(&mut am)?;
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            self.aof_set_file(Some(Arc::new(f)));
            self.aof.last_incr_size = size;
            self.aof.last_incr_fsync_offset = size;
            if incr_len > 0 {
                tracing::info!("Opening AOF incr file {name} on server start");
            } else {
                tracing::info!("Creating AOF incr file {name} on server start");
            }
            Ok(())
        })();
        self.aof.manifest = am;
        self.aof.last_fsync = unix_s();
        self.aof_refresh();
        r
    }

    /// aofDelHistoryFiles: history files are deleted and the manifest rewritten without them (unless
    /// aof-disable-auto-gc).
    pub fn aof_del_history_files(&mut self) -> Result<(), Logged> {
        if self.config.get("aof-disable-auto-gc") == Some("yes")
            || self.aof.manifest.history.is_empty()
        {
            return Ok(());
        }
        let dir = self.aof_dir();
        let mut doomed = Vec::new();
        for h in std::mem::take(&mut self.aof.manifest.history) {
            tracing::info!("Removing the history file {} in the background", h.name);
            doomed.push(dir.join(&h.name));
        }
        bg_unlink(doomed);
        let mut am = std::mem::take(&mut self.aof.manifest);
        am.dirty = true;
        let r = self.persist_manifest(&mut am);
        self.aof.manifest = am;
        Ok(r?)
    }

    /// rewriteAppendOnlyFile: the whole data set written now to `path` (through a temporary file).
    fn aof_rewrite_foreground(&mut self, path: &Path) -> Result<(), ()> {
        let tmp = self
            .server_dir()
            .join(format!("temp-rewriteaof-{}.aof", std::process::id()));
        let now = now_ms();
        let snap = self.aof_snapshot(tmp, path.to_path_buf(), now, false);
        let mut snap = snap.map_err(|e| {
            tracing::warn!("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {e}");
        })?;
        snap.step(&self.dbs, None, usize::MAX);
        snap.finish().map_err(|e| {
            tracing::warn!("Write error writing append only file on disk: {e}");
        })
    }

    fn aof_snapshot(
        &self,
        tmp: PathBuf,
        path: PathBuf,
        now: i64,
        background: bool,
    ) -> std::io::Result<Snapshot> {
        let rdb = self.aof_use_rdb_preamble();
        let mut preamble = Vec::new();
        if !rdb && self.config.get("aof-timestamp-enabled") == Some("yes") {
            preamble = format!("#TS:{}\r\n", now / 1000).into_bytes();
        }
        let target = snapshot::Target {
            tmp,
            path,
            format: if rdb { Format::Rdb } else { Format::Commands },
            aux: crate::engine::rdb_aux(now, true),
            preamble,
        };
        let mut s = self.start_snapshot(target, now, background)?;
        s.aof_rewrite = true;
        Ok(s)
    }

    /// flushAppendOnlyFile: the feed written to the current file, then fsynced as the policy says.
    pub fn aof_flush(&mut self, force: bool) {
        if self.aof.state == State::Off || self.aof.file.is_none() {
            return;
        }
        let policy = self.aof_fsync_policy();
        let now = unix_s();
        let mut sync_in_progress = false;
        if self.journal.aof.buf.is_empty() {
            let unsynced = self.aof.last_incr_fsync_offset != self.aof.last_incr_size;
            let due = match policy {
                Fsync::EverySec => {
                    sync_in_progress = self.aof_fsync_in_progress();
                    unsynced && now > self.aof.last_fsync && !sync_in_progress
                }
                Fsync::Always => unsynced,
                Fsync::No => false,
            };
            if due {
                self.aof_try_fsync(policy, now, sync_in_progress);
            }
            return;
        }
        if policy == Fsync::EverySec {
            sync_in_progress = self.aof_fsync_in_progress();
        }
        if policy == Fsync::EverySec && !force && sync_in_progress {
            if self.aof.flush_postponed_start == 0 {
                self.aof.flush_postponed_start = now;
                return;
            } else if now - self.aof.flush_postponed_start < 2 {
                return;
            }
            self.aof.delayed_fsync += 1;
            tracing::info!("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
        }
        self.aof.flush_postponed_start = 0;
        let Some(file) = self.aof.file.clone() else {
            return;
        };
        if self.aof.flush_sleep_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(self.aof.flush_sleep_us));
        }
        let buf = std::mem::take(&mut self.journal.aof.buf);
        match (&*file).write_all(&buf) {
            Ok(()) => {
                if !self.aof.last_write_ok {
                    tracing::warn!("AOF write error looks solved, Redis can write again.");
                    self.aof.last_write_ok = true;
                }
                self.aof.current_size += buf.len() as u64;
                self.aof.last_incr_size += buf.len() as u64;
                self.aof
                    .durability
                    .written
                    .fetch_add(buf.len() as u64, Ordering::AcqRel);
                // Keep the allocation of a small buffer.
                if buf.capacity() < 4000 {
                    let mut buf = buf;
                    buf.clear();
                    self.journal.aof.buf = buf;
                }
            }
            Err(e) => {
                if now - self.aof.last_write_error_log > 30 {
                    self.aof.last_write_error_log = now;
                    tracing::warn!("Error writing to the AOF file: {e}");
                }
                // A partial write is cut back so the file stays whole commands.
                let _ = file.set_len(self.aof.last_incr_size);
                if policy == Fsync::Always {
                    tracing::warn!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
                    std::process::exit(1);
                }
                self.aof.last_write_ok = false;
                self.aof.last_write_error = e.to_string();
                // Kept for the next attempt, before anything fed since.
                let mut rest = buf;
                rest.extend_from_slice(&self.journal.aof.buf);
                self.journal.aof.buf = rest;
                return;
            }
        }
        self.aof_try_fsync(policy, now, sync_in_progress);
    }

    fn aof_try_fsync(&mut self, policy: Fsync, now: i64, sync_in_progress: bool) {
        if self.config.get("no-appendfsync-on-rewrite") == Some("yes")
            && self.rdb.snapshot.is_some()
        {
            return;
        }
        match policy {
            // The fsync itself happens in Durability::wait, before any reply leaves.
            Fsync::Always => {
                self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
                self.aof.last_fsync = now;
            }
            Fsync::EverySec if now > self.aof.last_fsync => {
                if !sync_in_progress {
                    if let (Some(f), Some(fs)) = (self.aof.file.clone(), self.aof.fsyncer.as_ref())
                    {
                        fs.submit(f);
                    }
                    self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
                }
                self.aof.last_fsync = now;
            }
            _ => {}
        }
    }

    fn aof_fsync_in_progress(&self) -> bool {
        self.aof.fsyncer.as_ref().is_some_and(|f| f.in_progress())
    }

    /// The current file made durable now (before it is closed or replaced), whatever the policy.
    fn aof_fsync_now(&mut self) {
        if let Some(f) = &self.aof.file {
            match f.sync_data() {
                Ok(()) => self.aof.last_fsync = unix_s(),
                Err(e) => tracing::warn!("Fail to fsync the AOF file: {e}"),
            }
        }
        let d = &self.aof.durability;
        d.synced
            .fetch_max(d.written.load(Ordering::Acquire), Ordering::AcqRel);
        d.done.notify_waiters();
    }

    /// openNewIncrAofForAppend: writes from now on go to a new incr file (a temporary one while the AOF waits
    /// for its first rewrite), recorded in the manifest first.
    fn aof_open_new_incr(&mut self) -> Result<(), ()> {
        if self.aof.state == State::Off {
            return Ok(());
        }
        let dir = self.aof_dir();
        let prefix = self.aof_prefix();
        let mut temp_am = None;
        let name = if self.aof.state == State::WaitRewrite {
            fmt::temp_incr_name(&prefix)
        } else {
            let mut am = self.aof.manifest.clone();
            let n = am.new_incr(&prefix);
            temp_am = Some(am);
            n
        };
        let f = open_truncate(&dir.join(&name)).map_err(|e| {
            tracing::warn!("Can't open the append-only file {name}: {e}");
        })?;
        if let Some(am) = temp_am.as_mut() {
            if self.persist_manifest(am).is_err() {
                let _ = std::fs::remove_file(dir.join(&name));
                return Err(());
            }
        }
        tracing::info!("Creating AOF incr file {name} on background rewrite");
        // What went to the old file is made durable before it is let go: at once under `always` (replies may
        // be waiting on it: a batch's worth at most), else by the fsync thread (aof_background_fsync_and_close),
        // so the rewrite does not start with a stall of the size of everything unsynced.
        if self.aof_fsync_policy() == Fsync::Always {
            self.aof_fsync_now();
        } else if let (Some(old), Some(fs)) = (self.aof.file.clone(), self.aof.fsyncer.as_ref()) {
            fs.submit(old);
            self.aof.last_fsync = unix_s();
        }
        self.aof_set_file(Some(Arc::new(f)));
        self.aof.last_incr_size = 0;
        self.aof.last_incr_fsync_offset = 0;
        if let Some(am) = temp_am {
            self.aof.manifest = am;
        }
        Ok(())
    }

    /// rewriteAppendOnlyFileBackground: a new incr file takes the writes from now on, and a snapshot of the
    /// data set as it is now becomes the new base, in slices, while clients are served.
    pub fn aof_rewrite_background(&mut self) -> Result<(), Logged> {
        if self.rdb.snapshot.is_some() {
            return Err(Logged);
        }
        let dir = self.aof_dir();
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::warn!(
                "Can't open or create append-only dir {}: {e}",
                dir.display()
            );
            self.aof.last_bgrewrite_ok = false;
            return Err(Logged);
        }
        self.journal.aof.seldb = None;
        self.aof_flush(true);
        if self.aof_open_new_incr().is_err() {
            self.aof.last_bgrewrite_ok = false;
            return Err(Logged);
        }
        self.aof.rewrites += 1;
        self.stats.total_forks += 1;
        // The files are named after the stand-in child, as Redis's after its forked child.
        let child = snapshot::Child::spawn();
        let pid = child.as_ref().map_or(std::process::id(), |c| c.pid());
        self.aof.rewrite_pid = pid;
        let sd = self.server_dir();
        let now = now_ms();
        match self.aof_snapshot(
            sd.join(format!("temp-rewriteaof-{pid}.aof")),
            sd.join(format!("temp-rewriteaof-bg-{pid}.aof")),
            now,
            true,
        ) {
            Ok(mut s) => {
                s.set_child(child);
                self.rdb.snapshot = Some(s);
                tracing::info!("Background append only file rewriting started");
                self.aof.rewrite_scheduled = false;
                self.aof.rewrite_started = Some(Instant::now());
                self.aof_refresh();
                Ok(())
            }
            Err(e) => {
                self.aof.last_bgrewrite_ok = false;
                tracing::warn!("Can't rewrite append only file in background: {e}");
                Err(Logged)
            }
        }
    }

    /// backgroundRewriteDoneHandler: the finished base renamed into place, the incr files it covers marked
    /// history, the manifest swapped, history deleted.
    /// `signal`: the rewrite was killed (10, SIGUSR1: by the server itself, not a failure).
    pub(crate) fn aof_rewrite_done(&mut self, result: Result<(), String>, signal: Option<i32>) {
        let pid = self.aof.rewrite_pid;
        let tmpfile = format!("temp-rewriteaof-bg-{pid}.aof");
        let sd = self.server_dir();
        let dir = self.aof_dir();
        let prefix = self.aof_prefix();
        match result {
            Ok(()) => {
                tracing::info!("Background AOF rewrite terminated with success");
                let mut am = self.aof.manifest.clone();
                let base = am.new_base(&prefix, self.aof_use_rdb_preamble());
                let ok = (|| {
                    std::fs::rename(sd.join(&tmpfile), dir.join(&base)).map_err(|e| {
                        tracing::warn!(
                            "Error trying to rename the temporary AOF base file {tmpfile} into {base}: {e}"
                        );
                    })?;
                    tracing::info!(
                        "Successfully renamed the temporary AOF base file {tmpfile} into {base}"
                    );
                    let mut new_incr = None;
                    if self.aof.state == State::WaitRewrite {
                        let temp_incr = fmt::temp_incr_name(&prefix);
                        let incr = am.new_incr(&prefix);
                        if let Err(e) = std::fs::rename(dir.join(&temp_incr), dir.join(&incr)) {
                            tracing::warn!(
                                "Error trying to rename the temporary AOF incr file {temp_incr} into {incr}: {e}"
                            );
                            let _ = std::fs::remove_file(dir.join(&base));
                            return Err(Logged);
                        }
                        tracing::info!(
                            "Successfully renamed the temporary AOF incr file {temp_incr} into {incr}"
                        );
                        new_incr = Some(incr);
                    }
                    am.mark_rewritten_incr_as_history(self.aof.file.is_some());
                    if self.persist_manifest(&mut am).is_err() {
                        let _ = std::fs::remove_file(dir.join(&base));
                        if let Some(i) = new_incr {
                            let _ = std::fs::remove_file(dir.join(i));
                        }
                        return Err(Logged);
                    }
                    Ok(())
                })();
                if ok.is_ok() {
                    self.aof.manifest = am;
                    if self.aof.state != State::Off {
                        let base_size = std::fs::metadata(dir.join(&base))
                            .map(|m| m.len())
                            .unwrap_or(0);
                        self.aof.current_size = base_size + self.aof.last_incr_size;
                        self.aof.rewrite_base_size = self.aof.current_size;
                    }
                    let _ = self.aof_del_history_files();
                    self.aof.last_bgrewrite_ok = true;
                    self.aof.consecutive_failures = 0;
                    tracing::info!("Background AOF rewrite finished successfully");
                    if self.aof.state == State::WaitRewrite {
                        self.aof.state = State::On;
                    }
                } else {
                    self.aof.last_bgrewrite_ok = false;
                    self.aof.consecutive_failures += 1;
                }
            }
            Err(e) => match signal {
                None => {
                    self.aof.last_bgrewrite_ok = false;
                    self.aof.consecutive_failures += 1;
                    tracing::warn!("{e}");
                    tracing::warn!("Background AOF rewrite terminated with error");
                }
                Some(sig) => {
                    if sig != 10 {
                        self.aof.last_bgrewrite_ok = false;
                        self.aof.consecutive_failures += 1;
                    }
                    tracing::warn!("Background AOF rewrite terminated by signal {sig}");
                }
            },
        }
        let _ = std::fs::remove_file(sd.join(&tmpfile));
        let _ = std::fs::remove_file(sd.join(format!("temp-rewriteaof-{pid}.aof")));
        if self.aof.state == State::WaitRewrite {
            self.journal.aof.buf.clear();
            let temp_incr = fmt::temp_incr_name(&prefix);
            tracing::info!("Removing the temp incr aof file {temp_incr} in the background");
            let _ = std::fs::remove_file(dir.join(&temp_incr));
            self.aof.rewrite_scheduled = true;
            // Writes accumulated for the temporary file are gone with it: none go anywhere until the
            // next rewrite starts.
            self.aof_set_file(None);
        }
        if let Some(t) = self.aof.rewrite_started.take() {
            self.aof.rewrite_time_last = t.elapsed().as_secs() as i64;
        }
        self.aof_refresh();
    }

    /// killAppendOnlyChild: a rewrite in progress is abandoned.
    fn aof_kill_rewrite(&mut self) {
        if !self.aof_rewriting() {
            return;
        }
        let pid = self.aof.rewrite_pid;
        tracing::info!("Killing running AOF rewrite child: {pid}");
        self.rdb.snapshot = None;
        let sd = self.server_dir();
        let _ = std::fs::remove_file(sd.join(format!("temp-rewriteaof-bg-{pid}.aof")));
        let _ = std::fs::remove_file(sd.join(format!("temp-rewriteaof-{pid}.aof")));
        self.aof.rewrite_started = None;
    }

    /// stopAppendOnly (CONFIG SET appendonly no).
    pub fn aof_stop(&mut self) {
        if self.aof.state == State::Off {
            return;
        }
        self.aof_flush(true);
        self.aof_fsync_now();
        let was_waiting = self.aof.state == State::WaitRewrite;
        self.aof_set_file(None);
        self.aof.state = State::Off;
        self.aof.rewrite_scheduled = false;
        self.aof.last_incr_size = 0;
        self.aof.last_incr_fsync_offset = 0;
        if self.aof_rewriting() {
            self.aof_kill_rewrite();
            if was_waiting {
                let _ = std::fs::remove_file(
                    self.aof_dir().join(fmt::temp_incr_name(&self.aof_prefix())),
                );
            }
        }
        self.journal.aof.buf.clear();
        self.aof_refresh();
    }

    /// startAppendOnly (CONFIG SET appendonly yes): on once a first rewrite has made a base.
    pub fn aof_start(&mut self, in_exec: bool) -> Result<(), Logged> {
        if self.aof.state != State::Off {
            return Ok(());
        }
        self.aof.state = State::WaitRewrite;
        if self.rdb.snapshot.is_some() && !self.aof_rewriting() {
            self.aof.rewrite_scheduled = true;
            tracing::warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        } else if in_exec {
            self.aof.rewrite_scheduled = true;
            tracing::warn!("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
        } else {
            if self.aof_rewriting() {
                tracing::warn!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
                self.aof_kill_rewrite();
            }
            if self.aof_rewrite_background().is_err() {
                self.aof.state = State::Off;
                tracing::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
                self.aof_refresh();
                return Err(Logged);
            }
        }
        self.aof.last_fsync = unix_s();
        if !self.aof.last_write_ok {
            tracing::warn!("AOF reopen, just ignore the last error.");
            self.aof.last_write_ok = true;
        }
        self.aof_refresh();
        Ok(())
    }

    /// aofRewriteLimited: after three failed rewrites in a row, automatic ones wait 1, 2, 4... up to 60
    /// minutes.
    fn aof_rewrite_limited(&mut self) -> bool {
        if self.aof.consecutive_failures < 3 {
            self.aof.limit = (0, 0);
            return false;
        }
        let now = unix_s();
        let (delay, next) = self.aof.limit;
        if next != 0 {
            if now < next {
                return true;
            }
            self.aof.limit.1 = 0;
            return false;
        }
        let delay = if delay == 0 { 1 } else { (delay * 2).min(60) };
        self.aof.limit = (delay, now + delay * 60);
        tracing::warn!("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {delay} minutes");
        true
    }

    /// The AOF's part of serverCron and beforeSleep: a scheduled or automatic rewrite, a postponed write,
    /// the everysec fsync, a failed write retried.
    pub fn aof_cron(&mut self) {
        if self.rdb.snapshot.is_none() && self.aof.rewrite_scheduled && !self.aof_rewrite_limited()
        {
            let _ = self.aof_rewrite_background();
        }
        if self.aof.state == State::On && self.rdb.snapshot.is_none() {
            let perc = self
                .config
                .get("auto-aof-rewrite-percentage")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(100);
            let min = self
                .config
                .get("auto-aof-rewrite-min-size")
                .and_then(crate::config::parse_memory)
                .unwrap_or(64 << 20);
            if perc > 0 && self.aof.current_size > min {
                let base = self.aof.rewrite_base_size.max(1);
                let growth = (self.aof.current_size * 100 / base) as i64 - 100;
                if growth >= perc as i64 && !self.aof_rewrite_limited() {
                    tracing::info!("Starting automatic rewriting of AOF on {growth}% growth");
                    let _ = self.aof_rewrite_background();
                }
            }
        }
        if self.aof.state != State::Off {
            self.aof_flush(false);
        }
    }

    /// Before the server exits: everything written and fsynced ("Calling fsync() on the AOF file.").
    pub fn aof_shutdown(&mut self) {
        if self.aof_rewriting() {
            self.aof_kill_rewrite();
        }
        if self.aof.state != State::Off {
            self.aof_flush(true);
            tracing::info!("Calling fsync() on the AOF file.");
            self.aof_fsync_now();
        }
    }

    /// INFO persistence's AOF fields after the RDB ones.
    pub fn aof_info(&self, s: &mut String) {
        use std::fmt::Write as _;
        let a = &self.aof;
        let current = a
            .rewrite_started
            .filter(|_| self.aof_rewriting())
            .map(|t| t.elapsed().as_secs() as i64)
            .unwrap_or(-1);
        let _ = write!(
            s,
            "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\naof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
            (a.state != State::Off) as u8,
            self.aof_rewriting() as u8,
            a.rewrite_scheduled as u8,
            a.rewrite_time_last,
            current,
            if a.last_bgrewrite_ok { "ok" } else { "err" },
            a.rewrites,
            a.consecutive_failures,
            if a.last_write_ok { "ok" } else { "err" },
        );
        if a.state != State::Off {
            let _ = write!(
                s,
                "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:{}\r\naof_delayed_fsync:{}\r\n",
                a.current_size,
                a.rewrite_base_size,
                a.rewrite_scheduled as u8,
                self.journal.aof.buf.len(),
                a.fsyncer.as_ref().map(|f| f.pending.load(Ordering::Acquire)).unwrap_or(0),
                a.delayed_fsync,
            );
        }
    }
}
