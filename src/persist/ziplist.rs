//! Ziplist decoding (the pre-7.0 compact encoding still found in older RDB files and DUMP payloads):
//! header (bytes u32, tail u32, count u16), entries (prevlen, encoding, data), 0xFF terminator.

/// Decodes every entry (integers as decimal strings); `None` if malformed.
pub fn decode(zl: &[u8]) -> Option<Vec<Vec<u8>>> {
    if zl.len() < 11 {
        return None;
    }
    let total = u32::from_le_bytes(zl[0..4].try_into().ok()?) as usize;
    let count = u16::from_le_bytes(zl[8..10].try_into().ok()?) as usize;
    if total != zl.len() || zl[total - 1] != 0xFF {
        return None;
    }
    let mut out = Vec::with_capacity(count.min(zl.len()));
    let mut p = 10;
    let g = |i: usize| zl.get(i).copied();
    let fmt = crate::util::num::fmt_i64;
    // Each entry records the previous one's length: checked as ziplistValidateIntegrity does (Redis always
    // validates deeply here, since it converts the ziplist as it loads it).
    let mut prev_len = 0usize;
    loop {
        if g(p)? == 0xFF {
            break;
        }
        let start = p;
        // prevlen: 1 byte, or 0xFE + 4 bytes.
        let (prevlen, size) = match g(p)? {
            0xFE => (
                u32::from_le_bytes(zl.get(p + 1..p + 5)?.try_into().ok()?) as usize,
                5,
            ),
            b => (b as usize, 1),
        };
        if prevlen != prev_len {
            return None;
        }
        p += size;
        let b = g(p)?;
        let (val, next) = match b >> 6 {
            0 => {
                let len = (b & 0x3F) as usize;
                (zl.get(p + 1..p + 1 + len)?.to_vec(), p + 1 + len)
            }
            1 => {
                let len = (((b & 0x3F) as usize) << 8) | g(p + 1)? as usize;
                (zl.get(p + 2..p + 2 + len)?.to_vec(), p + 2 + len)
            }
            2 => {
                let len = u32::from_be_bytes(zl.get(p + 1..p + 5)?.try_into().ok()?) as usize;
                let end = (p + 5).checked_add(len)?;
                (zl.get(p + 5..end)?.to_vec(), end)
            }
            _ => match b {
                0xC0 => (
                    fmt(i16::from_le_bytes(zl.get(p + 1..p + 3)?.try_into().ok()?) as i64),
                    p + 3,
                ),
                0xD0 => (
                    fmt(i32::from_le_bytes(zl.get(p + 1..p + 5)?.try_into().ok()?) as i64),
                    p + 5,
                ),
                0xE0 => (
                    fmt(i64::from_le_bytes(zl.get(p + 1..p + 9)?.try_into().ok()?)),
                    p + 9,
                ),
                0xF0 => {
                    let s = zl.get(p + 1..p + 4)?;
                    let v =
                        ((s[0] as i32) | ((s[1] as i32) << 8) | ((s[2] as i32) << 16)) << 8 >> 8;
                    (fmt(v as i64), p + 4)
                }
                0xFE => (fmt(zl.get(p + 1).copied()? as i8 as i64), p + 2),
                0xF1..=0xFD => (fmt((b & 0x0F) as i64 - 1), p + 1),
                _ => return None,
            },
        };
        out.push(val);
        prev_len = next - start;
        p = next;
    }
    if p != total - 1 || (count != 65535 && count != out.len()) {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_redis_6_ziplist() {
        // Entries "a", 5 (immediate), 300 (int16), built by hand in ziplist layout.
        let mut zl = vec![0u8; 10];
        zl.extend_from_slice(&[0, 0x01, b'a']);
        zl.extend_from_slice(&[3, 0xF6]);
        zl.extend_from_slice(&[2, 0xC0, 0x2C, 0x01]);
        zl.push(0xFF);
        let n = zl.len() as u32;
        zl[0..4].copy_from_slice(&n.to_le_bytes());
        zl[8..10].copy_from_slice(&3u16.to_le_bytes());
        assert_eq!(
            decode(&zl).unwrap(),
            vec![b"a".to_vec(), b"5".to_vec(), b"300".to_vec()]
        );
        assert!(decode(&zl[..zl.len() - 2]).is_none());
        // The second entry claims a previous entry of 14 bytes: refused.
        let mut bad = zl.clone();
        bad[13] = 14;
        assert!(decode(&bad).is_none());
    }
}
