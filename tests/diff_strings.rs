//! Differential tests of the string family beyond the core (exact INCRBYFLOAT, bit commands, LCS,
//! DUMP/RESTORE): the same commands to redis-server 7.0 and to ours, replies compared byte for byte.
mod common;
use common::*;

fn never(_: &[Vec<u8>]) -> bool {
    false
}

/// Runs the commands on both servers and fails on any difference. HELLO switches the protocol (to compare
/// RESP3 shapes); its own reply carries the client id, which differs, so it is not compared.
fn run(cases: &[Vec<Vec<u8>>]) {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let mut diffs = Vec::new();
    let mut batch: Vec<Vec<Vec<u8>>> = Vec::new();
    for cmd in cases {
        if cmd[0].eq_ignore_ascii_case(b"hello") {
            diffs.extend(diff_sequence(&mut a, &mut b, &batch, never));
            batch.clear();
            a.cmd(cmd);
            b.cmd(cmd);
        } else {
            batch.push(cmd.clone());
        }
    }
    diffs.extend(diff_sequence(&mut a, &mut b, &batch, never));
    assert_no_diffs(&diffs);
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

#[test]
fn bit_commands_fixed_cases() {
    let cases = vec![
        c(&["SETBIT", "b", "7", "1"]),
        c(&["SETBIT", "b", "7", "0"]),
        c(&["SETBIT", "b", "100", "1"]),
        c(&["GET", "b"]),
        c(&["STRLEN", "b"]),
        c(&["OBJECT", "ENCODING", "b"]),
        c(&["SETBIT", "b", "-1", "1"]),
        c(&["SETBIT", "b", "abc", "1"]),
        c(&["SETBIT", "b", "1", "2"]),
        c(&["SETBIT", "b", "1", "-1"]),
        c(&["SETBIT", "b", "1", "x"]),
        c(&["SETBIT", "b", "4294967295", "x"]),
        c(&["SETBIT", "b", "4294967296", "1"]),
        c(&["SETBIT", "b", "99999999999", "1"]),
        c(&["GETBIT", "b", "100"]),
        c(&["GETBIT", "b", "101"]),
        c(&["GETBIT", "b", "100000"]),
        c(&["GETBIT", "b", "-1"]),
        c(&["GETBIT", "b", "4294967296"]),
        c(&["GETBIT", "nokey", "1"]),
        c(&["SET", "i", "12345"]),
        c(&["GETBIT", "i", "2"]),
        c(&["GETBIT", "i", "3"]),
        c(&["SETBIT", "i", "0", "1"]),
        c(&["GET", "i"]),
        c(&["SET", "s", "foobar"]),
        c(&["BITCOUNT", "s"]),
        c(&["BITCOUNT", "s", "0", "0"]),
        c(&["BITCOUNT", "s", "1", "1"]),
        c(&["BITCOUNT", "s", "1", "1", "BYTE"]),
        c(&["BITCOUNT", "s", "5", "30", "BIT"]),
        c(&["BITCOUNT", "s", "-5", "-1", "BIT"]),
        c(&["BITCOUNT", "s", "-1", "-5"]),
        c(&["BITCOUNT", "s", "-1", "-5", "FOO"]),
        c(&["BITCOUNT", "s", "0", "-1", "FOO"]),
        c(&["BITCOUNT", "s", "0"]),
        c(&["BITCOUNT", "s", "a", "b"]),
        c(&["BITCOUNT", "s", "0", "1", "BIT", "x"]),
        c(&["BITCOUNT", "nokey", "a", "b"]),
        c(&["BITCOUNT", "nokey", "0"]),
        c(&["BITCOUNT", "s", "100", "200"]),
        c(&["BITCOUNT", "s", "-100", "200"]),
        c(&["BITCOUNT", "i"]),
        c(&["SET", "p", "\u{ff}\u{f0}\u{00}"]),
        c(&["BITPOS", "p", "0"]),
        c(&["BITPOS", "p", "1"]),
        c(&["BITPOS", "p", "2"]),
        c(&["BITPOS", "nokey", "2"]),
        c(&["BITPOS", "nokey", "1", "a", "b"]),
        c(&["BITPOS", "nokey", "0"]),
        c(&["BITPOS", "p", "1", "0", "abc", "FOO"]),
        c(&["BITPOS", "p", "1", "2", "-1", "BYTE"]),
        c(&["BITPOS", "p", "0", "1"]),
        c(&["BITPOS", "p", "0", "1", "1"]),
        c(&["BITPOS", "p", "1", "7", "15", "BIT"]),
        c(&["BITPOS", "p", "0", "7", "15", "BIT"]),
        c(&["BITPOS", "p", "1", "1", "2", "3"]),
        c(&["SET", "ones", "\u{7f}"]),
        c(&["SETBIT", "all", "0", "1"]),
        c(&["SETBIT", "all", "1", "1"]),
        c(&["SETBIT", "all", "2", "1"]),
        c(&["SETBIT", "all", "3", "1"]),
        c(&["SETBIT", "all", "4", "1"]),
        c(&["SETBIT", "all", "5", "1"]),
        c(&["SETBIT", "all", "6", "1"]),
        c(&["SETBIT", "all", "7", "1"]),
        c(&["BITPOS", "all", "0"]),
        c(&["BITPOS", "all", "0", "0"]),
        c(&["BITPOS", "all", "0", "0", "-1"]),
        c(&["BITPOS", "all", "0", "0", "-1", "BIT"]),
        c(&["BITPOS", "all", "0", "2", "BIT"]),
        c(&["BITPOS", "all", "0", "2", "5", "BIT"]),
        c(&["BITPOS", "all", "1", "2", "5", "BIT"]),
        c(&["BITOP", "AND", "dest", "s", "p"]),
        c(&["GET", "dest"]),
        c(&["OBJECT", "ENCODING", "dest"]),
        c(&["BITOP", "OR", "dest", "s", "p", "nokey"]),
        c(&["GET", "dest"]),
        c(&["BITOP", "XOR", "dest", "s", "p"]),
        c(&["GET", "dest"]),
        c(&["BITOP", "NOT", "dest", "s"]),
        c(&["GET", "dest"]),
        c(&["BITOP", "NOT", "dest", "s", "p"]),
        c(&["BITOP", "FOO", "dest", "s"]),
        c(&["EXPIRE", "dest", "100"]),
        c(&["BITOP", "AND", "dest", "s"]),
        c(&["TTL", "dest"]),
        c(&["BITOP", "AND", "dest", "nokey", "nokey2"]),
        c(&["EXISTS", "dest"]),
        c(&["BITOP", "AND", "i", "s", "i"]),
        c(&["GET", "i"]),
    ];
    run(&cases);
}

#[test]
fn bitfield_fixed_cases() {
    let cases = vec![
        c(&[
            "BITFIELD", "bf", "SET", "i8", "0", "100", "GET", "i8", "0", "INCRBY", "i8", "0", "100",
        ]),
        c(&[
            "BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100", "INCRBY", "u4", "#3",
            "100",
        ]),
        c(&[
            "BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "100", "INCRBY", "u4", "#3",
            "-100",
        ]),
        c(&[
            "BITFIELD",
            "bf",
            "OVERFLOW",
            "WRAP",
            "INCRBY",
            "u63",
            "#1",
            "-1",
            "INCRBY",
            "i64",
            "64",
            "-9223372036854775808",
        ]),
        c(&[
            "BITFIELD",
            "bf",
            "INCRBY",
            "i64",
            "64",
            "-1",
            "OVERFLOW",
            "SAT",
            "INCRBY",
            "i64",
            "64",
            "-9223372036854775808",
        ]),
        c(&[
            "BITFIELD", "bf", "SET", "u8", "0", "-1", "SET", "i8", "8", "200", "GET", "u16", "0",
        ]),
        c(&[
            "BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "SET", "i8", "8", "200",
            "GET", "u16", "0",
        ]),
        c(&[
            "BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u8", "0", "-1", "SET", "i8", "8", "200",
            "GET", "u16", "0",
        ]),
        c(&["GET", "bf"]),
        c(&["BITFIELD", "bf", "GET", "u64", "0"]),
        c(&["BITFIELD", "bf", "GET", "i65", "0"]),
        c(&["BITFIELD", "bf", "GET", "x8", "0"]),
        c(&["BITFIELD", "bf", "GET", "i0", "0"]),
        c(&["BITFIELD", "bf", "GET", "", "0"]),
        c(&["BITFIELD", "bf", "GET", "i8", "-1"]),
        c(&["BITFIELD", "bf", "GET", "i8", "#-1"]),
        c(&["BITFIELD", "bf", "GET", "i8", "#"]),
        c(&["BITFIELD", "bf", "GET", "i8"]),
        c(&["BITFIELD", "bf", "SET", "i8", "0"]),
        c(&["BITFIELD", "bf", "SET", "i8", "0", "x"]),
        c(&["BITFIELD", "bf", "OVERFLOW", "FOO"]),
        c(&["BITFIELD", "bf", "OVERFLOW"]),
        c(&["BITFIELD", "bf", "FOO"]),
        c(&["BITFIELD", "bf"]),
        c(&["BITFIELD", "bf", "GET", "i8", "4294967296"]),
        c(&["BITFIELD", "bf", "GET", "i8", "#536870912"]),
        c(&["BITFIELD", "bf", "GET", "i8", "#536870911"]),
        c(&["BITFIELD", "nokey", "GET", "i8", "100"]),
        c(&[
            "BITFIELD", "nokey2", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "10",
        ]),
        c(&["EXISTS", "nokey2"]),
        c(&["GET", "nokey2"]),
        c(&["BITFIELD_RO", "bf", "GET", "i8", "0", "GET", "u4", "4"]),
        c(&["BITFIELD_RO", "bf", "SET", "i8", "0", "1"]),
        c(&["BITFIELD_RO", "bf", "FOO"]),
        c(&["SET", "n", "123"]),
        c(&["BITFIELD", "n", "GET", "u8", "0", "SET", "u8", "8", "65"]),
        c(&["GET", "n"]),
        c(&["SET", "n", "123"]),
        c(&["BITFIELD_RO", "n", "GET", "u8", "0", "GET", "i16", "#1"]),
    ];
    run(&cases);
}

#[test]
fn lcs_fixed_cases() {
    let mut cases = vec![
        c(&[
            "MSET",
            "a",
            "ohmytext",
            "b",
            "mynewtext",
            "e",
            "",
            "n",
            "1234567",
            "m",
            "357",
        ]),
        c(&["LCS", "a", "b"]),
        c(&["LCS", "a", "b", "LEN"]),
        c(&["LCS", "a", "b", "IDX"]),
        c(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "4"]),
        c(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]),
        c(&["LCS", "a", "b", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "-5"]),
        c(&["LCS", "a", "b", "LEN", "IDX"]),
        c(&["LCS", "a", "b", "FOO"]),
        c(&["LCS", "a", "b", "MINMATCHLEN"]),
        c(&["LCS", "a", "b", "MINMATCHLEN", "x"]),
        c(&["LCS", "a", "nokey"]),
        c(&["LCS", "a", "nokey", "IDX"]),
        c(&["LCS", "e", "a", "IDX", "WITHMATCHLEN"]),
        c(&["LCS", "n", "m", "IDX", "WITHMATCHLEN"]),
        c(&["LCS", "a", "a", "IDX", "WITHMATCHLEN"]),
        c(&["HELLO", "3"]),
        c(&["LCS", "a", "b", "IDX", "WITHMATCHLEN"]),
        c(&["HELLO", "2"]),
    ];
    let mut r = Rng(42);
    for i in 0..60 {
        let mk = |r: &mut Rng| -> String {
            (0..r.below(30))
                .map(|_| (b'a' + r.below(4) as u8) as char)
                .collect()
        };
        let (x, y) = (mk(&mut r), mk(&mut r));
        cases.push(c(&["MSET", "x", &x, "y", &y]));
        cases.push(c(&["LCS", "x", "y"]));
        let ml = (i % 4).to_string();
        cases.push(c(&[
            "LCS",
            "x",
            "y",
            "IDX",
            "MINMATCHLEN",
            &ml,
            "WITHMATCHLEN",
        ]));
    }
    run(&cases);
}

