//! Differential tests of the string family beyond the core (exact INCRBYFLOAT, bit commands, LCS,
//! DUMP/RESTORE): the same commands to redis-server 7.0 and to ours, replies compared byte for byte.
mod common;
use common::*;

fn never(_: &[Vec<u8>]) -> bool {
    false
}

fn run(cases: &[Vec<Vec<u8>>]) {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let diffs = diff_sequence(&mut a, &mut b, cases, never);
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

/// A random decimal of varied shape: integer, fraction, exponent, sign, many digits.
fn random_decimal(r: &mut Rng) -> String {
    let mut s = String::new();
    if r.below(3) == 0 {
        s.push('-');
    }
    let int_digits = r.below(12);
    for _ in 0..int_digits {
        s.push((b'0' + r.below(10) as u8) as char);
    }
    if int_digits == 0 || r.below(2) == 0 {
        s.push('.');
        for _ in 0..1 + r.below(25) {
            s.push((b'0' + r.below(10) as u8) as char);
        }
    }
    if r.below(5) == 0 {
        s.push(*r.pick(&['e', 'E']));
        if r.below(2) == 0 {
            s.push('-');
        }
        s.push_str(&r.below(40).to_string());
    }
    s
}

#[test]
fn incrbyfloat_fixed_cases() {
    let mut cases = Vec::new();
    for (a, b) in [
        ("12345.1", "0"),
        ("0.1", "0.2"),
        ("10.5", "0.1"),
        ("5.0e3", "2.0e2"),
        ("123456789.123", "1"),
        ("1e300", "1e300"),
        ("-0", "0"),
        ("1", "-1"),
        ("-1e-30", "0"),
        ("0x10", "0x1p-1"),
        ("1.7976931348623157e308", "1e308"),
        ("1e4932", "1e4932"),
        ("1e-4940", "0"),
        ("3.6e-4951", "0"),
        ("18446744073709551617", "0"),
        ("9223372036854775807", "1"),
        ("1", "inf"),
        ("1", "-inf"),
        ("1", "nan"),
        ("1", " 1"),
        ("1", "1 "),
        ("1", "1e"),
        ("1", ".e1"),
        ("1", "+.5"),
        ("1", "5."),
        ("1", "1e5000"),
        ("1", "1e-5000"),
        ("abc", "1"),
        ("0.00000000000000001", "0"),
        ("0.000000000000000005", "0"),
        ("0.000000000000000015", "0"),
        ("-0.000000000000000005", "0"),
    ] {
        cases.push(c(&["SET", "k", a]));
        cases.push(c(&["INCRBYFLOAT", "k", b]));
        cases.push(c(&["GET", "k"]));
    }
    cases.push(c(&["DEL", "k"]));
    cases.push(c(&["INCRBYFLOAT", "k", "1.5"]));
    cases.push(c(&["OBJECT", "ENCODING", "k"]));
    cases.push(c(&["INCRBYFLOAT", "k", "0.5"]));
    cases.push(c(&["OBJECT", "ENCODING", "k"]));
    run(&cases);
}

#[test]
fn incrbyfloat_random_values() {
    let mut r = Rng(0x9e3779b97f4a7c15);
    let mut cases = Vec::new();
    for i in 0..1500 {
        let key = format!("k{}", i % 7);
        if r.below(3) == 0 {
            cases.push(c(&["SET", &key, &random_decimal(&mut r)]));
        }
        cases.push(c(&["INCRBYFLOAT", &key, &random_decimal(&mut r)]));
    }
    run(&cases);
}
