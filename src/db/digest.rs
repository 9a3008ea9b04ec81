//! DEBUG DIGEST and DIGEST-VALUE: Redis's order-independent SHA-1 digest of a data set, computed as
//! debug.c does, so that equal data gives the same digest on both servers (Redis's suite compares them).
use sha1::{Digest as _, Sha1};

use super::set::Elem;
use super::{Db, Entry, Value, NO_EXPIRE};

pub type Digest = [u8; 20];

/// `digest = SHA1(digest ^ SHA1(data))`: order matters (list elements, key then value).
fn mix(digest: &mut Digest, data: &[u8]) {
    xor(digest, data);
    let h = Sha1::digest(&digest[..]);
    digest.copy_from_slice(&h);
}

/// `digest ^= SHA1(data)`: order does not matter (set members, hash fields, keys).
fn xor(digest: &mut Digest, data: &[u8]) {
    let h = Sha1::digest(data);
    for (d, x) in digest.iter_mut().zip(h.iter()) {
        *d ^= x;
    }
}

fn itoa(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// A score as C's `%.17g`, which Redis 7.0's digest uses.
fn g17(score: f64) -> Vec<u8> {
    let mut buf = [0u8; 64];
    // SAFETY: snprintf writes at most buf.len() bytes (NUL included) into our buffer.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%.17g".as_ptr(),
            score,
        )
    };
    buf[..(n.max(0) as usize).min(buf.len() - 1)].to_vec()
}

/// Redis's object type numbers (OBJ_STRING 0, LIST 1, SET 2, ZSET 3, HASH 4), mixed in big-endian.
fn type_code(v: &Value) -> u32 {
    match v {
        Value::Str(_) | Value::Int(_) | Value::Raw(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
    }
}

/// xorObjectDigest: the value's type, contents and whether it has a TTL, folded into `digest`.
pub fn mix_entry(digest: &mut Digest, e: &Entry) {
    mix(digest, &type_code(&e.value).to_be_bytes());
    match &e.value {
        Value::Str(s) => mix(digest, s),
        Value::Raw(s) => mix(digest, s),
        Value::Int(n) => mix(digest, &itoa(*n)),
        Value::List(l) => {
            for el in l.iter() {
                mix(digest, el);
            }
        }
        Value::Set(s) => {
            for m in s.iter() {
                match m {
                    Elem::Int(n) => xor(digest, &itoa(n)),
                    Elem::Str(b) => xor(digest, b),
                }
            }
        }
        Value::ZSet(z) => z.for_each(|m, score| {
            let mut el = [0u8; 20];
            mix(&mut el, m);
            mix(&mut el, &g17(score));
            xor(digest, &el);
        }),
        Value::Hash(h) => {
            for (f, v) in h.iter() {
                let mut el = [0u8; 20];
                mix(&mut el, f);
                mix(&mut el, v);
                xor(digest, &el);
            }
        }
    }
    if e.expire_at != NO_EXPIRE {
        xor(digest, b"!!expire!!");
    }
}

/// DEBUG DIGEST-VALUE of one entry (zeros for a missing key).
pub fn of_value(e: Option<&Entry>) -> Digest {
    let mut d = [0u8; 20];
    if let Some(e) = e {
        mix_entry(&mut d, e);
    }
    d
}

/// computeDatasetDigest over all databases (zeros when every one is empty).
pub fn of_dataset(dbs: &[Db]) -> Digest {
    let mut fin = [0u8; 20];
    for (j, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix(&mut fin, &(j as u32).to_be_bytes());
        for (k, e) in db.iter() {
            let mut d = [0u8; 20];
            mix(&mut d, k);
            mix_entry(&mut d, e);
            xor(&mut fin, &d);
        }
    }
    fin
}

pub fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}
