//! The keyspace: databases of keys -> entries (value plus expiry), random sampling, the SCAN cursor, expiry index.
pub mod digest;
pub mod hash;
pub mod list;
pub mod set;
pub mod table;
pub mod value;
pub mod zset;

pub use value::Value;

use table::KeyTable;

/// Keys are owned byte strings, allocated exactly (never slices of a client's read buffer).
pub type Key = Box<[u8]>;

/// No expiry set.
pub const NO_EXPIRE: i64 = i64::MIN;

/// Redis's LRU clock: seconds, 24 bits, refreshed by the server cron (reading it costs no system call).
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
static LRU_CLOCK: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// The current LRU clock (computed on first use, then kept current by `refresh_lru_clock`).
#[inline]
pub fn lru_clock() -> u32 {
    match LRU_CLOCK.load(std::sync::atomic::Ordering::Relaxed) {
        0 => refresh_lru_clock(),
        c => c,
    }
}

pub fn refresh_lru_clock() -> u32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let c = (secs as u32 & LRU_CLOCK_MAX).max(1);
    LRU_CLOCK.store(c, std::sync::atomic::Ordering::Relaxed);
    c
}

/// A value, its absolute expiry time in Unix milliseconds (`NO_EXPIRE` when persistent) and its last access
/// on the LRU clock (OBJECT IDLETIME).
pub struct Entry {
    pub value: Value,
    pub expire_at: i64,
    pub lru: u32,
    /// The snapshot that already wrote this entry ahead of its sweep (its epoch; 0: none). Lives in what
    /// would be padding: an entry stays 40 bytes.
    pub saved_by: u32,
}

impl Entry {
    pub fn new(value: Value) -> Self {
        Self::with_expire(value, NO_EXPIRE)
    }
    pub fn with_expire(value: Value, expire_at: i64) -> Self {
        Entry {
            value,
            expire_at,
            lru: lru_clock(),
            saved_by: 0,
        }
    }
    /// Seconds since the last access, as Redis's estimateObjectIdleTime computes it.
    pub fn idle_secs(&self) -> u64 {
        let now = lru_clock();
        if now >= self.lru {
            (now - self.lru) as u64
        } else {
            (now + (LRU_CLOCK_MAX - self.lru)) as u64
        }
    }
    #[inline]
    pub fn is_expired(&self, now: i64) -> bool {
        self.expire_at != NO_EXPIRE && self.expire_at <= now
    }
}

/// One numbered database. Entries live in an insertion-ordered map (O(1) random access for RANDOMKEY and
/// sampling, removal by swap); keys with a TTL are also indexed in `volatile` for the active expiry cycle.
#[derive(Default)]
pub struct Db {
    map: KeyTable<Entry>,
    volatile: KeyTable<()>,
}

impl Db {
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// Makes room for `keys` keys, `volatile` of them with a TTL (RESIZEDB when loading).
    pub fn reserve(&mut self, keys: usize, volatile: usize) {
        self.map.reserve(keys);
        self.volatile.reserve(volatile);
    }

    /// The entry, expired or not: callers that must hide expired keys go through `cmd::Ctx`.
    /// Position of a key, for one-probe read-check-use sequences (valid until the next insert/removal).
    #[inline]
    pub fn index_of(&self, key: &[u8]) -> Option<usize> {
        self.map.find_index(key)
    }
    #[inline]
    pub fn entry_at(&self, i: usize) -> &Entry {
        self.map.value_at(i)
    }
    #[inline]
    pub fn entry_at_mut(&mut self, i: usize) -> &mut Entry {
        self.map.value_at_mut(i)
    }

