//! The sorted set type: members ordered by (score, member bytes), with O(1) member -> score lookup.
//!
//! Two representations, as Redis has: a sorted vector for small sets (reported as `listpack`) and, past
//! zset-max-listpack-entries / zset-max-listpack-value, an arena of nodes that are at once the entries of a
//! hash table (member -> node) and the nodes of a size-augmented treap ordered by (score, member) (reported
//! as `skiplist`). Every node is stored once: the member bytes, the score, two child links and a subtree size.
//! The treap gives expected O(log n) insert, delete, rank, select and range start; the hash table O(1)
//! member lookup. Every operation of the commands is expressed through ranks, so both representations offer
//! the same interface.
use std::cmp::Ordering;

use hashbrown::HashTable;

/// "No node" in child links and the free list.
const NIL: u32 = u32::MAX;

/// Compares two (score, member) pairs the way Redis orders a sorted set: by score, ties by member bytes.
/// Scores are never NaN here (commands reject them), and -0 equals 0 as in C.
#[inline]
pub fn cmp_entry(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    if s1 < s2 {
        Ordering::Less
    } else if s1 > s2 {
        Ordering::Greater
    } else {
        m1.cmp(m2)
    }
}

#[derive(Clone)]
struct Node {
    member: Box<[u8]>,
    score: f64,
    left: u32,
    right: u32,
    /// Nodes in this subtree (0 for a free slot).
    size: u32,
}

/// The large representation: node arena + hash index + treap.
#[derive(Clone)]
struct Big {
    nodes: Vec<Node>,
    /// Free slots, chained through `left`.
    free: u32,
    root: u32,
    /// Node indices, hashed by member bytes.
    index: HashTable<u32>,
    hasher: ahash::RandomState,
    /// Random per set: see `prio`.
    seed: u64,
}

/// Treap priority of a slot: a hash of its index under the set's random seed, so it costs no memory per node.
/// The seed keeps priorities unpredictable to clients: otherwise a client could order members so that
/// priorities grow with the key order and degrade the treap into a deep path.
#[inline]
fn prio(seed: u64, i: u32) -> u32 {
    let mut x = (i as u64 ^ seed).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 31)) as u32
}

impl Big {
    fn new() -> Big {
        Big {
            nodes: Vec::new(),
            free: NIL,
            root: NIL,
            index: HashTable::new(),
            hasher: ahash::RandomState::new(),
            seed: rand::random(),
        }
    }

    #[inline]
    fn size(&self, t: u32) -> u32 {
        if t == NIL {
            0
        } else {
            self.nodes[t as usize].size
        }
    }

    #[inline]
    fn update(&mut self, t: u32) {
        let n = &self.nodes[t as usize];
        let s = 1 + self.size(n.left) + self.size(n.right);
        self.nodes[t as usize].size = s;
    }

    fn len(&self) -> usize {
        self.size(self.root) as usize
    }

    fn find(&self, member: &[u8]) -> Option<u32> {
        let h = self.hasher.hash_one(member);
        self.index
            .find(h, |&i| &*self.nodes[i as usize].member == member)
            .copied()
    }

    #[inline]
    fn cmp_node(&self, t: u32, score: f64, member: &[u8]) -> Ordering {
        let n = &self.nodes[t as usize];
        cmp_entry(n.score, &n.member, score, member)
    }

