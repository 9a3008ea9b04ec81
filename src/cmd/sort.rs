//! SORT and SORT_RO: sorting a list, set or sorted set by its elements or by external keys (BY, GET patterns),
//! with LIMIT, ASC/DESC, ALPHA and STORE, in the order of checks of Redis's sort.c.
use std::cmp::Ordering;

use bytes::Bytes;

use super::{
    arg_i64, c_string, eq_ic, notify, CmdError, CmdResult, Ctx, Event, Handler, SYNTAX, WRONGTYPE,
};
use crate::db::list::List;
use crate::db::Value;

pub static COMMANDS: &[(&str, Handler)] = &[("sort", sort), ("sort_ro", sort_ro)];

fn sort(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    sort_generic(ctx, args, true)
}

/// One element being sorted, with what it sorts by.
struct Item {
    obj: Vec<u8>,
    score: f64,
    /// The BY value for ALPHA sorting by pattern; None when its key or field is missing.
    cmp: Option<Vec<u8>>,
}

/// Redis's lookupKeyByPattern: `#` is the element itself; the first `*` is replaced by the element; a `->field`
/// suffix reads that field of a hash, otherwise the key must hold a string. None for a missing key or field,
/// another type, or a pattern without `*`.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    lookup_by_pattern_enc(ctx, pattern, subst).map(|(v, _)| v)
}

/// A canonical 64-bit integer (string2ll accepts only those): what a listpack stores as an integer.
fn canonical_int(v: &[u8]) -> bool {
    crate::util::num::parse_i64(v).is_some()
}

/// The value and whether Redis would hand SORT an integer-encoded object for it (an int-encoded string, an
/// integer in a listpack hash): those are converted without strtod, so errno is not looked at.
fn lookup_by_pattern_enc(ctx: &mut Ctx, pattern: &[u8], subst: &[u8]) -> Option<(Vec<u8>, bool)> {
    let c = c_string(pattern);
    if c == b"#" {
        return Some((subst.to_vec(), false));
    }
    let star = c.iter().position(|&b| b == b'*')?;
    // The field part: "->" found after the star, with at least one byte (not NUL) after it.
    let field_at = c[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&f| f + 2 < c.len());
    let (postfix_end, field) = match field_at {
        Some(f) => (f, Some(&pattern[f + 2..])),
        None => (pattern.len(), None),
    };
    let mut key = Vec::with_capacity(pattern.len() + subst.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pattern[star + 1..postfix_end]);
    let e = ctx.keys.read_entry(&key)?;
    match (field, &e.value) {
        (Some(f), Value::Hash(h)) => {
            let packed = h.encoding() == "listpack";
            h.get(f).map(|v| (v.to_vec(), packed && canonical_int(v)))
        }
        (None, v) if v.is_string() => v
            .as_bytes()
            .map(|b| (b.into_owned(), matches!(v, Value::Int(_)))),
        _ => None,
    }
}

/// The score of a BY value as sort.c reads it: C strtod up to the first NUL (leading spaces skipped, an empty
/// string is 0); None when bytes are left over, on NaN, or when errno is ERANGE afterwards, which sort.c
/// never clears first: an overflow in an earlier command fails this one too (crate::util::cerrno).
fn sort_score(v: &[u8], int_encoded: bool) -> Option<f64> {
    if int_encoded {
        return crate::util::num::parse_i64(v).map(|n| n as f64);
    }
    let (score, whole, erange) = crate::util::cerrno::strtod(v);
    crate::util::cerrno::raise_range(erange);
    if !whole || crate::util::cerrno::is_range() || score.is_nan() {
        return None;
    }
    Some(score)
}

/// strcmp: what strcoll does in the C locale, stopping at a NUL.
fn collate(a: &[u8], b: &[u8]) -> Ordering {
    c_string(a).cmp(c_string(b))
}

