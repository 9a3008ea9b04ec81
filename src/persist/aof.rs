//! The append-only file's formats, as Redis 7.0's aof.c: the manifest of a multi-part AOF (parse, render, the
//! file-naming and rotation rules), the command stream (encode a command, read one back with Redis's loader
//! semantics), and the command form of a key (what a rewrite without RDB preamble writes).
use bytes::Bytes;

use crate::persist::rdb::RdbValue;

pub const BASE_FILE_SUFFIX: &str = ".base";
pub const INCR_FILE_SUFFIX: &str = ".incr";
pub const RDB_FORMAT_SUFFIX: &str = ".rdb";
pub const AOF_FORMAT_SUFFIX: &str = ".aof";
pub const MANIFEST_NAME_SUFFIX: &str = ".manifest";
pub const TEMP_FILE_NAME_PREFIX: &str = "temp-";

/// Elements per command when a collection is rewritten as commands (AOF_REWRITE_ITEMS_PER_CMD).
pub const ITEMS_PER_CMD: usize = 64;

/// A file's role in the manifest: `b`, `h` or `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Base,
    History,
    Incr,
}

/// One line of the manifest (aofInfo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofInfo {
    pub name: String,
    pub seq: i64,
    pub kind: FileType,
}

/// The manifest (aofManifest): the base file, the history files waiting for deletion, the incremental files
/// in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofInfo>,
    pub incr: Vec<AofInfo>,
    pub history: Vec<AofInfo>,
    pub curr_base_seq: i64,
    pub curr_incr_seq: i64,
    /// Changed since it was last written.
    pub dirty: bool,
}

/// Why a manifest was refused: the lines Redis logs before exiting (aofLoadManifestFromFile's `loaderr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// The line number and the trimmed line, when the error is about one line.
    pub line: Option<(usize, String)>,
    /// The message: "Found an empty AOF manifest", "Invalid AOF manifest file format", ...
    pub message: String,
}

impl Manifest {
    /// aofLoadManifestFromFile: parses a manifest's bytes with all of Redis's checks and messages.
    pub fn parse(_text: &[u8]) -> Result<Manifest, ManifestError> {
        todo!()
    }

    /// getAofManifestAsString: base, then history, then incr files, one `file <name> seq <n> type <c>\n` line
    /// each (a name that needs it is quoted as sdscatrepr does).
    pub fn render(&self) -> String {
        todo!()
    }

    /// getNewBaseFileNameAndMarkPreAsHistory: `<prefix>.<seq>.base.rdb|aof`; the old base becomes history.
    pub fn new_base(&mut self, _prefix: &str, _rdb: bool) -> String {
        todo!()
    }

    /// getNewIncrAofName: `<prefix>.<seq>.incr.aof`, appended to the incr list.
    pub fn new_incr(&mut self, _prefix: &str) -> String {
        todo!()
    }

    /// getLastIncrAofName: the last incr file's name, or a new one if there is none.
    pub fn last_incr(&mut self, _prefix: &str) -> String {
        todo!()
    }

    /// markRewrittenIncrAofAsHistory: every incr file becomes history, except the last one when
    /// `keep_last` (the file being written to while the AOF is on).
    pub fn mark_rewritten_incr_as_history(&mut self, _keep_last: bool) {
        todo!()
    }
}

/// `temp-<prefix>.incr` (getTempIncrAofName).
pub fn temp_incr_name(prefix: &str) -> String {
    format!("{TEMP_FILE_NAME_PREFIX}{prefix}{INCR_FILE_SUFFIX}")
}

/// `<prefix>.manifest`.
pub fn manifest_name(prefix: &str) -> String {
    format!("{prefix}{MANIFEST_NAME_SUFFIX}")
}

/// `temp-<prefix>.manifest`.
pub fn temp_manifest_name(prefix: &str) -> String {
    format!("{TEMP_FILE_NAME_PREFIX}{prefix}{MANIFEST_NAME_SUFFIX}")
}

/// Appends one command in the AOF's RESP form (catAppendOnlyGenericCommand).
pub fn write_command(_out: &mut Vec<u8>, _argv: &[&[u8]]) {
    todo!()
}

/// What the next bytes of a command stream hold (loadSingleAppendOnlyFile's reading).
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A whole command; `end` is the offset just after it.
    Command { argv: Vec<Bytes>, end: usize },
    /// An annotation line (`#...`), skipped; `end` is after it.
    Annotation { end: usize },
    /// The end of the data, between commands.
    Eof,
    /// The data ends inside a command (Redis's `readerr` at EOF: a short read).
    Truncated,
    /// Not a command stream here (Redis's `fmterr`).
    BadFormat,
}

/// Reads the command at `pos` of `data` with fgets semantics (lines of at most 1023 bytes, as Redis's
/// AOF_ANNOTATION_LINE_MAX_LEN buffer reads them).
pub fn read_command(_data: &[u8], _pos: usize) -> Next {
    todo!()
}

/// The command form of one key, as rewriteAppendOnlyFileRio writes it: SET, RPUSH/SADD/ZADD/HMSET in
/// batches of ITEMS_PER_CMD, then PEXPIREAT when it has an expire time.
pub fn write_key_commands(_out: &mut Vec<u8>, _key: &[u8], _value: &RdbValue, _expire_at: Option<i64>) {
    todo!()
}

/// `SELECT <db>` as the rewrite writes it at the start of each database.
pub fn write_select(out: &mut Vec<u8>, db: usize) {
    write_command(out, &[b"SELECT", db.to_string().as_bytes()]);
}
