//! LCS: the longest common subsequence of two string keys, with Redis's dynamic-programming table and its
//! backward walk, so the reported match ranges (IDX) are the very ones Redis picks among equal answers.
use bytes::Bytes;

use super::{arg_i64, eq_ic, CmdError, CmdResult, Ctx, Handler, SYNTAX};
use crate::db::Value;

pub static COMMANDS: &[(&str, Handler)] = &[("lcs", lcs)];

/// The key's string bytes ("" when absent); an error for any other type.
fn string_or_empty(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, ()> {
    match ctx.keys.read_entry(key) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::Str(_) | Value::Int(_) | Value::Raw(_) => {
                Ok(e.value.as_bytes().map(|b| b.into_owned()))
            }
            _ => Err(()),
        },
    }
}

fn lcs(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let wrong = || CmdError::new("ERR The specified keys must contain string values");
    // Redis looks both keys up before checking either's type.
    let a = string_or_empty(ctx, &args[1]);
    let b = string_or_empty(ctx, &args[2]);
    let (Ok(a), Ok(b)) = (a, b) else {
        return Err(wrong());
    };
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let more = args.len() - 1 - j;
        if eq_ic(opt, "idx") {
            getidx = true;
        } else if eq_ic(opt, "len") {
            getlen = true;
        } else if eq_ic(opt, "withmatchlen") {
            withmatchlen = true;
        } else if eq_ic(opt, "minmatchlen") && more > 0 {
            minmatchlen = arg_i64(&args[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    if getidx && getlen {
        return Err(CmdError::new(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(CmdError::new("ERR String too long for LCS"));
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells.saturating_mul(4) > ctx.keys.engine().config.proto_max_bulk_len as u64 {
        return Err(CmdError::new(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let w = blen + 1;
    let mut t = vec![0u32; cells as usize];
    for i in 1..=alen {
        for jj in 1..=blen {
            t[i * w + jj] = if a[i - 1] == b[jj - 1] {
                t[(i - 1) * w + jj - 1] + 1
            } else {
                t[(i - 1) * w + jj].max(t[i * w + jj - 1])
            };
        }
    }
    let total = t[alen * w + blen];
    let mut idx = total as usize;
    let computelcs = getidx || !getlen;
    let mut result = vec![0u8; if computelcs { idx } else { 0 }];
    // Ranges as (a_start, a_end, b_start, b_end, len), in the order Redis emits them (from the end).
    let mut ranges: Vec<[u32; 5]> = Vec::new();
    let unset = alen as u32;
    let (mut ars, mut are, mut brs, mut bre) = (unset, 0u32, 0u32, 0u32);
    let (mut i, mut jj) = (alen, blen);
    while computelcs && i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            if ars == unset {
                ars = (i - 1) as u32;
                are = (i - 1) as u32;
                brs = (jj - 1) as u32;
                bre = (jj - 1) as u32;
            } else if ars == i as u32 && brs == jj as u32 {
                ars -= 1;
                brs -= 1;
            } else {
                emit = true;
            }
            if ars == 0 || brs == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            let l1 = t[(i - 1) * w + jj];
            let l2 = t[i * w + jj - 1];
            if l1 > l2 {
                i -= 1;
            } else {
                jj -= 1;
            }
            if ars != unset {
                emit = true;
            }
        }
        let match_len = are.wrapping_sub(ars).wrapping_add(1);
        if emit {
            if minmatchlen == 0 || match_len as i64 >= minmatchlen {
                ranges.push([ars, are, brs, bre, match_len]);
            }
            ars = unset;
        }
    }
    if getidx {
        ctx.out.map(2);
        ctx.out.bulk(b"matches");
        ctx.out.array(ranges.len());
        for r in &ranges {
            ctx.out.array(2 + withmatchlen as usize);
            ctx.out.array(2);
            ctx.out.int(r[0] as i64);
            ctx.out.int(r[1] as i64);
            ctx.out.array(2);
            ctx.out.int(r[2] as i64);
            ctx.out.int(r[3] as i64);
            if withmatchlen {
                ctx.out.int(r[4] as i64);
            }
        }
        ctx.out.bulk(b"len");
        ctx.out.int(total as i64);
    } else if getlen {
        ctx.out.int(total as i64);
    } else {
        ctx.out.bulk(&result);
    }
    Ok(())
}
