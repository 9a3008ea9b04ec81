//! Reply encoding straight into the connection's write buffer, in RESP2 or RESP3 as the client negotiated.
pub use crate::util::num::{fmt_double, fmt_g17, fmt_i64};
use bytes::{BufMut, BytesMut};

/// The reply writer handed to every command: a byte buffer plus the protocol version of the client it serves.
pub struct Out {
    pub buf: BytesMut,
    pub resp: u8,
}

fn put_int_line(buf: &mut BytesMut, prefix: u8, n: i64) {
    let mut tmp = itoa::Buffer::new();
    buf.put_u8(prefix);
    buf.extend_from_slice(tmp.format(n).as_bytes());
    buf.extend_from_slice(b"\r\n");
}

impl Out {
    pub fn new(resp: u8) -> Self {
        Out {
            buf: BytesMut::with_capacity(16 * 1024),
            resp,
        }
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }
    pub fn simple(&mut self, s: &str) {
        self.buf.put_u8(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }
    /// An error line; `msg` carries its own code word (`ERR ...`, `WRONGTYPE ...`).
    pub fn error(&mut self, msg: &str) {
        self.error_bytes(msg.as_bytes());
    }
    /// An error line of raw bytes (Redis echoes unknown command names as sent).
    pub fn error_bytes(&mut self, msg: &[u8]) {
        self.buf.put_u8(b'-');
        // Newlines would break the protocol: as addReplyErrorFormat, trailing ones are trimmed (only a
        // formatted error can end with client bytes) and the others replaced with spaces.
        let end = msg
            .iter()
            .rposition(|&b| b != b'\r' && b != b'\n')
            .map_or(0, |i| i + 1);
        for &b in &msg[..end] {
            self.buf
                .put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }
    pub fn int(&mut self, n: i64) {
        put_int_line(&mut self.buf, b':', n);
    }
    pub fn bulk(&mut self, data: &[u8]) {
        put_int_line(&mut self.buf, b'$', data.len() as i64);
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }
    pub fn bulk_int(&mut self, n: i64) {
        let mut tmp = itoa::Buffer::new();
        let s = tmp.format(n);
        put_int_line(&mut self.buf, b'$', s.len() as i64);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }
    /// A null bulk string (`$-1` / `_`).
    pub fn null(&mut self) {
        if self.resp >= 3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }
    /// A null array (`*-1` / `_`).
    pub fn null_array(&mut self) {
        if self.resp >= 3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }
    pub fn array(&mut self, len: usize) {
        put_int_line(&mut self.buf, b'*', len as i64);
    }
    /// A map of `len` pairs: `%len` in RESP3, a flat array of 2*len in RESP2.
    pub fn map(&mut self, len: usize) {
        if self.resp >= 3 {
            put_int_line(&mut self.buf, b'%', len as i64);
        } else {
            put_int_line(&mut self.buf, b'*', 2 * len as i64);
        }
    }
    /// A set: `~len` in RESP3, an array in RESP2.
    pub fn set(&mut self, len: usize) {
        let p = if self.resp >= 3 { b'~' } else { b'*' };
        put_int_line(&mut self.buf, p, len as i64);
    }
    /// A push frame header (`>len`) in RESP3, an array in RESP2 (pub/sub messages).
    pub fn push(&mut self, len: usize) {
        let p = if self.resp >= 3 { b'>' } else { b'*' };
        put_int_line(&mut self.buf, p, len as i64);
    }
    pub fn double(&mut self, d: f64) {
        let s = fmt_double(d);
        if self.resp >= 3 {
            self.buf.put_u8(b',');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s.as_bytes());
        }
    }
    pub fn boolean(&mut self, b: bool) {
        if self.resp >= 3 {
            self.buf
                .extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(b as i64);
        }
    }
    /// Verbatim text (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp >= 3 {
            put_int_line(&mut self.buf, b'=', text.len() as i64 + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }
    pub fn bulks<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a [u8]>) {
        self.array(items.len());
        for i in items {
            self.bulk(i);
        }
    }
    /// Appends already encoded bytes.
    pub fn raw(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }
}

/// Redis's sdscatrepr: `bytes` quoted, with `\\ \" \n \r \t \a \b` escaped and other non-printable bytes as
/// `\xHH` (MONITOR lines, and wherever Redis shows an argument as a C literal).
pub fn repr_into(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_shapes() {
        let mut o = Out::new(2);
        o.null();
        o.null_array();
        o.map(1);
        o.double(1.5);
        o.int(-42);
        o.boolean(true);
        assert_eq!(
            &o.buf[..],
            b"$-1\r\n*-1\r\n*2\r\n$3\r\n1.5\r\n:-42\r\n:1\r\n"
        );
        let mut o = Out::new(3);
        o.null();
        o.map(1);
        o.double(f64::NEG_INFINITY);
        o.verbatim(b"hi");
        o.error("ERR a\r\nb");
        assert_eq!(
            &o.buf[..],
            b"_\r\n%1\r\n,-inf\r\n=6\r\ntxt:hi\r\n-ERR a  b\r\n"
        );
    }

    #[test]
    fn g17_matches_c() {
        assert_eq!(fmt_g17(1.5), "1.5");
        assert_eq!(fmt_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_g17(100.0), "100");
        assert_eq!(fmt_g17(1e20), "1e+20");
        assert_eq!(fmt_g17(1.5e-7), "1.4999999999999999e-07");
        assert_eq!(fmt_g17(-3.0), "-3");
        assert_eq!(fmt_g17(123456789012345.0), "123456789012345");
        assert_eq!(fmt_g17(1e15), "1000000000000000");
        assert_eq!(fmt_g17(1e17), "1e+17");
        assert_eq!(fmt_i64(i64::MIN), b"-9223372036854775808".to_vec());
    }
}
