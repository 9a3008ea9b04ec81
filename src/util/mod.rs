//! Utilities that import nothing else of the crate: numbers and strings as Redis parses and prints them, error
//! replies, errno, glob matching, long double, latency histograms, logging, the allocator's counters.
pub mod alloc;
pub mod cerrno;
pub mod error;
pub mod glob;
pub mod latency;
pub mod ldouble;
pub mod log;
pub mod num;

/// Hash maps keyed by client ids and keys: ahash is several times cheaper than SipHash on these hot paths.
pub type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
pub type HashSet<K> = std::collections::HashSet<K, ahash::RandomState>;
