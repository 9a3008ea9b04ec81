//! Error replies: the text a command answers with (without the leading '-'), and the common ones.
use std::borrow::Cow;

/// An error reply (without the leading '-'). Bytes, not text: an argument Redis echoes in an error is echoed
/// as the client sent it (up to its first NUL, as C's `%s`), whatever its encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(pub Cow<'static, [u8]>);

impl CmdError {
    pub fn new(s: impl Into<Cow<'static, str>>) -> Self {
        match s.into() {
            Cow::Borrowed(s) => CmdError(Cow::Borrowed(s.as_bytes())),
            Cow::Owned(s) => CmdError(Cow::Owned(s.into_bytes())),
        }
    }

    /// `prefix`, then `arg` as `%s` formats it (cut at its first NUL), then `suffix`.
    pub fn echoing(prefix: &str, arg: &[u8], suffix: &str) -> Self {
        let arg = crate::util::num::c_string(arg);
        let mut v = Vec::with_capacity(prefix.len() + arg.len() + suffix.len());
        v.extend_from_slice(prefix.as_bytes());
        v.extend_from_slice(arg);
        v.extend_from_slice(suffix.as_bytes());
        CmdError(Cow::Owned(v))
    }

    /// The text, for logs and tests (non-UTF-8 bytes shown lossily).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl From<String> for CmdError {
    fn from(s: String) -> Self {
        CmdError(Cow::Owned(s.into_bytes()))
    }
}

pub type CmdResult = Result<(), CmdError>;

pub const WRONGTYPE: CmdError = CmdError(Cow::Borrowed(
    b"WRONGTYPE Operation against a key holding the wrong kind of value",
));
pub const NOT_INTEGER: CmdError = CmdError(Cow::Borrowed(
    b"ERR value is not an integer or out of range",
));
pub const NOT_FLOAT: CmdError = CmdError(Cow::Borrowed(b"ERR value is not a valid float"));
pub const SYNTAX: CmdError = CmdError(Cow::Borrowed(b"ERR syntax error"));
pub const NO_SUCH_KEY: CmdError = CmdError(Cow::Borrowed(b"ERR no such key"));
pub const OVERFLOW: CmdError =
    CmdError(Cow::Borrowed(b"ERR increment or decrement would overflow"));
