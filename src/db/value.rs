//! The value types a key can hold, and what TYPE / OBJECT ENCODING say about them.
use super::{hash::Hash, list::List, set::Set, zset::ZSet};

/// Longest string Redis stores as `embstr`.
const EMBSTR_MAX: usize = 44;

#[derive(Clone)]
pub enum Value {
    /// A string; `raw` marks strings Redis would have made `raw` (APPEND, SETRANGE, long values).
    Str(Box<[u8]>),
    /// A string that came in as a canonical 64-bit integer (`int` encoding).
    Int(i64),
    /// A string modified in place (APPEND, SETRANGE, SETBIT): always `raw` encoding in Redis.
    Raw(Vec<u8>),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
}

impl Value {
    /// A string value, integer-encoded when Redis would (canonical integer of at most 20 bytes).
    pub fn string(data: &[u8]) -> Value {
        if data.len() <= 20 {
            if let Some(n) = crate::util::num::parse_i64(data) {
                return Value::Int(n);
            }
        }
        Value::Str(data.into())
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) | Value::Int(_) | Value::Raw(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Str(s) if s.len() <= EMBSTR_MAX => "embstr",
            Value::Str(_) | Value::Raw(_) => "raw",
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Value::Str(_) | Value::Int(_) | Value::Raw(_))
    }

    /// The length of a string value (an integer's as formatted), `None` for other types.
    pub fn string_len(&self) -> Option<usize> {
        match self {
            Value::Str(s) => Some(s.len()),
            Value::Raw(s) => Some(s.len()),
            Value::Int(n) => Some(crate::util::num::fmt_i64(*n).len()),
            _ => None,
        }
    }

    /// The bytes of a string value (integers are formatted), `None` for other types.
    pub fn as_bytes(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        match self {
            Value::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
            Value::Raw(s) => Some(std::borrow::Cow::Borrowed(s)),
            Value::Int(n) => Some(std::borrow::Cow::Owned(crate::util::num::fmt_i64(*n))),
            _ => None,
        }
    }

    /// A rough count of heap bytes, for MEMORY USAGE.
    pub fn mem_usage(&self) -> usize {
        match self {
            Value::Str(s) => s.len() + 16,
            Value::Raw(s) => s.capacity() + 16,
            Value::Int(_) => 16,
            Value::List(l) => l.mem_usage(),
            Value::Hash(h) => h.mem_usage(),
            Value::Set(s) => s.mem_usage(),
            Value::ZSet(z) => z.mem_usage(),
        }
    }
}

/// A collection type a key can hold, as the keyspace's typed reads and writes name it (`read::<List>`).
pub trait Kind: Default + Sized {
    fn of(v: &Value) -> Option<&Self>;
    fn of_mut(v: &mut Value) -> Option<&mut Self>;
    fn into_value(self) -> Value;
    /// An empty collection is deleted with its key once a write leaves it so.
    fn is_empty(&self) -> bool;
}

macro_rules! kind {
    ($t:ty, $variant:ident) => {
        impl Kind for $t {
            #[inline]
            fn of(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            #[inline]
            fn of_mut(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            #[inline]
            fn into_value(self) -> Value {
                Value::$variant(Box::new(self))
            }
            #[inline]
            fn is_empty(&self) -> bool {
                <$t>::is_empty(self)
            }
        }
    };
}
kind!(List, List);
kind!(Hash, Hash);
kind!(Set, Set);
kind!(ZSet, ZSet);

impl Value {
    /// An empty collection (a key holding one is deleted by the write that emptied it).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            _ => false,
        }
    }
}
