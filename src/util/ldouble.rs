//! INCRBYFLOAT / HINCRBYFLOAT arithmetic, bit-exact with Redis on x86: Redis parses both operands with
//! `strtold` into an 80-bit `long double` (64-bit mantissa, round-to-nearest-even), adds them in that
//! precision and prints with `%.17Lf` (then strips trailing zeros). We emulate each step with exact big-integer
//! arithmetic, so the replies match byte for byte (an f64 emulation differs in the last digits).
use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, ToPrimitive, Zero};

use crate::util::error::CmdError;

/// Redis's MAX_LONG_DOUBLE_CHARS: longer arguments are rejected before parsing.
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;
/// Exponent of the smallest subnormal 80-bit long double (2^-16445): the finest quantum.
const MIN_ULP_EXP: i64 = -16445;
/// Largest binary exponent of a finite long double's leading bit.
const MAX_MSB_EXP: i64 = 16383;

/// Parses a float argument to f64 as before the exact emulation (strtod rules, no spaces, no NaN); kept for
/// callers that only need a double (timeouts) or a quick validity check. `parse_ld` is the exact
/// long double parser that INCRBYFLOAT uses.
pub fn parse(s: &[u8]) -> Option<f64> {
    crate::util::num::parse_f64(s)
}

/// A finite long double: `(-1)^neg * mant * 2^exp`; `mant == 0` is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    pub neg: bool,
    pub mant: u64,
    pub exp: i64,
}

/// What `strtold` (as Redis's `string2ld` checks it) makes of an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    Finite(LongDouble),
    /// `inf` / `infinity`, accepted by string2ld (INCRBYFLOAT then reports NaN or Infinity).
    Inf(bool),
}