#[test]
fn bit_commands_random_sequences() {
    let mut r = Rng(0xb175_0001);
    let keys = ["k1", "k2", "k3"];
    let mut cases = Vec::new();
    for _ in 0..3000 {
        let k = *r.pick(&keys);
        let n = |r: &mut Rng, m: i64| (r.below((2 * m + 1) as u64) as i64 - m).to_string();
        let cmd = match r.below(9) {
            0 | 1 => c(&[
                "SETBIT",
                k,
                &r.below(200).to_string(),
                &r.below(2).to_string(),
            ]),
            2 => c(&["GETBIT", k, &r.below(220).to_string()]),
            3 => {
                let mut v = c(&["BITCOUNT", k, &n(&mut r, 30), &n(&mut r, 30)]);
                if r.below(2) == 0 {
                    v.push(r.pick(&["BIT", "BYTE"]).as_bytes().to_vec());
                }
                v
            }
            4 => {
                let mut v = c(&["BITPOS", k, &r.below(2).to_string()]);
                let extra = r.below(4);
                if extra >= 1 {
                    v.push(n(&mut r, 200).into_bytes());
                }
                if extra >= 2 {
                    v.push(n(&mut r, 200).into_bytes());
                }
                if extra >= 3 {
                    v.push(r.pick(&["BIT", "BYTE"]).as_bytes().to_vec());
                }
                v
            }
            5 => {
                let op = *r.pick(&["AND", "OR", "XOR", "NOT"]);
                if op == "NOT" {
                    c(&["BITOP", op, k, *r.pick(&keys)])
                } else {
                    c(&["BITOP", op, k, *r.pick(&keys), *r.pick(&keys)])
                }
            }
            6 => {
                let ty = format!("{}{}", r.pick(&["i", "u"]), 1 + r.below(63));
                let sub = *r.pick(&["GET", "SET", "INCRBY"]);
                let mut v = c(&[
                    "BITFIELD",
                    k,
                    "OVERFLOW",
                    *r.pick(&["WRAP", "SAT", "FAIL"]),
                    sub,
                    &ty,
                ]);
                v.push(r.below(150).to_string().into_bytes());
                if sub != "GET" {
                    let val = match r.below(3) {
                        0 => n(&mut r, 300),
                        1 => (r.next() as i64).to_string(),
                        _ => n(&mut r, 5),
                    };
                    v.push(val.into_bytes());
                }
                v
            }
            7 => c(&["GET", k]),
            _ => c(&["SET", k, &r.below(100000).to_string()]),
        };
        cases.push(cmd);
    }
    run(&cases);
}

