//! The list type: a deque of byte strings (O(1) at both ends, cheap indexing near either end).
use std::collections::VecDeque;

#[derive(Default, Clone)]
pub struct List {
    pub items: VecDeque<Box<[u8]>>,
}

impl List {
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Redis 7.0 reports every list as a quicklist.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
    pub fn mem_usage(&self) -> usize {
        self.items.iter().map(|i| i.len() + 16).sum::<usize>() + 48
    }
}
