//! When two replies count as the same: byte for byte, except for the replies listed in [`rule`], the one
//! place that says what Redis leaves undefined (and why).
//!
//! Two things are kept out of the comparison before it: `Gen::sanitize` rewrites arguments that would
//! depend on time or block, and `Fuzz::lex_undefined` does not send lex ranges whose result Redis leaves
//! unspecified (a skiplist with mixed scores).

use crate::common::{parse_reply, sorted, Reply};

/// How the replies to one command are compared. Errors are always compared byte for byte.
#[derive(Debug, Clone)]
pub enum Rule {
    Exact,
    /// The same elements in any order.
    Multiset,
    /// The same elements in any order, at every level of nesting.
    DeepMultiset,
    /// The same field/value (member/score) pairs in any order.
    Pairs,
    /// Only the reply type and length: the content is random.
    Shape,
    /// A SCAN-family reply: see `same_scan`.
    Scan,
    /// An integer within this tolerance (both non-negative); -1/-2 exactly.
    Ttl(i64),
    /// Exact while redis-server's encoding of the key is compact (listpack, intset: ordered); `inner` once
    /// it is a hash table, whose iteration order follows a per-process random hash seed.
    ExactUnlessHashtable(Box<Rule>, usize),
    /// Exact unless redis-server's encoding of the key is one of these; then `inner`.
    ExactUnlessEncodingIn(Box<Rule>, usize, &'static [&'static str]),
}

fn lower(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_lowercase()
}

/// The normalizations, all of them, with the reason for each.
pub fn rule(cmd: &[Vec<u8>]) -> Rule {
    let name = lower(&cmd[0]);
    let sub = cmd.get(1).map(|s| lower(s)).unwrap_or_default();
    match name.as_str() {
        // Built from dict iteration (random hash seed) or from a temporary set.
        "keys" | "sinter" | "sunion" | "sdiff" => Rule::Multiset,
        "pubsub" if sub == "channels" || sub == "shardchannels" => Rule::Multiset,
        // The command table is a dict, and so is each container's table of subcommands.
        "command" if sub == "list" => Rule::Multiset,
        "command" if sub == "info" || sub == "docs" => Rule::DeepMultiset,
        // CONFIG GET walks the config dict.
        "config" if sub == "get" => Rule::Pairs,
        // Whole-collection reads: ordered for listpack/intset, dict order for hash tables.
        "smembers" | "hkeys" | "hvals" => Rule::ExactUnlessHashtable(Box::new(Rule::Multiset), 1),
        "hgetall" => Rule::ExactUnlessHashtable(Box::new(Rule::Pairs), 1),
        // The generator always pops at least the whole set (see Gen::sanitize): known members, set order.
        "spop" => Rule::Multiset,
        // Random picks.
        "srandmember" | "zrandmember" | "hrandfield" | "randomkey" => Rule::Shape,
        // Cursors and batch sizes are the implementation's own.
        "scan" | "sscan" | "hscan" | "zscan" => Rule::Scan,
        // BY without `*` skips sorting: a set then comes out in dict order (LIMIT picks an arbitrary part).
        "sort" | "sort_ro" if sort_nosort(cmd) => {
            let limit = cmd.iter().any(|a| a.eq_ignore_ascii_case(b"LIMIT"));
            let inner = if limit { Rule::Shape } else { Rule::Multiset };
            Rule::ExactUnlessHashtable(Box::new(inner), 1)
        }
        // ALPHA by a pattern: elements whose BY values tie (all missing, say) keep the input order, and SORT
        // reads a sorted set from its dict (it converts it to a skiplist first) and a big set from its hash
        // table: dict order. LIMIT then picks an arbitrary part.
        "sort" | "sort_ro" if sort_alpha_by_pattern(cmd) => {
            let limit = cmd.iter().any(|a| a.eq_ignore_ascii_case(b"LIMIT"));
            let inner = if limit { Rule::Shape } else { Rule::Multiset };
            Rule::ExactUnlessEncodingIn(Box::new(inner), 1, &["hashtable", "skiplist", "listpack"])
        }
        // DUMP serializes a hash table in its iteration order.
        "dump" => Rule::ExactUnlessHashtable(Box::new(Rule::Shape), 1),
        // Each server computes the remaining time from its own clock, a little apart.
        "ttl" | "expiretime" => Rule::Ttl(1),
        "pttl" | "pexpiretime" => Rule::Ttl(250),
        _ => Rule::Exact,
    }
}

fn sort_alpha_by_pattern(cmd: &[Vec<u8>]) -> bool {
    cmd.iter().any(|a| a.eq_ignore_ascii_case(b"ALPHA"))
        && cmd
            .windows(2)
            .any(|w| w[0].eq_ignore_ascii_case(b"BY") && w[1].contains(&b'*'))
}

fn sort_nosort(cmd: &[Vec<u8>]) -> bool {
    cmd.windows(2)
        .any(|w| w[0].eq_ignore_ascii_case(b"BY") && !w[1].contains(&b'*'))
}

/// redis-server's OBJECT ENCODING of a key, when the caller can still ask (not after a transaction).
pub type Encoding<'a> = Option<&'a mut dyn FnMut(&[u8]) -> Option<Vec<u8>>>;

/// Whether `a` (ours) and `b` (redis) are equivalent replies to `cmd`. `queued` holds a transaction's
/// commands when `cmd` is its EXEC.
pub fn equivalent(
    cmd: &[Vec<u8>],
    queued: Option<&[Vec<Vec<u8>>]>,
    a: &[u8],
    b: &[u8],
    enc: Encoding,
) -> bool {
    if a == b {
        return true;
    }
    let (ra, rb) = (parse_reply(a), parse_reply(b));
    if let Some(q) = queued {
        return same_exec(q, &ra, &rb);
    }
    same(cmd, &ra, &rb, enc)
}