/// A bulk reply's payload (None for a null bulk).
fn bulk(reply: &[u8]) -> Option<Vec<u8>> {
    match parse_reply(reply) {
        Reply::Bulk(_, v) => v,
        other => panic!("not a bulk: {other:?}"),
    }
}

fn cmd_bytes(args: &[&[u8]]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.to_vec()).collect()
}

#[test]
fn dump_strings_byte_identical() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    let mut values: Vec<Vec<u8>> = [
        "",
        "0",
        "1",
        "-1",
        "127",
        "128",
        "-128",
        "-129",
        "32767",
        "32768",
        "-32768",
        "2147483647",
        "2147483648",
        "-2147483648",
        "-2147483649",
        "12345678901",
        "9223372036854775807",
        "-9223372036854775808",
        "007",
        "-0",
        "+1",
        " 1",
        "1.5",
        "hello",
        "aaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaa",
        "abcdefghijklmnopqrstuvwxyz",
        "hello world hello world hello world",
        "123456789012345678901234567890",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let mut r = Rng(7);
    for n in [21usize, 25, 30, 64, 100, 1000, 5000, 20000, 70000] {
        // Repetitive (compressible) and random (incompressible) bodies.
        values.push((0..n).map(|i| b"abcab"[i % 5]).collect());
        values.push((0..n).map(|_| r.below(256) as u8).collect());
        values.push((0..n).map(|_| b'a' + r.below(3) as u8).collect());
        let words = ["foo", "bar", "baz", "redis", "dump"];
        let mut t = Vec::new();
        while t.len() < n {
            t.extend_from_slice(r.pick(&words).as_bytes());
            t.push(b' ');
        }
        values.push(t);
    }
    // Many short texts with repeats: the LZF match finder's edge cases (matches near the end, long runs).
    for i in 0..400u64 {
        let n = 21 + r.below(300) as usize;
        let alphabet = 2 + i % 6;
        values.push((0..n).map(|_| b'a' + r.below(alphabet) as u8).collect());
    }
    let mut diffs = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let set = cmd_bytes(&[b"SET", b"k", v]);
        assert_eq!(a.cmd(&set), b.cmd(&set));
        let dump = c(&["DUMP", "k"]);
        let (x, y) = (a.cmd(&dump), b.cmd(&dump));
        if x != y {
            diffs.push(format!("value #{i} (len {}) differs", v.len()));
        }
        // Each side restores the other's payload to the same value.
        let py = bulk(&y).unwrap();
        let px = bulk(&x).unwrap();
        assert_eq!(
            a.cmd(&cmd_bytes(&[b"RESTORE", b"r", b"0", &py, b"REPLACE"])),
            b"+OK\r\n"
        );
        assert_eq!(
            b.cmd(&cmd_bytes(&[b"RESTORE", b"r", b"0", &px, b"REPLACE"])),
            b"+OK\r\n"
        );
        assert_eq!(bulk(&a.cmd(&c(&["GET", "r"]))).unwrap(), *v);
        assert_eq!(bulk(&b.cmd(&c(&["GET", "r"]))).unwrap(), *v);
        assert_eq!(
            a.cmd(&c(&["OBJECT", "ENCODING", "r"])),
            b.cmd(&c(&["OBJECT", "ENCODING", "r"]))
        );
    }
    // With rdbcompression off, long strings are stored verbatim.
    for conn in [&mut a, &mut b] {
        conn.cmd(&c(&["CONFIG", "SET", "rdbcompression", "no"]));
        conn.cmd(&cmd_bytes(&[b"SET", b"k", &values[values.len() - 4]]));
    }
    if a.cmd(&c(&["DUMP", "k"])) != b.cmd(&c(&["DUMP", "k"])) {
        diffs.push("rdbcompression no differs".into());
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn restore_fixed_cases() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    b.cmd(&c(&["SET", "src", "hello"]));
    let good = bulk(&b.cmd(&c(&["DUMP", "src"]))).unwrap();
    b.cmd(&c(&["SET", "src", "x".repeat(100).as_str()]));
    let long = bulk(&b.cmd(&c(&["DUMP", "src"]))).unwrap();
    let mut bad_crc = good.clone();
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 1;
    let mut bad_ver = good.clone();
    bad_ver[n - 10] = 11;
    // A payload with a valid footer but a broken body.
    let mut body = vec![0u8, 0x45];
    body.extend_from_slice(&10u16.to_le_bytes());
    let crc = mini_redis::persist::rdb::crc64(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    let cases: Vec<Vec<Vec<u8>>> = vec![
        c(&["DUMP", "nokey"]),
        cmd_bytes(&[b"RESTORE", b"k", b"0", &good]),
        c(&["GET", "k"]),
        c(&["TTL", "k"]),
        cmd_bytes(&[b"RESTORE", b"k", b"0", &good]),
        cmd_bytes(&[b"RESTORE", b"k", b"-1", &good]),
        cmd_bytes(&[b"RESTORE", b"k", b"-1", &good, b"REPLACE"]),
        cmd_bytes(&[b"RESTORE", b"k", b"abc", &good, b"REPLACE"]),
        cmd_bytes(&[b"RESTORE", b"k", b"100000", &long, b"REPLACE"]),
        c(&["GET", "k"]),
        c(&["TTL", "k"]),
        c(&["OBJECT", "ENCODING", "k"]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", &bad_crc]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", &bad_ver]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", b"short"]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", b""]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", &body]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", &good, b"FOO"]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", &good, b"IDLETIME", b"-1"]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", &good, b"IDLETIME", b"x"]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", &good, b"FREQ", b"256"]),
        cmd_bytes(&[
            b"RESTORE",
            b"k2",
            b"0",
            &good,
            b"FREQ",
            b"1",
            b"IDLETIME",
            b"1",
        ]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", &good, b"IDLETIME"]),
        cmd_bytes(&[b"RESTORE", b"k2", b"0", &good, b"IDLETIME", b"10"]),
        cmd_bytes(&[b"RESTORE", b"k2", b"1", &good, b"ABSTTL", b"REPLACE"]),
        c(&["EXISTS", "k2"]),
        cmd_bytes(&[b"RESTORE", b"k", b"1", &good, b"ABSTTL", b"REPLACE"]),
        c(&["EXISTS", "k"]),
        cmd_bytes(&[b"RESTORE", b"k", b"9223372036854775807", &good, b"REPLACE"]),
        c(&["EXISTS", "k"]),
        cmd_bytes(&[b"RESTORE", b"k", b"4102444800000", &good, b"ABSTTL"]),
        c(&["EXPIRETIME", "k"]),
        c(&["RESTORE", "k", "0"]),
    ];
    let diffs = diff_sequence(&mut a, &mut b, &cases, never);
    assert_no_diffs(&diffs);
}