    /// Splits `t` into (nodes < key, nodes >= key).
    fn split(&mut self, t: u32, score: f64, member: &[u8]) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        if self.cmp_node(t, score, member) == Ordering::Less {
            let r = self.nodes[t as usize].right;
            let (a, b) = self.split(r, score, member);
            self.nodes[t as usize].right = a;
            self.update(t);
            (t, b)
        } else {
            let l = self.nodes[t as usize].left;
            let (a, b) = self.split(l, score, member);
            self.nodes[t as usize].left = b;
            self.update(t);
            (a, t)
        }
    }

    /// Splits `t` into (first k nodes, the rest).
    fn split_rank(&mut self, t: u32, k: u32) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let l = self.nodes[t as usize].left;
        let ls = self.size(l);
        if k <= ls {
            let (a, b) = self.split_rank(l, k);
            self.nodes[t as usize].left = b;
            self.update(t);
            (a, t)
        } else {
            let r = self.nodes[t as usize].right;
            let (a, b) = self.split_rank(r, k - ls - 1);
            self.nodes[t as usize].right = a;
            self.update(t);
            (t, b)
        }
    }

    /// Joins two treaps where every node of `a` orders before every node of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if prio(self.seed, a) > prio(self.seed, b) {
            let r = self.nodes[a as usize].right;
            let m = self.merge(r, b);
            self.nodes[a as usize].right = m;
            self.update(a);
            a
        } else {
            let l = self.nodes[b as usize].left;
            let m = self.merge(a, l);
            self.nodes[b as usize].left = m;
            self.update(b);
            b
        }
    }

    fn tree_insert(&mut self, t: u32, x: u32) -> u32 {
        if t == NIL {
            return x;
        }
        if prio(self.seed, x) > prio(self.seed, t) {
            let score = self.nodes[x as usize].score;
            let member = std::mem::take(&mut self.nodes[x as usize].member);
            let (a, b) = self.split(t, score, &member);
            let n = &mut self.nodes[x as usize];
            n.member = member;
            n.left = a;
            n.right = b;
            self.update(x);
            return x;
        }
        let n = &self.nodes[x as usize];
        let go_left = self.cmp_node(t, n.score, &n.member) == Ordering::Greater;
        if go_left {
            let l = self.nodes[t as usize].left;
            let m = self.tree_insert(l, x);
            self.nodes[t as usize].left = m;
        } else {
            let r = self.nodes[t as usize].right;
            let m = self.tree_insert(r, x);
            self.nodes[t as usize].right = m;
        }
        self.nodes[t as usize].size += 1;
        t
    }

    /// Unlinks node `x` (which is in the tree) from the subtree `t`.
    fn tree_remove(&mut self, t: u32, x: u32) -> u32 {
        if t == x {
            let n = &self.nodes[x as usize];
            let (l, r) = (n.left, n.right);
            return self.merge(l, r);
        }
        let n = &self.nodes[x as usize];
        let go_left = self.cmp_node(t, n.score, &n.member) == Ordering::Greater;
        if go_left {
            let l = self.nodes[t as usize].left;
            let m = self.tree_remove(l, x);
            self.nodes[t as usize].left = m;
        } else {
            let r = self.nodes[t as usize].right;
            let m = self.tree_remove(r, x);
            self.nodes[t as usize].right = m;
        }
        self.nodes[t as usize].size -= 1;
        t
    }

    fn alloc(&mut self, member: Box<[u8]>, score: f64) -> u32 {
        let node = Node {
            member,
            score,
            left: NIL,
            right: NIL,
            size: 1,
        };
        if self.free != NIL {
            let i = self.free;
            self.free = self.nodes[i as usize].left;
            self.nodes[i as usize] = node;
            i
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    fn release(&mut self, i: u32) -> Box<[u8]> {
        let n = &mut self.nodes[i as usize];
        let m = std::mem::take(&mut n.member);
        n.size = 0;
        n.right = NIL;
        n.left = self.free;
        self.free = i;
        m
    }

    /// Adds a member known to be absent.
    fn insert_new(&mut self, member: Box<[u8]>, score: f64) {
        let h = self.hasher.hash_one(&*member);
        let i = self.alloc(member, score);
        let nodes = &self.nodes;
        let hasher = &self.hasher;
        self.index
            .insert_unique(h, i, |&j| hasher.hash_one(&*nodes[j as usize].member));
        self.root = self.tree_insert(self.root, i);
    }

    fn unindex(&mut self, i: u32) {
        let h = self.hasher.hash_one(&*self.nodes[i as usize].member);
        if let Ok(e) = self.index.find_entry(h, |&j| j == i) {
            e.remove();
        }
    }

    fn remove_node(&mut self, i: u32) -> (Box<[u8]>, f64) {
        self.root = self.tree_remove(self.root, i);
        self.unindex(i);
        let score = self.nodes[i as usize].score;
        let m = self.release(i);
        (m, score)
    }

    fn set_score(&mut self, i: u32, score: f64) {
        self.root = self.tree_remove(self.root, i);
        let n = &mut self.nodes[i as usize];
        n.score = score;
        n.left = NIL;
        n.right = NIL;
        n.size = 1;
        self.root = self.tree_insert(self.root, i);
    }

    /// The node at 0-based rank `k` (k < len).
    fn select(&self, mut k: u32) -> u32 {
        let mut t = self.root;
        while t != NIL {
            let n = &self.nodes[t as usize];
            let ls = self.size(n.left);
            match k.cmp(&ls) {
                Ordering::Less => t = n.left,
                Ordering::Equal => return t,
                Ordering::Greater => {
                    k -= ls + 1;
                    t = n.right;
                }
            }
        }
        NIL
    }

    fn rank_of(&self, score: f64, member: &[u8]) -> usize {
        let mut t = self.root;
        let mut r = 0u32;
        while t != NIL {
            let n = &self.nodes[t as usize];
            match cmp_entry(n.score, &n.member, score, member) {
                Ordering::Greater => t = n.left,
                Ordering::Equal => return (r + self.size(n.left)) as usize,
                Ordering::Less => {
                    r += self.size(n.left) + 1;
                    t = n.right;
                }
            }
        }
        r as usize
    }

    /// Number of nodes for which `before` holds, `before` being true for a prefix of the order.
    fn partition_point(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut t = self.root;
        let mut r = 0u32;
        while t != NIL {
            let n = &self.nodes[t as usize];
            if before(n.score, &n.member) {
                r += self.size(n.left) + 1;
                t = n.right;
            } else {
                t = n.left;
            }
        }
        r as usize
    }

    /// Removes ranks [start, end) in O(k + log n).
    fn remove_range(&mut self, start: usize, end: usize) {
        let (a, rest) = self.split_rank(self.root, start as u32);
        let (mid, c) = self.split_rank(rest, (end - start) as u32);
        self.root = self.merge(a, c);
        let mut stack = vec![mid];
        while let Some(t) = stack.pop() {
            if t == NIL {
                continue;
            }
            let n = &self.nodes[t as usize];
            stack.push(n.left);
            stack.push(n.right);
            self.unindex(t);
            self.release(t);
        }
    }

    /// After mass deletion: rebuild compactly so the arena and table give their memory back.
    fn maybe_compact(&mut self) {
        let live = self.len();
        if self.nodes.len() > 64 && live * 4 < self.nodes.len() {
            let mut fresh = Big::new();
            fresh.nodes.reserve_exact(live);
            fresh.index.reserve(live, |_| 0);
            let items: Vec<(Box<[u8]>, f64)> = {
                let mut v = Vec::with_capacity(live);
                let mut it = Iter::new(self, 0, live, false);
                while let Some(i) = it.next_index(self) {
                    v.push((
                        std::mem::take(&mut self.nodes[i as usize].member),
                        self.nodes[i as usize].score,
                    ));
                }
                v
            };
            for (m, s) in items {
                fresh.insert_new(m, s);
            }
            *self = fresh;
        }
    }
}

/// In-order walk over a rank range of a `Big`, forwards or backwards, with an explicit stack.
struct Iter {
    stack: Vec<u32>,
    left: usize,
    rev: bool,
}

impl Iter {
    /// Walks ranks [start, end) (ascending), or the same ranks descending when `rev`.
    fn new(b: &Big, start: usize, end: usize, rev: bool) -> Iter {
        let mut it = Iter {
            stack: Vec::with_capacity(48),
            left: end.saturating_sub(start),
            rev,
        };
        if it.left == 0 {
            return it;
        }
        // Descend to the first node to visit, keeping the ancestors still to visit after it.
        let mut k = if rev { end - 1 } else { start } as u32;
        let mut t = b.root;
        while t != NIL {
            let n = &b.nodes[t as usize];
            let ls = b.size(n.left);
            match k.cmp(&ls) {
                Ordering::Less => {
                    if !rev {
                        it.stack.push(t);
                    }
                    t = n.left;
                }
                Ordering::Equal => {
                    it.stack.push(t);
                    break;
                }
                Ordering::Greater => {
                    if rev {
                        it.stack.push(t);
                    }
                    k -= ls + 1;
                    t = n.right;
                }
            }
        }
        it
    }

    fn next_index(&mut self, b: &Big) -> Option<u32> {
        if self.left == 0 {
            return None;
        }
        let t = self.stack.pop()?;
        self.left -= 1;
        let n = &b.nodes[t as usize];
        let mut c = if self.rev { n.left } else { n.right };
        while c != NIL {
            self.stack.push(c);
            let cn = &b.nodes[c as usize];
            c = if self.rev { cn.right } else { cn.left };
        }
        Some(t)
    }
}

/// The compact encoding: entries sorted by (score, member) packed into one buffer, each as the score (a tag
/// byte, then an 8-byte double or, for integral scores, a 1-, 2- or 4-byte integer, as a listpack stores
/// integers compactly), the member length (LEB128) and the member bytes. One allocation per set, like a listpack;
/// every operation is a linear walk, which is what Redis does on its listpacks too (at most 128 entries by
/// default).
#[derive(Clone, Default)]
struct Packed {
    buf: Vec<u8>,
    len: u32,
}

struct PackedIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for PackedIter<'a> {
    /// (byte offset, score, member)
    type Item = (usize, f64, &'a [u8]);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let at = self.pos;
        let (score, member, next) = decode(self.buf, at)?;
        self.pos = next;
        Some((at, score, member))
    }
}

