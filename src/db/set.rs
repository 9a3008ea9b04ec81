//! The set type: small all-integer sets as a sorted vector (Redis's intset), others in a hash set.
//!
//! The integer form stores each member in 2, 4 or 8 bytes (the narrowest width that fits every member, widened
//! on demand) and iterates in ascending order, as Redis's intset does (so SMEMBERS of such a set matches Redis
//! exactly). A non-integer member, or more members than
//! `set-max-intset-entries`, turns it into a table for good.
use indexmap::IndexSet;

pub type Table = IndexSet<Box<[u8]>, ahash::RandomState>;

#[derive(Clone)]
pub enum Set {
    Ints(IntSet),
    Table(Box<Table>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Ints(IntSet::default())
    }
}

/// Bytes per member of an intset. An enum (not a u8) so `Set` can keep its tag in the niche.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Width {
    W2 = 2,
    W4 = 4,
    W8 = 8,
}

impl Width {
    fn of(v: i64) -> Width {
        if i16::try_from(v).is_ok() {
            Width::W2
        } else if i32::try_from(v).is_ok() {
            Width::W4
        } else {
            Width::W8
        }
    }
}

/// Sorted distinct integers packed little-endian at one width: Redis's intset.
#[derive(Clone)]
pub struct IntSet {
    width: Width,
    data: Vec<u8>,
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet {
            width: Width::W2,
            data: Vec::new(),
        }
    }
}

impl IntSet {
    pub fn len(&self) -> usize {
        self.data.len() / self.width as usize
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The member at a position (positions are always in range when called from this module).
    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        let w = self.width as usize;
        let b = &self.data[i * w..i * w + w];
        match self.width {
            Width::W2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            Width::W4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            Width::W8 => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }
    }

    fn search(&self, v: i64) -> Result<usize, usize> {
        if Width::of(v) > self.width {
            // Wider than every member: beyond one end.
            return Err(if v < 0 { 0 } else { self.len() });
        }
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Equal => return Ok(mid),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    fn put(buf: &mut Vec<u8>, w: Width, v: i64) {
        match w {
            Width::W2 => buf.extend_from_slice(&(v as i16).to_le_bytes()),
            Width::W4 => buf.extend_from_slice(&(v as i32).to_le_bytes()),
            Width::W8 => buf.extend_from_slice(&v.to_le_bytes()),
        }
    }

    /// Inserts a member; true if it was new. Widens every member first when `v` needs more bytes.
    pub fn insert(&mut self, v: i64) -> bool {
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(p) => p,
        };
        let need = Width::of(v);
        if need > self.width {
            let mut data = Vec::with_capacity((self.len() + 1) * need as usize);
            for i in 0..self.len() {
                if i == pos {
                    Self::put(&mut data, need, v);
                }
                Self::put(&mut data, need, self.get(i));
            }
            if pos == self.len() {
                Self::put(&mut data, need, v);
            }
            self.width = need;
            self.data = data;
            return true;
        }
        let w = self.width as usize;
        let mut bytes = Vec::with_capacity(w);
        Self::put(&mut bytes, self.width, v);
        // Exact growth, as an intset reallocates per insert: no slack in small sets.
        self.data.reserve_exact(w);
        self.data.splice(pos * w..pos * w, bytes);
        true
    }

    pub fn remove(&mut self, v: i64) -> bool {
        match self.search(v) {
            Ok(pos) => {
                self.remove_at(pos);
                true
            }
            Err(_) => false,
        }
    }

    fn remove_at(&mut self, pos: usize) -> i64 {
        let v = self.get(pos);
        let w = self.width as usize;
        self.data.drain(pos * w..pos * w + w);
        v
    }

    pub fn iter(&self) -> IntIter<'_> {
        IntIter { set: self, i: 0 }
    }
}

pub struct IntIter<'a> {
    set: &'a IntSet,
    i: usize,
}