#[test]
fn restore_collections_from_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    b.cmd(&c(&["RPUSH", "list", "a", "1", "-5", "hello", "100000"]));
    b.cmd(&c(&["HSET", "hash", "f", "v", "n", "12"]));
    b.cmd(&c(&["SADD", "iset", "1", "2", "3"]));
    b.cmd(&c(&["SADD", "sset", "a", "b"]));
    b.cmd(&c(&["ZADD", "zset", "1.5", "a", "2", "b"]));
    for key in ["list", "hash", "iset", "sset", "zset"] {
        let p = bulk(&b.cmd(&c(&["DUMP", key]))).unwrap();
        assert_eq!(
            a.cmd(&cmd_bytes(&[b"RESTORE", key.as_bytes(), b"0", &p])),
            b"+OK\r\n",
            "{key}"
        );
        assert_eq!(
            a.cmd(&c(&["TYPE", key])),
            b.cmd(&c(&["TYPE", key])),
            "{key}"
        );
    }
    // A list restored from Redis dumps back to the very same bytes.
    assert_eq!(a.cmd(&c(&["DUMP", "list"])), b.cmd(&c(&["DUMP", "list"])));
    // Garbage with a valid footer is a clean error, and the server stays up.
    let mut r = Rng(5);
    for _ in 0..300 {
        let mut body: Vec<u8> = (0..r.below(40)).map(|_| r.below(256) as u8).collect();
        body.extend_from_slice(&10u16.to_le_bytes());
        let crc = mini_redis::persist::rdb::crc64(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        let reply = a.cmd(&cmd_bytes(&[b"RESTORE", b"g", b"0", &body, b"REPLACE"]));
        assert!(
            reply == b"+OK\r\n" || reply == b"-ERR Bad data format\r\n",
            "{:?}",
            String::from_utf8_lossy(&reply)
        );
    }
    assert_eq!(a.cmd(&c(&["PING"])), b"+PONG\r\n");
}

