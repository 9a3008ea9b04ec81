//! The WATCH registry: who watches which key, the `expired` flag Redis keeps on each watch, and the clients
//! whose next EXEC must fail. The rules are Redis 7.0's multi.c (watchForKey, touchWatchedKey,
//! touchAllWatchedKeysInDb, isWatchedKeyExpired), quirks included, since EXEC's reply depends on them.
use bytes::Bytes;

use crate::engine::{HashMap, HashSet};

/// Tells whether a key is in a database: (present at all, present and logically expired).
pub type KeyProbe<'a> = (&'a dyn Fn(&[u8]) -> bool, &'a dyn Fn(&[u8]) -> bool);

struct Watch {
    id: u64,
    /// The key was already logically expired when WATCH was called: its deletion is not a change.
    expired: bool,
}

#[derive(Default)]
pub struct Watchers {
    /// (db, key) -> watches in WATCH order.
    by_key: HashMap<(usize, Bytes), Vec<Watch>>,
    /// client -> its watched keys in WATCH order.
    by_client: HashMap<u64, Vec<(usize, Bytes)>>,
    /// Clients whose EXEC fails (CLIENT_DIRTY_CAS).
    dirty: HashSet<u64>,
}

impl Watchers {
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    pub fn is_dirty(&self, id: u64) -> bool {
        self.dirty.contains(&id)
    }

    /// Adds a watch unless the client already watches the key in that database.
    pub fn watch(&mut self, id: u64, db: usize, key: &[u8], expired: bool) {
        let keys = self.by_client.entry(id).or_default();
        if keys.iter().any(|(d, k)| *d == db && k == key) {
            return;
        }
        // Own copies: slices would pin the client's read buffer for as long as the WATCH lasts.
        let key = Bytes::copy_from_slice(key);
        keys.push((db, key.clone()));
        self.by_key
            .entry((db, key))
            .or_default()
            .push(Watch { id, expired });
    }

    /// Drops every watch of a client and its dirty flag (UNWATCH, EXEC, DISCARD, disconnect).
    pub fn unwatch_all(&mut self, id: u64) {
        self.unlink(id);
        self.dirty.remove(&id);
    }

    /// Removes the client's watches, keeping its dirty flag (unwatchAllKeys).
    fn unlink(&mut self, id: u64) {
        for k in self.by_client.remove(&id).unwrap_or_default() {
            if let Some(list) = self.by_key.get_mut(&k) {
                list.retain(|w| w.id != id);
                if list.is_empty() {
                    self.by_key.remove(&k);
                }
            }
        }
    }

    /// A key was modified or deleted (signalModifiedKey); `exists` is whether it is in the keyspace now,
    /// logically expired or not. A watch made on an already expired key is not broken by its deletion; when
    /// the key exists, Redis 7.0 stops looking at the remaining watchers there (`break`), and so do we.
    pub fn touch(&mut self, db: usize, key: &[u8], exists: bool) {
        let Some(list) = self.by_key.get_mut(&(db, Bytes::copy_from_slice(key))) else {
            return;
        };
        let mut broken = Vec::new();
        for w in list.iter_mut() {
            if w.expired {
                if !exists {
                    w.expired = false;
                    continue;
                }
                break;
            }
            broken.push(w.id);
        }
        for id in broken {
            self.dirty.insert(id);
            // Nothing more can change a dirty client's EXEC: Redis unwatches it at once.
            self.unlink(id);
        }
    }

    /// A database is emptied (FLUSHDB, FLUSHALL, a load) or swapped with `replaced_with` (SWAPDB), before the
    /// change. `in_emptied` / `in_replacement` say whether a key is in either one; `replacement_expired`
    /// whether it is logically expired in the replacement.
    pub fn touch_db(
        &mut self,
        emptied: usize,
        in_emptied: impl Fn(&[u8]) -> bool,
        replaced_with: Option<KeyProbe>,
    ) {
        for ((db, key), list) in self.by_key.iter_mut() {
            if *db != emptied {
                continue;
            }
            let exists = in_emptied(key);
            let in_repl = replaced_with.is_some_and(|(has, _)| has(key));
            if !exists && !in_repl {
                continue;
            }
            let repl_expired = replaced_with.is_some_and(|(_, exp)| exp(key));
            for w in list.iter_mut() {
                if w.expired {
                    if !in_repl {
                        // The expired key is deleted: no logical change.
                        w.expired = false;
                        continue;
                    } else if repl_expired {
                        continue;
                    }
                } else if !exists && repl_expired {
                    // A missing key replaced by an expired one: still missing, logically.
                    w.expired = true;
                    continue;
                }
                // Dirty, but left linked, as Redis leaves it here.
                self.dirty.insert(w.id);
            }
        }
    }

    /// Whether a key the client watched while it was live has expired since (isWatchedKeyExpired).
    pub fn any_expired(&self, id: u64, is_expired: impl Fn(usize, &[u8]) -> bool) -> bool {
        let Some(keys) = self.by_client.get(&id) else {
            return false;
        };
        keys.iter().any(|(db, key)| {
            let was_expired = self
                .by_key
                .get(&(*db, key.clone()))
                .and_then(|l| l.iter().find(|w| w.id == id))
                .is_some_and(|w| w.expired);
            !was_expired && is_expired(*db, key)
        })
    }
}
