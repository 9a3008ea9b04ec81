//! The list type: a quicklist-like deque of packed nodes (O(1) at both ends, cheap indexing near either end).
//!
//! Like Redis's quicklist of listpacks, elements live in nodes that are one byte buffer each, holding entries
//! `varint(len) bytes backlen(len)`: the forward varint lets us walk a node from its start, the backlen (the same
//! varint written in reverse byte order) lets us walk it from its end, so pops at either end never scan. A small
//! element costs `len + 2` bytes instead of a 16-byte slot plus its own allocation. A node holds at most
//! `NODE_BYTES` bytes (Redis's default `list-max-listpack-size -2`, 8 KB; the setting itself is not consulted),
//! except that an element bigger than that sits alone in a node of its own. Each node keeps its element count
//! and the list its total length, so LLEN is O(1) and an index is found by skipping whole nodes from the nearer
//! end.
use std::collections::VecDeque;

/// Byte limit of a node. Unit tests use a tiny one so that a few elements already span many nodes.
#[cfg(not(test))]
const NODE_BYTES: usize = 8192;
#[cfg(test)]
const NODE_BYTES: usize = 40;

/// Below this many bytes a node grows exactly, as a listpack does (mimalloc's realloc stays in place within a
/// size class, so that is cheap): doubling would leave a list built one push at a time up to half empty, and
/// most lists are small. Bigger nodes grow geometrically so that pushes stay amortised O(1).
const SMALL_NODE: usize = if NODE_BYTES / 2 < 1024 {
    NODE_BYTES / 2
} else {
    1024
};

/// One node: its entries are `buf[head..]`. The bytes before `head` are room for pushes at the front and what
/// pops from the front left behind, so LPUSH and LPOP move no other entries (amortised O(1), as at the back).
#[derive(Clone, Default)]
struct Node {
    buf: Vec<u8>,
    head: u32,
    count: u32,
}

impl Node {
    /// Bytes of live entries.
    #[inline]
    fn data_len(&self) -> usize {
        self.buf.len() - self.head as usize
    }

    /// Moves the entries to the start of the buffer, for the edits in the middle that work on `buf[0..]`.
    fn compact(&mut self) {
        if self.head > 0 {
            self.buf.drain(..self.head as usize);
            self.head = 0;
        }
    }

    /// Appends an entry. When the buffer is full and at least half of it is dead space left by front pops,
    /// reclaims that instead of growing: a queue (RPUSH + LPOP) then stays within about twice its live size.
    #[inline]
    fn append(&mut self, v: &[u8]) {
        let n = entry_len(v);
        if self.buf.len() + n > self.buf.capacity() {
            if self.head > 0 && self.head as usize >= self.data_len() {
                self.compact();
            }
            self.grow_back(n);
        }
        append_entry(&mut self.buf, v);
        self.count += 1;
    }

    /// Prepends an entry, into the room before `head` when there is enough; otherwise rebuilds the buffer with
    /// room for about as many bytes again as it holds (capped at a node's size), so repeated LPUSH is amortised
    /// O(1) like Vec growth at the back.
    #[inline]
    fn prepend(&mut self, v: &[u8]) {
        let n = entry_len(v);
        self.front_room(n);
        let head = self.head as usize;
        write_entry(&mut self.buf[head - n..head], v);
        self.head = (head - n) as u32;
        self.count += 1;
    }

    /// Makes room for `n` more bytes at the end: exactly while the node is small, geometrically after.
    #[inline]
    fn grow_back(&mut self, n: usize) {
        if self.buf.capacity() < SMALL_NODE {
            self.buf.reserve_exact(n);
        } else {
            self.buf.reserve(n);
        }
    }