/// The keyspace notification streams of the bit, DUMP/RESTORE and INCRBYFLOAT commands match Redis's.
#[test]
fn keyspace_events_match_redis() {
    let ours = start_ours();
    let redis = start_redis();
    let mut src = RawConn::connect(redis.port);
    src.cmd(&c(&["SET", "src", "payload"]));
    let p = bulk(&src.cmd(&c(&["DUMP", "src"]))).unwrap();
    src.cmd(&c(&["DEL", "src"]));
    let script: Vec<Vec<Vec<u8>>> = vec![
        c(&["SETBIT", "b", "7", "1"]),
        c(&["SETBIT", "b", "7", "1"]),
        c(&["SETBIT", "b", "x", "1"]),
        c(&["BITOP", "OR", "d", "b"]),
        c(&["BITOP", "OR", "d", "nokey"]),
        c(&["BITOP", "OR", "d", "nokey"]),
        c(&["BITFIELD", "f", "SET", "u8", "0", "1"]),
        c(&[
            "BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "100",
        ]),
        c(&["BITFIELD", "f", "GET", "u8", "0"]),
        c(&["INCRBYFLOAT", "x", "1.5"]),
        c(&["LCS", "b", "f"]),
        cmd_bytes(&[b"RESTORE", b"r", b"0", &p]),
        cmd_bytes(&[b"RESTORE", b"r", b"100000", &p, b"REPLACE"]),
        cmd_bytes(&[b"RESTORE", b"r", b"1", &p, b"REPLACE", b"ABSTTL"]),
        c(&["SET", "done", "1"]),
    ];
    assert_eq!(
        keyspace_event_stream(ours.port, &script),
        keyspace_event_stream(redis.port, &script)
    );
}

