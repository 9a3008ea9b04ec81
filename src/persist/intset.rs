//! Intset (intset.c): a sorted array of integers of one width (2, 4 or 8 bytes), little endian, behind a
//! header of encoding u32 and length u32 — the compact set encoding saved as RDB_TYPE_SET_INTSET.

/// Encodes sorted, distinct integers with the smallest width that holds them all (as a set built by SADD
/// that never held a wider integer).
pub fn encode(sorted: &[i64]) -> Vec<u8> {
    let width: usize = if sorted.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if sorted.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * sorted.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for &v in sorted {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// Decodes an intset blob; `None` if its size, width or ordering is wrong.
pub fn decode(b: &[u8]) -> Option<Vec<i64>> {
    if b.len() < 8 {
        return None;
    }
    let width = u32::from_le_bytes(b[0..4].try_into().ok()?) as usize;
    let len = u32::from_le_bytes(b[4..8].try_into().ok()?) as usize;
    if !matches!(width, 2 | 4 | 8) || len.checked_mul(width)?.checked_add(8)? != b.len() {
        return None;
    }
    let vals: Vec<i64> = b[8..]
        .chunks_exact(width)
        .map(|c| match width {
            2 => i16::from_le_bytes([c[0], c[1]]) as i64,
            4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        })
        .collect();
    if vals.windows(2).any(|w| w[0] >= w[1]) {
        return None;
    }
    Some(vals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_round_trip() {
        assert_eq!(encode(&[1, 2]), vec![2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0]);
        for v in [vec![-5, 70000], vec![1, i64::MAX], vec![]] {
            assert_eq!(decode(&encode(&v)).unwrap(), v);
        }
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0]).is_none());
        assert!(decode(&[3, 0, 0, 0, 0, 0, 0, 0]).is_none());
    }
}
