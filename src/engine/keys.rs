//! The one door to the keyspace: every command reaches keys through `Keys`, for the database its client has
//! selected. Reads do passive expiry, the LRU touch, hit/miss counting, `keymiss` and WRONGTYPE in one place;
//! writes run the pre-write hook first and record each change in one place (`changed` and the whole-key writes:
//! dirty counter, WATCH, wake-up of blocked clients, the keyspace event, deletion of a collection left empty).
//!
//! It is also the seam for a sharded keyspace: a later step gives each database N shards with their own locks,
//! and `Keys` is built holding the shards of the command's keys (from the table's key positions) instead of
//! the whole store; handlers do not change (see ../shared/design.md).
use std::borrow::Cow;

use crate::db::value::Kind;
use crate::db::{Db, Entry, Value, NO_EXPIRE};
use crate::util::error::{CmdError, WRONGTYPE};

use super::{notify, Store};

/// A keyspace event: its class (a notify-keyspace-events letter) and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event(pub u32, pub &'static str);

impl Event {
    /// A change that publishes no event (Redis's commands that only signal the modified key).
    pub const NONE: Event = Event(0, "");
    pub const DEL: Event = Event(notify::GENERIC, "del");
    pub const EXPIRE: Event = Event(notify::GENERIC, "expire");
    pub const PERSIST: Event = Event(notify::GENERIC, "persist");
    pub const SET: Event = Event(notify::STRING, "set");
}

/// A collection borrowed together with the engine's random generator.
pub type WithRng<'k, T> = (&'k mut T, &'k mut rand::rngs::SmallRng);

/// The keyspace of one database as a command sees it, with the engine behind it.
pub struct Keys<'a> {
    store: &'a mut Store,
    db: usize,
    now: i64,
    /// Position of the key last looked up for a write, so that recording the change finds it without a
    /// second hash probe (checked against the key: positions move on removal).
    last_write: usize,
}

impl<'a> Keys<'a> {
    pub fn new(store: &'a mut Store, db: usize, now: i64) -> Keys<'a> {
        Keys {
            store,
            db,
            now,
            last_write: usize::MAX,
        }
    }

    /// The selected database's number.
    #[inline]
    pub fn db_index(&self) -> usize {
        self.db
    }

    /// Works on another database from now on (SELECT, and commands that address one: MOVE, COPY DB).
    #[inline]
    pub fn select(&mut self, db: usize) {
        self.db = db;
    }

    /// The command's clock (Unix ms), fixed for its whole run.
    #[inline]
    pub fn now(&self) -> i64 {
        self.now
    }

    /// The engine's registries, configuration and statistics. Keys are not reachable through it: the
    /// databases are private to the engine.
    #[inline]
    pub fn engine(&mut self) -> &mut Store {
        self.store
    }

    #[inline]
    pub fn engine_ref(&self) -> &Store {
        self.store
    }

    #[inline]
    fn db(&self) -> &Db {
        &self.store.dbs[self.db]
    }

    #[inline]
    fn db_mut(&mut self) -> &mut Db {
        &mut self.store.dbs[self.db]
    }

    // ---- reads

    /// Position of a live key (passive expiry applied). `read` counts hits and misses (and publishes
    /// `keymiss`) as Redis's lookupKeyRead; `touch` records the access for OBJECT IDLETIME.
    #[inline]
    fn live(&mut self, key: &[u8], read: bool, touch: bool) -> Option<usize> {
        self.store.live_index(self.db, key, self.now, read, touch)
    }

    /// `live` for a write, remembering the position for `changed`.
    #[inline]
    fn live_for_write(&mut self, key: &[u8]) -> Option<usize> {
        let i = self.live(key, false, true);
        if let Some(i) = i {
            self.last_write = i;
        }
        i
    }

    /// The live entry for a read (lookupKeyRead: hits and misses, access time).
    #[inline]
    pub fn read_entry(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let i = self.live(key, true, true)?;
        Some(self.db_mut().entry_at_mut(i))
    }

    /// A read that is not an access for OBJECT IDLETIME (LOOKUP_NOTOUCH: TYPE, EXISTS, TTL, OBJECT); still
    /// counts hits and misses.
    #[inline]
    pub fn peek_entry(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let i = self.live(key, true, false)?;
        Some(self.db_mut().entry_at_mut(i))
    }

    /// A live entry looked up without counting a hit or a miss and without touching it (LOOKUP_NOTOUCH |
    /// LOOKUP_NOSTATS: SORT BY patterns, SCAN's type filter...).
    #[inline]
    pub fn quiet_entry(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let i = self.live(key, false, false)?;
        Some(self.db_mut().entry_at_mut(i))
    }

    /// The collection at `key` for a read: `Ok(None)` if absent, WRONGTYPE for another type.
    #[inline]
    pub fn read<T: Kind>(&mut self, key: &[u8]) -> Result<Option<&mut T>, CmdError> {
        match self.read_entry(key) {
            None => Ok(None),
            Some(e) => T::of_mut(&mut e.value).map(Some).ok_or(WRONGTYPE),
        }
    }

    /// Like `read`, without counting a hit or a miss (a read inside a write command: Redis's
    /// lookupKeyWrite).
    #[inline]
    pub fn read_quiet<T: Kind>(&mut self, key: &[u8]) -> Result<Option<&mut T>, CmdError> {
        match self.live(key, false, true) {
            None => Ok(None),
            Some(i) => T::of_mut(&mut self.db_mut().entry_at_mut(i).value)
                .map(Some)
                .ok_or(WRONGTYPE),
        }
    }

    /// Like `read`, with the engine's random generator beside the collection (HRANDFIELD, SRANDMEMBER,
    /// ZRANDMEMBER draw while they hold it).
    #[inline]
    pub fn read_with_rng<T: Kind>(
        &mut self,
        key: &[u8],
    ) -> Result<Option<WithRng<'_, T>>, CmdError> {
        let i = self.live(key, true, true);
        self.with_rng(i)
    }

