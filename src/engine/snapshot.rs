//! Snapshots without fork (SAVE, BGSAVE): the keyspace is written to an RDB file in short slices while clients
//! keep being served, and a key about to change that the sweep has not reached yet is written first, with its
//! old value (the keyspace's pre-write hook), so the file is the data set as it was when the save began.
//!
//! The sweep walks each database by position. Positions move only on removal (the last entry takes the removed
//! one's place), so a removal in the database being swept first writes the entry that will move from the
//! unswept side into the swept one. Keys written ahead of the sweep, and keys created after the start, are
//! remembered so the sweep skips them. Serialization happens under the store lock; the bytes go to a writer
//! thread, which writes a temporary file, fsyncs it, renames it over the target and fsyncs the directory.
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use crate::db::{Db, Entry, Key, NO_EXPIRE};
use crate::persist::convert::to_rdb;
use crate::persist::rdb::{self, SaveOptions};

/// Bytes gathered before they are handed to the writer thread.
const CHUNK: usize = 1 << 20;

/// Chunks that may wait for the writer: when the disk is slower than the sweep, the sweep pauses rather than
/// the queue growing (the memory a save costs stays a few chunks, not the file).
const QUEUED_CHUNKS: usize = 4;

/// Room past a chunk's size in each buffer, so the entry that crosses the threshold does not regrow it.
const CHUNK_SLACK: usize = 64 << 10;

/// A chunk buffer: allocated once and recycled by the writer thread. Growing a fresh megabyte buffer under
/// the store's lock costs its page faults each time (several ms on a busy machine, and the allocator
/// returns freed pages at once): the buffers circulate instead, already faulted in.
fn chunk_buffer() -> Vec<u8> {
    Vec::with_capacity(CHUNK + CHUNK_SLACK)
}

/// To the writer thread.
enum Msg {
    Data(Vec<u8>),
    /// The file is complete; `Some(checksum)` for an RDB file, whose CRC64 (or 0 when `rdbchecksum no`) the
    /// writer appends, having computed it over every byte it wrote.
    End(Option<bool>),
}

/// How a finished save went.
pub type SaveResult = Result<(), String>;

/// What a snapshot's file holds: an RDB file (dump.rdb, or an AOF base with RDB preamble), or the data set as
/// commands (an AOF base with `aof-use-rdb-preamble no`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rdb,
    Commands,
}

