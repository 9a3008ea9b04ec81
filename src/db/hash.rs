//! The hash type: small hashes packed into one buffer (as Redis's listpack), larger ones in a hash table.
//!
//! A packed hash is one allocation holding `varint(len) field varint(len) value` pairs in insertion order, found
//! by linear scan: for a few dozen short fields that is as fast as hashing and costs a fraction of the memory of
//! a table (no per-entry allocations or buckets). Past `hash-max-listpack-entries` pairs, or with a field or value
//! longer than `hash-max-listpack-value`, it becomes a table for good (Redis never converts back either).
use indexmap::IndexMap;

pub type Map = IndexMap<Box<[u8]>, Box<[u8]>, ahash::RandomState>;

#[derive(Clone)]
pub enum Hash {
    Packed { buf: Vec<u8>, len: u32 },
    Table(Box<Map>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Packed {
            buf: Vec::new(),
            len: 0,
        }
    }
}

/// Limits for the packed form (hash-max-listpack-entries, hash-max-listpack-value).
#[derive(Clone, Copy)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

fn put_varint(buf: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

/// Reads a varint at `*pos`, advancing it. The buffer is only ever written by `put_varint`.
#[inline]
fn get_varint(buf: &[u8], pos: &mut usize) -> usize {
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let b = buf[*pos];
        *pos += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            return n;
        }
        shift += 7;
    }
}

/// One packed pair's location: `start` of the pair, the value's length prefix at `vhdr`, value bytes
/// `vstart..end`.
struct Slot {
    start: usize,
    vhdr: usize,
    vstart: usize,
    end: usize,
}

/// Iterates the pairs of a packed buffer.
pub struct PackedIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let buf = self.buf;
        let flen = get_varint(buf, &mut self.pos);
        let f = &buf[self.pos..self.pos + flen];
        self.pos += flen;
        let vlen = get_varint(buf, &mut self.pos);
        let v = &buf[self.pos..self.pos + vlen];
        self.pos += vlen;
        Some((f, v))
    }
}

pub enum Iter<'a> {
    Packed(PackedIter<'a>),
    Table(indexmap::map::Iter<'a, Box<[u8]>, Box<[u8]>>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Packed(p) => p.next(),
            Iter::Table(t) => t.next().map(|(k, v)| (&k[..], &v[..])),
        }
    }
}

fn find(buf: &[u8], field: &[u8]) -> Option<Slot> {
    let mut pos = 0;
    while pos < buf.len() {
        let start = pos;
        let flen = get_varint(buf, &mut pos);
        let fstart = pos;
        pos += flen;
        let vhdr = pos;
        let vlen = get_varint(buf, &mut pos);
        let vstart = pos;
        pos += vlen;
        if flen == field.len() && &buf[fstart..fstart + flen] == field {
            return Some(Slot {
                start,
                vhdr,
                vstart,
                end: pos,
            });
        }
    }
    None
}

impl Hash {
    pub fn len(&self) -> usize {
        match self {
            Hash::Packed { len, .. } => *len as usize,
            Hash::Table(m) => m.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Packed { .. } => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Packed { buf, .. } => find(buf, field).map(|s| &buf[s.vstart..s.end]),
            Hash::Table(m) => m.get(field).map(|v| &v[..]),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Converts a packed hash to a table.
    fn convert_to_table(&mut self) {
        if let Hash::Packed { buf, len } = self {
            let mut m = Map::with_capacity_and_hasher(*len as usize + 1, ahash::RandomState::new());
            for (f, v) in (PackedIter { buf, pos: 0 }) {
                m.insert(f.into(), v.into());
            }
            *self = Hash::Table(Box::new(m));
        }
    }

    /// Sets a field; true if it is new. Converts to a table past the limits, as Redis's hashTypeSet does.
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: Limits) -> bool {
        if matches!(self, Hash::Packed { .. })
            && (field.len() > lim.value || value.len() > lim.value)
        {
            self.convert_to_table();
        }
        let new = match self {
            Hash::Packed { buf, len } => match find(buf, field) {
                Some(s) => {
                    if s.end - s.vstart == value.len() {
                        buf[s.vstart..s.end].copy_from_slice(value);
                    } else {
                        let mut rep = Vec::with_capacity(value.len() + 2);
                        put_varint(&mut rep, value.len());
                        rep.extend_from_slice(value);
                        buf.splice(s.vhdr..s.end, rep);
                    }
                    false
                }
                None => {
                    // Exact growth, as a listpack reallocates per insert: small hashes carry no slack.
                    let need = varint_len(field.len())
                        + field.len()
                        + varint_len(value.len())
                        + value.len();
                    buf.reserve_exact(need);
                    put_varint(buf, field.len());
                    buf.extend_from_slice(field);
                    put_varint(buf, value.len());
                    buf.extend_from_slice(value);
                    *len += 1;
                    true
                }
            },
            Hash::Table(m) => match m.get_mut(field) {
                Some(v) => {
                    // Same size (the common overwrite): reuse the allocation.
                    if v.len() == value.len() {
                        v.copy_from_slice(value);
                    } else {
                        *v = value.into();
                    }
                    false
                }
                None => {
                    m.insert(field.into(), value.into());
                    true
                }
            },
        };
        if new && self.len() > lim.entries {
            self.convert_to_table();
        }
        new
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Packed { buf, len } => match find(buf, field) {
                Some(s) => {
                    buf.drain(s.start..s.end);
                    *len -= 1;
                    true
                }
                None => false,
            },
            Hash::Table(m) => m.swap_remove(field).is_some(),
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Packed { buf, .. } => Iter::Packed(PackedIter { buf, pos: 0 }),
            Hash::Table(m) => Iter::Table(m.iter()),
        }
    }

