//! The wire protocol: incremental request parsing (RESP2 multibulk and inline) and reply encoding (RESP2/RESP3).
pub mod encode;
pub mod parse;

pub use encode::Out;
pub use parse::{ParseError, Parser};