/// An EXEC's replies, each by its own command's rule.
fn same_exec(q: &[Vec<Vec<u8>>], a: &Reply, b: &Reply) -> bool {
    match (a, b) {
        (Reply::Agg(b'*', Some(x)), Reply::Agg(b'*', Some(y)))
            if x.len() == q.len() && y.len() == q.len() =>
        {
            q.iter()
                .zip(x.iter().zip(y))
                .all(|(c, (x, y))| x == y || same(c, x, y, None))
        }
        _ => false,
    }
}

fn is_error(r: &Reply) -> bool {
    matches!(r, Reply::Line(b'-', _) | Reply::Bulk(b'!', _))
}

/// The index of a command's key argument that is valid, if present.
fn arg(cmd: &[Vec<u8>], i: usize) -> Option<&[u8]> {
    cmd.get(i).map(|v| v.as_slice())
}

pub fn same(cmd: &[Vec<u8>], a: &Reply, b: &Reply, enc: Encoding) -> bool {
    if a == b {
        return true;
    }
    if is_error(a) || is_error(b) {
        return false;
    }
    same_by(&rule(cmd), cmd, a, b, enc)
}

fn same_by(rule: &Rule, cmd: &[Vec<u8>], a: &Reply, b: &Reply, enc: Encoding) -> bool {
    match rule {
        Rule::Exact => a == b,
        Rule::Multiset => sort_top(a) == sort_top(b),
        Rule::DeepMultiset => sorted(a.clone()) == sorted(b.clone()),
        Rule::Pairs => pairs(a) == pairs(b),
        Rule::Shape => shape(a) == shape(b),
        Rule::Scan => same_scan(cmd, a, b),
        Rule::Ttl(tol) => match (a, b) {
            (Reply::Line(b':', x), Reply::Line(b':', y)) => {
                let p = |v: &[u8]| std::str::from_utf8(v).ok()?.parse::<i64>().ok();
                match (p(x), p(y)) {
                    (Some(x), Some(y)) => x >= 0 && y >= 0 && (x - y).abs() <= *tol,
                    _ => false,
                }
            }
            _ => false,
        },
        Rule::ExactUnlessEncodingIn(inner, key, encodings) => {
            let Some(key) = arg(cmd, *key) else {
                return false;
            };
            match enc.and_then(|f| f(key)) {
                Some(e) if !encodings.iter().any(|x| x.as_bytes() == e.as_slice()) => false,
                _ => same_by(inner, cmd, a, b, None),
            }
        }
        Rule::ExactUnlessHashtable(inner, key) => {
            let Some(key) = arg(cmd, *key) else {
                return false;
            };
            // Inside a transaction the encoding at the time is unknown: then the lenient comparison.
            match enc.and_then(|f| f(key)) {
                Some(e) if e != b"hashtable" => false,
                _ => same_by(inner, cmd, a, b, None),
            }
        }
    }
}

/// The top-level elements sorted (nested replies keep their order).
fn sort_top(r: &Reply) -> Reply {
    match r {
        Reply::Agg(t, Some(v)) => {
            let mut v = v.clone();
            v.sort();
            Reply::Agg(*t, Some(v))
        }
        other => other.clone(),
    }
}

/// Elements two at a time, sorted (a RESP3 map is flat in `Reply` too).
fn pairs(r: &Reply) -> Option<(u8, Vec<Vec<Reply>>)> {
    match r {
        Reply::Agg(t, Some(v)) if v.len() % 2 == 0 => {
            let mut p: Vec<Vec<Reply>> = v.chunks(2).map(|c| c.to_vec()).collect();
            p.sort();
            Some((*t, p))
        }
        _ => None,
    }
}

/// A reply's type and size: errors and integers in full, strings as present/absent, aggregates by length.
pub fn shape(r: &Reply) -> String {
    match r {
        Reply::Line(t, v) if *t == b'-' || *t == b':' => {
            format!("{}{}", *t as char, String::from_utf8_lossy(v))
        }
        Reply::Line(t, _) => format!("{}", *t as char),
        Reply::Bulk(t, v) => format!("{}{}", *t as char, v.is_some()),
        Reply::Agg(t, v) => format!("{}{:?}", *t as char, v.as_ref().map(|v| v.len())),
    }
}

/// SCAN family: from cursor 0 with both servers finishing in one call (cursor 0 back), the same elements
/// in any order; otherwise only that both answered a [cursor, elements] pair (how much one call returns,
/// and what a cursor means, is the implementation's).
fn same_scan(cmd: &[Vec<u8>], a: &Reply, b: &Reply) -> bool {
    let name = lower(&cmd[0]);
    let cursor_at = if name == "scan" { 1 } else { 2 };
    let parts = |r: &Reply| match r {
        Reply::Agg(b'*', Some(v)) if v.len() == 2 => match (&v[0], &v[1]) {
            (Reply::Bulk(_, Some(c)), Reply::Agg(_, Some(_))) => Some((c.clone(), v[1].clone())),
            _ => None,
        },
        _ => None,
    };
    let (Some((ca, ea)), Some((cb, eb))) = (parts(a), parts(b)) else {
        return false;
    };
    if arg(cmd, cursor_at) != Some(b"0") || ca != b"0" || cb != b"0" {
        return true;
    }
    if name == "hscan" || name == "zscan" {
        pairs(&ea) == pairs(&eb)
    } else {
        sort_top(&ea) == sort_top(&eb)
    }
}
