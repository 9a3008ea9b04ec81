//! The set type: small all-integer sets as a sorted vector (Redis's intset), others in a hash set.
//!
//! The integer form costs 8 bytes per member and iterates in ascending order, as Redis's intset does (so
//! SMEMBERS of such a set matches Redis exactly). A non-integer member, or more members than
//! `set-max-intset-entries`, turns it into a table for good.
use indexmap::IndexSet;

pub type Table = IndexSet<Box<[u8]>, ahash::RandomState>;

#[derive(Clone)]
pub enum Set {
    Ints(Vec<i64>),
    Table(Box<Table>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Ints(Vec::new())
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
            Elem::Int(n) => crate::resp::encode::fmt_i64(n),
            Elem::Str(s) => s.to_vec(),
        }
    }
}

/// The member as an intset integer, if Redis would store it as one (canonical 64-bit decimal).
#[inline]
pub fn as_int(m: &[u8]) -> Option<i64> {
    crate::resp::parse::parse_i64(m)
}

pub enum Iter<'a> {
    Ints(std::slice::Iter<'a, i64>),
    Table(indexmap::set::Iter<'a, Box<[u8]>>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;
    #[inline]
    fn next(&mut self) -> Option<Elem<'a>> {
        match self {
            Iter::Ints(i) => i.next().map(|n| Elem::Int(*n)),
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
            Set::Ints(Vec::new())
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
                t.insert(crate::resp::encode::fmt_i64(*n).into_boxed_slice());
            }
            *self = Set::Table(Box::new(t));
        }
    }

    /// Adds a member; true if it was new. `max_ints` is set-max-intset-entries.
    pub fn add(&mut self, m: &[u8], max_ints: usize) -> bool {
        if let Set::Ints(v) = self {
            match as_int(m) {
                Some(n) => {
                    return match v.binary_search(&n) {
                        Ok(_) => false,
                        Err(pos) => {
                            // Exact growth, as an intset reallocates per insert: no slack in small sets.
                            v.reserve_exact(1);
                            v.insert(pos, n);
                            if v.len() > max_ints {
                                self.convert_to_table();
                            }
                            true
                        }
                    };
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
            Set::Ints(v) => as_int(m).is_some_and(|n| v.binary_search(&n).is_ok()),
            Set::Table(t) => t.contains(m),
        }
    }

    /// Membership of a member of another set, without formatting integers when both are intsets.
    pub fn contains_elem(&self, e: Elem) -> bool {
        match (self, e) {
            (Set::Ints(v), Elem::Int(n)) => v.binary_search(&n).is_ok(),
            (_, Elem::Str(s)) => self.contains(s),
            (Set::Table(_), Elem::Int(n)) => self.contains(&crate::resp::encode::fmt_i64(n)),
        }
    }

    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Ints(v) => match as_int(m).map(|n| v.binary_search(&n)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
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
            Set::Ints(v) => v.get(i).map(|n| Elem::Int(*n)),
            Set::Table(t) => t.get_index(i).map(|m| Elem::Str(m)),
        }
    }

    /// Removes and returns the member at a position (for SPOP).
    pub fn remove_index(&mut self, i: usize) -> Option<Vec<u8>> {
        match self {
            Set::Ints(v) => {
                if i < v.len() {
                    Some(crate::resp::encode::fmt_i64(v.remove(i)))
                } else {
                    None
                }
            }
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
            Set::Ints(v) => v.capacity() * 8 + 32,
            Set::Table(t) => t.iter().map(|m| m.len() + 32).sum::<usize>() + 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
