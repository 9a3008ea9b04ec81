//! Integration tests through the `redis` client crate: exact INCRBYFLOAT, bit commands, LCS, DUMP/RESTORE.
mod common;

fn conn() -> (mini_redis::RunningServer, redis::Connection) {
    let srv = common::start_ours();
    let con = common::conn(srv.port);
    (srv, con)
}

#[test]
fn incrbyfloat_is_long_double_exact() {
    let (_srv, mut con) = conn();
    let v: String = redis::cmd("INCRBYFLOAT")
        .arg("f")
        .arg("10.5")
        .query(&mut con)
        .unwrap();
    assert_eq!(v, "10.5");
    let v: String = redis::cmd("INCRBYFLOAT")
        .arg("f")
        .arg("0.1")
        .query(&mut con)
        .unwrap();
    assert_eq!(v, "10.6");
    redis::cmd("SET")
        .arg("g")
        .arg("12345.1")
        .query::<()>(&mut con)
        .unwrap();
    let v: String = redis::cmd("INCRBYFLOAT")
        .arg("g")
        .arg("0")
        .query(&mut con)
        .unwrap();
    assert_eq!(v, "12345.09999999999999964");
    let e = redis::cmd("INCRBYFLOAT")
        .arg("g")
        .arg("inf")
        .query::<String>(&mut con)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("increment would produce NaN or Infinity"),
        "{e}"
    );
    let e = redis::cmd("INCRBYFLOAT")
        .arg("g")
        .arg("x")
        .query::<String>(&mut con)
        .unwrap_err();
    assert!(e.to_string().contains("value is not a valid float"), "{e}");
}

#[test]
fn bits_and_bitop() {
    let (_srv, mut con) = conn();
    let old: i64 = redis::cmd("SETBIT")
        .arg("b")
        .arg(7)
        .arg(1)
        .query(&mut con)
        .unwrap();
    assert_eq!(old, 0);
    let bit: i64 = redis::cmd("GETBIT")
        .arg("b")
        .arg(7)
        .query(&mut con)
        .unwrap();
    assert_eq!(bit, 1);
    let v: Vec<u8> = redis::cmd("GET").arg("b").query(&mut con).unwrap();
    assert_eq!(v, vec![1]);
    redis::cmd("SET")
        .arg("s")
        .arg("foobar")
        .query::<()>(&mut con)
        .unwrap();
    let n: i64 = redis::cmd("BITCOUNT").arg("s").query(&mut con).unwrap();
    assert_eq!(n, 26);
    let n: i64 = redis::cmd("BITCOUNT")
        .arg("s")
        .arg(5)
        .arg(30)
        .arg("BIT")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 17);
    let p: i64 = redis::cmd("BITPOS")
        .arg("s")
        .arg(0)
        .query(&mut con)
        .unwrap();
    assert_eq!(p, 0);
    let len: i64 = redis::cmd("BITOP")
        .arg("NOT")
        .arg("d")
        .arg("b")
        .query(&mut con)
        .unwrap();
    assert_eq!(len, 1);
    let v: Vec<u8> = redis::cmd("GET").arg("d").query(&mut con).unwrap();
    assert_eq!(v, vec![0xFE]);
    let r: Vec<Option<i64>> = redis::cmd("BITFIELD")
        .arg("bf")
        .arg("SET")
        .arg("u8")
        .arg(0)
        .arg(200)
        .arg("OVERFLOW")
        .arg("FAIL")
        .arg("INCRBY")
        .arg("u8")
        .arg(0)
        .arg(100)
        .arg("GET")
        .arg("u8")
        .arg(0)
        .query(&mut con)
        .unwrap();
    assert_eq!(r, vec![Some(0), None, Some(200)]);
}

#[test]
fn lcs_variants() {
    let (_srv, mut con) = conn();
    redis::cmd("MSET")
        .arg("a")
        .arg("ohmytext")
        .arg("b")
        .arg("mynewtext")
        .query::<()>(&mut con)
        .unwrap();
    let s: String = redis::cmd("LCS").arg("a").arg("b").query(&mut con).unwrap();
    assert_eq!(s, "mytext");
    let n: i64 = redis::cmd("LCS")
        .arg("a")
        .arg("b")
        .arg("LEN")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 6);
    let v: redis::Value = redis::cmd("LCS")
        .arg("a")
        .arg("b")
        .arg("IDX")
        .arg("MINMATCHLEN")
        .arg(4)
        .query(&mut con)
        .unwrap();
    assert_eq!(format!("{v:?}").matches("int(").count(), 5, "{v:?}");
}

#[test]
fn dump_restore_round_trip() {
    let (_srv, mut con) = conn();
    let long = "abc".repeat(100);
    for (k, v) in [
        ("int", "12345"),
        ("short", "hello"),
        ("long", long.as_str()),
    ] {
        redis::cmd("SET")
            .arg(k)
            .arg(v)
            .query::<()>(&mut con)
            .unwrap();
        let p: Vec<u8> = redis::cmd("DUMP").arg(k).query(&mut con).unwrap();
        redis::cmd("RESTORE")
            .arg(format!("{k}2"))
            .arg(0)
            .arg(&p)
            .query::<()>(&mut con)
            .unwrap();
        let back: String = redis::cmd("GET")
            .arg(format!("{k}2"))
            .query(&mut con)
            .unwrap();
        assert_eq!(back, v);
        let e = redis::cmd("RESTORE")
            .arg(format!("{k}2"))
            .arg(0)
            .arg(&p)
            .query::<()>(&mut con)
            .unwrap_err();
        assert!(
            e.to_string().contains("Target key name already exists"),
            "{e}"
        );
    }
    let missing: Option<Vec<u8>> = redis::cmd("DUMP").arg("nokey").query(&mut con).unwrap();
    assert_eq!(missing, None);
    let e = redis::cmd("RESTORE")
        .arg("x")
        .arg(0)
        .arg("garbage!!!!")
        .query::<()>(&mut con)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("DUMP payload version or checksum are wrong"),
        "{e}"
    );
}
