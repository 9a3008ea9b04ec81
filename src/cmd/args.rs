//! Arguments several families read alike: bounded integers (getRangeLongFromObjectOrReply and friends), the
//! SCAN-family cursor (parseScanCursorOrReply) and options (scanGenericCommand), and the blocking timeout
//! (getTimeoutFromObjectOrReply).
use bytes::Bytes;

use super::{arg_i64, eq_ic, CmdError, NOT_INTEGER, SYNTAX};

/// Parses an integer within [min, max] as Redis's getRangeLongFromObjectOrReply: with `msg`, that text is the
/// error for both a non-integer and an out-of-range value.
pub fn range_long(
    a: &[u8],
    min: i64,
    max: i64,
    msg: Option<&'static str>,
) -> Result<i64, CmdError> {
    let v = match crate::util::num::parse_i64(a) {
        Some(v) => v,
        None => return Err(msg.map(CmdError::new).unwrap_or(NOT_INTEGER)),
    };
    if v < min || v > max {
        return Err(match msg {
            Some(m) => CmdError::new(m),
            None => CmdError::from(format!(
                "ERR value is out of range, value must between {min} and {max}"
            )),
        });
    }
    Ok(v)
}

/// Largest number of repeated random picks (HRANDFIELD / SRANDMEMBER with a negative count) one reply may
/// hold. Redis would try to build any size and run out of memory; we refuse instead of hanging the server.
pub const MAX_RANDOM_PICKS: u64 = 1 << 27;

/// Redis's getPositiveLongFromObjectOrReply.
pub fn positive_long(a: &[u8], msg: Option<&'static str>) -> Result<i64, CmdError> {
    range_long(
        a,
        0,
        i64::MAX,
        Some(msg.unwrap_or("ERR value is out of range, must be positive")),
    )
}

/// Reads a cursor as C's `strtoul(s, &end, 10)` plus Redis's checks: the argument is a C string (it ends at
/// its first NUL), a leading space is refused, a sign is accepted and `-n` wraps (`-1` is 2^64-1), digits
/// must reach the end, and overflow (ERANGE) is refused. An empty string converts nothing and leaves the end
/// pointer on the terminator, so Redis takes it as cursor 0.
pub fn parse_cursor(a: &[u8]) -> Result<u64, CmdError> {
    let bad = || CmdError::new("ERR invalid cursor");
    // parseScanCursorOrReply clears errno, then strtoul sets ERANGE on overflow (crate::util::cerrno).
    crate::util::cerrno::set_range(false);
    let s = super::c_string(a);
    let Some(&first) = s.first() else {
        return Ok(0);
    };
    // C isspace in the "C" locale.
    if matches!(first, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        return Err(bad());
    }
    let (neg, digits) = match first {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    // Without a digit strtoul converts nothing and the end pointer stays on the sign: trailing garbage.
    if digits.is_empty() {
        return Err(bad());
    }
    let n = digits
        .iter()
        .position(|d| !d.is_ascii_digit())
        .unwrap_or(digits.len());
    if n == 0 {
        return Err(bad());
    }
    let v = digits[..n].iter().try_fold(0u64, |v, &d| {
        v.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    crate::util::cerrno::set_range(v.is_none());
    match v {
        Some(v) if n == digits.len() => Ok(if neg { v.wrapping_neg() } else { v }),
        _ => Err(bad()),
    }
}

/// MATCH, COUNT and (SCAN only) TYPE.
pub struct ScanOpts {
    pub pattern: Option<Bytes>,
    /// At least 1; bounded in effect by the size of what is scanned.
    pub count: usize,
    pub type_name: Option<String>,
}

/// Parses the options after the cursor; `allow_type` for SCAN, which alone filters by type.
pub fn parse_scan_opts(args: &[Bytes], allow_type: bool) -> Result<ScanOpts, CmdError> {
    let mut o = ScanOpts {
        pattern: None,
        count: 10,
        type_name: None,
    };
    let mut i = 0;
    while i < args.len() {
        let more = i + 1 < args.len();
        if eq_ic(&args[i], "count") && more {
            let n = arg_i64(&args[i + 1])?;
            if n < 1 {
                return Err(SYNTAX);
            }
            o.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if eq_ic(&args[i], "match") && more {
            o.pattern = Some(args[i + 1].clone());
        } else if allow_type && eq_ic(&args[i], "type") && more {
            o.type_name = Some(String::from_utf8_lossy(&args[i + 1]).to_ascii_lowercase());
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    Ok(o)
}

/// A blocking timeout in seconds as Redis 7.0's getTimeoutFromObjectOrReply reads it: a long double (so
/// `1e400` parses), `(long long) ceill(secs * 1000)` (so 0.0001 is one millisecond and -0.0001 is 0), an
/// out-of-range conversion being LLONG_MIN and so "negative". Returns the absolute deadline in Unix ms, 0
/// for none.
pub fn parse_timeout(now: i64, a: &[u8]) -> Result<i64, CmdError> {
    use crate::util::ldouble::{self, Parsed};
    let negative = || CmdError::new("ERR timeout is negative");
    let ms = match ldouble::parse_ld(a) {
        None => return Err(CmdError::new("ERR timeout is not a float or out of range")),
        Some(Parsed::Inf(_)) => return Err(negative()),
        Some(Parsed::Finite(x)) => ldouble::ceil_thousandfold(x).ok_or_else(negative)?,
    };
    if ms < 0 {
        return Err(negative());
    }
    if ms == 0 {
        return Ok(0);
    }
    // Past LLONG_MAX Redis's `tval += mstime()` wraps, and such a client is never timed out: no deadline.
    Ok(ms.checked_add(now).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_like_redis() {
        let now = 1_000_000;
        assert_eq!(parse_timeout(now, b"0"), Ok(0));
        assert_eq!(parse_timeout(now, b"-0.0001"), Ok(0));
        // strtold puts 0.001 just below it: -0.001 * 1000 rounds up to -0, which means "forever".
        assert_eq!(parse_timeout(now, b"-0.001"), Ok(0));
        assert_eq!(parse_timeout(now, b"0.0001"), Ok(now + 1));
        assert_eq!(parse_timeout(now, b"1.5"), Ok(now + 1500));
        assert_eq!(parse_timeout(now, b"1e-400"), Ok(now + 1));
        assert_eq!(parse_timeout(now, b"9223372036854775"), Ok(0));
        for neg in [
            &b"-0.0015"[..],
            b"-1",
            b"1e400",
            b"-1e400",
            b"inf",
            b"9223372036854776",
        ] {
            assert_eq!(
                parse_timeout(now, neg),
                Err(CmdError::new("ERR timeout is negative"))
            );
        }
        for bad in [&b" 1"[..], b"nan", b"", b"1x", b"1e5000"] {
            assert!(parse_timeout(now, bad)
                .unwrap_err()
                .text()
                .contains("not a float"));
        }
    }

    #[test]
    fn cursor_like_strtoul() {
        let ok = |s: &[u8], v: u64| assert_eq!(parse_cursor(s), Ok(v), "{s:?}");
        ok(b"0", 0);
        ok(b"+0", 0);
        ok(b"-1", u64::MAX);
        ok(b"", 0);
        ok(b"18446744073709551615", u64::MAX);
        ok(b"-18446744073709551615", 1);
        ok(b"007", 7);
        ok(b"5\0junk", 5);
        for bad in [
            &b" 1"[..],
            b"\t1",
            b"1 ",
            b"0x10",
            b"+",
            b"-",
            b"+-1",
            b"18446744073709551616",
            b"-18446744073709551616",
            b"1.0",
            b"abc",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