    /// The entry at position `i` if it belongs to `key` (a remembered position checked without hashing).
    #[inline]
    pub fn entry_at_if(&self, i: usize, key: &[u8]) -> Option<&Entry> {
        match self.map.get_index(i) {
            Some((k, e)) if k[..] == *key => Some(e),
            _ => None,
        }
    }

    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.map.get(key)
    }
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.map.get_mut(key)
    }
    pub fn contains(&self, key: &[u8]) -> bool {
        self.map.contains_key(key)
    }

    /// Inserts or replaces the value, clearing any TTL (as SET does). Returns the old entry.
    pub fn set(&mut self, key: &[u8], value: Value) -> Option<Entry> {
        self.insert_entry(key, Entry::new(value))
    }

    /// Replaces only the value of an existing key, keeping its TTL; inserts if absent.
    pub fn set_keep_ttl(&mut self, key: &[u8], value: Value) {
        match self.map.find_index(key) {
            Some(i) => self.map.value_at_mut(i).value = value,
            None => self.map.insert_new(key.into(), Entry::new(value)),
        }
    }

    /// Inserts a whole entry (value and expiry), replacing an existing one.
    pub fn insert_entry(&mut self, key: &[u8], entry: Entry) -> Option<Entry> {
        match self.map.find_index(key) {
            Some(i) => Some(self.replace_at(i, key, entry)),
            None => {
                self.insert_absent(key, entry);
                None
            }
        }
    }

    /// Replaces the entry at position `i` (found by `index_of(key)` since the last insert or removal), keeping
    /// the TTL index in step. Returns the old entry.
    pub fn replace_at(&mut self, i: usize, key: &[u8], mut entry: Entry) -> Entry {
        let has_ttl = entry.expire_at != NO_EXPIRE;
        // The key's snapshot mark stays with the key: its old value is what a running save wrote.
        entry.saved_by = self.map.value_at(i).saved_by;
        let old = std::mem::replace(self.map.value_at_mut(i), entry);
        let had_ttl = old.expire_at != NO_EXPIRE;
        if has_ttl && !had_ttl {
            self.volatile.insert(key.into(), ());
        } else if had_ttl && !has_ttl {
            self.volatile.swap_remove(key);
        }
        old
    }

    /// Inserts an entry for a key known to be absent; returns its position.
    pub fn insert_absent(&mut self, key: &[u8], entry: Entry) -> usize {
        if entry.expire_at != NO_EXPIRE {
            self.volatile.insert(key.into(), ());
        }
        self.map.insert_new(key.into(), entry);
        self.map.len() - 1
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let e = self.map.swap_remove(key)?;
        if e.expire_at != NO_EXPIRE {
            self.volatile.swap_remove(key);
        }
        self.maybe_shrink();
        Some(e)
    }

    /// Sets (or with `NO_EXPIRE` clears) the expiry of an existing key. False if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], at: i64) -> bool {
        let Some(e) = self.map.get_mut(key) else {
            return false;
        };
        let had = e.expire_at != NO_EXPIRE;
        e.expire_at = at;
        if at != NO_EXPIRE && !had {
            self.volatile.insert(key.into(), ());
        } else if at == NO_EXPIRE && had {
            self.volatile.swap_remove(key);
        }
        true
    }

    /// Shrinks the tables after mass deletion so memory goes back, as Redis resizes its dicts.
    fn maybe_shrink(&mut self) {
        let cap = self.map.capacity();
        if cap > 1024 && self.map.len() * 8 < cap {
            self.map.shrink();
        }
        let vcap = self.volatile.capacity();
        if vcap > 1024 && self.volatile.len() * 8 < vcap {
            self.volatile.shrink();
        }
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.volatile.clear();
    }

    /// The key at a random position (RANDOMKEY); `None` when empty.
    pub fn random_key(&self, rng: &mut impl rand::Rng) -> Option<(&Key, &Entry)> {
        if self.map.is_empty() {
            return None;
        }
        self.map.get_index(rng.gen_range(0..self.map.len()))
    }

    /// A random key that has a TTL, for the active expiry cycle.
    pub fn random_volatile(&self, rng: &mut impl rand::Rng) -> Option<&Key> {
        if self.volatile.is_empty() {
            return None;
        }
        self.volatile
            .get_index(rng.gen_range(0..self.volatile.len()))
            .map(|(k, _)| k)
    }

    /// The key and entry at position `i` (the snapshot sweep walks positions).
    #[inline]
    pub fn at(&self, i: usize) -> Option<(&Key, &Entry)> {
        self.map.get_index(i)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Entry)> {
        self.map.iter()
    }

    /// One SCAN step. The cursor counts positions still to visit, walking from the end of the map towards the
    /// start: removal moves the last entry into the hole, i.e. only ever from the visited side to a lower
    /// position, so a key present for the whole scan is never skipped (it may be returned twice).
    /// Cursor 0 starts a scan; the returned cursor is 0 when the scan is complete.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&Key, &Entry)) -> u64 {
        let len = self.map.len() as u64;
        let mut pos = if cursor == 0 || cursor > len {
            len
        } else {
            cursor
        };
        let mut n = 0;
        while pos > 0 && n < count {
            pos -= 1;
            if let Some((k, e)) = self.map.get_index(pos as usize) {
                visit(k, e);
            }
            n += 1;
        }
        pos
    }

    /// Swaps contents with another database (SWAPDB).
    pub fn swap(&mut self, other: &mut Db) {
        std::mem::swap(self, other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Str(v.as_bytes().into())
    }

    #[test]
    fn expiry_index_follows_entries() {
        let mut db = Db::default();
        db.set(b"a", s("1"));
        assert!(db.set_expire(b"a", 100));
        assert_eq!(db.volatile_len(), 1);
        db.set(b"a", s("2"));
        assert_eq!(db.volatile_len(), 0);
        db.set_expire(b"a", 5);
        db.remove(b"a");
        assert_eq!(db.volatile_len(), 0);
        assert!(!db.set_expire(b"a", 5));
    }

    #[test]
    fn scan_never_misses_surviving_keys_under_deletion() {
        let mut db = Db::default();
        for i in 0..1000 {
            db.set(format!("k{i}").as_bytes(), s("v"));
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = db.scan(cursor, 10, |k, _| {
                seen.insert(k.clone());
            });
            // Delete some keys with odd index as we go, and add new ones.
            round += 1;
            db.remove(format!("k{}", (round * 7 % 1000) | 1).as_bytes());
            db.set(format!("new{round}").as_bytes(), s("v"));
            if cursor == 0 {
                break;
            }
        }
        for i in (0..1000).step_by(2) {
            assert!(seen.contains(format!("k{i}").as_bytes()), "missed k{i}");
        }
    }
}