/// Rounds `num / den * 2^e2` (num, den > 0 unless num == 0) to a long double, round-half-even, with
/// gradual underflow. `None` on overflow (strtold's HUGE_VALL / an infinite sum).
fn round_to_ld(neg: bool, num: BigUint, den: BigUint, e2: i64) -> Option<LongDouble> {
    if num.is_zero() {
        return Some(LongDouble {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    let nb = num.bits() as i64;
    let db = den.bits() as i64;
    // Scale so the integer quotient has at least 67 bits: 64 kept, a half bit, and more.
    let s = 67 - (nb - db);
    let (n2, d2) = if s >= 0 {
        (num << (s as usize), den)
    } else {
        (num, den << ((-s) as usize))
    };
    let (q, r) = n2.div_rem(&d2);
    let sticky = !r.is_zero();
    let qb = q.bits() as i64;
    let q_exp = e2 - s; // value = (q + r/d2) * 2^q_exp
    let msb = qb - 1 + q_exp;
    if msb > MAX_MSB_EXP {
        return None;
    }
    let ulp = (msb - 63).max(MIN_ULP_EXP);
    let sh = (ulp - q_exp) as u64; // >= 2 by construction
    let m = &q >> sh;
    let half = q.bit(sh - 1);
    let rest = sticky || !(&q & ((BigUint::one() << (sh - 1)) - 1u32)).is_zero();
    let mut m = m.to_u64().unwrap_or(u64::MAX);
    let mut exp = ulp;
    if half && (rest || m & 1 == 1) {
        match m.checked_add(1) {
            Some(v) => m = v,
            None => {
                m = 1 << 63;
                exp += 1;
            }
        }
    }
    if m != 0 && (63 - m.leading_zeros() as i64) + exp > MAX_MSB_EXP {
        return None;
    }
    Some(LongDouble { neg, mant: m, exp })
}

/// Parses a whole argument as glibc `strtold` + Redis `string2ld`: decimal or hexadecimal (`0x1.8p3`) forms,
/// `inf`/`infinity`; rejects NaN, spaces, trailing garbage, overflow and underflow to zero.
pub fn parse_ld(s: &[u8]) -> Option<Parsed> {
    if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS {
        return None;
    }
    // string2ld clears errno before its strtold; an overflow or underflow sets ERANGE (crate::util::cerrno).
    crate::util::cerrno::set_range(false);
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    if lower == b"inf" || lower == b"infinity" {
        return Some(Parsed::Inf(neg));
    }
    if lower.len() > 2 && lower.starts_with(b"0x") {
        return parse_hex(neg, &lower[2..]).map(Parsed::Finite);
    }
    parse_dec(neg, &lower).map(Parsed::Finite)
}

/// Splits `digits[.digits]` (at least one digit) followed by an optional exponent introduced by `marker`.
/// Returns (integer digits, fraction digits, exponent).
fn split_number(b: &[u8], is_digit: fn(u8) -> bool, marker: u8) -> Option<(&[u8], &[u8], i64)> {
    let int_end = b.iter().position(|&c| !is_digit(c)).unwrap_or(b.len());
    let (int, rest) = b.split_at(int_end);
    let (frac, rest) = match rest.first() {
        Some(b'.') => {
            let r = &rest[1..];
            let e = r.iter().position(|&c| !is_digit(c)).unwrap_or(r.len());
            r.split_at(e)
        }
        _ => (&rest[..0], rest),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if rest.is_empty() {
        return Some((int, frac, 0));
    }
    if rest[0] != marker {
        return None;
    }
    let r = &rest[1..];
    let (eneg, digits) = match r.first() {
        Some(b'-') => (true, &r[1..]),
        Some(b'+') => (false, &r[1..]),
        _ => (false, r),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Saturate: anything this large overflows or underflows anyway.
    let mut e: i64 = 0;
    for &d in digits {
        e = (e * 10 + (d - b'0') as i64).min(1 << 40);
    }
    Some((int, frac, if eneg { -e } else { e }))
}

fn parse_dec(neg: bool, b: &[u8]) -> Option<LongDouble> {
    let (int, frac, e) = split_number(b, |c| c.is_ascii_digit(), b'e')?;
    let mut digits: Vec<u8> = int.iter().chain(frac.iter()).copied().collect();
    let lead = digits
        .iter()
        .position(|&c| c != b'0')
        .unwrap_or(digits.len());
    digits.drain(..lead);
    if digits.is_empty() {
        return Some(LongDouble {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    let exp10 = e - frac.len() as i64;
    // The value is in [10^mag, 10^(mag+1)): decide huge exponents before building huge powers.
    let mag = digits.len() as i64 - 1 + exp10;
    if mag > 4933 {
        crate::util::cerrno::set_range(true);
        return None; // overflow: ERANGE with HUGE_VALL
    }
    if mag < -4952 {
        crate::util::cerrno::set_range(true);
        return None; // underflow to zero: ERANGE with a zero result
    }
    let d = BigUint::parse_bytes(&digits, 10)?;
    let r = if exp10 >= 0 {
        round_to_ld(
            neg,
            d * BigUint::from(10u32).pow(exp10 as u32),
            BigUint::one(),
            0,
        )?
    } else {
        round_to_ld(neg, d, BigUint::from(10u32).pow((-exp10) as u32), 0)?
    };
    (r.mant != 0).then_some(r)
}

fn parse_hex(neg: bool, b: &[u8]) -> Option<LongDouble> {
    let (int, frac, e) = split_number(b, |c| c.is_ascii_hexdigit(), b'p')?;
    let digits: Vec<u8> = int.iter().chain(frac.iter()).copied().collect();
    let m = BigUint::parse_bytes(&digits, 16)?;
    if m.is_zero() {
        return Some(LongDouble {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    let e2 = e - 4 * frac.len() as i64;
    let msb = m.bits() as i64 - 1 + e2;
    if msb > MAX_MSB_EXP {
        return None;
    }
    if msb < MIN_ULP_EXP - 2 {
        return None;
    }
    let r = round_to_ld(neg, m, BigUint::one(), e2)?;
    (r.mant != 0).then_some(r)
}

/// The exact sum rounded to a long double; `None` when it overflows to infinity.
pub fn add(a: LongDouble, b: LongDouble) -> Option<LongDouble> {
    let emin = a.exp.min(b.exp);
    let signed = |x: LongDouble| {
        let v = BigInt::from(x.mant) << ((x.exp - emin) as usize);
        if x.neg {
            -v
        } else {
            v
        }
    };
    let sum = signed(a) + signed(b);
    if sum.is_zero() {
        // Round-to-nearest: x + (-x) is +0, (-0) + (-0) is -0.
        return Some(LongDouble {
            neg: a.neg && b.neg,
            mant: 0,
            exp: 0,
        });
    }
    let neg = sum.sign() == Sign::Minus;
    round_to_ld(neg, sum.magnitude().clone(), BigUint::one(), emin)
}

/// `%.17Lf` (glibc: exact, ties to even) with trailing zeros and a trailing '.' removed, "-0" as "0":
/// Redis's ld2string in LD_STR_HUMAN mode.
pub fn format_human(x: LongDouble) -> String {
    let scale = BigUint::from(10u32).pow(17);
    let m = BigUint::from(x.mant);
    let q = if x.exp >= 0 {
        (m << (x.exp as usize)) * scale
    } else {
        let sh = (-x.exp) as usize;
        let num = m * scale;
        let q = &num >> sh;
        let rem = &num - (&q << sh);
        let half = BigUint::one() << (sh - 1);
        if rem > half || (rem == half && q.bit(0)) {
            q + 1u32
        } else {
            q
        }
    };
    let mut digits = q.to_str_radix(10);
    if digits.len() < 18 {
        digits = format!("{}{}", "0".repeat(18 - digits.len()), digits);
    }
    let (int, frac) = digits.split_at(digits.len() - 17);
    let frac = frac.trim_end_matches('0');
    let mut s = String::with_capacity(digits.len() + 2);
    if x.neg {
        s.push('-');
    }
    s.push_str(int);
    if !frac.is_empty() {
        s.push('.');
        s.push_str(frac);
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// C's `(long long) ceill(x * 1000.0)` in long double arithmetic (Redis's blocking timeouts); `None` where
/// the x86 conversion of an out-of-range value yields LLONG_MIN.
pub fn ceil_thousandfold(x: LongDouble) -> Option<i64> {
    let p = round_to_ld(
        x.neg,
        BigUint::from(x.mant) * 1000u32,
        BigUint::one(),
        x.exp,
    )?;
    let m = BigUint::from(p.mant);
    let (int, frac) = if p.exp >= 0 {
        (m << (p.exp as usize), false)
    } else {
        let sh = p.exp.unsigned_abs() as usize;
        let int = &m >> sh;
        let frac = int.clone() << sh != m;
        (int, frac)
    };
    // Ceiling: a positive fraction rounds up, a negative one toward zero.
    let v = if p.neg {
        -BigInt::from(int)
    } else {
        BigInt::from(int + u32::from(frac))
    };
    v.to_i64()
}

/// `cur + incr` as Redis's INCRBYFLOAT formats it; errors with Redis's texts.
pub fn incr_by_float(cur: &[u8], incr: &[u8]) -> Result<Vec<u8>, CmdError> {
    let not_float = || CmdError::new("ERR value is not a valid float");
    let nan_inf = || CmdError::new("ERR increment would produce NaN or Infinity");
    let a = parse_ld(cur).ok_or_else(not_float)?;
    let b = parse_ld(incr).ok_or_else(not_float)?;
    let (Parsed::Finite(a), Parsed::Finite(b)) = (a, b) else {
        // inf + anything is inf or NaN.
        return Err(nan_inf());
    };
    let r = add(a, b).ok_or_else(nan_inf)?;
    Ok(format_human(r).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(a: &str, b: &str) -> String {
        match incr_by_float(a.as_bytes(), b.as_bytes()) {
            Ok(v) => String::from_utf8(v).unwrap(),
            Err(e) => e.text().into_owned(),
        }
    }

    #[test]
    fn matches_redis_on_known_values() {
        assert_eq!(inc("12345.1", "0"), "12345.09999999999999964");
        assert_eq!(inc("0.1", "0.2"), "0.3");
        assert_eq!(inc("10.5", "0.1"), "10.6");
        assert_eq!(inc("5.0e3", "2.0e2"), "5200");
        assert_eq!(inc("123456789.123", "1"), "123456790.12299999999959255");
        let big = inc("1e300", "1e300");
        assert_eq!(big.len(), 301);
        assert!(big.starts_with('2') && big.bytes().all(|c| c.is_ascii_digit()));
        assert_eq!(inc("-0", "0"), "0");
        assert_eq!(inc("1", "-1"), "0");
        assert_eq!(inc("-1e-30", "0"), "0");
        assert_eq!(inc("0x10", "0x1p-1"), "16.5");
    }

    #[test]
    fn errors_like_redis() {
        let nf = "ERR value is not a valid float";
        let ni = "ERR increment would produce NaN or Infinity";
        for bad in [
            "abc", "", " 1", "1 ", "nan", "1e", "1e+", ".", "e5", "1.2.3", "0x", "1e5000",
            "1e-5000",
        ] {
            assert_eq!(inc("0", bad), nf, "{bad:?}");
        }
        assert_eq!(inc("0", "inf"), ni);
        assert_eq!(inc("0", "-Infinity"), ni);
        assert_eq!(inc("1e4932", "1e4932"), ni);
        assert_eq!(inc("abc", "1"), nf);
    }

    #[test]
    fn rounding_is_half_even_at_64_bits() {
        // 2^64 + 1 is a tie between 2^64 and 2^64 + 2 at 64 bits: even wins.
        assert_eq!(inc("18446744073709551617", "0"), "18446744073709551616");
        assert_eq!(inc("18446744073709551619", "0"), "18446744073709551620");
        assert_eq!(inc("9007199254740993", "0"), "9007199254740993");
    }
}