/// Decodes the entry at `at`: (score, member, offset of the next entry).
#[inline]
fn decode(buf: &[u8], at: usize) -> Option<(f64, &[u8], usize)> {
    let tag = *buf.get(at)?;
    let (score, mut p) = match tag {
        1 => (*buf.get(at + 1)? as i8 as f64, at + 2),
        2 => (
            i16::from_le_bytes(buf.get(at + 1..at + 3)?.try_into().ok()?) as f64,
            at + 3,
        ),
        4 => (
            i32::from_le_bytes(buf.get(at + 1..at + 5)?.try_into().ok()?) as f64,
            at + 5,
        ),
        _ => (
            f64::from_le_bytes(buf.get(at + 1..at + 9)?.try_into().ok()?),
            at + 9,
        ),
    };
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let b = *buf.get(p)?;
        p += 1;
        len |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let member = buf.get(p..p + len)?;
    Some((score, member, p + len))
}

fn encode(score: f64, member: &[u8]) -> Vec<u8> {
    let mut e = Vec::with_capacity(9 + 3 + member.len());
    if score.fract() == 0.0 && (i32::MIN as f64..=i32::MAX as f64).contains(&score) {
        let n = score as i32;
        if let Ok(b) = i8::try_from(n) {
            e.push(1);
            e.push(b as u8);
        } else if let Ok(h) = i16::try_from(n) {
            e.push(2);
            e.extend_from_slice(&h.to_le_bytes());
        } else {
            e.push(4);
            e.extend_from_slice(&n.to_le_bytes());
        }
    } else {
        e.push(8);
        e.extend_from_slice(&score.to_le_bytes());
    }
    let mut n = member.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            e.push(b);
            break;
        }
        e.push(b | 0x80);
    }
    e.extend_from_slice(member);
    e
}