    /// Makes at least `need` free bytes before the entries. A small node grows by exactly what is missing (a
    /// realloc, in place within a size class, and a shift, as a listpack insert); a big one is rebuilt with as
    /// many free bytes again as it holds, so repeated LPUSH stays amortised O(1).
    #[inline]
    fn front_room(&mut self, need: usize) {
        let head = self.head as usize;
        if head >= need {
            return;
        }
        let live = self.data_len();
        if live < SMALL_NODE {
            let old_len = self.buf.len();
            self.buf.reserve_exact(need - head);
            self.buf.resize(old_len + need - head, 0);
            self.buf.copy_within(head..old_len, need);
            self.head = need as u32;
        } else {
            self.room_front(need + live.min(NODE_BYTES));
        }
    }

    /// After pops: once the live entries fill under a quarter of a buffer bigger than a small node, gives the
    /// rest back (keeping room to double), so a list popped down does not hold its old size. Geometric, so pops
    /// stay amortised O(1).
    #[inline]
    fn maybe_shrink(&mut self) {
        let cap = self.buf.capacity();
        if cap > SMALL_NODE && self.data_len() * 4 < cap {
            self.compact();
            self.buf.shrink_to(self.buf.len() * 2);
        }
    }

    /// Rebuilds the buffer with exactly `gap` free bytes before the entries.
    fn room_front(&mut self, gap: usize) {
        let live = self.data_len();
        let mut nb = Vec::with_capacity(gap + live);
        nb.resize(gap, 0);
        nb.extend_from_slice(&self.buf[self.head as usize..]);
        self.buf = nb;
        self.head = gap as u32;
    }
}

#[derive(Default, Clone)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
}

#[inline]
fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

/// Bytes one element takes in a node.
#[inline]
fn entry_len(v: &[u8]) -> usize {
    v.len() + 2 * varint_len(v.len())
}

/// Writes the encoded entry for `v` into `dst`, which is exactly `entry_len(v)` long.
#[inline]
fn write_entry(dst: &mut [u8], v: &[u8]) {
    let vl = varint_len(v.len());
    let mut n = v.len();
    for i in 0..vl {
        let b = (n & 0x7f) as u8 | if i + 1 < vl { 0x80 } else { 0 };
        dst[i] = b;
        // The backlen is the same bytes in reverse, so reading backwards meets them in forward order.
        dst[dst.len() - 1 - i] = b;
        n >>= 7;
    }
    dst[vl..vl + v.len()].copy_from_slice(v);
}

#[inline]
fn append_entry(buf: &mut Vec<u8>, v: &[u8]) {
    let at = buf.len();
    buf.resize(at + entry_len(v), 0);
    write_entry(&mut buf[at..], v);
}

/// The entry starting at `pos`: (data start, data end, entry end). Buffers are only written by `write_entry`.
#[inline]
fn entry_at(buf: &[u8], pos: usize) -> (usize, usize, usize) {
    // Elements under 128 bytes, the common case, have a one-byte length.
    let b = buf[pos];
    if b < 0x80 {
        let ds = pos + 1;
        let de = ds + b as usize;
        return (ds, de, de + 1);
    }
    let mut p = pos;
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let b = buf[p];
        p += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    let vl = p - pos;
    (p, p + n, p + n + vl)
}

/// The entry ending at `end`: (entry start, data start, data end).
#[inline]
fn entry_before(buf: &[u8], end: usize) -> (usize, usize, usize) {
    let b = buf[end - 1];
    if b < 0x80 {
        let de = end - 1;
        let ds = de - b as usize;
        return (ds - 1, ds, de);
    }
    let mut p = end;
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        p -= 1;
        let b = buf[p];
        n |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    let vl = end - p;
    let data_end = p;
    let data_start = data_end - n;
    (data_start - vl, data_start, data_end)
}

/// Byte offset of the `k`-th entry of a node (`k == count` gives the end), walking from the nearer end.
fn offset_of(node: &Node, k: usize) -> usize {
    let count = node.count as usize;
    if k <= count / 2 {
        let mut pos = node.head as usize;
        for _ in 0..k {
            pos = entry_at(&node.buf, pos).2;
        }
        pos
    } else {
        let mut pos = node.buf.len();
        for _ in k..count {
            pos = entry_before(&node.buf, pos).0;
        }
        pos
    }
}