fn sort_generic(ctx: &mut Ctx, args: &[Bytes], readonly: bool) -> CmdResult {
    let mut desc = false;
    let mut alpha = false;
    let (mut limit_start, mut limit_count) = (0i64, -1i64);
    let mut dontsort = false;
    let mut sortby: Option<&[u8]> = None;
    let mut store: Option<&[u8]> = None;
    let mut gets: Vec<&[u8]> = Vec::new();
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j];
        if eq_ic(a, "asc") {
            desc = false;
        } else if eq_ic(a, "desc") {
            desc = true;
        } else if eq_ic(a, "alpha") {
            alpha = true;
        } else if eq_ic(a, "limit") && left >= 2 {
            limit_start = arg_i64(&args[j + 1])?;
            limit_count = arg_i64(&args[j + 2])?;
            j += 2;
        } else if !readonly && eq_ic(a, "store") && left >= 1 {
            store = Some(&args[j + 1]);
            j += 1;
        } else if eq_ic(a, "by") && left >= 1 {
            sortby = Some(&args[j + 1]);
            // A constant BY pattern means "don't sort": no weights to look up.
            if !c_string(&args[j + 1]).contains(&b'*') {
                dontsort = true;
            }
            j += 1;
        } else if eq_ic(a, "get") && left >= 1 {
            gets.push(&args[j + 1]);
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }

    // SORT's one lookup: the value is held until its elements are copied out below.
    let mut value = ctx.keys.read_entry(&args[1]).map(|e| &mut e.value);
    let kind = match value.as_deref() {
        None | Some(Value::List(_)) => 'l',
        Some(Value::Set(_)) => 's',
        Some(Value::ZSet(_)) => 'z',
        Some(_) => return Err(WRONGTYPE),
    };
    // An unsorted set would come out in hash order: with STORE the result must be the same everywhere (the
    // AOF, replicas), so it is sorted as strings.
    if dontsort && kind == 's' && store.is_some() {
        dontsort = false;
        alpha = true;
        sortby = None;
    }
    let len = match value.as_deref_mut() {
        Some(Value::List(l)) => l.len(),
        Some(Value::Set(s)) => s.len(),
        Some(Value::ZSet(z)) => {
            // Redis converts the sorted set to a skiplist for SORT, and it stays one.
            z.convert_to_big();
            z.len()
        }
        _ => 0,
    } as i64;

    // LIMIT clamped to the object's size, as sort.c does, so no client number sizes the work.
    let mut start = limit_start.clamp(0, len);
    let count = limit_count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    let ranged = (kind == 'l' || kind == 'z') && dontsort;
    let mut items: Vec<Item> = Vec::new();
    let item = |obj: Vec<u8>| Item {
        obj,
        score: 0.0,
        cmp: None,
    };
    match value.as_deref() {
        Some(Value::List(l)) if ranged && end >= start => {
            let (s, e) = (start as usize, end as usize);
            let n = e - s + 1;
            if desc {
                let from = l.len() - s;
                items.extend(l.iter().take(from).rev().take(n).map(|b| item(b.to_vec())));
            } else {
                items.extend(l.range(s, e).map(|b| item(b.to_vec())));
            }
            end -= start;
            start = 0;
        }
        // An empty range of an unsorted list: nothing to load.
        Some(Value::List(_)) if ranged => {}
        Some(Value::List(l)) => items.extend(l.iter().map(|b| item(b.to_vec()))),
        Some(Value::Set(s)) => items.extend(s.iter().map(|e| item(e.to_vec()))),
        Some(Value::ZSet(z)) if ranged => {
            if end >= start {
                let n = (end - start + 1) as usize;
                let (s, zl) = (start as usize, z.len());
                // Ranks counted from the tail when descending.
                let (from, to) = if desc {
                    (zl - s - n, zl - s)
                } else {
                    (s, s + n)
                };
                z.for_range(from, to, desc, |m, _| items.push(item(m.to_vec())));
            }
            end -= start;
            start = 0;
        }
        Some(Value::ZSet(z)) => z.for_each(|m, _| items.push(item(m.to_vec()))),
        _ => {}
    }

    let mut conversion_error = false;
    if !dontsort {
        for it in items.iter_mut() {
            // A list's integer elements come out of its listpack as integer objects; set and sorted set
            // members are always strings.
            let (by, int_encoded) = match sortby {
                Some(p) => match lookup_by_pattern_enc(ctx, p, &it.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => (it.obj.clone(), kind == 'l' && canonical_int(&it.obj)),
            };
            if alpha {
                if sortby.is_some() {
                    it.cmp = Some(by);
                }
            } else {
                match sort_score(&by, int_encoded) {
                    Some(s) => it.score = s,
                    None => conversion_error = true,
                }
            }
        }
        let by_pattern = sortby.is_some();
        let storing = store.is_some();
        let compare = |a: &Item, b: &Item| {
            let c = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.obj.cmp(&b.obj))
            } else if by_pattern {
                match (&a.cmp, &b.cmp) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) if storing => x.cmp(y),
                    (Some(x), Some(y)) => collate(x, y),
                }
            } else if storing {
                a.obj.cmp(&b.obj)
            } else {
                collate(&a.obj, &b.obj)
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        };
        // Equal BY values keep an order that depends on the algorithm, so both are Redis's: its partial
        // quicksort for BY with LIMIT, else glibc's qsort, a stable merge sort.
        if sortby.is_some() && (start != 0 || end != len - 1) && !items.is_empty() {
            pqsort(
                &mut items,
                &compare,
                start.max(0) as usize,
                end.max(0) as usize,
            );
        } else {
            items.sort_by(compare);
        }
    }

    if conversion_error {
        return Err(CmdError::new(
            "ERR One or more scores can't be converted into double",
        ));
    }
    let rows = (end - start + 1).max(0) as usize;
    let outputlen = if gets.is_empty() {
        rows
    } else {
        gets.len() * rows
    };
    let selected = if rows > 0 {
        &items[start as usize..=end as usize]
    } else {
        &items[..0]
    };
    match store {
        None => {
            ctx.out.array(outputlen);
            for it in selected {
                if gets.is_empty() {
                    ctx.out.bulk(&it.obj);
                }
                for g in &gets {
                    match lookup_by_pattern(ctx, g, &it.obj) {
                        Some(v) => ctx.out.bulk(&v),
                        None => ctx.out.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut out: Vec<Vec<u8>> = Vec::with_capacity(outputlen);
            for it in selected {
                if gets.is_empty() {
                    out.push(it.obj.clone());
                }
                for g in &gets {
                    out.push(lookup_by_pattern(ctx, g, &it.obj).unwrap_or_default());
                }
            }
            if outputlen > 0 {
                let list = Value::List(Box::new(List::from_vec(out)));
                ctx.keys.set(dst, list, Event(notify::LIST, "sortstore"));
                // Redis counts every stored element as a change.
                ctx.keys.add_dirty(outputlen as i64 - 1);
            } else {
                ctx.keys.delete(dst, Event::DEL);
            }
            ctx.out.int(outputlen as i64);
        }
    }
    Ok(())
}

/// Redis's pqsort.c (NetBSD's qsort, cut short outside the elements `lrange..=rrange` that LIMIT keeps),
/// step for step, so elements that compare equal end up where Redis puts them.
fn pqsort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, lrange: usize, rrange: usize) {
    let n = v.len();
    pq(v, 0, n, cmp, lrange, rrange);
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    let lt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Less;
    let gt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Greater;
    if lt(a, b) {
        if lt(b, c) {
            b
        } else if lt(a, c) {
            c
        } else {
            a
        }
    } else if gt(b, c) {
        b
    } else if lt(a, c) {
        a
    } else {
        c
    }
}

fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for k in 0..n {
        v.swap(a + k, b + k);
    }
}

/// The part `base..base + n` that may hold kept elements is sorted; the rest is left partitioned.
fn pq<T>(
    v: &mut [T],
    mut base: usize,
    mut n: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
    l: usize,
    r: usize,
) {
    let outside = |s: usize, e: usize| (l < s && r < s) || (l > e && r > e);
    loop {
        if n < 7 {
            for pm in base + 1..base + n {
                let mut pl = pm;
                while pl > base && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = base + n / 2;
        if n > 7 {
            let mut pl = base;
            let mut pn = base + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(base, pm);
        let (mut pa, mut pb) = (base + 1, base + 1);
        let (mut pc, mut pd) = (base + n - 1, base + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[base]);
                if c == Ordering::Greater {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[base]);
                if c == Ordering::Less {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = base + n;
        let k = (pa - base).min(pb - pa);
        vecswap(v, base, pb - k, k);
        let k = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - k, k);
        let k = pb - pa;
        if k > 1 && !outside(base, base + k - 1) {
            pq(v, base, k, cmp, l, r);
        }
        let k = pd - pc;
        if k > 1 {
            base = pn - k;
            n = k;
            if !outside(base, base + k - 1) {
                continue;
            }
        }
        return;
    }
}