impl Packed {
    fn len(&self) -> usize {
        self.len as usize
    }
    fn iter(&self) -> PackedIter<'_> {
        PackedIter {
            buf: &self.buf,
            pos: 0,
        }
    }
    /// Byte offset of entry `k` (the end of the buffer for k == len).
    fn offset(&self, k: usize) -> usize {
        self.iter().nth(k).map(|e| e.0).unwrap_or(self.buf.len())
    }
    fn get(&self, k: usize) -> Option<(f64, &[u8])> {
        self.iter().nth(k).map(|(_, s, m)| (s, m))
    }
    fn position(&self, member: &[u8]) -> Option<(usize, f64)> {
        self.iter()
            .enumerate()
            .find(|(_, e)| e.2 == member)
            .map(|(i, e)| (i, e.1))
    }
    /// First index where `before` fails, walking from the head.
    fn first_failing(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.iter()
            .position(|(_, s, m)| !before(s, m))
            .unwrap_or(self.len())
    }
    fn insert_sorted(&mut self, score: f64, member: &[u8]) {
        let at = self
            .iter()
            .find(|(_, s, m)| cmp_entry(*s, m, score, member) != Ordering::Less)
            .map(|e| e.0)
            .unwrap_or(self.buf.len());
        let e = encode(score, member);
        self.buf.reserve_exact(e.len());
        self.buf.splice(at..at, e);
        self.len += 1;
    }
    /// Removes entries [start, end).
    fn remove_range(&mut self, start: usize, end: usize) {
        let (a, b) = (self.offset(start), self.offset(end));
        self.buf.drain(a..b);
        self.len -= (end - start) as u32;
        if self.buf.capacity() > self.buf.len() + 64 {
            self.buf.shrink_to_fit();
        }
    }
    fn remove(&mut self, k: usize) -> Option<(f64, Box<[u8]>)> {
        let (s, m) = self.get(k)?;
        let r = (s, Box::<[u8]>::from(m));
        self.remove_range(k, k + 1);
        Some(r)
    }
}