    /// The pair at a position (for random picks): O(1) in a table, a scan of the small buffer when packed.
    pub fn get_index(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Packed { .. } => self.iter().nth(i),
            Hash::Table(m) => m.get_index(i).map(|(k, v)| (&k[..], &v[..])),
        }
    }

    /// One HSCAN step over a table, walking positions from the end (the same scheme as the keyspace SCAN, so
    /// an element present throughout is never missed). Packed hashes are returned whole by the caller.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        let len = self.len() as u64;
        let mut pos = if cursor == 0 || cursor > len {
            len
        } else {
            cursor
        };
        let mut n = 0;
        while pos > 0 && n < count {
            pos -= 1;
            if let Some((k, v)) = self.get_index(pos as usize) {
                visit(k, v);
            }
            n += 1;
        }
        pos
    }

    pub fn mem_usage(&self) -> usize {
        match self {
            Hash::Packed { buf, .. } => buf.capacity() + 32,
            Hash::Table(m) => m.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>() + 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: Limits = Limits {
        entries: 4,
        value: 8,
    };

    #[test]
    fn packed_set_get_remove() {
        let mut h = Hash::default();
        assert!(h.set(b"a", b"1", LIM));
        assert!(h.set(b"b", b"22", LIM));
        assert!(!h.set(b"a", b"333", LIM));
        assert_eq!(h.get(b"a"), Some(&b"333"[..]));
        assert_eq!(h.get(b"b"), Some(&b"22"[..]));
        assert_eq!(h.len(), 2);
        assert_eq!(h.encoding(), "listpack");
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert_eq!(h.iter().collect::<Vec<_>>(), vec![(&b"b"[..], &b"22"[..])]);
    }

    #[test]
    fn converts_past_limits() {
        let mut h = Hash::default();
        for i in 0..4 {
            h.set(format!("f{i}").as_bytes(), b"v", LIM);
        }
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f4", b"v", LIM);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 5);
        let mut h = Hash::default();
        h.set(b"f", b"123456789", LIM);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"f"), Some(&b"123456789"[..]));
    }

    #[test]
    fn long_values_use_multibyte_lengths() {
        let big = vec![7u8; 300];
        let lim = Limits {
            entries: 10,
            value: 1000,
        };
        let mut h = Hash::default();
        h.set(b"x", &big, lim);
        h.set(b"y", b"z", lim);
        assert_eq!(h.get(b"x"), Some(&big[..]));
        assert_eq!(h.get(b"y"), Some(&b"z"[..]));
        h.set(b"x", b"s", lim);
        assert_eq!(h.get(b"x"), Some(&b"s"[..]));
        assert_eq!(h.get(b"y"), Some(&b"z"[..]));
    }
}

#[cfg(test)]
mod model_tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        /// Any sequence of sets and removes leaves the hash equal to a plain map, across conversions.
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec((any::<bool>(), 0u8..12, proptest::collection::vec(any::<u8>(), 0..12)), 0..80)) {
            let lim = Limits { entries: 6, value: 10 };
            let mut h = Hash::default();
            let mut m: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            for (set, f, v) in ops {
                let field = vec![b'f'; f as usize];
                if set {
                    prop_assert_eq!(h.set(&field, &v, lim), m.insert(field.clone(), v.clone()).is_none());
                } else {
                    prop_assert_eq!(h.remove(&field), m.remove(&field).is_some());
                }
                prop_assert_eq!(h.len(), m.len());
            }
            for (f, v) in &m {
                prop_assert_eq!(h.get(f), Some(&v[..]));
            }
            prop_assert_eq!(h.iter().count(), m.len());
        }
    }
}
