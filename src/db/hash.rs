//! The hash type: field -> value.
use std::collections::HashMap;

#[derive(Default, Clone)]
pub struct Hash {
    pub map: HashMap<Box<[u8]>, Box<[u8]>>,
}

impl Hash {
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
    pub fn mem_usage(&self) -> usize {
        self.map.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>() + 48
    }
}
