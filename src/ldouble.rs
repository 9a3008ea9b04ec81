//! INCRBYFLOAT / HINCRBYFLOAT arithmetic: Redis computes in C `long double` and prints with `%.17Lf`.
use crate::cmd::CmdError;

/// Parses a float the way Redis's string2ld does (no spaces, no NaN).
pub fn parse(s: &[u8]) -> Option<f64> {
    crate::cmd::parse_f64(s)
}

/// `cur + incr` as Redis formats it; errors with Redis's texts.
pub fn incr_by_float(cur: &[u8], incr: &[u8]) -> Result<Vec<u8>, CmdError> {
    let a = parse(cur).ok_or(CmdError::new("ERR value is not a valid float"))?;
    let b = parse(incr).ok_or(CmdError::new("ERR value is not a valid float"))?;
    let r = a + b;
    if r.is_nan() || r.is_infinite() {
        return Err(CmdError::new("ERR increment would produce NaN or Infinity"));
    }
    Ok(format_human(r).into_bytes())
}

/// `%.17Lf` with trailing zeros (and a trailing '.') removed.
pub fn format_human(v: f64) -> String {
    let s = format!("{:.17}", v);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}