impl List {
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Redis 7.0 reports every list as a quicklist.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
    pub fn mem_usage(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| n.buf.capacity() + std::mem::size_of::<Node>())
            .sum::<usize>()
            + std::mem::size_of::<List>()
    }

    pub fn from_vec(items: Vec<Vec<u8>>) -> List {
        let mut l = List::default();
        for it in &items {
            l.push_back(it);
        }
        l
    }

    pub fn to_vec(&self) -> Vec<Vec<u8>> {
        self.iter().map(|v| v.to_vec()).collect()
    }

    /// A new node for `v`, sized exactly: most lists are small and never grow past their first push.
    fn new_node(v: &[u8]) -> Node {
        let mut buf = Vec::with_capacity(entry_len(v));
        append_entry(&mut buf, v);
        Node {
            buf,
            head: 0,
            count: 1,
        }
    }

    /// Makes room for one more node without the deque's minimum of four slots for a list's first node.
    #[inline]
    fn reserve_node(&mut self) {
        if self.nodes.capacity() == 0 {
            self.nodes.reserve_exact(1);
        }
    }

    pub fn push_back(&mut self, v: &[u8]) {
        self.len += 1;
        let n = entry_len(v);
        if let Some(node) = self.nodes.back_mut() {
            if node.data_len() + n <= NODE_BYTES {
                node.append(v);
                return;
            }
        }
        self.reserve_node();
        self.nodes.push_back(Self::new_node(v));
    }

    pub fn push_front(&mut self, v: &[u8]) {
        self.len += 1;
        let n = entry_len(v);
        if let Some(node) = self.nodes.front_mut() {
            if node.data_len() + n <= NODE_BYTES {
                node.prepend(v);
                return;
            }
        }
        self.reserve_node();
        self.nodes.push_front(Self::new_node(v));
    }

    /// Pushes many elements at one end, as LPUSH / RPUSH with several arguments (LPUSH reverses them).
    pub fn push_many<T: AsRef<[u8]>>(&mut self, items: &[T], front: bool) {
        if items.is_empty() {
            return;
        }
        // One growth of the end node for the whole batch when it fits, instead of repeated doubling: a list
        // made by one LPUSH or RPUSH is then sized exactly.
        let total: usize = items.iter().map(|v| entry_len(v.as_ref())).sum();
        if front {
            match self.nodes.front_mut() {
                Some(node)
                    if node.data_len() + total <= NODE_BYTES && (node.head as usize) < total =>
                {
                    node.front_room(total);
                }
                None if total <= NODE_BYTES => {
                    self.reserve_node();
                    self.nodes.push_front(Node {
                        buf: vec![0; total],
                        head: total as u32,
                        count: 0,
                    });
                }
                _ => {}
            }
        } else {
            match self.nodes.back_mut() {
                Some(node) if node.data_len() + total <= NODE_BYTES => node.grow_back(total),
                None if total <= NODE_BYTES => {
                    self.reserve_node();
                    self.nodes.push_back(Node {
                        buf: Vec::with_capacity(total),
                        head: 0,
                        count: 0,
                    });
                }
                _ => {}
            }
        }
        for v in items {
            if front {
                self.push_front(v.as_ref());
            } else {
                self.push_back(v.as_ref());
            }
        }
    }

    /// Pops the head, handing its bytes to `f` before they are dropped (no copy for a reply).
    pub fn pop_front_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let node = self.nodes.front_mut()?;
        let (ds, de, end) = entry_at(&node.buf, node.head as usize);
        let r = f(&node.buf[ds..de]);
        node.count -= 1;
        if node.count == 0 {
            self.nodes.pop_front();
        } else {
            node.head = end as u32;
            node.maybe_shrink();
        }
        self.len -= 1;
        Some(r)
    }

    /// Pops the tail, handing its bytes to `f` before they are dropped.
    pub fn pop_back_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let node = self.nodes.back_mut()?;
        let (start, ds, de) = entry_before(&node.buf, node.buf.len());
        let r = f(&node.buf[ds..de]);
        node.count -= 1;
        if node.count == 0 {
            self.nodes.pop_back();
        } else {
            node.buf.truncate(start);
            node.maybe_shrink();
        }
        self.len -= 1;
        Some(r)
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        self.pop_front_with(|v| v.to_vec())
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        self.pop_back_with(|v| v.to_vec())
    }

    /// (node index, index within the node) of element `index` (< len), skipping nodes from the nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        if index < self.len / 2 {
            let mut i = index;
            for (n, node) in self.nodes.iter().enumerate() {
                let c = node.count as usize;
                if i < c {
                    return (n, i);
                }
                i -= c;
            }
        } else {
            let mut from_end = self.len - index; // >= 1
            for (n, node) in self.nodes.iter().enumerate().rev() {
                let c = node.count as usize;
                if from_end <= c {
                    return (n, c - from_end);
                }
                from_end -= c;
            }
        }
        unreachable!("index {index} within length {}", self.len)
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len {
            return None;
        }
        let (n, k) = self.locate(index);
        let node = &self.nodes[n];
        let (ds, de, _) = entry_at(&node.buf, offset_of(node, k));
        Some(&node.buf[ds..de])
    }

    /// Replaces element `index`; false when out of range.
    pub fn set(&mut self, index: usize, v: &[u8]) -> bool {
        if index >= self.len {
            return false;
        }
        let (n, k) = self.locate(index);
        let node = &mut self.nodes[n];
        node.compact();
        let start = offset_of(node, k);
        let end = entry_at(&node.buf, start).2;
        let new_len = entry_len(v);
        let old_total = node.buf.len();
        if new_len > end - start {
            let grow = new_len - (end - start);
            node.buf.resize(old_total + grow, 0);
            node.buf.copy_within(end..old_total, end + grow);
        } else {
            let shrink = (end - start) - new_len;
            node.buf.copy_within(end..old_total, end - shrink);
            node.buf.truncate(old_total - shrink);
        }
        write_entry(&mut node.buf[start..start + new_len], v);
        self.split_if_big(n);
        true
    }

    /// Inserts `v` so that it becomes element `index` (0..=len).
    pub fn insert_at(&mut self, index: usize, v: &[u8]) {
        if index == 0 {
            return self.push_front(v);
        }
        if index >= self.len {
            return self.push_back(v);
        }
        let (n, k) = self.locate(index);
        let node = &mut self.nodes[n];
        node.compact();
        let at = offset_of(node, k);
        let len = entry_len(v);
        let old = node.buf.len();
        node.buf.resize(old + len, 0);
        node.buf.copy_within(at..old, at + len);
        write_entry(&mut node.buf[at..at + len], v);
        node.count += 1;
        self.len += 1;
        self.split_if_big(n);
    }

    /// Splits node `n` when it outgrew the limit (after an insert or a longer replacement in the middle) into
    /// nodes that respect it, so one node never has to move far more than `NODE_BYTES` on an edit.
    fn split_if_big(&mut self, n: usize) {
        let node = &self.nodes[n];
        if node.data_len() <= NODE_BYTES || node.count <= 1 {
            return;
        }
        let mut parts: Vec<Node> = Vec::new();
        let mut pos = node.head as usize;
        while pos < node.buf.len() {
            let (_, _, end) = entry_at(&node.buf, pos);
            let entry = &node.buf[pos..end];
            match parts.last_mut() {
                Some(p) if p.buf.len() + entry.len() <= NODE_BYTES => {
                    p.buf.extend_from_slice(entry);
                    p.count += 1;
                }
                _ => parts.push(Node {
                    buf: entry.to_vec(),
                    head: 0,
                    count: 1,
                }),
            }
            pos = end;
        }
        let mut parts = parts.into_iter();
        if let Some(first) = parts.next() {
            self.nodes[n] = first;
        }
        for (i, p) in parts.enumerate() {
            self.nodes.insert(n + 1 + i, p);
        }
    }

    /// Index of the first element equal to `v`.
    pub fn position(&self, v: &[u8]) -> Option<usize> {
        self.iter().position(|it| it == v)
    }

    /// LREM: removes up to |count| elements equal to `v` (all with 0), from the tail when count < 0. Returns
    /// how many were removed. One compacting pass per node that holds a match.
    pub fn remove(&mut self, v: &[u8], count: i64) -> usize {
        let limit = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
        };
        let from_tail = count < 0;
        let mut removed = 0;
        let nn = self.nodes.len();
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for step in 0..nn {
            if removed >= limit {
                break;
            }
            let n = if from_tail { nn - 1 - step } else { step };
            let node = &mut self.nodes[n];
            hits.clear();
            let mut pos = node.head as usize;
            while pos < node.buf.len() {
                let (ds, de, end) = entry_at(&node.buf, pos);
                if &node.buf[ds..de] == v {
                    hits.push((pos, end));
                }
                pos = end;
            }
            let take = hits.len().min(limit - removed);
            if take == 0 {
                continue;
            }
            // Offsets were taken relative to the live entries; shift them to a compacted buffer.
            let head = node.head as usize;
            node.compact();
            for h in hits.iter_mut() {
                *h = (h.0 - head, h.1 - head);
            }
            let chosen = if from_tail {
                &hits[hits.len() - take..]
            } else {
                &hits[..take]
            };
            // Close the gaps left by the chosen entries in one left-to-right pass.
            let mut write = chosen[0].0;
            for (i, &(_, end)) in chosen.iter().enumerate() {
                let next = chosen.get(i + 1).map(|h| h.0).unwrap_or(node.buf.len());
                node.buf.copy_within(end..next, write);
                write += next - end;
            }
            node.buf.truncate(write);
            node.count -= take as u32;
            removed += take;
        }
        self.len -= removed;
        self.nodes.retain(|n| n.count > 0);
        removed
    }

    /// Drops `k` elements from the head.
    fn drop_front(&mut self, mut k: usize) {
        self.len -= k.min(self.len);
        while k > 0 {
            let Some(node) = self.nodes.front_mut() else {
                return;
            };
            let c = node.count as usize;
            if c <= k {
                self.nodes.pop_front();
                k -= c;
            } else {
                node.head = offset_of(node, k) as u32;
                node.count -= k as u32;
                return;
            }
        }
    }

    /// Drops `k` elements from the tail.
    fn drop_back(&mut self, mut k: usize) {
        self.len -= k.min(self.len);
        while k > 0 {
            let Some(node) = self.nodes.back_mut() else {
                return;
            };
            let c = node.count as usize;
            if c <= k {
                self.nodes.pop_back();
                k -= c;
            } else {
                let off = offset_of(node, c - k);
                node.buf.truncate(off);
                node.count -= k as u32;
                return;
            }
        }
    }

    /// LTRIM: keeps elements `start..=end` (normalised, `start <= end < len`).
    pub fn trim(&mut self, start: usize, end: usize) {
        let tail = self.len.saturating_sub(end + 1);
        self.drop_back(tail);
        self.drop_front(start);
    }

    pub fn clear(&mut self) {
        self.nodes.clear();
        self.len = 0;
    }

    pub fn iter(&self) -> Iter<'_> {
        let (fbuf, fpos) = match self.nodes.front() {
            Some(n) => (&n.buf[..], n.head as usize),
            None => (&[][..], 0),
        };
        Iter {
            nodes: &self.nodes,
            fnode: 0,
            fbuf,
            fpos,
            bnode: self.nodes.len(),
            bbuf: &[],
            remaining: self.len,
        }
    }

    /// Elements `start..=end` in order (normalised, `start <= end < len`), found by one `locate`: LRANGE
    /// writes them straight into the reply.
    pub fn range(&self, start: usize, end: usize) -> std::iter::Take<Iter<'_>> {
        if start >= self.len {
            return self.iter().take(0);
        }
        let (n, k) = self.locate(start);
        Iter {
            nodes: &self.nodes,
            fnode: n,
            fbuf: &self.nodes[n].buf,
            fpos: offset_of(&self.nodes[n], k),
            bnode: self.nodes.len(),
            bbuf: &[],
            remaining: self.len - start,
        }
        .take(end.saturating_sub(start) + 1)
    }
}

