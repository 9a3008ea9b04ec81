//! The append-only file's formats, as Redis 7.0's aof.c: the manifest of a multi-part AOF (parse, render, the
//! file-naming and rotation rules), the command stream (encode a command, read one back with Redis's loader
//! semantics), and the command form of a key (what a rewrite without RDB preamble writes).
use bytes::Bytes;

use crate::db::zset;
use crate::persist::rdb::RdbValue;
use crate::util::num::{c_string, fmt_double};

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

/// fgets's buffer for a manifest line (MANIFEST_MAX_LINE + 1).
const MANIFEST_LINE_BUF: usize = 1024 + 1;
/// fgets's buffer for a line of the command stream (AOF_ANNOTATION_LINE_MAX_LEN).
const AOF_LINE_BUF: usize = 1024;

const INVALID_FORMAT: &str = "Invalid AOF manifest file format";

impl FileType {
    /// The manifest's type character (AOF_FILE_TYPE_BASE/HIST/INCR).
    pub fn as_char(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

impl Manifest {
    /// aofLoadManifestFromFile: parses a manifest's bytes with all of Redis's checks and messages.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut am = Manifest::default();
        let mut maxseq: i64 = 0;
        let mut linenum = 0usize;
        let mut pos = 0;
        loop {
            let Some((chunk, end)) = fgets(text, pos, MANIFEST_LINE_BUF) else {
                if linenum == 0 {
                    return Err(ManifestError {
                        line: None,
                        message: "Found an empty AOF manifest".into(),
                    });
                }
                break;
            };
            pos = end;
            // Redis counts fgets calls: the rest of an over-long comment is a line of its own.
            linenum += 1;
            if chunk[0] == b'#' {
                continue;
            }
            // C string functions see the buffer up to its first NUL, which hides the '\n' after it.
            let cstr = c_string(chunk);
            if !cstr.contains(&b'\n') {
                // Also a last line without '\n': fgets returns it, strchr finds no newline.
                return Err(ManifestError {
                    line: None,
                    message: "The AOF manifest file contains too long line".into(),
                });
            }
            let line = trim(cstr, b" \t\r\n");
            let fail = |message: &str| {
                Err(ManifestError {
                    line: Some((linenum, String::from_utf8_lossy(line).into_owned())),
                    message: message.into(),
                })
            };
            if line.is_empty() {
                return fail(INVALID_FORMAT);
            }
            let argv = match sdssplitargs(line) {
                // argc < 6 is refused, more pairs are accepted for forward compatibility.
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return fail(INVALID_FORMAT),
            };
            let mut name: Option<&[u8]> = None;
            let mut seq: i64 = 0;
            let mut kind: u8 = 0;
            for pair in argv.chunks_exact(2) {
                // strcasecmp, sdsnew and atoll all stop at a NUL that a \x00 escape put in a word.
                let key = c_string(&pair[0]);
                let val = &pair[1];
                if key.eq_ignore_ascii_case(b"file") {
                    let n = c_string(val);
                    // pathIsBaseName.
                    if n.contains(&b'/') || n.contains(&b'\\') {
                        return fail("File can't be a path, just a filename");
                    }
                    name = Some(n);
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = c_strtol(val);
                } else if key.eq_ignore_ascii_case(b"type") {
                    kind = val.first().copied().unwrap_or(0);
                }
            }
            let Some(name) = name else {
                return fail(INVALID_FORMAT);
            };
            if seq == 0 || kind == 0 {
                return fail(INVALID_FORMAT);
            }
            let kind = match kind {
                b'b' if am.base.is_some() => return fail("Found duplicate base file information"),
                b'b' => FileType::Base,
                b'h' => FileType::History,
                b'i' if seq <= maxseq => return fail("Found a non-monotonic sequence number"),
                b'i' => FileType::Incr,
                _ => return fail("Unknown AOF file type"),
            };
            // Not Redis's: names are Strings here, so a name that is not UTF-8 cannot be kept (checked last,
            // after every check Redis makes).
            let Ok(name) = String::from_utf8(name.to_vec()) else {
                return fail("The AOF file name is not valid UTF-8");
            };
            let info = AofInfo { name, seq, kind };
            match kind {
                FileType::Base => {
                    am.curr_base_seq = seq;
                    am.base = Some(info);
                }
                FileType::History => am.history.push(info),
                FileType::Incr => {
                    am.curr_incr_seq = seq;
                    maxseq = seq;
                    am.incr.push(info);
                }
            }
        }
        Ok(am)
    }

    /// getAofManifestAsString: base, then history, then incr files, one `file <name> seq <n> type <c>\n` line
    /// each (a name that needs it is quoted as sdscatrepr does).
    pub fn render(&self) -> String {
        let mut buf = String::new();
        for ai in self.base.iter().chain(&self.history).chain(&self.incr) {
            // aofInfoFormat.
            let name = if needs_repr(ai.name.as_bytes()) {
                repr(ai.name.as_bytes())
            } else {
                ai.name.clone()
            };
            buf.push_str(&format!(
                "file {name} seq {} type {}\n",
                ai.seq,
                ai.kind.as_char()
            ));
        }
        buf
    }

    /// getNewBaseFileNameAndMarkPreAsHistory: `<prefix>.<seq>.base.rdb|aof`; the old base becomes history.
    pub fn new_base(&mut self, prefix: &str, rdb: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileType::History;
            self.history.insert(0, old);
        }
        let format = if rdb {
            RDB_FORMAT_SUFFIX
        } else {
            AOF_FORMAT_SUFFIX
        };
        self.curr_base_seq += 1;
        let name = format!("{prefix}.{}{BASE_FILE_SUFFIX}{format}", self.curr_base_seq);
        self.base = Some(AofInfo {
            name: name.clone(),
            seq: self.curr_base_seq,
            kind: FileType::Base,
        });
        self.dirty = true;
        name
    }