/// Extreme INCRBYFLOAT operands: long mantissas, exponents near the long double limits, subnormals, hex.
#[test]
fn incrbyfloat_extreme_values() {
    let mut r = Rng(0x5eed_f10a7);
    let mut cases = Vec::new();
    // Digits of a random count in 1..=max.
    fn digits(r: &mut Rng, max: u64) -> String {
        let n = 1 + r.below(max);
        (0..n).map(|_| (b'0' + r.below(10) as u8) as char).collect()
    }
    for _ in 0..600 {
        let a = match r.below(6) {
            0 => {
                let (i, f) = (digits(&mut r, 3), digits(&mut r, 60));
                format!("{i}.{f}e{}", r.below(9900) as i64 - 4950)
            }
            1 => {
                let m = digits(&mut r, 30);
                format!("-{m}e-{}", 4900 + r.below(60))
            }
            2 => {
                let m = digits(&mut r, 30);
                format!("{m}e{}", 4900 + r.below(40))
            }
            3 => format!(
                "0x{:x}.{:x}p{}",
                r.next(),
                r.next() & 0xffff,
                r.below(32000) as i64 - 16000
            ),
            4 => {
                let (i, f) = (digits(&mut r, 25), digits(&mut r, 25));
                format!("{i}.{f}")
            }
            _ => format!("{}", (r.next() as i64) as f64 / 1e6),
        };
        let b = format!("{}e{}", r.below(1000) as i64 - 500, r.below(60) as i64 - 30);
        cases.push(c(&["SET", "k", &a]));
        cases.push(c(&["INCRBYFLOAT", "k", &b]));
    }
    run(&cases);
}

