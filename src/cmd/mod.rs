//! The command layer: one module per family of commands, the table (`table`), the one caller of handlers
//! (`dispatch`), the context handlers work through (`ctx`), and argument helpers shared by the families.
pub mod args;
pub mod bits;
pub mod connection;
pub mod ctx;
pub mod dispatch;
pub mod dump;
pub mod expire;
pub mod hashes;
pub mod keys;
pub mod lcs;
pub mod lists;
pub mod meta;
pub mod pubsub;
pub mod replication;
pub mod server;
pub mod sets;
pub mod sort;
pub mod strings;
pub mod table;
pub mod transaction;
pub mod zsets;

pub use crate::engine::client::BlockRequest;
pub use crate::engine::keys::{Event, Keys};
pub use crate::engine::notify;
pub use crate::util::error::*;
pub use crate::util::num::{c_string, eq_ic, now_ms, parse_f64};
pub use ctx::Ctx;
pub use dispatch::{call, execute, serve_blocked};
pub use table::{
    arity_error, flags, key_positions, key_positions_checked, lookup, resolve, table,
    unknown_command, Command, Handler, Rejected, Table,
};

/// Parses an integer argument with Redis's rules and error text.
pub fn arg_i64(a: &[u8]) -> Result<i64, CmdError> {
    crate::util::num::parse_i64(a).ok_or(NOT_INTEGER)
}

/// Parses a float argument as Redis's `getDoubleFromObject` (strtod, no spaces, no NaN).
pub fn arg_f64(a: &[u8]) -> Result<f64, CmdError> {
    parse_f64(a).ok_or(NOT_FLOAT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_strtod() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"+1"), Some(1.0));
        assert_eq!(parse_f64(b"infinity"), Some(f64::INFINITY));
        for bad in [
            &b"nan"[..],
            b"",
            b" 1",
            b"1 ",
            b"abc",
            b"1.2.3",
            b"1e400",
            b"1e-400",
            b"1e",
            b"1\x002",
        ] {
            assert_eq!(parse_f64(bad), None);
        }
    }
}