impl Iterator for IntIter<'_> {
    type Item = i64;
    #[inline]
    fn next(&mut self) -> Option<i64> {
        if self.i >= self.set.len() {
            return None;
        }
        self.i += 1;
        Some(self.set.get(self.i - 1))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.set.len() - self.i;
        (n, Some(n))
    }
}

/// A member as stored: an integer of the intset form, or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Elem<'_> {
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Elem::Int(n) => crate::util::num::fmt_i64(n),
            Elem::Str(s) => s.to_vec(),
        }
    }
}

/// The member as an intset integer, if Redis would store it as one (canonical 64-bit decimal).
#[inline]
pub fn as_int(m: &[u8]) -> Option<i64> {
    crate::util::num::parse_i64(m)
}

pub enum Iter<'a> {
    Ints(IntIter<'a>),
    Table(indexmap::set::Iter<'a, Box<[u8]>>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;
    #[inline]
    fn next(&mut self) -> Option<Elem<'a>> {
        match self {
            Iter::Ints(i) => i.next().map(Elem::Int),
            Iter::Table(t) => t.next().map(|m| Elem::Str(m)),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Ints(i) => i.size_hint(),
            Iter::Table(t) => t.size_hint(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl Set {
    /// An empty set in the form Redis's setTypeCreate picks for its first member.
    pub fn for_member(m: &[u8]) -> Set {
        if as_int(m).is_some() {
            Set::Ints(IntSet::default())
        } else {
            Set::Table(Box::default())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Ints(v) => v.len(),
            Set::Table(t) => t.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    fn convert_to_table(&mut self) {
        if let Set::Ints(v) = self {
            let mut t = Table::with_capacity_and_hasher(v.len() + 1, ahash::RandomState::new());
            for n in v.iter() {
                t.insert(crate::util::num::fmt_i64(n).into_boxed_slice());
            }
            *self = Set::Table(Box::new(t));
        }
    }

    /// Adds a member; true if it was new. `max_ints` is set-max-intset-entries.
    pub fn add(&mut self, m: &[u8], max_ints: usize) -> bool {
        if let Set::Ints(v) = self {
            match as_int(m) {
                Some(n) => {
                    let added = v.insert(n);
                    if added && v.len() > max_ints {
                        self.convert_to_table();
                    }
                    return added;
                }
                None => self.convert_to_table(),
            }
        }
        match self {
            Set::Table(t) => {
                if t.contains(m) {
                    false
                } else {
                    t.insert(m.into())
                }
            }
            Set::Ints(_) => false,
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Ints(v) => as_int(m).is_some_and(|n| v.contains(n)),
            Set::Table(t) => t.contains(m),
        }
    }

    /// Membership of a member of another set, without formatting integers when both are intsets.
    pub fn contains_elem(&self, e: Elem) -> bool {
        match (self, e) {
            (Set::Ints(v), Elem::Int(n)) => v.contains(n),
            (_, Elem::Str(s)) => self.contains(s),
            (Set::Table(_), Elem::Int(n)) => self.contains(&crate::util::num::fmt_i64(n)),
        }
    }

    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Ints(v) => as_int(m).is_some_and(|n| v.remove(n)),
            Set::Table(t) => t.swap_remove(m),
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Ints(v) => Iter::Ints(v.iter()),
            Set::Table(t) => Iter::Table(t.iter()),
        }
    }

    pub fn get_index(&self, i: usize) -> Option<Elem<'_>> {
        match self {
            Set::Ints(v) => (i < v.len()).then(|| Elem::Int(v.get(i))),
            Set::Table(t) => t.get_index(i).map(|m| Elem::Str(m)),
        }
    }

    /// Removes and returns the member at a position (for SPOP).
    pub fn remove_index(&mut self, i: usize) -> Option<Vec<u8>> {
        match self {
            Set::Ints(v) => (i < v.len()).then(|| crate::util::num::fmt_i64(v.remove_at(i))),
            Set::Table(t) => t.swap_remove_index(i).map(|m| m.into_vec()),
        }
    }

    /// One SSCAN step over a table (positions walked from the end, as the keyspace SCAN does).
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(Elem)) -> u64 {
        let len = self.len() as u64;
        let mut pos = if cursor == 0 || cursor > len {
            len
        } else {
            cursor
        };
        let mut n = 0;
        while pos > 0 && n < count {
            pos -= 1;
            if let Some(e) = self.get_index(pos as usize) {
                visit(e);
            }
            n += 1;
        }
        pos
    }

    pub fn mem_usage(&self) -> usize {
        match self {
            Set::Ints(v) => v.data.capacity() + 32,
            Set::Table(t) => t.iter().map(|m| m.len() + 32).sum::<usize>() + 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_widens_and_stays_sorted() {
        let mut s = IntSet::default();
        let vals = [5, -3, 40000, i64::MIN, 7, i64::MAX, -70000, 0, 1 << 40];
        for v in vals {
            assert!(s.insert(v));
            assert!(!s.insert(v));
        }
        let mut want = vals.to_vec();
        want.sort();
        assert_eq!(s.iter().collect::<Vec<_>>(), want);
        assert_eq!(s.width, Width::W8);
        for v in vals {
            assert!(s.contains(v));
        }
        assert!(!s.contains(6) && !s.contains(-4));
        assert!(s.remove(40000) && !s.remove(40000));
        assert_eq!(s.len(), vals.len() - 1);
        let mut small = IntSet::default();
        small.insert(3);
        small.insert(1);
        assert_eq!(small.data.len(), 4, "two bytes per small member");
        assert!(std::mem::size_of::<Set>() <= 32);
        assert!(!small.contains(1 << 20) && !small.contains(-(1 << 40)));
        small.insert(-(1 << 20));
        assert_eq!(small.iter().collect::<Vec<_>>(), vec![-(1 << 20), 1, 3]);
    }

    #[test]
    fn intset_until_a_string_or_too_many() {
        let mut s = Set::for_member(b"3");
        assert!(s.add(b"3", 3));
        assert!(s.add(b"-1", 3));
        assert!(!s.add(b"3", 3));
        assert_eq!(s.encoding(), "intset");
        assert_eq!(
            s.iter().map(|e| e.to_vec()).collect::<Vec<_>>(),
            vec![b"-1".to_vec(), b"3".to_vec()]
        );
        assert!(s.contains(b"3") && !s.contains(b"03"));
        assert!(s.add(b"x", 3));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"3") && s.contains(b"x") && s.contains_elem(Elem::Int(-1)));
        let mut s = Set::default();
        for i in 0..4 {
            s.add(i.to_string().as_bytes(), 3);
        }
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 4);
        assert!(s.remove(b"2") && !s.remove(b"2"));
    }
}

#[cfg(test)]
mod model_tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// Any sequence of adds and removes leaves the set equal to a plain set, across widenings and
        /// conversion; while it is an intset it iterates in ascending order.
        #[test]
        fn behaves_like_a_set(ops in proptest::collection::vec((any::<bool>(), prop_oneof![
            (-5i64..5).prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            (-40000i64..40000).prop_map(|n| n.to_string()),
            "[a-c]{1,2}",
        ]), 0..60)) {
            let mut s = Set::default();
            let mut m: BTreeSet<String> = BTreeSet::new();
            for (add, v) in ops {
                if add {
                    prop_assert_eq!(s.add(v.as_bytes(), 20), m.insert(v.clone()));
                } else {
                    prop_assert_eq!(s.remove(v.as_bytes()), m.remove(&v));
                }
                prop_assert_eq!(s.len(), m.len());
            }
            for v in &m {
                prop_assert!(s.contains(v.as_bytes()));
            }
            let got: BTreeSet<String> = s.iter().map(|e| String::from_utf8(e.to_vec()).unwrap()).collect();
            prop_assert_eq!(&got, &m);
            if let Set::Ints(i) = &s {
                let v: Vec<i64> = i.iter().collect();
                prop_assert!(v.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }
}
