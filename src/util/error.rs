//! Error replies: the text a command answers with (without the leading '-'), and the common ones.
use std::borrow::Cow;

/// An error reply (without the leading '-').
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(pub Cow<'static, str>);

impl CmdError {
    pub fn new(s: impl Into<Cow<'static, str>>) -> Self {
        CmdError(s.into())
    }
}

impl From<String> for CmdError {
    fn from(s: String) -> Self {
        CmdError(Cow::Owned(s))
    }
}

pub type CmdResult = Result<(), CmdError>;

pub const WRONGTYPE: CmdError = CmdError(Cow::Borrowed(
    "WRONGTYPE Operation against a key holding the wrong kind of value",
));
pub const NOT_INTEGER: CmdError =
    CmdError(Cow::Borrowed("ERR value is not an integer or out of range"));
pub const NOT_FLOAT: CmdError = CmdError(Cow::Borrowed("ERR value is not a valid float"));
pub const SYNTAX: CmdError = CmdError(Cow::Borrowed("ERR syntax error"));
pub const NO_SUCH_KEY: CmdError = CmdError(Cow::Borrowed("ERR no such key"));
pub const OVERFLOW: CmdError = CmdError(Cow::Borrowed("ERR increment or decrement would overflow"));
