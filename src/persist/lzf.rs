//! LZF compression as Redis 7.0 ships it (liblzf 3.6, lzf_c.c / lzf_d.c with HLOG 16, VERY_FAST), ported
//! step by step so compressed RDB strings and DUMP payloads are byte-identical to redis-server's.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

#[inline]
fn frst(p: &[u8], i: usize) -> u32 {
    ((p[i] as u32) << 8) | p[i + 1] as u32
}

#[inline]
fn next(v: u32, p: &[u8], i: usize) -> u32 {
    (v << 8) | p[i + 2] as u32
}

#[inline]
fn idx(h: u32) -> usize {
    // VERY_FAST hash: ((h >> (3*8 - HLOG)) - h*5) & (HSIZE - 1), in unsigned 32-bit arithmetic.
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

thread_local! {
    /// The hash table (input positions + 1, 0 = empty) and the slots a run wrote: kept per thread and cleared
    /// slot by slot afterwards, so compressing a short string does not clear 256 KB each time.
    static HTAB: std::cell::RefCell<(Vec<u32>, Vec<u32>)> =
        std::cell::RefCell::new((vec![0; HSIZE], Vec::new()));
}

/// Compresses `input` into at most `out_len` bytes; `None` when it does not fit (lzf_compress returning 0).
///
/// One deliberate difference: liblzf as Redis builds it does not clear its hash table (INIT_HTAB 0), so a
/// stale slot can, very rarely, offer a match a clean table would not; we start from a clean table.
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if input.is_empty() || out_len == 0 || input.len() >= u32::MAX as usize {
        return None;
    }
    HTAB.with(|cell| {
        let mut guard = cell.borrow_mut();
        let (htab, touched) = &mut *guard;
        let r = compress_with(input, out_len, htab, touched);
        for &slot in touched.iter() {
            htab[slot as usize] = 0;
        }
        touched.clear();
        r
    })
}

fn compress_with(
    input: &[u8],
    out_len: usize,
    htab: &mut [u32],
    touched: &mut Vec<u32>,
) -> Option<Vec<u8>> {
    let in_len = input.len();
    // Records position `pos` in `slot`, remembering the slot for the cleanup.
    fn set(htab: &mut [u32], touched: &mut Vec<u32>, slot: usize, pos: usize) {
        htab[slot] = pos as u32 + 1;
        touched.push(slot as u32);
    }
    // One spare byte, like Redis's `zmalloc(outlen+1)`, for the run header written ahead.
    let mut out = vec![0u8; out_len + 2];
    let out_end = out_len;
    let mut ip = 0usize;
    let mut op = 0usize;
    let mut lit: usize = 0;
    op += 1; // start run
    let mut hval = if in_len >= 2 { frst(input, 0) } else { 0 };
    while in_len >= 3 && ip < in_len - 2 {
        hval = next(hval, input, ip);
        let slot = idx(hval);
        let r = htab[slot] as usize;
        set(htab, touched, slot, ip);
        let matched = r != 0 && {
            let rf = r - 1;
            rf < ip
                && ip - rf - 1 < MAX_OFF
                && rf > 0
                && input[rf] == input[ip]
                && input[rf + 1] == input[ip + 1]
                && input[rf + 2] == input[ip + 2]
        };
        if matched {
            let rf = r - 1;
            let off = ip - rf - 1;
            let mut len: usize = 2;
            let maxlen = (in_len - ip - len).min(MAX_REF);
            // stop run
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            op -= (lit == 0) as usize; // undo run if length is zero
            if op + 3 + 1 >= out_end {
                return None;
            }
            // The C code unrolls 16 comparisons when maxlen > 16 without checking maxlen, which can
            // make a match near the end of the input one byte longer than the plain loop would: kept.
            'scan: {
                if maxlen > 16 {
                    for _ in 0..16 {
                        len += 1;
                        if input[rf + len] != input[ip + len] {
                            break 'scan;
                        }
                    }
                }
                loop {
                    len += 1;
                    if !(len < maxlen && input[rf + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2; // #octets - 1
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start run
            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            // VERY_FAST: rehash the last two positions of the match.
            ip -= 2;
            hval = frst(input, ip);
            hval = next(hval, input, ip);
            set(htab, touched, idx(hval), ip);
            ip += 1;
            hval = next(hval, input, ip);
            set(htab, touched, idx(hval), ip);
            ip += 1;
        } else {
            if op >= out_end {
                return None;
            }
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_end {
        return None;
    }
    while ip < in_len {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= (lit == 0) as usize;
    out.truncate(op);
    Some(out)
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes; `None` on any corruption.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    // A back reference of 3 input bytes yields at most 264 output bytes: refuse absurd claimed sizes
    // before allocating.
    if out_len > input.len().saturating_mul(MAX_REF) + MAX_LIT {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < (1 << 5) {
            let n = ctrl + 1;
            if out.len() + n > out_len || ip + n > input.len() {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + n]);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            let back = ((ctrl & 0x1f) << 8) + 1;
            if ip >= input.len() {
                return None;
            }
            if len == 7 {
                len += input[ip] as usize;
                ip += 1;
                if ip >= input.len() {
                    return None;
                }
            }
            let back = back + input[ip] as usize;
            ip += 1;
            if out.len() + len + 2 > out_len || back > out.len() {
                return None;
            }
            let start = out.len() - back;
            for k in 0..len + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let samples: Vec<Vec<u8>> = vec![
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"hello world hello world hello world hello world".to_vec(),
            (0..5000u32).map(|i| (i % 251) as u8).collect(),
            (0..3000u32).map(|i| (i * 7 % 13) as u8).collect(),
        ];
        for s in samples {
            let c = compress(&s, s.len() - 4).expect("compressible");
            assert_eq!(decompress(&c, s.len()).unwrap(), s);
        }
        assert!(compress(b"abcdefghijklmnopqrstuvwxyz", 22).is_none());
    }

    #[test]
    fn rejects_garbage() {
        assert!(decompress(&[0xff, 0xff], 10).is_none());
        assert!(decompress(&[5, 1, 2], 6).is_none());
        assert!(decompress(&[0, b'a'], 2).is_none());
        assert!(decompress(&[0, b'a', 0x20, 0x00], 4).is_some());
    }
}