#[derive(Clone)]
enum Repr {
    /// The compact encoding for small sets.
    Small(Packed),
    Big(Box<Big>),
}

/// Limits of the compact encoding (zset-max-listpack-entries / -value).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            entries: 128,
            value: 64,
        }
    }
}

#[derive(Clone)]
pub struct ZSet {
    repr: Repr,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet {
            repr: Repr::Small(Packed::default()),
        }
    }
}

/// What `ZSet::add` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    Updated,
    Unchanged,
}

impl ZSet {
    /// An empty set for ZADD, in the encoding Redis 7.0 starts a new key with: compact unless the compact
    /// form is disabled or the first member is too long (the set converts itself as it grows past the limits).
    pub fn for_first_member(member_len: usize, lim: Limits) -> ZSet {
        if lim.entries > 0 && member_len <= lim.value {
            ZSet::default()
        } else {
            ZSet {
                repr: Repr::Big(Box::new(Big::new())),
            }
        }
    }

    /// Builds a set from entries sorted by (score, member) without duplicates, in the encoding Redis gives a
    /// stored result (zsetConvertToListpackIfNeeded).
    pub fn from_sorted(entries: Vec<(f64, Box<[u8]>)>, lim: Limits) -> ZSet {
        let small =
            entries.len() <= lim.entries && entries.iter().all(|(_, m)| m.len() <= lim.value);
        if small {
            let mut p = Packed::default();
            p.buf
                .reserve_exact(entries.iter().map(|(_, m)| m.len() + 10).sum());
            for (s, m) in &entries {
                p.buf.extend_from_slice(&encode(*s + 0.0, m));
            }
            p.len = entries.len() as u32;
            return ZSet {
                repr: Repr::Small(p),
            };
        }
        let mut b = Big::new();
        b.nodes.reserve_exact(entries.len());
        b.index.reserve(entries.len(), |_| 0);
        for (s, m) in entries {
            b.insert_new(m, s);
        }
        ZSet {
            repr: Repr::Big(Box::new(b)),
        }
    }

