//! The context a handler runs in: the keyspace door, the calling client, its reply, the command's clock and
//! how it asks to be propagated.
use crate::db::{Db, Entry};
use crate::engine::client::Client;
use crate::engine::keys::Keys;
use crate::engine::Store;
use crate::resp::Out;

/// Everything a handler may touch: the store (all databases and server state), the calling client, its reply.
pub struct Ctx<'a> {
    /// The door to the keyspace of the client's database, and through `engine()` to the registries.
    pub keys: Keys<'a>,
    pub client: &'a mut Client,
    pub out: &'a mut Out,
    /// The command's clock, fixed for its whole run (as Redis caches mstime per command).
    pub now: i64,
    /// How the command asks to be propagated, if not as sent.
    pub prop: crate::engine::journal::Propagation,
}

impl<'a> Ctx<'a> {
    #[inline]
    pub fn db(&mut self) -> &mut Db {
        &mut self.keys.engine().dbs[self.client.db]
    }

    /// Deletes the key if it has expired (passive expiry). True if the key was expired.
    #[inline]
    pub fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        let db = self.client.db;
        self.keys.engine().expire_if_needed(db, key, self.now)
    }

    /// The live entry for a read (counts keyspace hits/misses, as Redis's lookupKeyRead). One probe.
    #[inline]
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let db = self.client.db;
        self.read_index(key)
            .map(|i| self.keys.engine().dbs[db].entry_at_mut(i))
    }

    /// Like `lookup_read`, returning the entry's position so the caller can borrow the entry and the reply
    /// buffer at the same time (`ctx.keys.engine().dbs[db].entry_at(i)` while writing to `ctx.out`).
    #[inline]
    pub fn read_index(&mut self, key: &[u8]) -> Option<usize> {
        self.keys
            .engine()
            .live_index(self.client.db, key, self.now, true, true)
    }

    /// The live entry for a write (no hit/miss counting).
    #[inline]
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let db = self.client.db;
        self.keys
            .engine()
            .live_index(db, key, self.now, false, true)
            .map(|i| self.keys.engine().dbs[db].entry_at_mut(i))
    }

    /// A read that does not count as an access for OBJECT IDLETIME (Redis's LOOKUP_NOTOUCH: TYPE, EXISTS,
    /// TTL, OBJECT); still counts keyspace hits/misses.
    pub fn peek_read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let db = self.client.db;
        self.keys
            .engine()
            .live_index(db, key, self.now, true, false)
            .map(|i| self.keys.engine().dbs[db].entry_at_mut(i))
    }

    /// Whether a live key exists.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed(key);
        self.db().contains(key)
    }

    /// Records a modification of `key` in the client's database: dirty counter, WATCH, blocked clients.
    #[inline]
    pub fn modified(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.keys.engine().modified(db, key);
    }

    /// Emits a keyspace notification for `key` in the client's database (when enabled for `class`).
    #[inline]
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.keys.engine().notify(class, event, key, db);
    }

    /// Propagate `parts` instead of the command as sent (rewriteClientCommandVector). Nothing is built while
    /// no replica (or AOF) consumes the stream.
    pub fn rewrite(&mut self, parts: &[&[u8]]) {
        if self.keys.engine().journal.is_active() {
            self.prop.rewrite = Some(crate::engine::journal::argv(parts));
        }
    }

    /// Whether anything consumes the stream, for handlers whose rewrite needs formatting (counts, times) that
    /// must not be done while nothing is propagated.
    #[inline]
    pub fn propagating(&mut self) -> bool {
        self.keys.engine().journal.is_active()
    }

    /// Propagates `parts` as a command of its own, before the command itself (alsoPropagate).
    pub fn also(&mut self, parts: &[&[u8]]) {
        let db = self.client.db;
        let journal = &mut self.keys.engine().journal;
        if journal.is_active() {
            journal.propagate(db, crate::engine::journal::argv(parts));
        }
    }

    /// Propagate a deletion of `key` instead of the command (a key set to an expire time already past).
    pub fn propagate_deletion(&mut self, key: &[u8]) {
        let del = self.keys.engine().expired_deletion_command();
        self.rewrite(&[del, key]);
    }

    /// Removes a key from the client's database and records it; true if it existed.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        if self.expire_if_needed(key) {
            return false;
        }
        if self.db().remove(key).is_some() {
            self.modified(key);
            true
        } else {
            false
        }
    }
}

impl<'a> Ctx<'a> {
    /// The engine's registries, configuration and statistics.
    #[inline]
    pub fn engine(&mut self) -> &mut Store {
        self.keys.engine()
    }
}
