//! The set type: unique byte-string members.
use std::collections::HashSet;

#[derive(Default, Clone)]
pub struct Set {
    pub members: HashSet<Box<[u8]>>,
}

impl Set {
    pub fn len(&self) -> usize {
        self.members.len()
    }
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
    pub fn mem_usage(&self) -> usize {
        self.members.iter().map(|m| m.len() + 24).sum::<usize>() + 48
    }
}