    /// True for the compact (listpack) form.
    pub fn is_compact(&self) -> bool {
        matches!(self.repr, Repr::Small(_))
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Small(v) => v.len(),
            Repr::Big(b) => b.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Small(_) => "listpack",
            Repr::Big(_) => "skiplist",
        }
    }

    /// Approximate heap bytes, for MEMORY USAGE.
    pub fn mem_usage(&self) -> usize {
        match &self.repr {
            Repr::Small(v) => 16 + v.buf.capacity(),
            Repr::Big(b) => {
                64 + b.nodes.capacity() * std::mem::size_of::<Node>()
                    + b.index.capacity() * 5
                    + b.nodes.iter().map(|n| n.member.len()).sum::<usize>()
            }
        }
    }

    /// Converts to the large representation (Redis's zsetTypeMaybeConvert / listpack overflow).
    pub fn convert_to_big(&mut self) {
        if let Repr::Small(v) = &mut self.repr {
            let v = std::mem::take(v);
            let mut b = Big::new();
            b.nodes.reserve(v.len());
            for (_, s, m) in v.iter() {
                b.insert_new(m.into(), s);
            }
            self.repr = Repr::Big(Box::new(b));
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Small(v) => v.position(member).map(|(_, s)| s),
            Repr::Big(b) => b.find(member).map(|i| b.nodes[i as usize].score),
        }
    }

    /// Sets the score of a member, adding it if absent.
    pub fn add(&mut self, member: &[u8], score: f64, lim: Limits) -> AddOutcome {
        if let Repr::Small(v) = &mut self.repr {
            // A listpack stores integral scores as integers, so Redis's compact sets turn -0 into 0.
            let score = score + 0.0;
            if let Some((pos, cur)) = v.position(member) {
                if cur == score {
                    return AddOutcome::Unchanged;
                }
                v.remove_range(pos, pos + 1);
                v.insert_sorted(score, member);
                return AddOutcome::Updated;
            }
            if v.len() < lim.entries && member.len() <= lim.value {
                v.insert_sorted(score, member);
                return AddOutcome::Added;
            }
            self.convert_to_big();
        }
        let Repr::Big(b) = &mut self.repr else {
            return AddOutcome::Unchanged;
        };
        match b.find(member) {
            Some(i) => {
                if b.nodes[i as usize].score == score {
                    return AddOutcome::Unchanged;
                }
                b.set_score(i, score);
                AddOutcome::Updated
            }
            None => {
                b.insert_new(member.into(), score);
                AddOutcome::Added
            }
        }
    }

    /// Removes a member, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Small(v) => {
                let (pos, s) = v.position(member)?;
                v.remove_range(pos, pos + 1);
                Some(s)
            }
            Repr::Big(b) => {
                let i = b.find(member)?;
                let (_, s) = b.remove_node(i);
                b.maybe_compact();
                Some(s)
            }
        }
    }

    /// 0-based ascending rank of a member.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Small(v) => v.position(member).map(|(i, _)| i),
            Repr::Big(b) => {
                let i = b.find(member)?;
                Some(b.rank_of(b.nodes[i as usize].score, member))
            }
        }
    }

    /// The entry at ascending rank `k`.
    pub fn get(&self, k: usize) -> Option<(&[u8], f64)> {
        match &self.repr {
            Repr::Small(v) => v.get(k).map(|(s, m)| (m, s)),
            Repr::Big(b) => {
                if k >= b.len() {
                    return None;
                }
                let n = &b.nodes[b.select(k as u32) as usize];
                Some((&n.member, n.score))
            }
        }
    }

    /// Number of entries for which `before(score, member)` holds; `before` must hold for a prefix of the
    /// order (e.g. "score < min"). This turns score and lex bounds into ranks.
    pub fn partition_point(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Small(v) => v.first_failing(before),
            Repr::Big(b) => b.partition_point(before),
        }
    }

    /// The first rank at or after `start` where `pred` fails (a walk, as Redis walks forward from a start).
    pub fn run_from(&self, start: usize, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Small(v) => {
                start
                    + v.iter()
                        .skip(start)
                        .position(|(_, s, m)| !pred(s, m))
                        .unwrap_or(v.len().saturating_sub(start))
            }
            Repr::Big(b) => {
                let mut it = Iter::new(b, start, b.len(), false);
                let mut k = start;
                while let Some(i) = it.next_index(b) {
                    let n = &b.nodes[i as usize];
                    if !pred(n.score, &n.member) {
                        break;
                    }
                    k += 1;
                }
                k
            }
        }
    }

    /// Walking backwards from rank `end` (exclusive) while `pred` holds, the rank where the walk stops.
    pub fn run_back_from(&self, end: usize, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let end = end.min(self.len());
        match &self.repr {
            Repr::Small(v) => {
                let ok: Vec<bool> = v.iter().take(end).map(|(_, s, m)| pred(s, m)).collect();
                ok.iter().rposition(|&b| !b).map(|p| p + 1).unwrap_or(0)
            }
            Repr::Big(b) => {
                let mut it = Iter::new(b, 0, end, true);
                let mut k = end;
                while let Some(i) = it.next_index(b) {
                    let n = &b.nodes[i as usize];
                    if !pred(n.score, &n.member) {
                        break;
                    }
                    k -= 1;
                }
                k
            }
        }
    }

    /// One ZSCAN step. The compact form is returned whole (cursor 0), as Redis does for listpacks. The large
    /// form is walked by arena slot: a node keeps its slot for life, so members present during the whole
    /// scan are always returned; the cursor is the next slot to visit, 0 when done.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match &self.repr {
            Repr::Small(v) => {
                v.iter().for_each(|(_, s, m)| visit(m, s));
                0
            }
            Repr::Big(b) => {
                let mut i = cursor as usize;
                let mut seen = 0;
                while i < b.nodes.len() && seen < count {
                    let n = &b.nodes[i];
                    if n.size > 0 {
                        visit(&n.member, n.score);
                        seen += 1;
                    }
                    i += 1;
                }
                // Skip trailing free slots so a finished scan reports 0.
                while i < b.nodes.len() && b.nodes[i].size == 0 {
                    i += 1;
                }
                if i >= b.nodes.len() {
                    0
                } else {
                    i as u64
                }
            }
        }
    }

    /// Visits ranks [start, end) ascending, or the same ranks descending when `rev`.
    pub fn for_range(&self, start: usize, end: usize, rev: bool, mut f: impl FnMut(&[u8], f64)) {
        let end = end.min(self.len());
        if start >= end {
            return;
        }
        match &self.repr {
            Repr::Small(v) => {
                if rev {
                    let items: Vec<(f64, &[u8])> = v
                        .iter()
                        .skip(start)
                        .take(end - start)
                        .map(|e| (e.1, e.2))
                        .collect();
                    items.iter().rev().for_each(|(s, m)| f(m, *s));
                } else {
                    v.iter()
                        .skip(start)
                        .take(end - start)
                        .for_each(|(_, s, m)| f(m, s));
                }
            }
            Repr::Big(b) => {
                let mut it = Iter::new(b, start, end, rev);
                while let Some(i) = it.next_index(b) {
                    let n = &b.nodes[i as usize];
                    f(&n.member, n.score);
                }
            }
        }
    }

    /// All entries in ascending order.
    pub fn for_each(&self, f: impl FnMut(&[u8], f64)) {
        self.for_range(0, self.len(), false, f)
    }

    /// Removes ranks [start, end).
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        match &mut self.repr {
            Repr::Small(v) => v.remove_range(start, end),
            Repr::Big(b) => {
                b.remove_range(start, end);
                b.maybe_compact();
            }
        }
        end - start
    }

    /// Removes and returns the entry at rank `k`.
    pub fn pop_at(&mut self, k: usize) -> Option<(Box<[u8]>, f64)> {
        match &mut self.repr {
            Repr::Small(v) => v.remove(k).map(|(s, m)| (m, s)),
            Repr::Big(b) => {
                if k >= b.len() {
                    return None;
                }
                let i = b.select(k as u32);
                let r = b.remove_node(i);
                b.maybe_compact();
                Some(r)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(z: &ZSet, model: &std::collections::BTreeMap<Vec<u8>, f64>) {
        let mut want: Vec<(f64, Vec<u8>)> = model.iter().map(|(m, s)| (*s, m.clone())).collect();
        want.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
        let mut got = Vec::new();
        z.for_each(|m, s| got.push((s, m.to_vec())));
        assert_eq!(got, want);
        let mut rev = Vec::new();
        z.for_range(0, z.len(), true, |m, s| rev.push((s, m.to_vec())));
        rev.reverse();
        assert_eq!(rev, want);
        for (k, (s, m)) in want.iter().enumerate() {
            assert_eq!(z.rank(m), Some(k));
            assert_eq!(z.score(m), Some(*s));
            assert_eq!(
                z.get(k).map(|(m, s)| (s, m.to_vec())),
                Some((*s, m.clone()))
            );
        }
    }

    #[test]
    fn both_representations_agree_with_a_model() {
        let wide = Limits {
            entries: 1000,
            value: 1000,
        };
        for lim in [
            Limits::default(),
            Limits {
                entries: 0,
                value: 0,
            },
            wide,
        ] {
            let mut z = ZSet::for_first_member(0, lim);
            let mut model = std::collections::BTreeMap::new();
            let mut x: u64 = 12345;
            for step in 0..3000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Some members are long enough to need a two-byte length in the compact form.
                let pad = if (x % 200).is_multiple_of(13) {
                    "y".repeat(150)
                } else {
                    String::new()
                };
                let m = format!("m{}{pad}", x % 200).into_bytes();
                // Scores of every compact width: 1-, 2-, 4-byte integers, doubles, infinities.
                let base = ((x >> 20) % 50) as f64 - 25.0;
                let s = match (x >> 40) % 6 {
                    0 | 1 => base,
                    2 => base * 1000.0,
                    3 => base * 1e7,
                    4 => base + 0.5,
                    _ => f64::INFINITY.copysign(base),
                };
                match x % 7 {
                    0..=2 => {
                        z.add(&m, s, lim);
                        model.insert(m, s);
                    }
                    3 => {
                        assert_eq!(z.remove(&m), model.remove(&m));
                    }
                    4 if z.len() > 10 => {
                        let (a, b) = (z.len() / 3, z.len() / 2);
                        let mut gone = Vec::new();
                        z.for_range(a, b, false, |m, _| gone.push(m.to_vec()));
                        assert_eq!(z.remove_range(a, b), b - a);
                        for g in gone {
                            model.remove(&g);
                        }
                    }
                    5 if !z.is_empty() => {
                        let (m, _) = z.pop_at(0).unwrap();
                        model.remove(&*m);
                    }
                    _ => {}
                }
                if step % 97 == 0 {
                    check(&z, &model);
                }
            }
            check(&z, &model);
        }
    }

    fn height(b: &Big, t: u32) -> usize {
        if t == NIL {
            return 0;
        }
        let n = &b.nodes[t as usize];
        1 + height(b, n.left).max(height(b, n.right))
    }

    #[test]
    fn treap_stays_shallow_for_sorted_input() {
        let lim = Limits::default();
        let mut z = ZSet::for_first_member(0, lim);
        for i in 0..100_000 {
            z.add(format!("m{i:07}").as_bytes(), i as f64, lim);
        }
        let Repr::Big(b) = &z.repr else {
            panic!("expected the large form");
        };
        let h = height(b, b.root);
        assert!(h < 80, "height {h}");
        assert_eq!(z.rank(b"m0050000"), Some(50_000));
        assert_eq!(z.remove_range(10, 99_990), 99_980);
        assert_eq!(z.len(), 20);
        assert_eq!(
            z.get(10).map(|(m, _)| m.to_vec()),
            Some(b"m0099990".to_vec())
        );
    }
}