    /// Like `write`, with the engine's random generator beside the collection (SPOP). Record the change
    /// with `changed`.
    #[inline]
    pub fn write_with_rng<T: Kind>(
        &mut self,
        key: &[u8],
    ) -> Result<Option<WithRng<'_, T>>, CmdError> {
        let i = self.live_for_write(key);
        if i.is_some() {
            self.before_write(key);
        }
        self.with_rng(i)
    }

    #[inline]
    fn with_rng<T: Kind>(&mut self, i: Option<usize>) -> Result<Option<WithRng<'_, T>>, CmdError> {
        let Some(i) = i else {
            return Ok(None);
        };
        let store = &mut *self.store;
        let v = T::of_mut(&mut store.dbs[self.db].entry_at_mut(i).value).ok_or(WRONGTYPE)?;
        Ok(Some((v, &mut store.rng)))
    }

    /// A string value for a read: `Ok(None)` if absent, WRONGTYPE for other types.
    #[inline]
    pub fn read_string(&mut self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>, CmdError> {
        match self.read_entry(key) {
            None => Ok(None),
            Some(e) => e.value.as_bytes().map(Some).ok_or(WRONGTYPE),
        }
    }

    /// Whether a live key exists (passive expiry applied; no statistics).
    #[inline]
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed(key);
        self.db().contains(key)
    }

    /// Deletes the key if its time has passed (passive expiry). True if it did.
    #[inline]
    pub fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        self.store.expire_if_needed(self.db, key, self.now)
    }

    /// Keys in the database (DBSIZE).
    pub fn len(&self) -> usize {
        self.db().len()
    }

    pub fn is_empty(&self) -> bool {
        self.db().is_empty()
    }

    /// The database for whole-keyspace reads (KEYS, SCAN, RANDOMKEY, DEBUG DIGEST): entries as stored,
    /// expired or not; the caller applies expiry as those commands do.
    #[inline]
    pub fn view(&self) -> &Db {
        self.db()
    }

    /// Runs `f` on database `db` (MOVE and COPY reach their destination so), then comes back.
    pub fn with_db<R>(&mut self, db: usize, f: impl FnOnce(&mut Keys) -> R) -> R {
        let cur = std::mem::replace(&mut self.db, db);
        let r = f(self);
        self.db = cur;
        r
    }

    /// A key at a random position (RANDOMKEY), and whether it has expired; `None` when empty.
    pub fn random_key(&mut self) -> Option<(crate::db::Key, bool)> {
        let now = self.now;
        let store = &mut *self.store;
        store.dbs[self.db]
            .random_key(&mut store.rng)
            .map(|(k, e)| (k.clone(), e.is_expired(now)))
    }

    // ---- writes

    /// Runs before anything in the keyspace changes: a save in progress writes the old value first.
    #[inline(always)]
    fn before_write(&mut self, key: &[u8]) {
        if self.store.rdb.snapshot.is_some() {
            self.store.snapshot_before_write(self.db, key);
        }
    }

    /// Runs before a key is removed (after `before_write`): a save in progress may have to write the entry
    /// that takes the removed one's place.
    #[inline(always)]
    fn before_remove(&mut self, key: &[u8]) {
        if self.store.rdb.snapshot.is_some() {
            self.store.snapshot_before_remove(self.db, key);
        }
    }

    /// The collection at `key` for a write (lookupKeyWrite: passive expiry, access time, no statistics):
    /// `Ok(None)` if absent, WRONGTYPE for another type. Record the change with `changed`.
    #[inline]
    pub fn write<T: Kind>(&mut self, key: &[u8]) -> Result<Option<&mut T>, CmdError> {
        let Some(i) = self.live_for_write(key) else {
            return Ok(None);
        };
        if T::of(&self.db().entry_at(i).value).is_none() {
            return Err(WRONGTYPE);
        }
        self.before_write(key);
        Ok(T::of_mut(&mut self.db_mut().entry_at_mut(i).value))
    }

    /// The collection at `key` for a write, created empty if absent (WRONGTYPE for another type). A
    /// collection the write leaves empty is deleted by `changed`.
    #[inline]
    pub fn write_or_create<T: Kind>(&mut self, key: &[u8]) -> Result<&mut T, CmdError> {
        self.write_or_create_with(key, T::default)
    }

    /// `write_or_create` with the new collection made by `make` (a set's encoding follows its first member).
    #[inline]
    pub fn write_or_create_with<T: Kind>(
        &mut self,
        key: &[u8],
        make: impl FnOnce() -> T,
    ) -> Result<&mut T, CmdError> {
        let i = match self.live_for_write(key) {
            Some(i) => {
                if T::of(&self.db().entry_at(i).value).is_none() {
                    return Err(WRONGTYPE);
                }
                self.before_write(key);
                i
            }
            None => {
                self.before_write(key);
                let i = self
                    .db_mut()
                    .insert_absent(key, Entry::new(make().into_value()));
                self.last_write = i;
                i
            }
        };
        T::of_mut(&mut self.db_mut().entry_at_mut(i).value).ok_or(WRONGTYPE)
    }

    /// The live entry for a write of any type (strings changed in place: APPEND, SETRANGE, INCR...).
    #[inline]
    pub fn write_entry(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let i = self.live_for_write(key)?;
        self.before_write(key);
        Some(self.db_mut().entry_at_mut(i))
    }

    /// The live entry for a write, inserted from `make` if absent (without recording: the caller records the
    /// change once done, or not at all if it changed nothing). True if it was inserted.
    pub fn write_entry_or_insert(
        &mut self,
        key: &[u8],
        make: impl FnOnce() -> Value,
    ) -> (&mut Entry, bool) {
        let found = self.live(key, false, true);
        self.before_write(key);
        let (i, created) = match found {
            Some(i) => (i, false),
            None => (self.db_mut().insert_absent(key, Entry::new(make())), true),
        };
        (self.db_mut().entry_at_mut(i), created)
    }

    /// Records a change made through `write`/`write_entry`: the keyspace event, then deletion of a collection
    /// left empty (with its `del` event), then the dirty counter, WATCH and blocked clients.
    pub fn changed(&mut self, key: &[u8], event: Event) {
        self.notify(event, key);
        let db = self.db();
        let entry = match db.entry_at_if(self.last_write, key) {
            Some(e) => Some(e),
            None => db.get(key),
        };
        let empty = entry.is_some_and(|e| e.value.is_empty_collection());
        if empty {
            self.before_remove(key);
            self.db_mut().remove(key);
            self.notify(Event::DEL, key);
        }
        self.store.modified(self.db, key);
    }

    /// Publishes a keyspace event without recording a change (events of a command that change nothing
    /// themselves, or the second event of one change).
    #[inline]
    pub fn notify(&mut self, event: Event, key: &[u8]) {
        if event.0 != 0 {
            self.store.notify(event.0, event.1, key, self.db);
        }
    }

    /// Stores `value` at `key`, replacing any value and clearing its TTL (setKey), and records it. An
    /// expired value is first deleted as expired (its event and propagated DEL come before this write's).
    pub fn set(&mut self, key: &[u8], value: Value, event: Event) -> Option<Entry> {
        self.set_entry(key, Entry::new(value), event)
    }

    /// Stores a whole entry (value and expiry) and records it; passive expiry first, one probe when the key
    /// is live.
    pub fn set_entry(&mut self, key: &[u8], entry: Entry, event: Event) -> Option<Entry> {
        self.before_write(key);
        let old = match self.live(key, false, false) {
            Some(i) => Some(self.store.dbs[self.db].replace_at(i, key, entry)),
            None => {
                self.db_mut().insert_absent(key, entry);
                None
            }
        };
        self.record(key, event);
        old
    }

    /// Stores `value` keeping the key's TTL (SET KEEPTTL, INCRBYFLOAT, SETRANGE...), and records it. An
    /// expired key's TTL is not kept: it is deleted first, as any lookup for a write does.
    pub fn set_keep_ttl(&mut self, key: &[u8], value: Value, event: Event) {
        self.before_write(key);
        match self.live(key, false, false) {
            Some(i) => self.db_mut().entry_at_mut(i).value = value,
            None => {
                self.db_mut().insert_absent(key, Entry::new(value));
            }
        }
        self.record(key, event);
    }

    /// Records a change to a string made through `write_entry`: like `changed`, without looking for an
    /// emptied collection (a string is never one).
    #[inline]
    pub fn changed_string(&mut self, key: &[u8], event: Event) {
        self.record(key, event);
    }

    /// Deletes a live key and records it with `event` (normally `Event::DEL`); false if there was none.
    pub fn delete(&mut self, key: &[u8], event: Event) -> bool {
        self.take(key, event).is_some()
    }

    /// Removes a live key and hands its entry over (RENAME, MOVE, GETDEL), recording the removal.
    pub fn take(&mut self, key: &[u8], event: Event) -> Option<Entry> {
        if self.expire_if_needed(key) {
            return None;
        }
        self.before_write(key);
        self.before_remove(key);
        let e = self.db_mut().remove(key)?;
        self.record(key, event);
        Some(e)
    }

    /// Sets (or with `NO_EXPIRE` clears) the expiry of a live key and records it; false if absent.
    pub fn set_expire(&mut self, key: &[u8], at: i64, event: Event) -> bool {
        self.before_write(key);
        if !self.db_mut().set_expire(key, at) {
            return false;
        }
        self.record(key, event);
        true
    }

    /// The expiry of a live key (`NO_EXPIRE` if persistent), `None` if absent; no statistics.
    pub fn expire_of(&mut self, key: &[u8]) -> Option<i64> {
        let i = self.live(key, false, false)?;
        Some(self.db().entry_at(i).expire_at)
    }

    /// Adds to the dirty counter beyond the one change each record counts (commands that count every
    /// element, as Redis's server.dirty += n), or takes back one (a no-op write).
    pub fn add_dirty(&mut self, n: i64) {
        self.store.dirty = self.store.dirty.wrapping_add_signed(n);
    }

    fn record(&mut self, key: &[u8], event: Event) {
        self.notify(event, key);
        self.store.modified(self.db, key);
    }

    /// True if `key` holds an expiry (after passive expiry).
    pub fn has_ttl(&mut self, key: &[u8]) -> bool {
        self.expire_of(key).is_some_and(|t| t != NO_EXPIRE)
    }
}
