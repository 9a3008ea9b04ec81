//! The append-only file's formats, as Redis 7.0's aof.c: the manifest of a multi-part AOF (parse, render, the
//! file-naming and rotation rules), the command stream (encode a command, read one back with Redis's loader
//! semantics), and the command form of a key (what a rewrite without RDB preamble writes).
use bytes::Bytes;

use crate::db::zset;
use crate::persist::rdb::RdbValue;
use crate::util::num::{c_isspace, c_string, c_strtol, fmt_double};

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
    ///
    /// One check is not Redis's: a file name that is not UTF-8 (raw bytes or a `\xHH` escape) is refused
    /// with "The AOF file name is not valid UTF-8", after all of Redis's checks of its line. A reported line
    /// shows bytes that are not UTF-8 as U+FFFD (Redis logs them raw).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &[u8]) -> ManifestError {
        match Manifest::parse(text) {
            Err(e) => e,
            Ok(m) => panic!("parsed: {m:?}"),
        }
    }

    fn line_err(text: &[u8], linenum: usize, line: &str, message: &str) {
        assert_eq!(
            err(text),
            ManifestError {
                line: Some((linenum, line.into())),
                message: message.into()
            },
            "{}",
            String::from_utf8_lossy(text)
        );
    }

    fn info(name: &str, seq: i64, kind: FileType) -> AofInfo {
        AofInfo {
            name: name.into(),
            seq,
            kind,
        }
    }

    #[test]
    fn parses_good_manifests() {
        let text = b"# written by hand\r\n\
            file appendonly.aof.2.base.rdb seq 2 type b\n\
            FILE appendonly.aof.1.incr.aof Seq 1 TYPE h\r\n\
            \x0b file \"a b\\x41\" seq -7 type hist unknown key\n\
            #file x seq 1 type b\n\
            type i seq 3 file appendonly.aof.3.incr.aof\n\
            file appendonly.aof.5.incr.aof seq 5 type i  \t\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(
            m.base,
            Some(info("appendonly.aof.2.base.rdb", 2, FileType::Base))
        );
        assert_eq!(
            m.history,
            vec![
                info("appendonly.aof.1.incr.aof", 1, FileType::History),
                info("a bA", -7, FileType::History)
            ]
        );
        assert_eq!(
            m.incr,
            vec![
                info("appendonly.aof.3.incr.aof", 3, FileType::Incr),
                info("appendonly.aof.5.incr.aof", 5, FileType::Incr)
            ]
        );
        assert_eq!((m.curr_base_seq, m.curr_incr_seq, m.dirty), (2, 5, false));

        // Only comments: not empty for Redis, and no files.
        assert_eq!(
            Manifest::parse(b"# nothing\n#").unwrap(),
            Manifest::default()
        );
        // atoll: leading digits; saturation; the last of repeated keys wins; a \x00 ends the name.
        let m =
            Manifest::parse(b"file a seq 12abc type b\nfile b seq 99999999999999999999 type i\n")
                .unwrap();
        assert_eq!((m.curr_base_seq, m.curr_incr_seq), (12, i64::MAX));
        let m = Manifest::parse(b"file x file \"a\\x00b\" seq +3 type bx\n").unwrap();
        assert_eq!(m.base, Some(info("a", 3, FileType::Base)));
        // An empty name passes (Redis checks only that there is one).
        assert_eq!(
            Manifest::parse(b"file \"\" seq 1 type i\n").unwrap().incr[0].name,
            ""
        );
        // 1023 characters and the '\n' fill the 1025-byte buffer's 1024 bytes exactly.
        let name = "x".repeat(1023 - "file  seq 1 type b".len());
        let m = Manifest::parse(format!("file {name} seq 1 type b\n").as_bytes()).unwrap();
        assert_eq!(m.base.unwrap().name, name);
    }

    #[test]
    fn manifest_errors() {
        let invalid = "Invalid AOF manifest file format";
        let too_long = ManifestError {
            line: None,
            message: "The AOF manifest file contains too long line".into(),
        };
        assert_eq!(
            err(b""),
            ManifestError {
                line: None,
                message: "Found an empty AOF manifest".into()
            }
        );
        // fgets returns a last line without '\n', which strchr then finds too long.
        assert_eq!(err(b"file a seq 1 type b"), too_long);
        assert_eq!(err(b"file a seq 1 type b\nfile b seq 2 type i"), too_long);
        let name = "x".repeat(1024 - "file  seq 1 type b".len());
        assert_eq!(
            err(format!("file {name} seq 1 type b\n").as_bytes()),
            too_long
        );
        // A NUL hides the '\n' after it from strchr.
        assert_eq!(err(b"file a\0 seq 1 type b\n"), too_long);
        // A comment's first 1024 bytes are skipped, the rest is read as the next line.
        let long_comment = format!("#{}\nfile a seq 1 type b\n", "y".repeat(1100));
        line_err(long_comment.as_bytes(), 2, &"y".repeat(77), invalid);
        let comment_no_nl = b"file a seq 1 type b\n# last";
        assert!(Manifest::parse(comment_no_nl).is_ok());

        // The line is reported trimmed, blank ones as ''.
        line_err(b"#c\nfile a seq 1 type b\n\n", 3, "", invalid);
        line_err(b"file a seq 1 type b\n   \t \r\n", 2, "", invalid);
        line_err(
            b"file \"a b seq 1 type b\n",
            1,
            "file \"a b seq 1 type b",
            invalid,
        );
        line_err(
            b"file 'a'b seq 1 type b\n",
            1,
            "file 'a'b seq 1 type b",
            invalid,
        );
        line_err(
            b"file \"a\"b seq 1 type b\n",
            1,
            "file \"a\"b seq 1 type b",
            invalid,
        );
        line_err(b"file a seq 1 type\n", 1, "file a seq 1 type", invalid);
        line_err(
            b"file a seq 1 type b x\n",
            1,
            "file a seq 1 type b x",
            invalid,
        );
        line_err(b"  file a seq 1 \r\n", 1, "file a seq 1", invalid);
        line_err(b"file a seq 0 type b\n", 1, "file a seq 0 type b", invalid);
        line_err(b"file a seq x type b\n", 1, "file a seq x type b", invalid);
        line_err(
            b"file a sequence 1 type b\n",
            1,
            "file a sequence 1 type b",
            invalid,
        );
        line_err(b"name a seq 1 type b\n", 1, "name a seq 1 type b", invalid);
        line_err(
            b"file a seq 1 type \"\"\n",
            1,
            "file a seq 1 type \"\"",
            invalid,
        );
        line_err(
            b"file a seq 1 type \"\\x00b\"\n",
            1,
            "file a seq 1 type \"\\x00b\"",
            invalid,
        );

        let path = "File can't be a path, just a filename";
        line_err(b"file a/b seq 1 type b\n", 1, "file a/b seq 1 type b", path);
        line_err(
            b"file a\\b seq 1 type b\n",
            1,
            "file a\\b seq 1 type b",
            path,
        );
        // Checked as the pair is read: before the missing seq and the unknown type.
        line_err(b"seq 0 type x file /a\n", 1, "seq 0 type x file /a", path);

        line_err(
            b"file a seq 1 type b\nfile c seq 2 type b\n",
            2,
            "file c seq 2 type b",
            "Found duplicate base file information",
        );
        let non_mono = "Found a non-monotonic sequence number";
        line_err(
            b"file a seq 2 type i\nfile c seq 2 type i\n",
            2,
            "file c seq 2 type i",
            non_mono,
        );
        line_err(
            b"file a seq 3 type i\nfile c seq 1 type i\n",
            2,
            "file c seq 1 type i",
            non_mono,
        );
        line_err(
            b"file a seq -1 type i\n",
            1,
            "file a seq -1 type i",
            non_mono,
        );
        line_err(
            b"file a seq 1 type x\n",
            1,
            "file a seq 1 type x",
            "Unknown AOF file type",
        );
        line_err(
            b"file a seq 1 type B\n",
            1,
            "file a seq 1 type B",
            "Unknown AOF file type",
        );

        // Not Redis's: a name that is not UTF-8, once every other check has passed.
        line_err(
            b"file \"\\xff\" seq 1 type b\n",
            1,
            "file \"\\xff\" seq 1 type b",
            "The AOF file name is not valid UTF-8",
        );
    }

    #[test]
    fn renders_as_redis() {
        // What redis-server 7.0.15 writes with --appendfilename "file seg.aof" and "fé\"x.aof".
        let mut m = Manifest::default();
        assert_eq!(m.new_base("file seg.aof", true), "file seg.aof.1.base.rdb");
        assert_eq!(m.new_incr("file seg.aof"), "file seg.aof.1.incr.aof");
        let text = m.render();
        assert_eq!(
            text,
            "file \"file seg.aof.1.base.rdb\" seq 1 type b\nfile \"file seg.aof.1.incr.aof\" seq 1 type i\n"
        );
        let back = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(back, Manifest { dirty: false, ..m });

        let mut m = Manifest::default();
        m.new_base("fé\"x.aof", true);
        m.new_incr("fé\"x.aof");
        assert_eq!(
            m.render(),
            "file \"f\\xc3\\xa9\\\"x.aof.1.base.rdb\" seq 1 type b\nfile \"f\\xc3\\xa9\\\"x.aof.1.incr.aof\" seq 1 type i\n"
        );
        assert_eq!(
            Manifest::parse(m.render().as_bytes()).unwrap(),
            Manifest { dirty: false, ..m }
        );

        // Every escape of sdscatrepr reads back through sdssplitargs.
        // (A backslash is escaped too, but the name would then be refused as a path.)
        let odd = "a\n\r\t\x07\x08\"\x01\x7f\x0b\x0c 'z";
        let m = Manifest {
            base: Some(info("plain.base.aof", 4, FileType::Base)),
            history: vec![
                info(odd, -2, FileType::History),
                info("h", 3, FileType::History),
            ],
            incr: vec![info("i1", 1, FileType::Incr), info("i9", 9, FileType::Incr)],
            curr_base_seq: 4,
            curr_incr_seq: 9,
            dirty: false,
        };
        let text = m.render();
        assert_eq!(
            text.lines().nth(1),
            Some("file \"a\\n\\r\\t\\a\\b\\\"\\x01\\x7f\\x0b\\x0c 'z\" seq -2 type h")
        );
        assert!(text.starts_with("file plain.base.aof seq 4 type b\n"));
        assert_eq!(Manifest::parse(text.as_bytes()).unwrap(), m);
        assert_eq!(Manifest::default().render(), "");
        let m = Manifest {
            base: Some(info("a\\b", 1, FileType::Base)),
            ..Manifest::default()
        };
        assert_eq!(m.render(), "file \"a\\\\b\" seq 1 type b\n");
    }

    #[test]
    fn names_and_rotation() {
        let p = "appendonly.aof";
        let mut m = Manifest::default();
        // getLastIncrAofName creates the first incr file.
        assert_eq!(m.last_incr(p), "appendonly.aof.1.incr.aof");
        assert!(m.dirty);
        m.dirty = false;
        assert_eq!(m.last_incr(p), "appendonly.aof.1.incr.aof");
        assert!(!m.dirty);
        assert_eq!(m.new_base(p, false), "appendonly.aof.1.base.aof");
        assert!(m.dirty);

        // A rewrite while the AOF is on: new base, new incr, the older incr files become history.
        assert_eq!(m.new_incr(p), "appendonly.aof.2.incr.aof");
        assert_eq!(m.new_incr(p), "appendonly.aof.3.incr.aof");
        assert_eq!(m.new_base(p, true), "appendonly.aof.2.base.rdb");
        m.dirty = false;
        m.mark_rewritten_incr_as_history(true);
        assert!(m.dirty);
        assert_eq!(
            m.render(),
            "file appendonly.aof.2.base.rdb seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type h\n\
             file appendonly.aof.1.base.aof seq 1 type h\n\
             file appendonly.aof.3.incr.aof seq 3 type i\n"
        );
        // The last file alone is kept: nothing moves, but the manifest is still marked dirty.
        m.dirty = false;
        m.mark_rewritten_incr_as_history(true);
        assert!(m.dirty && m.incr.len() == 1 && m.history.len() == 3);
        // With the AOF off every incr file moves.
        m.new_incr(p);
        m.mark_rewritten_incr_as_history(false);
        assert!(m.incr.is_empty());
        let hist: Vec<(&str, FileType)> = m
            .history
            .iter()
            .map(|a| (a.name.as_str(), a.kind))
            .collect();
        assert_eq!(
            hist,
            vec![
                ("appendonly.aof.3.incr.aof", FileType::History),
                ("appendonly.aof.4.incr.aof", FileType::History),
                ("appendonly.aof.1.incr.aof", FileType::History),
                ("appendonly.aof.2.incr.aof", FileType::History),
                ("appendonly.aof.1.base.aof", FileType::History),
            ]
        );
        // No incr files: nothing to do, not dirty.
        m.dirty = false;
        m.mark_rewritten_incr_as_history(false);
        assert!(!m.dirty);
        assert_eq!(m.last_incr(p), "appendonly.aof.5.incr.aof");

        assert_eq!(temp_incr_name(p), "temp-appendonly.aof.incr");
        assert_eq!(manifest_name(p), "appendonly.aof.manifest");
        assert_eq!(temp_manifest_name(p), "temp-appendonly.aof.manifest");
    }

    fn cmd(argv: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        write_command(&mut out, argv);
        out
    }

    fn argv(items: &[&[u8]]) -> Vec<Bytes> {
        items.iter().map(|a| Bytes::copy_from_slice(a)).collect()
    }

    #[test]
    fn writes_commands() {
        assert_eq!(
            cmd(&[b"SET", b"k", b""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
        let mut out = Vec::new();
        write_select(&mut out, 12);
        assert_eq!(out, b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n");
    }

    #[test]
    fn reads_commands() {
        let mut data = b"#TS:1700000000\r\n".to_vec();
        let c1 = cmd(&[b"SET", b"key", b"a\r\nb\0"]);
        let c2 = cmd(&[b"DEL", b"key"]);
        data.extend_from_slice(&c1);
        data.extend_from_slice(&c2);
        assert_eq!(read_command(&data, 0), Next::Annotation { end: 16 });
        assert_eq!(
            read_command(&data, 16),
            Next::Command {
                argv: argv(&[b"SET", b"key", b"a\r\nb\0"]),
                end: 16 + c1.len()
            }
        );
        assert_eq!(
            read_command(&data, 16 + c1.len()),
            Next::Command {
                argv: argv(&[b"DEL", b"key"]),
                end: data.len()
            }
        );
        assert_eq!(read_command(&data, data.len()), Next::Eof);
        assert_eq!(read_command(&data, data.len() + 5), Next::Eof);
        assert_eq!(read_command(b"", 0), Next::Eof);
        let (cmds, valid, stop) = read_all(&data, 0);
        assert_eq!((cmds.len(), valid, stop), (2, data.len(), Next::Eof));
        // An annotation without '\n' at the end is skipped all the same.
        assert_eq!(read_all(b"#TS:1", 0), (vec![], 0, Next::Eof));

        // The loader's leniency: atoi/strtol prefixes, the CRLF after a value never checked.
        let d = b"* 2abc\r\n$+3 junk\r\nDEL\n\n$1\r\nkXY";
        assert_eq!(
            read_command(d, 0),
            Next::Command {
                argv: argv(&[b"DEL", b"k"]),
                end: d.len()
            }
        );
        // atoi cuts strtol's long to an int: 2^32 + 3 is 3.
        let d = b"*4294967299\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
        assert!(matches!(read_command(d, 0), Next::Command { ref argv, .. } if argv.len() == 3));
        // A `$` line longer than fgets's 1023 bytes: the value starts where the buffer was full.
        let mut d = b"*1\r\n$3".to_vec();
        d.extend_from_slice(&[b' '; 1021]);
        d.extend_from_slice(b"GET\r\n");
        assert_eq!(
            read_command(&d, 0),
            Next::Command {
                argv: argv(&[b"GET"]),
                end: d.len()
            }
        );
        // So is an annotation: the rest of it is a line that is not a command.
        let mut d = vec![b'#'];
        d.extend_from_slice(&[b'x'; 1100]);
        d.extend_from_slice(b"\r\n");
        assert_eq!(read_command(&d, 0), Next::Annotation { end: 1023 });
        assert_eq!(read_command(&d, 1023), Next::BadFormat);
    }

    #[test]
    fn bad_formats_and_truncations() {
        for d in [
            &b"SET\r\n"[..],
            b"\0*1\r\n",
            b"*\r\n",
            b"*0\r\n",
            b"*-1\r\n",
            b"*abc\r\n",
            b"*99999999999999999999\r\n",
            b"*1\r\n#$1\r\na\r\n",
            b"*1\r\n3\r\nabc\r\n",
            b"*2\r\n$1\r\na\r\n\r\n",
            // Redis's readerr without EOF ("Unrecoverable error reading the append only file").
            b"*\0\r\n",
            b"*\0x\r\n",
        ] {
            assert_eq!(
                read_command(d, 0),
                Next::BadFormat,
                "{:?}",
                String::from_utf8_lossy(d)
            );
        }
        for d in [
            &b"*"[..],
            // A NUL after the `*` at the data's end is a read error at EOF, a short read.
            b"*\0",
            b"*\0x",
            b"*1",
            b"*1\r\n",
            b"*1\r\n$",
            b"*1\r\n$3\r\nab",
            b"*1\r\n$3\r\nabc\r",
            // Lengths Redis cannot allocate, and counts far beyond the data.
            b"*1\r\n$-1\r\n\r\n",
            b"*1\r\n$99999999999999999999999\r\nabc\r\n",
            b"*1\r\n$-9223372036854775808\r\nabc\r\n",
            b"*2147483647\r\n$1\r\na\r\n",
        ] {
            assert_eq!(
                read_command(d, 0),
                Next::Truncated,
                "{:?}",
                String::from_utf8_lossy(d)
            );
        }
    }

    #[test]
    fn every_prefix_truncates_or_ends_cleanly() {
        let c1 = cmd(&[b"SET", b"k", &[b'v'; 100]]);
        let ann = b"#TS:1\r\n";
        let c2 = cmd(&[b"RPUSH", b"list", b"", b"x"]);
        let data = [&c1[..], ann, &c2[..]].concat();
        let (e1, e2) = (c1.len(), c1.len() + ann.len());
        for k in 0..=data.len() {
            let (cmds, valid, stop) = read_all(&data[..k], 0);
            let whole = usize::from(k >= e1) + usize::from(k == data.len());
            assert_eq!(cmds.len(), whole, "prefix {k}");
            assert_eq!(
                valid,
                if k == data.len() {
                    k
                } else if k >= e1 {
                    e1
                } else {
                    0
                }
            );
            // Clean ends: between commands, or anywhere in the annotation (a partial one is skipped).
            let clean = k == 0 || (e1..=e2).contains(&k) || k == data.len();
            assert_eq!(
                stop,
                if clean { Next::Eof } else { Next::Truncated },
                "prefix {k}"
            );
        }
    }

    fn read_back(out: &[u8]) -> Vec<Vec<Bytes>> {
        let (cmds, valid, stop) = read_all(out, 0);
        assert_eq!((valid, stop), (out.len(), Next::Eof));
        cmds
    }

    fn bulks(items: &[Vec<u8>]) -> Vec<Bytes> {
        items.iter().map(|a| Bytes::copy_from_slice(a)).collect()
    }

    #[test]
    fn key_commands_in_batches() {
        let items: Vec<Vec<u8>> = (0..130).map(|i| format!("e{i}").into_bytes()).collect();
        let mut out = Vec::new();
        write_key_commands(&mut out, b"l", &RdbValue::List(items.clone()), None);
        assert!(out.starts_with(b"*66\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$2\r\ne0\r\n"));
        let cmds = read_back(&out);
        assert_eq!(cmds.len(), 3);
        for (c, chunk) in cmds.iter().zip(items.chunks(ITEMS_PER_CMD)) {
            assert_eq!(c[..2], argv(&[b"RPUSH", b"l"])[..]);
            assert_eq!(c[2..], bulks(chunk)[..]);
        }
        assert_eq!(cmds[2].len(), 4);

        let mut out = Vec::new();
        write_key_commands(&mut out, b"s", &RdbValue::Set(items[..65].to_vec()), None);
        assert!(out.starts_with(b"*66\r\n$4\r\nSADD\r\n$1\r\ns\r\n"));
        let cmds = read_back(&out);
        assert_eq!((cmds.len(), cmds[1].len()), (2, 3));
        assert_eq!(cmds[1], argv(&[b"SADD", b"s", b"e64"]));

        let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..70)
            .map(|i| (format!("f{i}").into_bytes(), format!("v{i}").into_bytes()))
            .collect();
        let mut out = Vec::new();
        write_key_commands(&mut out, b"h", &RdbValue::Hash(pairs), Some(1700000000123));
        assert!(out.starts_with(b"*130\r\n$5\r\nHMSET\r\n$1\r\nh\r\n$2\r\nf0\r\n$2\r\nv0\r\n"));
        let cmds = read_back(&out);
        assert_eq!(cmds.len(), 3);
        assert_eq!(
            cmds[1],
            argv(&[
                b"HMSET", b"h", b"f64", b"v64", b"f65", b"v65", b"f66", b"v66", b"f67", b"v67",
                b"f68", b"v68", b"f69", b"v69"
            ])
        );
        assert_eq!(cmds[2], argv(&[b"PEXPIREAT", b"h", b"1700000000123"]));
        assert!(out.ends_with(b"*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nh\r\n$13\r\n1700000000123\r\n"));

        let mut out = Vec::new();
        write_key_commands(
            &mut out,
            b"str",
            &RdbValue::Str(b"hello world".to_vec()),
            Some(-5),
        );
        assert_eq!(
            out,
            [
                &b"*3\r\n$3\r\nSET\r\n$3\r\nstr\r\n$11\r\nhello world\r\n"[..],
                b"*3\r\n$9\r\nPEXPIREAT\r\n$3\r\nstr\r\n$2\r\n-5\r\n"
            ]
            .concat()
        );
    }

    #[test]
    fn zsets_sorted_with_redis_doubles() {
        // The bytes redis-server 7.0.15 wrote for this listpack zset on BGREWRITEAOF.
        let z = vec![
            (b"big".to_vec(), 1e300),
            (b"m14".to_vec(), 0.5),
            (b"tenth".to_vec(), 0.1),
            (b"ninf".to_vec(), f64::NEG_INFINITY),
            (b"pinf".to_vec(), f64::INFINITY),
            (b"m0".to_vec(), 0.5),
        ];
        let mut out = Vec::new();
        write_key_commands(&mut out, b"z", &RdbValue::ZSet(z), None);
        assert_eq!(
            out,
            &b"*14\r\n$4\r\nZADD\r\n$1\r\nz\r\n$4\r\n-inf\r\n$4\r\nninf\r\n$19\r\n0.10000000000000001\r\n$5\r\ntenth\r\n\
               $3\r\n0.5\r\n$2\r\nm0\r\n$3\r\n0.5\r\n$3\r\nm14\r\n$23\r\n1.0000000000000001e+300\r\n$3\r\nbig\r\n\
               $3\r\ninf\r\n$4\r\npinf\r\n"[..]
        );

        // More than a batch, given in reverse: written ascending, 64 pairs per ZADD.
        let z: Vec<(Vec<u8>, f64)> = (0..100)
            .rev()
            .map(|i| (format!("m{i:03}").into_bytes(), f64::from(i) / 8.0 - 3.0))
            .collect();
        let mut out = Vec::new();
        write_key_commands(&mut out, b"z", &RdbValue::ZSet(z), None);
        assert!(out.starts_with(b"*130\r\n$4\r\nZADD\r\n$1\r\nz\r\n$2\r\n-3\r\n$4\r\nm000\r\n$6\r\n-2.875\r\n$4\r\nm001\r\n"));
        let cmds = read_back(&out);
        assert_eq!((cmds.len(), cmds[0].len(), cmds[1].len()), (2, 130, 74));
        let members: Vec<Bytes> = cmds
            .iter()
            .flat_map(|c| c[2..].chunks(2).map(|p| p[1].clone()))
            .collect();
        let want: Vec<Bytes> = (0..100).map(|i| Bytes::from(format!("m{i:03}"))).collect();
        assert_eq!(members, want);
    }

    #[test]
    fn doubles_as_c_prints_them() {
        // rioWriteBulkDouble's snprintf("%.17g"), compared with the C library's.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut vals = vec![
            0.0,
            -0.0,
            1.0,
            0.1,
            1e15,
            1e16,
            1e17,
            123456789012345678.0,
            1e-5,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let d = f64::from_bits(x);
            if d.is_finite() {
                vals.push(d);
            }
        }
        for d in vals {
            let mut buf = [0u8; 128];
            // SAFETY: the buffer is large enough for any %.17g output and snprintf NUL-terminates it.
            let n =
                unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.17g".as_ptr(), d) };
            assert_eq!(fmt_double(d).as_bytes(), &buf[..n as usize], "{d:e}");
        }
    }

    #[test]
    fn key_commands_read_back() {
        let long: Vec<Vec<u8>> = (0..200).map(|i| vec![b'a' + (i % 26) as u8; i]).collect();
        let values = [
            RdbValue::Str(b"\r\n*1\r\n".to_vec()),
            RdbValue::List(long.clone()),
            RdbValue::Set(long.clone()),
            RdbValue::Hash(
                long.iter()
                    .cloned()
                    .zip(long.iter().rev().cloned())
                    .collect(),
            ),
            RdbValue::ZSet(
                long.iter()
                    .enumerate()
                    .map(|(i, m)| (m.clone(), i as f64 * 0.3))
                    .collect(),
            ),
        ];
        for (n, v) in values.iter().enumerate() {
            let mut out = Vec::new();
            let key = format!("key {n}\r\n").into_bytes();
            write_key_commands(&mut out, &key, v, Some(42));
            let cmds = read_back(&out);
            let (last, body) = cmds.split_last().unwrap();
            assert_eq!(*last, argv(&[b"PEXPIREAT", &key, b"42"]));
            let args: Vec<Bytes> = body
                .iter()
                .flat_map(|c| {
                    assert_eq!(c[1], key);
                    c[2..].to_vec()
                })
                .collect();
            let want: Vec<Vec<u8>> = match v {
                RdbValue::Str(s) => vec![s.clone()],
                RdbValue::List(l) | RdbValue::Set(l) => l.clone(),
                RdbValue::Hash(h) => h.iter().flat_map(|(f, v)| [f.clone(), v.clone()]).collect(),
                RdbValue::ZSet(z) => z
                    .iter()
                    .flat_map(|(m, s)| [fmt_double(*s).into_bytes(), m.clone()])
                    .collect(),
            };
            assert_eq!(args, bulks(&want), "{n}");
        }
    }

    #[test]
    fn mutated_inputs_never_panic() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut rnd = move |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let alphabet = b"*$#\r\n0123456789-+ \0\\\"'xfileseqtypebhi";
        let stream = [cmd(&[b"SET", b"key", b"value"]), cmd(&[b"DEL", b"key"])].concat();
        let manifest = b"file a.1.base.rdb seq 1 type b\nfile \"a b\" seq 2 type h\nfile a.1.incr.aof seq 1 type i\n";
        for _ in 0..20_000 {
            let mut d = stream.clone();
            let mut m = manifest.to_vec();
            for _ in 0..1 + rnd(3) {
                let i = rnd(d.len());
                d[i] = alphabet[rnd(alphabet.len())];
                let i = rnd(m.len());
                m[i] = alphabet[rnd(alphabet.len())];
            }
            d.truncate(rnd(d.len() + 1));
            let (_, valid, stop) = read_all(&d, 0);
            assert!(
                valid <= d.len() && !matches!(stop, Next::Command { .. } | Next::Annotation { .. })
            );
            let _ = Manifest::parse(&m);
        }
    }
}
