//! Incremental request parser: multibulk (`*N\r\n$len\r\n...`) and inline commands, with Redis's limits and texts.
pub use crate::util::num::{parse_i64, split_args};
use bytes::{Bytes, BytesMut};

/// Longest inline request or count line Redis accepts before the terminating newline arrives.
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;

/// A protocol violation: answered with `-ERR Protocol error: <msg>` and then the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Protocol error: {0}")]
pub struct ParseError(pub String);

fn perr(msg: impl Into<String>) -> ParseError {
    ParseError(msg.into())
}

/// Limits a parser enforces; they come from the configuration and the client's auth state.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub proto_max_bulk_len: i64,
    /// Before AUTH, Redis caps multibulk count at 10 and bulk length at 16384.
    pub unauthenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            proto_max_bulk_len: 512 * 1024 * 1024,
            unauthenticated: false,
        }
    }
}

/// Reusable parser state: scratch space for argument offsets, so a pipeline parses without allocating.
#[derive(Default)]
pub struct Parser {
    spans: Vec<(usize, usize)>,
}

fn find_crlf_from(buf: &[u8], from: usize) -> Option<usize> {
    memchr(b'\r', &buf[from..]).map(|i| i + from)
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

impl Parser {
    pub fn new() -> Self {
        Parser::default()
    }

    /// Parses one request from the front of `buf`. On success the request's bytes are removed from `buf` and its
    /// arguments are placed in `args` (empty for a blank inline line or `*0`, which Redis ignores).
    /// `Ok(false)` means the request is incomplete: nothing was consumed.
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        args: &mut Vec<Bytes>,
        limits: Limits,
    ) -> Result<bool, ParseError> {
        args.clear();
        if buf.is_empty() {
            return Ok(false);
        }
        if buf[0] == b'*' {
            self.parse_multibulk(buf, args, limits)
        } else {
            parse_inline(buf, args)
        }
    }

    fn parse_multibulk(
        &mut self,
        buf: &mut BytesMut,
        args: &mut Vec<Bytes>,
        limits: Limits,
    ) -> Result<bool, ParseError> {
        let data: &[u8] = buf;
        let Some(cr) = find_crlf_from(data, 1) else {
            if data.len() > PROTO_INLINE_MAX_SIZE {
                return Err(perr("too big mbulk count string"));
            }
            return Ok(false);
        };
        // The count line must be complete: Redis waits for the byte after '\r' too.
        if cr + 1 >= data.len() {
            return Ok(false);
        }
        let count = match parse_i64(&data[1..cr]) {
            Some(n) if n <= i32::MAX as i64 => n,
            _ => return Err(perr("invalid multibulk length")),
        };
        if limits.unauthenticated && count > 10 {
            return Err(perr("unauthenticated multibulk length"));
        }
        let mut pos = cr + 2;
        if count <= 0 {
            let _ = buf.split_to(pos);
            return Ok(true);
        }
        self.spans.clear();
        for _ in 0..count {
            if pos >= data.len() {
                return Ok(false);
            }
            let Some(cr) = find_crlf_from(data, pos) else {
                if data.len() - pos > PROTO_INLINE_MAX_SIZE {
                    return Err(perr("too big bulk count string"));
                }
                return Ok(false);
            };
            if data[pos] != b'$' {
                return Err(perr(format!("expected '$', got '{}'", data[pos] as char)));
            }
            let len = match parse_i64(&data[pos + 1..cr]) {
                Some(n) if n >= 0 && n <= limits.proto_max_bulk_len => n as usize,
                _ => return Err(perr("invalid bulk length")),
            };
            if limits.unauthenticated && len > 16384 {
                return Err(perr("unauthenticated bulk length"));
            }
            let start = cr + 2;
            // Redis skips the two bytes after the payload without checking they are "\r\n".
            let end = start + len;
            if end + 2 > data.len() {
                return Ok(false);
            }
            self.spans.push((start, end));
            pos = end + 2;
        }
        let frame = buf.split_to(pos).freeze();
        args.extend(self.spans.iter().map(|&(s, e)| frame.slice(s..e)));
        Ok(true)
    }
}

fn parse_inline(buf: &mut BytesMut, args: &mut Vec<Bytes>) -> Result<bool, ParseError> {
    let Some(nl) = memchr(b'\n', buf) else {
        if buf.len() > PROTO_INLINE_MAX_SIZE {
            return Err(perr("too big inline request"));
        }
        return Ok(false);
    };
    let line = buf.split_to(nl + 1);
    let mut text: &[u8] = &line[..nl];
    if text.last() == Some(&b'\r') {
        text = &text[..text.len() - 1];
    }
    match split_args(text) {
        Some(v) => {
            args.extend(v.into_iter().map(Bytes::from));
            Ok(true)
        }
        None => Err(perr("unbalanced quotes in request")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<ParseError>, usize) {
        let mut buf = BytesMut::from(input);
        let mut p = Parser::new();
        let mut args = Vec::new();
        let mut cmds = Vec::new();
        loop {
            match p.parse(&mut buf, &mut args, Limits::default()) {
                Ok(true) => cmds.push(args.iter().map(|a| a.to_vec()).collect()),
                Ok(false) => return (cmds, None, buf.len()),
                Err(e) => return (cmds, Some(e), buf.len()),
            }
        }
    }

    #[test]
    fn multibulk_and_pipeline() {
        let (cmds, err, rest) =
            parse_all(b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3");
        assert_eq!(err, None);
        assert_eq!(
            cmds,
            vec![vec![b"PING".to_vec()], vec![b"GET".to_vec(), b"k".to_vec()]]
        );
        assert_eq!(rest, 6);
    }

    #[test]
    fn incomplete_at_every_split_point() {
        let full = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        for cut in 0..full.len() {
            let (cmds, err, rest) = parse_all(&full[..cut]);
            assert!(cmds.is_empty() && err.is_none() && rest == cut, "cut {cut}");
        }
        assert_eq!(parse_all(full).0.len(), 1);
    }

    #[test]
    fn protocol_errors() {
        assert_eq!(
            parse_all(b"*x\r\n").1.unwrap().0,
            "invalid multibulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\nx\r\n").1.unwrap().0,
            "expected '$', got 'x'"
        );
        assert_eq!(
            parse_all(b"*1\r\n$-1\r\n").1.unwrap().0,
            "invalid bulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n$99999999999\r\n").1.unwrap().0,
            "invalid bulk length"
        );
        assert_eq!(
            parse_all(b"\"abc\r\n").1.unwrap().0,
            "unbalanced quotes in request"
        );
        let big = vec![b'a'; PROTO_INLINE_MAX_SIZE + 1];
        assert_eq!(parse_all(&big).1.unwrap().0, "too big inline request");
    }

    #[test]
    fn inline_and_quotes() {
        let (cmds, _, _) = parse_all(b"set k \"a\\x41\\n\" 'it\\'s'\r\n\r\nping\n");
        assert_eq!(
            cmds[0],
            vec![
                b"set".to_vec(),
                b"k".to_vec(),
                b"aA\n".to_vec(),
                b"it's".to_vec()
            ]
        );
        assert!(cmds[1].is_empty());
        assert_eq!(cmds[2], vec![b"ping".to_vec()]);
        assert!(split_args(b"\"a\"b").is_none());
    }

    #[test]
    fn integers_like_redis() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        for bad in [&b"+1"[..], b"01", b"-0", b" 1", b"", b"-", b"1a"] {
            assert_eq!(parse_i64(bad), None);
        }
    }
}
