//! Listpack (Redis 7.0 listpack.c) encoding and decoding of flat entry sequences: header (total bytes u32,
//! count u16), entries (encoding, data, back length), 0xFF terminator. Integer-looking entries use the
//! smallest integer encoding, exactly as lpInsert chooses it.
use crate::util::num::parse_i64;

const EOF: u8 = 0xFF;
const HEADER: usize = 6;

/// Writes an entry's back length (the size of encoding + data), most significant group first.
fn backlen(out: &mut Vec<u8>, l: usize) {
    let l = l as u64;
    if l <= 127 {
        out.push(l as u8);
    } else if l < 16383 {
        out.extend_from_slice(&[(l >> 7) as u8, (l & 127) as u8 | 128]);
    } else if l < 2097151 {
        out.extend_from_slice(&[
            (l >> 14) as u8,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]);
    } else if l < 268435455 {
        out.extend_from_slice(&[
            (l >> 21) as u8,
            ((l >> 14) & 127) as u8 | 128,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]);
    } else {
        out.extend_from_slice(&[
            (l >> 28) as u8,
            ((l >> 21) & 127) as u8 | 128,
            ((l >> 14) & 127) as u8 | 128,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]);
    }
}

/// Appends one entry (encoding + data + back length).
pub fn push_entry(out: &mut Vec<u8>, ele: &[u8]) {
    let start = out.len();
    if let Some(v) = parse_i64(ele) {
        if (0..=127).contains(&v) {
            out.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = if v < 0 {
                ((1i64 << 13) + v) as u64
            } else {
                v as u64
            };
            out.extend_from_slice(&[((u >> 8) as u8) | 0xC0, u as u8]);
        } else if (-32768..=32767).contains(&v) {
            out.push(0xF1);
            out.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8388608..=8388607).contains(&v) {
            out.push(0xF2);
            out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
            out.push(0xF3);
            out.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            out.push(0xF4);
            out.extend_from_slice(&v.to_le_bytes());
        }
    } else {
        let len = ele.len();
        if len < 64 {
            out.push(0x80 | len as u8);
        } else if len < 4096 {
            out.extend_from_slice(&[0xE0 | (len >> 8) as u8, len as u8]);
        } else {
            out.push(0xF0);
            out.extend_from_slice(&(len as u32).to_le_bytes());
        }
        out.extend_from_slice(ele);
    }
    let l = out.len() - start;
    backlen(out, l);
}

/// Size in bytes an entry takes (for quicklist node sizing).
pub fn entry_size(ele: &[u8]) -> usize {
    let mut v = Vec::new();
    push_entry(&mut v, ele);
    v.len()
}

/// Builds a whole listpack from its entries.
pub fn encode<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = vec![0u8; HEADER];
    let mut n: usize = 0;
    for e in entries {
        push_entry(&mut out, e);
        n += 1;
    }
    out.push(EOF);
    finish_header(&mut out, n);
    out
}

/// Fills in total bytes and the element count (65535 means "count unknown, walk it").
pub fn finish_header(lp: &mut [u8], n: usize) {
    let total = lp.len() as u32;
    lp[0..4].copy_from_slice(&total.to_le_bytes());
    let count = if n < 65535 { n as u16 } else { 65535 };
    lp[4..6].copy_from_slice(&count.to_le_bytes());
}

/// An empty listpack (header + terminator).
pub fn empty() -> Vec<u8> {
    let mut v = vec![0u8; HEADER];
    v.push(EOF);
    finish_header(&mut v, 0);
    v
}