    /// getNewIncrAofName: `<prefix>.<seq>.incr.aof`, appended to the incr list.
    pub fn new_incr(&mut self, prefix: &str) -> String {
        self.curr_incr_seq += 1;
        let name = format!(
            "{prefix}.{}{INCR_FILE_SUFFIX}{AOF_FORMAT_SUFFIX}",
            self.curr_incr_seq
        );
        self.incr.push(AofInfo {
            name: name.clone(),
            seq: self.curr_incr_seq,
            kind: FileType::Incr,
        });
        self.dirty = true;
        name
    }

    /// getLastIncrAofName: the last incr file's name, or a new one if there is none.
    pub fn last_incr(&mut self, prefix: &str) -> String {
        match self.incr.last() {
            Some(ai) => ai.name.clone(),
            None => self.new_incr(prefix),
        }
    }

    /// markRewrittenIncrAofAsHistory: every incr file becomes history, except the last one when
    /// `keep_last` (the file being written to while the AOF is on).
    pub fn mark_rewritten_incr_as_history(&mut self, keep_last: bool) {
        if self.incr.is_empty() {
            return;
        }
        let keep = if keep_last { self.incr.pop() } else { None };
        // Redis walks the incr list from its tail, adding each file at the history's head: the moved files
        // end up first in the history, in their incr order.
        let moved = std::mem::take(&mut self.incr);
        self.history.splice(
            0..0,
            moved.into_iter().map(|ai| AofInfo {
                kind: FileType::History,
                ..ai
            }),
        );
        self.incr.extend(keep);
        self.dirty = true;
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
pub fn write_command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    write_count(out, b'*', argv.len());
    for a in argv {
        write_bulk(out, a);
    }
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
///
/// One case has no variant of its own: a NUL byte right after a `*` that is not the data's end is Redis's
/// `readerr` without EOF ("Unrecoverable error reading the append only file"), a failure as fatal as a
/// format error, so it is reported as `BadFormat`. A huge or negative `$` length, which makes Redis's
/// allocation abort the process, is `Truncated` (it is longer than what is left).
pub fn read_command(data: &[u8], pos: usize) -> Next {
    let Some((line, mut p)) = fgets(data, pos, AOF_LINE_BUF) else {
        return Next::Eof;
    };
    if line[0] == b'#' {
        return Next::Annotation { end: p };
    }
    if line[0] != b'*' {
        return Next::BadFormat;
    }
    if line.get(1).copied().unwrap_or(0) == 0 {
        return if fgets_hit_eof(data, line, p, AOF_LINE_BUF) {
            Next::Truncated
        } else {
            Next::BadFormat
        };
    }
    // atoi: strtol's value cut to an int.
    let argc = c_strtol(&line[1..]) as i32;
    if argc < 1 {
        return Next::BadFormat;
    }
    // argc is untrusted: the vector grows with the arguments actually read.
    let mut argv = Vec::with_capacity((argc as usize).min(ITEMS_PER_CMD * 2 + 2));
    for _ in 0..argc {
        let Some((line, end)) = fgets(data, p, AOF_LINE_BUF) else {
            return Next::Truncated;
        };
        if line[0] != b'$' {
            return Next::BadFormat;
        }
        p = end;
        // strtol's long as the unsigned long Redis keeps: a negative length is a huge one.
        let len = c_strtol(&line[1..]) as u64;
        let rest = &data[p..];
        if len > rest.len() as u64 {
            return Next::Truncated;
        }
        let len = len as usize;
        argv.push(Bytes::copy_from_slice(&rest[..len]));
        p += len;
        // The CRLF is skipped unread, as Redis's fread of 2 bytes.
        if data.len() - p < 2 {
            return Next::Truncated;
        }
        p += 2;
    }
    Next::Command { argv, end: p }
}

/// A whole command stream read from `pos` as loadSingleAppendOnlyFile reads it: the commands, the offset just
/// after the last one (Redis's `valid_up_to`, where aof-load-truncated cuts a truncated file) and how the
/// reading stopped (`Eof`, `Truncated` or `BadFormat`).
pub fn read_all(data: &[u8], mut pos: usize) -> (Vec<Vec<Bytes>>, usize, Next) {
    let mut cmds = Vec::new();
    let mut valid_up_to = pos;
    loop {
        match read_command(data, pos) {
            Next::Command { argv, end } => {
                cmds.push(argv);
                pos = end;
                valid_up_to = end;
            }
            Next::Annotation { end } => pos = end,
            stop => return (cmds, valid_up_to, stop),
        }
    }
}

/// The command form of one key, as rewriteAppendOnlyFileRio writes it: SET, RPUSH/SADD/ZADD/HMSET in
/// batches of ITEMS_PER_CMD, then PEXPIREAT when it has an expire time.
///
/// Sets are written in the order given (Redis writes an intset ascending, a hash table in its dict order);
/// sorted sets ascending by (score, member), the order of a listpack-encoded one.
pub fn write_key_commands(out: &mut Vec<u8>, key: &[u8], value: &RdbValue, expire_at: Option<i64>) {
    match value {
        RdbValue::Str(v) => write_command(out, &[b"SET", key, v]),
        RdbValue::List(items) => {
            write_batched(out, b"RPUSH", key, items, 1, |out, it| write_bulk(out, it))
        }
        RdbValue::Set(members) => {
            write_batched(out, b"SADD", key, members, 1, |out, m| write_bulk(out, m))
        }
        RdbValue::ZSet(pairs) => {
            let by_rank =
                |a: &&(Vec<u8>, f64), b: &&(Vec<u8>, f64)| zset::cmp_entry(a.1, &a.0, b.1, &b.0);
            let mut sorted: Vec<&(Vec<u8>, f64)> = pairs.iter().collect();
            if !sorted.windows(2).all(|w| by_rank(&w[0], &w[1]).is_le()) {
                sorted.sort_by(by_rank);
            }
            write_batched(out, b"ZADD", key, &sorted, 2, |out, (m, s)| {
                // rioWriteBulkDouble: "%.17g", which prints infinities as inf / -inf.
                write_bulk(out, fmt_double(*s).as_bytes());
                write_bulk(out, m);
            });
        }
        RdbValue::Hash(pairs) => write_batched(out, b"HMSET", key, pairs, 2, |out, (f, v)| {
            write_bulk(out, f);
            write_bulk(out, v);
        }),
    }
    if let Some(ms) = expire_at {
        write_command(
            out,
            &[b"PEXPIREAT", key, itoa::Buffer::new().format(ms).as_bytes()],
        );
    }
}

/// The rewrite*Object loop: a command header declaring `2 + min(ITEMS_PER_CMD, remaining) * per_item`
/// arguments (rioWriteBulkCount), then up to ITEMS_PER_CMD items.
fn write_batched<T>(
    out: &mut Vec<u8>,
    cmd: &[u8],
    key: &[u8],
    items: &[T],
    per_item: usize,
    mut write_item: impl FnMut(&mut Vec<u8>, &T),
) {
    for batch in items.chunks(ITEMS_PER_CMD) {
        write_count(out, b'*', 2 + batch.len() * per_item);
        write_bulk(out, cmd);
        write_bulk(out, key);
        for it in batch {
            write_item(out, it);
        }
    }
}

/// rioWriteBulkCount: `<prefix><n>\r\n`.
fn write_count(out: &mut Vec<u8>, prefix: u8, n: usize) {
    out.push(prefix);
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// rioWriteBulkString: `$<len>\r\n<bytes>\r\n`.
fn write_bulk(out: &mut Vec<u8>, s: &[u8]) {
    write_count(out, b'$', s.len());
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

/// C's fgets with a buffer of `size` bytes over `data` at `pos`: the bytes up to and including a '\n', at most
/// `size - 1` of them, fewer at the end of the data; `None` when nothing is left. Also the offset after them.
fn fgets(data: &[u8], pos: usize, size: usize) -> Option<(&[u8], usize)> {
    if pos >= data.len() {
        return None;
    }
    let limit = data.len().min(pos + size - 1);
    let end = match data[pos..limit].iter().position(|&c| c == b'\n') {
        Some(i) => pos + i + 1,
        None => limit,
    };
    Some((&data[pos..end], end))
}

/// Whether the fgets that returned `line` (ending at `end`) stopped at the end of the data, setting the
/// stream's EOF indicator, rather than at a newline or a full buffer.
fn fgets_hit_eof(data: &[u8], line: &[u8], end: usize, size: usize) -> bool {
    end == data.len() && line.last() != Some(&b'\n') && line.len() < size - 1
}

/// C's isspace in the C locale.
fn c_isspace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// strtol / strtoll / atoll (base 10, glibc, 64-bit long) over a C string: leading spaces, a sign, digits up
/// to the first other byte; 0 without digits; saturated at the type's bounds on overflow.
fn c_strtol(s: &[u8]) -> i64 {
    let s = c_string(s);
    let mut i = 0;
    while i < s.len() && c_isspace(s[i]) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    // The magnitude, capped just past what an i64 can hold of either sign.
    let cap = i64::MAX as u64 + 1;
    let mut mag: u64 = 0;
    while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
        mag = mag.saturating_mul(10).saturating_add(u64::from(d - b'0')).min(cap);
        i += 1;
    }
    if neg {
        if mag >= cap {
            i64::MIN
        } else {
            -(mag as i64)
        }
    } else {
        mag.min(i64::MAX as u64) as i64
    }
}

/// sdstrim: drops the bytes of `set` from both ends.
fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|c| !set.contains(c)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|c| !set.contains(c))
        .map_or(start, |i| i + 1);
    &s[start..end]
}

/// sdssplitargs, ported pointer by pointer (the end of `line`, like a NUL in it, is C's terminating NUL):
/// words split on C isspace, "double quotes" with \xHH and \n \r \t \b \a escapes, 'single quotes' with
/// \' only; `None` on an unterminated quote or a closing quote followed by something else than a space.
fn sdssplitargs(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut argv = Vec::new();
    let mut p = 0;
    loop {
        while at(p) != 0 && c_isspace(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            return Some(argv);
        }
        let (mut inq, mut insq, mut done) = (false, false, false);
        let mut current = Vec::new();
        while !done {
            let c = at(p);
            if inq {
                if let (b'\\', b'x', Some(hi), Some(lo)) =
                    (c, at(p + 1), hex(at(p + 2)), hex(at(p + 3)))
                {
                    current.push(hi * 16 + lo);
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        o => o,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !c_isspace(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else if insq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !c_isspace(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    _ => current.push(c),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        argv.push(current);
    }
}

/// C's isprint in the C locale (a byte above 0x7f is a negative char, never printable).
fn c_isprint(c: u8) -> bool {
    (0x20..=0x7e).contains(&c)
}

/// sdsneedsrepr: quotes, backslashes, spaces and anything unprintable.
fn needs_repr(s: &[u8]) -> bool {
    s.iter()
        .any(|&c| c == b'\\' || c == b'"' || !c_isprint(c) || c_isspace(c))
}

/// sdscatrepr: the double-quoted form sdssplitargs reads back.
fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &c in s {
        match c {
            b'\\' | b'"' => {
                out.push('\\');
                out.push(c as char);
            }
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            c if c_isprint(c) => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

/// `SELECT <db>` as the rewrite writes it at the start of each database.
pub fn write_select(out: &mut Vec<u8>, db: usize) {
    write_command(out, &[b"SELECT", db.to_string().as_bytes()]);
}
