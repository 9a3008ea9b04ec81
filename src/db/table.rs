//! The keyspace's hash table: dense entries (O(1) random access, removal by swap) indexed by an open-addressing
//! table of 8-byte slots. Compared with a general map it stores no per-entry hash and grows its entry array by
//! 1.25x rather than to the index's capacity, which is most of the per-key overhead at a million keys.
use super::Key;

/// Slot layout: high 32 bits = low 32 bits of the key's hash (ideal position and a cheap filter),
/// low 32 bits = entry index + 1; 0 = empty.
const EMPTY: u64 = 0;

pub struct KeyTable<V> {
    slots: Vec<u64>,
    entries: Vec<(Key, V)>,
    hasher: ahash::RandomState,
}

impl<V> Default for KeyTable<V> {
    fn default() -> Self {
        KeyTable {
            slots: Vec::new(),
            entries: Vec::new(),
            hasher: ahash::RandomState::new(),
        }
    }
}

impl<V> KeyTable<V> {
    #[inline]
    fn hash(&self, key: &[u8]) -> u32 {
        self.hasher.hash_one(key) as u32
    }
    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Entries the table can hold before its entry array grows.
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// (slot position, entry index) of `key`.
    #[inline]
    fn find(&self, key: &[u8]) -> Option<(usize, usize)> {
        if self.entries.is_empty() {
            return None;
        }
        let h = self.hash(key);
        let mask = self.mask();
        let mut pos = h as usize & mask;
        loop {
            let s = self.slots[pos];
            if s == EMPTY {
                return None;
            }
            if (s >> 32) as u32 == h {
                let idx = (s as u32 - 1) as usize;
                if &*self.entries[idx].0 == key {
                    return Some((pos, idx));
                }
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Position of `key` in the entry array (valid until the next insert or removal).
    #[inline]
    pub fn find_index(&self, key: &[u8]) -> Option<usize> {
        self.find(key).map(|(_, i)| i)
    }
    #[inline]
    pub fn value_at(&self, i: usize) -> &V {
        &self.entries[i].1
    }
    #[inline]
    pub fn value_at_mut(&mut self, i: usize) -> &mut V {
        &mut self.entries[i].1
    }

    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|(_, i)| &self.entries[i].1)
    }
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.find(key).map(|(_, i)| &mut self.entries[i].1)
    }
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }
    pub fn get_index(&self, i: usize) -> Option<(&Key, &V)> {
        self.entries.get(i).map(|(k, v)| (k, v))
    }
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    fn place(&mut self, h: u32, idx: usize) {
        let mask = self.mask();
        let mut pos = h as usize & mask;
        while self.slots[pos] != EMPTY {
            pos = (pos + 1) & mask;
        }
        self.slots[pos] = ((h as u64) << 32) | (idx as u64 + 1);
    }

    /// Rebuilds the index with `n` slots (a power of two).
    fn rebuild(&mut self, n: usize) {
        self.slots = vec![EMPTY; n];
        for i in 0..self.entries.len() {
            let h = self.hash(&self.entries[i].0);
            self.place(h, i);
        }
    }

    /// Makes room for `n` entries in all (a load that knows its size: one allocation instead of growing).
    pub fn reserve(&mut self, n: usize) {
        if n > self.entries.capacity() {
            self.entries.reserve_exact(n - self.entries.len());
        }
        let slots = (n * 4 / 3 + 1).next_power_of_two();
        if slots > self.slots.len() {
            self.rebuild(slots);
        }
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: Key, value: V) -> Option<V> {
        if let Some((_, i)) = self.find(&key) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        self.insert_new(key, value);
        None
    }

    /// Inserts a key the caller knows is absent (skips the lookup).
    pub fn insert_new(&mut self, key: Key, value: V) {
        // Keep the index at most 3/4 full (linear probing stays short).
        if (self.entries.len() + 1) * 4 > self.slots.len() * 3 {
            self.rebuild((self.slots.len() * 2).max(8));
        }
        if self.entries.len() == self.entries.capacity() {
            let extra = (self.entries.len() / 4).max(4);
            self.entries.reserve_exact(extra);
        }
        let h = self.hash(&key);
        let idx = self.entries.len();
        self.entries.push((key, value));
        self.place(h, idx);
    }

    /// Removes `key`, moving the last entry into its place.
    pub fn swap_remove(&mut self, key: &[u8]) -> Option<V> {
        let (pos, idx) = self.find(key)?;
        self.remove_slot(pos);
        let last = self.entries.len() - 1;
        if idx != last {
            // Re-point the slot of the last entry to its new position.
            let h = self.hash(&self.entries[last].0);
            let mask = self.mask();
            let mut p = h as usize & mask;
            while self.slots[p] as u32 as usize != last + 1 {
                p = (p + 1) & mask;
            }
            self.slots[p] = ((h as u64) << 32) | (idx as u64 + 1);
        }
        let (_, v) = self.entries.swap_remove(idx);
        Some(v)
    }

    /// Backward-shift deletion: later entries of the probe run move up so lookups never need tombstones.
    fn remove_slot(&mut self, pos: usize) {
        let mask = self.mask();
        let mut hole = pos;
        self.slots[hole] = EMPTY;
        let mut j = pos;
        loop {
            j = (j + 1) & mask;
            let s = self.slots[j];
            if s == EMPTY {
                break;
            }
            let ideal = (s >> 32) as usize & mask;
            // The entry at j may fill the hole unless its ideal slot lies cyclically in (hole, j].
            let stays = if hole <= j {
                ideal > hole && ideal <= j
            } else {
                ideal > hole || ideal <= j
            };
            if !stays {
                self.slots[hole] = s;
                self.slots[j] = EMPTY;
                hole = j;
            }
        }
    }

    /// Gives memory back after mass deletion.
    pub fn shrink(&mut self) {
        self.entries.shrink_to_fit();
        let mut n = 8;
        while n * 3 < self.entries.len() * 4 + 4 {
            n *= 2;
        }
        if n < self.slots.len() {
            self.rebuild(n);
        }
    }

    pub fn clear(&mut self) {
        self.entries = Vec::new();
        self.slots = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        #[test]
        fn behaves_like_a_hashmap(ops in proptest::collection::vec((0u8..3, 0u16..300, any::<u32>()), 1..2000)) {
            let mut t: KeyTable<u32> = KeyTable::default();
            let mut m: HashMap<Vec<u8>, u32> = HashMap::new();
            for (op, k, v) in ops {
                let key = format!("key{k}").into_bytes();
                match op {
                    0 => prop_assert_eq!(t.insert(key.clone().into(), v), m.insert(key, v)),
                    1 => prop_assert_eq!(t.swap_remove(&key), m.remove(&key)),
                    _ => prop_assert_eq!(t.get(&key), m.get(&key)),
                }
                prop_assert_eq!(t.len(), m.len());
            }
            for (k, v) in &m {
                prop_assert_eq!(t.get(k), Some(v));
            }
            t.shrink();
            for (k, v) in &m {
                prop_assert_eq!(t.get(k), Some(v));
            }
            prop_assert_eq!(t.iter().count(), m.len());
        }
    }
}
