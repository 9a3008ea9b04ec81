//! The sorted set type: members ordered by (score, member bytes), with a member -> score map.
use std::collections::HashMap;

#[derive(Default, Clone)]
pub struct ZSet {
    pub scores: HashMap<Box<[u8]>, f64>,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.scores.len()
    }
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
    pub fn encoding(&self) -> &'static str {
        "skiplist"
    }
    pub fn mem_usage(&self) -> usize {
        self.scores.keys().map(|m| m.len() + 48).sum::<usize>() + 48
    }
}
