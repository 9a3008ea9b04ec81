//! Zipmap decoding (zipmap.c, the hash encoding of Redis before 2.6, RDB type 9, still loaded by 7.0):
//! a count byte, entries `<len>key<len><free>value<free bytes>`, then 0xFF. A length is one byte below
//! 254, else 254 and a 4-byte little-endian length.

const BIGLEN: u8 = 254;
const END: u8 = 255;

/// Field/value pairs in stored order; `None` if malformed (zipmapValidateIntegrity with `deep`, which 7.0
/// always runs on zipmaps).
pub fn decode(zm: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    // The count byte and the end marker at least.
    if zm.len() < 2 || zm[zm.len() - 1] != END {
        return None;
    }
    let declared = zm[0];
    let mut p = 1usize;
    let len_at = |p: &mut usize| -> Option<usize> {
        let b = *zm.get(*p)?;
        if b < BIGLEN {
            *p += 1;
            Some(b as usize)
        } else if b == BIGLEN {
            let n = u32::from_le_bytes(zm.get(*p + 1..*p + 5)?.try_into().ok()?);
            *p += 5;
            Some(n as usize)
        } else {
            None
        }
    };
    let mut out = Vec::new();
    while *zm.get(p)? != END {
        let klen = len_at(&mut p)?;
        let key = zm.get(p..p.checked_add(klen)?)?.to_vec();
        p += klen;
        let vlen = len_at(&mut p)?;
        let free = *zm.get(p)? as usize;
        p += 1;
        let value = zm.get(p..p.checked_add(vlen)?)?.to_vec();
        p = p.checked_add(vlen)?.checked_add(free)?;
        out.push((key, value));
    }
    // The end marker is the last byte, and a count below 254 is exact.
    if p != zm.len() - 1 || (declared < BIGLEN && declared as usize != out.len()) {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_rejects() {
        // {"a": "1", "bc": ""} with one free byte after "1".
        let zm = [2, 1, b'a', 1, 1, b'1', 0, 2, b'b', b'c', 0, 0, END];
        assert_eq!(
            decode(&zm).unwrap(),
            vec![(b"a".to_vec(), b"1".to_vec()), (b"bc".to_vec(), vec![])]
        );
        assert!(decode(&zm[..zm.len() - 1]).is_none());
        let mut wrong_count = zm;
        wrong_count[0] = 3;
        assert!(decode(&wrong_count).is_none());
        // A big length claiming more bytes than there are.
        assert!(decode(&[1, BIGLEN, 0xff, 0xff, 0xff, 0x0f, END]).is_none());
        assert_eq!(decode(&[0, END]).unwrap(), vec![]);
    }
}