/// Where a snapshot goes and in what form.
pub struct Target {
    /// Written first, then renamed over `path` once complete and fsynced.
    pub tmp: PathBuf,
    pub path: PathBuf,
    pub format: Format,
    /// RDB aux fields after the header (RDB format).
    pub aux: Vec<(&'static str, Vec<u8>)>,
    /// The first bytes of a command-form file (a timestamp annotation, or nothing).
    pub preamble: Vec<u8>,
}

/// A save in progress.
pub struct Snapshot {
    format: Format,
    opts: SaveOptions,
    checksum: bool,
    /// The snapshot's instant (Unix ms): keys already expired then are left out, as a load would drop them.
    now: i64,
    /// Keys and keys with a TTL per database at the start: the RESIZEDB hints, and which sections exist.
    sizes: Vec<(usize, usize)>,
    /// The database being swept and the next position in it.
    db: usize,
    pos: usize,
    /// Whether `db`'s SELECTDB section has been written.
    section_open: bool,
    /// Per database: entries written ahead of the sweep before it reached their database.
    ahead: Vec<Vec<u8>>,
    /// Per database, keys created after the start that the sweep must skip (only when removals shrank the
    /// database below its size at the start: otherwise they lie past the sweep's region).
    skip: Vec<HashSet<Key>>,
    /// This snapshot's mark: an entry whose `saved_by` is this was written ahead of the sweep.
    epoch: u32,
    out: Vec<u8>,
    /// Emptied chunk buffers back from the writer.
    spare: mpsc::Receiver<Vec<u8>>,
    reserve: Option<Vec<u8>>,
    /// The RDB EOF opcode has been added after the last database.
    ended: bool,
    /// To the writer thread: file bytes, then the end.
    tx: Option<mpsc::SyncSender<Msg>>,
    writer: Option<JoinHandle<SaveResult>>,
    tmp: PathBuf,
    /// When the save began, and the dirty counter then (changes made during the save stay unsaved).
    pub started: Instant,
    pub dirty_at_start: u64,
    pub keys_total: u64,
    pub keys_processed: u64,
    /// BGSAVE (as opposed to SAVE or a save at shutdown): decides the log lines and INFO's bgsave fields.
    pub background: bool,
    /// An AOF rewrite's base file rather than an RDB save.
    pub aof_rewrite: bool,
    /// The process standing for a background save (see `Child`).
    child: Option<Child>,
    /// A pause after each key of a foreground save (rdb-key-save-delay).
    pub key_delay_us: u64,
    /// The databases being saved, once the store emptied itself and gave them to the save (DEBUG LOADAOF
    /// during a BGSAVE): swept here, no longer changed by anyone.
    owned: Option<Vec<Db>>,
}

/// A background save's stand-in for Redis's forked child: an idle process whose pid names the temporary files
/// (`temp-<pid>.rdb`, `temp-rewriteaof-bg-<pid>.aof`, as Redis names them after its child) and whose death,
/// if someone kills it, aborts the save as killing Redis's child does. Operators' scripts and Redis's own
/// tests find it with `pgrep -P <server pid>`. The save itself runs in the server, without fork.
pub struct Child {
    process: std::process::Child,
}

impl Child {
    /// Starts one; `None` if no process can be started (the save then goes on without it).
    pub fn spawn() -> Option<Child> {
        std::process::Command::new("sleep")
            .arg("infinity")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()
            .map(|process| Child { process })
    }