/// Commands of this branch against a key of another type (a list, created with RESTORE of Redis's DUMP).
#[test]
fn wrong_type_cases() {
    let ours = start_ours();
    let redis = start_redis();
    let mut a = RawConn::connect(ours.port);
    let mut b = RawConn::connect(redis.port);
    b.cmd(&c(&["RPUSH", "tmp", "x", "y"]));
    let p = bulk(&b.cmd(&c(&["DUMP", "tmp"]))).unwrap();
    let mut cases = vec![
        cmd_bytes(&[b"RESTORE", b"l", b"0", &p]),
        cmd_bytes(&[b"RESTORE", b"l2", b"0", &p]),
        c(&["SET", "s", "abc"]),
    ];
    for cmd in [
        &["SETBIT", "l", "1", "1"][..],
        &["SETBIT", "l", "x", "1"],
        &["GETBIT", "l", "1"],
        &["GETBIT", "l", "x"],
        &["BITCOUNT", "l"],
        &["BITCOUNT", "l", "x"],
        &["BITPOS", "l", "1"],
        &["BITPOS", "l", "3"],
        &["BITOP", "AND", "d", "s", "l"],
        &["BITOP", "AND", "l2", "s"],
        &["TYPE", "l2"],
        &["BITOP", "AND", "l", "nokey"],
        &["EXISTS", "l"],
        &["RESTORE", "l", "0", "x"],
        &["BITFIELD", "l2", "GET", "u8", "0"],
        &["BITFIELD", "l2", "SET", "u8", "0", "1"],
        &["BITFIELD_RO", "l2", "GET", "u8", "0"],
        &["LCS", "l2", "s"],
        &["LCS", "s", "l2"],
        &["INCRBYFLOAT", "l2", "1"],
        &["GET", "l2"],
        &["DUMP", "l2"],
    ] {
        cases.push(c(cmd));
    }
    let diffs = diff_sequence(&mut a, &mut b, &cases, never);
    assert_no_diffs(&diffs);
}