/// Decodes every entry (integers formatted as decimal strings); `None` if the blob is malformed.
pub fn decode(lp: &[u8]) -> Option<Vec<Vec<u8>>> {
    if lp.len() < HEADER + 1 {
        return None;
    }
    let total = u32::from_le_bytes(lp[0..4].try_into().ok()?) as usize;
    let count = u16::from_le_bytes(lp[4..6].try_into().ok()?) as usize;
    if total != lp.len() || lp[total - 1] != EOF {
        return None;
    }
    let mut out = Vec::with_capacity(count.min(lp.len()));
    let mut p = HEADER;
    let get = |i: usize| lp.get(i).copied();
    loop {
        let b = get(p)?;
        if b == EOF {
            break;
        }
        let start = p;
        let (val, next): (Vec<u8>, usize) = if b & 0x80 == 0 {
            (fmt((b & 0x7F) as i64), p + 1)
        } else if b & 0xC0 == 0x80 {
            let len = (b & 0x3F) as usize;
            (lp.get(p + 1..p + 1 + len)?.to_vec(), p + 1 + len)
        } else if b & 0xE0 == 0xC0 {
            let u = (((b & 0x1F) as u64) << 8) | get(p + 1)? as u64;
            let v = if u >= 1 << 12 {
                u as i64 - (1 << 13)
            } else {
                u as i64
            };
            (fmt(v), p + 2)
        } else if b & 0xF0 == 0xE0 {
            let len = (((b & 0x0F) as usize) << 8) | get(p + 1)? as usize;
            (lp.get(p + 2..p + 2 + len)?.to_vec(), p + 2 + len)
        } else {
            match b {
                0xF0 => {
                    let len = u32::from_le_bytes(lp.get(p + 1..p + 5)?.try_into().ok()?) as usize;
                    let end = (p + 5).checked_add(len)?;
                    (lp.get(p + 5..end)?.to_vec(), end)
                }
                0xF1 => (
                    fmt(i16::from_le_bytes(lp.get(p + 1..p + 3)?.try_into().ok()?) as i64),
                    p + 3,
                ),
                0xF2 => {
                    let s = lp.get(p + 1..p + 4)?;
                    let v =
                        ((s[0] as i32) | ((s[1] as i32) << 8) | ((s[2] as i32) << 16)) << 8 >> 8;
                    (fmt(v as i64), p + 4)
                }
                0xF3 => (
                    fmt(i32::from_le_bytes(lp.get(p + 1..p + 5)?.try_into().ok()?) as i64),
                    p + 5,
                ),
                0xF4 => (
                    fmt(i64::from_le_bytes(lp.get(p + 1..p + 9)?.try_into().ok()?)),
                    p + 9,
                ),
                _ => return None,
            }
        };
        // Skip and check the back length.
        let enc_len = next - start;
        let mut bl = Vec::new();
        backlen(&mut bl, enc_len);
        if lp.get(next..next + bl.len())? != bl.as_slice() {
            return None;
        }
        p = next + bl.len();
        out.push(val);
    }
    if p != total - 1 || (count != 65535 && count != out.len()) {
        return None;
    }
    Some(out)
}

fn fmt(v: i64) -> Vec<u8> {
    crate::util::num::fmt_i64(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_redis() {
        // RPUSH l a 1 -1 1000 100000 hello: the listpack node Redis 7.0 builds.
        let items: Vec<&[u8]> = vec![b"a", b"1", b"-1", b"1000", b"100000", b"hello"];
        let lp = encode(items.iter().copied());
        assert_eq!(
            decode(&lp).unwrap(),
            items.iter().map(|s| s.to_vec()).collect::<Vec<_>>()
        );
        assert_eq!(&lp[6..9], &[0x81, b'a', 2]);
        assert_eq!(&lp[9..11], &[0x01, 1]);
        assert_eq!(&lp[11..14], &[0xDF, 0xFF, 2]);
    }

    #[test]
    fn round_trips_all_widths() {
        let vals: Vec<Vec<u8>> = [
            "0",
            "127",
            "128",
            "-4096",
            "4095",
            "-4097",
            "32767",
            "-32768",
            "8388607",
            "-8388608",
            "2147483647",
            "-2147483648",
            "9223372036854775807",
            "-9223372036854775808",
            "-0",
            "007",
            "",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 4095],
            vec![b'w'; 4096],
            vec![b'v'; 20000],
        ])
        .collect();
        let lp = encode(vals.iter().map(|v| v.as_slice()));
        assert_eq!(decode(&lp).unwrap(), vals);
        assert!(decode(&lp[..lp.len() - 1]).is_none());
    }
}