    pub fn pid(&self) -> u32 {
        self.process.id()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Snapshot {
    /// Starts a save of `dbs` to `target`: the header (and aux fields) are written at once.
    pub fn start(
        dbs: &[Db],
        target: Target,
        opts: SaveOptions,
        checksum: bool,
        now: i64,
        dirty: u64,
        background: bool,
    ) -> std::io::Result<Snapshot> {
        let file = std::fs::File::create(&target.tmp)?;
        let (tx, rx) = mpsc::sync_channel::<Msg>(QUEUED_CHUNKS);
        let (spare_tx, spare) = mpsc::channel::<Vec<u8>>();
        let (tmp, path) = (target.tmp.clone(), target.path.clone());
        let writer = std::thread::Builder::new()
            .name("rdb-writer".into())
            .spawn(move || write_file(file, rx, spare_tx, &tmp, &path))?;
        let header = match target.format {
            Format::Rdb => {
                let aux: Vec<(&str, &[u8])> =
                    target.aux.iter().map(|(k, v)| (*k, &v[..])).collect();
                rdb::FileWriter::new(opts, &aux).out
            }
            Format::Commands => target.preamble,
        };
        let sizes: Vec<(usize, usize)> = dbs.iter().map(|d| (d.len(), d.volatile_len())).collect();
        Ok(Snapshot {
            format: target.format,
            opts,
            checksum,
            now,
            keys_total: sizes.iter().map(|s| s.0 as u64).sum(),
            sizes,
            db: 0,
            pos: 0,
            section_open: false,
            ahead: vec![Vec::new(); dbs.len()],
            skip: vec![HashSet::new(); dbs.len()],
            epoch: next_epoch(),
            out: {
                let mut out = chunk_buffer();
                out.extend_from_slice(&header);
                out
            },
            spare,
            reserve: None,
            ended: false,
            tx: Some(tx),
            writer: Some(writer),
            tmp: target.tmp,
            started: Instant::now(),
            dirty_at_start: dirty,
            keys_processed: 0,
            background,
            aof_rewrite: false,
            child: None,
            key_delay_us: 0,
            owned: None,
        })
    }

    /// Takes over the databases being saved: the store goes on with empty ones.
    pub fn detach(&mut self, dbs: Vec<Db>) {
        if !self.swept() && self.owned.is_none() {
            self.owned = Some(dbs);
        }
    }

    /// Gives the save its stand-in child process.
    pub fn set_child(&mut self, child: Option<Child>) {
        self.child = child;
    }

    /// The signal that killed the stand-in child, if something killed it (the save must then be abandoned).
    pub fn child_killed(&mut self) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        let c = self.child.as_mut()?;
        match c.process.try_wait() {
            Ok(Some(status)) => Some(status.signal().unwrap_or(0)),
            _ => None,
        }
    }

    /// Whether the writer's queue was full at the last try: the sweep waits for the disk.
    pub fn backlogged(&self) -> bool {
        self.out.len() >= CHUNK || (self.ended && self.tx.is_some())
    }

    /// Whether every database has been swept and the file handed to the writer.
    pub fn swept(&self) -> bool {
        self.tx.is_none()
    }

    /// Sweeps until `deadline` (checked every few keys), `limit` keys or the end; at the end writes EOF and the
    /// checksum and lets the writer finish the file. Returns true once everything is swept.
    pub fn step(&mut self, dbs: &[Db], deadline: Option<Instant>, limit: usize) -> bool {
        match self.owned.take() {
            Some(own) => {
                let r = self.sweep(&own, deadline, limit);
                self.owned = Some(own);
                r
            }
            None => self.sweep(dbs, deadline, limit),
        }
    }

    fn sweep(&mut self, dbs: &[Db], deadline: Option<Instant>, limit: usize) -> bool {
        if self.swept() {
            return true;
        }
        let mut n = 0u32;
        while self.db < dbs.len() {
            if !self.section_open {
                let (keys, expires) = self.sizes.get(self.db).copied().unwrap_or((0, 0));
                if keys == 0 {
                    self.db += 1;
                    self.pos = 0;
                    continue;
                }
                match self.format {
                    Format::Rdb => rdb::write_select_db(&mut self.out, self.db, keys, expires),
                    Format::Commands => crate::persist::aof::write_select(&mut self.out, self.db),
                }
                let ahead = std::mem::take(&mut self.ahead[self.db]);
                self.out.extend_from_slice(&ahead);
                self.section_open = true;
            }
            let d = &dbs[self.db];
            // Keys created after the start are appended past the first `keys` positions, and entries only
            // ever move down (a removal moves the last one into its place): the snapshot's keys all lie in
            // the first `keys` positions.
            let (keys, _) = self.sizes.get(self.db).copied().unwrap_or((0, 0));
            while self.pos < d.len().min(keys) {
                if let Some((k, e)) = d.at(self.pos) {
                    // A key the sweep passes is never seen again: its mark goes (the set only holds keys
                    // still ahead of the sweep, not one per key written during the save).
                    let skipped = &mut self.skip[self.db];
                    if e.saved_by != self.epoch && (skipped.is_empty() || !skipped.remove(&k[..])) {
                        self.keys_processed += 1;
                        write_entry(&mut self.out, k, e, self.now, &self.opts, self.format);
                        if self.key_delay_us > 0 && deadline.is_none() {
                            std::thread::sleep(std::time::Duration::from_micros(self.key_delay_us));
                        }
                    }
                }
                self.pos += 1;
                n += 1;
                // A full queue ends the slice: the writer catches up before the sweep goes on.
                if !self.flush(false, deadline.is_none())
                    || n as usize >= limit
                    || (n.is_multiple_of(64) && deadline.is_some_and(|t| Instant::now() >= t))
                {
                    return false;
                }
            }
            self.db += 1;
            self.pos = 0;
            self.section_open = false;
        }
        if !self.ended && self.format == Format::Rdb {
            self.out.push(rdb::OPCODE_EOF);
        }
        self.ended = true;
        let wait = deadline.is_none();
        if !self.flush(true, wait) {
            return false;
        }
        let trailer = (self.format == Format::Rdb).then_some(self.checksum);
        if let Some(tx) = &self.tx {
            let full = if wait {
                // A writer that hung up has failed: it says why when the save is reaped.
                let _ = tx.send(Msg::End(trailer));
                false
            } else {
                matches!(
                    tx.try_send(Msg::End(trailer)),
                    Err(mpsc::TrySendError::Full(_))
                )
            };
            // The queue is full: the end goes in a later slice.
            if full {
                return false;
            }
        }
        self.tx = None;
        true
    }

    /// Hands the gathered bytes to the writer once there is a chunk's worth (or, `all`, whatever is left).
    /// False when the writer's queue is full and `wait` is not set: the bytes stay here for the next try.
    fn flush(&mut self, all: bool, wait: bool) -> bool {
        if self.out.len() < CHUNK && (!all || self.out.is_empty()) {
            return true;
        }
        let Some(tx) = &self.tx else {
            return true;
        };
        let next = match self.reserve.take() {
            Some(b) => b,
            None => self.spare.try_recv().unwrap_or_else(|_| chunk_buffer()),
        };
        let chunk = std::mem::replace(&mut self.out, next);
        if wait {
            // A writer that failed has hung up: its error is reported when the save is reaped.
            let _ = tx.send(Msg::Data(chunk));
            return true;
        }
        match tx.try_send(Msg::Data(chunk)) {
            Ok(()) | Err(mpsc::TrySendError::Disconnected(_)) => true,
            Err(mpsc::TrySendError::Full(Msg::Data(chunk))) => {
                // The buffer taken for nothing waits for the next flush.
                self.reserve = Some(std::mem::replace(&mut self.out, chunk));
                false
            }
            Err(mpsc::TrySendError::Full(_)) => false,
        }
    }

    /// The pre-write hook: `key` of database `db` is about to change. If the sweep has not reached it, its
    /// current value is written now and the sweep will skip it. A key created after the start is not part of
    /// the snapshot: it is appended at the end, past the region the sweep covers, unless removals have
    /// shrunk the database below it; then it is marked to be skipped.
    pub fn before_write(&mut self, dbs: &mut [Db], db: usize, key: &[u8]) {
        if self.swept() || db < self.db || self.owned.is_some() {
            return;
        }
        let d = &dbs[db];
        let Some(p) = d.index_of(key) else {
            let at = d.len();
            if at < self.initial_len(db) && !(db == self.db && at < self.pos) {
                self.skip[db].insert(key.into());
            }
            return;
        };
        if p >= self.initial_len(db) || (db == self.db && p < self.pos) {
            return;
        }
        if let Some((k, e)) = d.at(p) {
            // Written ahead already, or a key created after the start (marked when removals had shrunk the
            // database below its size at the start).
            if e.saved_by == self.epoch || self.skip[db].contains(&k[..]) {
                return;
            }
            self.write_ahead(db, k, e);
        }
        dbs[db].entry_at_mut(p).saved_by = self.epoch;
    }

    /// Before `key` is removed from database `db`: removal moves the last entry into the key's place. An entry
    /// the sweep has not reached that moves into the swept part is written now; a key created after the start
    /// that moves into the part still to sweep is marked to be skipped.
    pub fn before_remove(&mut self, dbs: &mut [Db], db: usize, key: &[u8]) {
        if self.swept() || db < self.db || self.owned.is_some() {
            return;
        }
        let d = &dbs[db];
        let (Some(p), Some(last)) = (d.index_of(key), d.len().checked_sub(1)) else {
            return;
        };
        if p == last {
            return;
        }
        let init = self.initial_len(db);
        let swept = |q: usize| db == self.db && q < self.pos;
        let Some((k, e)) = d.at(last) else {
            return;
        };
        let mark = if last >= init {
            // A key created after the start, moving into the part still to sweep.
            p < init && !swept(p)
        } else if swept(p)
            && !swept(last)
            && e.saved_by != self.epoch
            && !self.skip[db].contains(&k[..])
        {
            self.write_ahead(db, k, e);
            true
        } else {
            false
        };
        if mark {
            dbs[db].entry_at_mut(last).saved_by = self.epoch;
        }
    }

    /// How many keys database `db` had when the snapshot began.
    fn initial_len(&self, db: usize) -> usize {
        self.sizes.get(db).map(|s| s.0).unwrap_or(0)
    }

    fn write_ahead(&mut self, db: usize, k: &[u8], e: &Entry) {
        self.keys_processed += 1;
        if db == self.db && self.section_open {
            write_entry(&mut self.out, k, e, self.now, &self.opts, self.format);
            // Never waits: a full queue leaves the bytes for the sweep's next flush.
            self.flush(false, false);
        } else if let Some(buf) = self.ahead.get_mut(db) {
            write_entry(buf, k, e, self.now, &self.opts, self.format);
        }
    }

    /// Whether the writer has finished (successfully or not) after the sweep.
    pub fn done(&self) -> bool {
        self.swept() && self.writer.as_ref().is_none_or(|w| w.is_finished())
    }

    /// Waits for the writer (after the sweep) and returns how the save went.
    pub fn finish(mut self) -> SaveResult {
        match self.writer.take().map(|w| w.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err("the RDB writer thread panicked".into()),
            None => Err("no writer".into()),
        }
    }
}

/// Dropping a save before its end abandons it (FLUSHALL during BGSAVE, SHUTDOWN): the writer gets no end
/// marker and discards its temporary file. After `finish` the file is already renamed: nothing is left.
impl Drop for Snapshot {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// A new snapshot's mark, never 0 (the mark of an entry no snapshot wrote ahead).
fn next_epoch() -> u32 {
    static EPOCH: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    loop {
        let e = EPOCH
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .wrapping_add(1);
        if e != 0 {
            return e;
        }
    }
}

/// One entry, unless it had expired at the snapshot's instant.
fn write_entry(out: &mut Vec<u8>, k: &[u8], e: &Entry, now: i64, opts: &SaveOptions, f: Format) {
    if e.is_expired(now) {
        return;
    }
    let (rv, enc) = to_rdb(&e.value);
    let at = (e.expire_at != NO_EXPIRE).then_some(e.expire_at);
    match f {
        Format::Rdb => rdb::write_entry(out, k, &rv, enc, at, opts),
        Format::Commands => crate::persist::aof::write_key_commands(out, k, &rv, at),
    }
}

/// The writer thread: chunks to the temporary file until the sender is dropped; a file that ends with the
/// RDB EOF and checksum is fsynced, renamed over the target, and the directory fsynced, so a crash at any
/// point leaves the previous file whole.
fn write_file(
    file: std::fs::File,
    rx: mpsc::Receiver<Msg>,
    spare: mpsc::Sender<Vec<u8>>,
    tmp: &Path,
    target: &Path,
) -> SaveResult {
    let mut w = std::io::BufWriter::with_capacity(CHUNK, file);
    let result = (|| -> std::io::Result<bool> {
        let mut complete = false;
        let mut crc = rdb::crc64_digest();
        for msg in rx {
            match msg {
                Msg::Data(mut chunk) => {
                    crc.update(&chunk);
                    w.write_all(&chunk)?;
                    // Back to the sweep for reuse (the sweep may be gone: then it is freed here).
                    chunk.clear();
                    let _ = spare.send(chunk);
                }
                Msg::End(trailer) => {
                    if let Some(checksum) = trailer {
                        let sum = if checksum { crc.finalize() } else { 0 };
                        w.write_all(&sum.to_le_bytes())?;
                    }
                    complete = true;
                    break;
                }
            }
        }
        // A sender dropped without the end marker: the save was aborted.
        if !complete {
            return Ok(false);
        }
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(tmp, target)?;
        if let Some(dir) = target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(true)
    })();
    match result {
        Ok(true) => Ok(()),
        Ok(false) => {
            let _ = std::fs::remove_file(tmp);
            Err("save aborted".into())
        }
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            Err(format!("Write error saving DB on disk: {e}"))
        }
    }
}