/// Double-ended iterator over a list's elements. The front is node `fnode`, whose whole buffer is `fbuf`, with
/// the next entry at `fpos`; the back is node `bnode`, whose entries not yet returned are `bbuf` (starting at its
/// head), `bnode == nodes.len()` meaning "past the last node". Holding the current slices saves a deque lookup
/// per element, which LRANGE notices.
pub struct Iter<'a> {
    nodes: &'a VecDeque<Node>,
    fnode: usize,
    fbuf: &'a [u8],
    fpos: usize,
    bnode: usize,
    bbuf: &'a [u8],
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        while self.fpos >= self.fbuf.len() {
            self.fnode += 1;
            let node = &self.nodes[self.fnode];
            self.fbuf = &node.buf;
            self.fpos = node.head as usize;
        }
        let (ds, de, end) = entry_at(self.fbuf, self.fpos);
        self.fpos = end;
        self.remaining -= 1;
        Some(&self.fbuf[ds..de])
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    #[inline]
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        while self.bbuf.is_empty() {
            self.bnode -= 1;
            let node = &self.nodes[self.bnode];
            self.bbuf = &node.buf[node.head as usize..];
        }
        let (start, ds, de) = entry_before(self.bbuf, self.bbuf.len());
        let v = &self.bbuf[ds..de];
        self.bbuf = &self.bbuf[..start];
        self.remaining -= 1;
        Some(v)
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn long_elements_use_multibyte_lengths_and_own_nodes() {
        let mut l = List::default();
        let big = vec![7u8; 300];
        l.push_back(b"a");
        l.push_back(&big);
        l.push_front(b"b");
        l.push_back(b"c");
        assert_eq!(
            l.to_vec(),
            vec![b"b".to_vec(), b"a".to_vec(), big.clone(), b"c".to_vec()]
        );
        assert_eq!(l.get(2), Some(&big[..]));
        assert_eq!(l.iter().rev().nth(1), Some(&big[..]));
        assert_eq!(l.pop_back().as_deref(), Some(&b"c"[..]));
        assert_eq!(l.pop_back(), Some(big));
        assert_eq!(l.len(), 2);
    }

    #[derive(Debug, Clone)]
    enum Op {
        PushFront(Vec<u8>),
        PushBack(Vec<u8>),
        PopFront,
        PopBack,
        Set(usize, Vec<u8>),
        Insert(usize, Vec<u8>),
        Remove(Vec<u8>, i64),
        Trim(usize, usize),
        PushMany(Vec<Vec<u8>>, bool),
    }

    fn value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => proptest::collection::vec(b'a'..b'd', 0..3),
            1 => proptest::collection::vec(any::<u8>(), 0..200),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            value().prop_map(Op::PushFront),
            value().prop_map(Op::PushBack),
            Just(Op::PopFront),
            Just(Op::PopBack),
            (0usize..40, value()).prop_map(|(i, v)| Op::Set(i, v)),
            (0usize..40, value()).prop_map(|(i, v)| Op::Insert(i, v)),
            (value(), -3i64..3).prop_map(|(v, c)| Op::Remove(v, c)),
            (0usize..40, 0usize..40).prop_map(|(a, b)| Op::Trim(a, b)),
            (proptest::collection::vec(value(), 0..8), any::<bool>())
                .prop_map(|(v, f)| Op::PushMany(v, f)),
        ]
    }

    fn model_remove(m: &mut VecDeque<Vec<u8>>, v: &[u8], count: i64) -> usize {
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs() as usize
        };
        let mut idx: Vec<usize> = (0..m.len()).filter(|&i| m[i] == v).collect();
        if count < 0 {
            idx.reverse();
        }
        idx.truncate(limit);
        idx.sort_unstable();
        for &i in idx.iter().rev() {
            m.remove(i);
        }
        idx.len()
    }

    proptest! {
        /// Any sequence of operations leaves the list equal to a plain deque, read forwards, backwards, by index
        /// and by range.
        #[test]
        fn behaves_like_a_deque(ops in proptest::collection::vec(op(), 0..120)) {
            let mut l = List::default();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for op in ops {
                match op {
                    Op::PushFront(v) => { l.push_front(&v); m.push_front(v); }
                    Op::PushBack(v) => { l.push_back(&v); m.push_back(v); }
                    Op::PopFront => prop_assert_eq!(l.pop_front(), m.pop_front()),
                    Op::PopBack => prop_assert_eq!(l.pop_back(), m.pop_back()),
                    Op::Set(i, v) => {
                        let ok = i < m.len();
                        prop_assert_eq!(l.set(i, &v), ok);
                        if ok { m[i] = v; }
                    }
                    Op::Insert(i, v) => {
                        let i = i.min(m.len());
                        l.insert_at(i, &v);
                        m.insert(i, v);
                    }
                    Op::Remove(v, c) => prop_assert_eq!(l.remove(&v, c), model_remove(&mut m, &v, c)),
                    Op::Trim(s, e) => {
                        if s <= e && e < m.len() {
                            l.trim(s, e);
                            m.truncate(e + 1);
                            m.drain(..s);
                        }
                    }
                    Op::PushMany(vs, front) => {
                        l.push_many(&vs, front);
                        for v in vs {
                            if front { m.push_front(v) } else { m.push_back(v) }
                        }
                    }
                }
                prop_assert_eq!(l.len(), m.len());
                prop_assert!(l.nodes.iter().all(|n| n.count > 0 && (n.count == 1 || n.data_len() <= NODE_BYTES)));
                prop_assert_eq!(l.nodes.iter().map(|n| n.count as usize).sum::<usize>(), m.len());
            }
            let fwd: Vec<&[u8]> = l.iter().collect();
            let want: Vec<&[u8]> = m.iter().map(|v| &v[..]).collect();
            prop_assert_eq!(&fwd, &want);
            let mut back: Vec<&[u8]> = l.iter().rev().collect();
            back.reverse();
            prop_assert_eq!(&back, &want);
            // Meeting in the middle from both ends yields each element once.
            let mut it = l.iter();
            let mut seen = 0;
            while (if seen % 2 == 0 { it.next() } else { it.next_back() }).is_some() { seen += 1; }
            prop_assert_eq!(seen, m.len());
            for i in 0..m.len() {
                prop_assert_eq!(l.get(i), Some(&m[i][..]));
                let r: Vec<&[u8]> = l.range(i, m.len() - 1).collect();
                prop_assert_eq!(&r[..], &want[i..]);
                let r: Vec<&[u8]> = l.range(0, i).collect();
                prop_assert_eq!(&r[..], &want[..=i]);
            }
            prop_assert_eq!(l.get(m.len()), None);
            prop_assert_eq!(List::from_vec(l.to_vec()).to_vec(), m.into_iter().collect::<Vec<_>>());
        }
    }
}
