//! Redis 7.0's own command metadata (arity, flags, key positions, COMMAND INFO / DOCS reply bytes), captured from
//! redis-server 7.0 by tools/capture_command_meta.py, so our table and COMMAND replies match it exactly.
use std::collections::HashMap;
use std::sync::OnceLock;

static RAW: &[u8] = include_bytes!("redis_meta.bin");

/// What Redis says about one command or subcommand.
#[derive(Debug, Clone)]
pub struct Meta {
    pub arity: i32,
    pub flags: Vec<String>,
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

/// Pre-encoded COMMAND INFO / COMMAND DOCS entries of one top-level command.
#[derive(Debug, Default, Clone)]
pub struct Replies {
    pub info2: &'static [u8],
    pub info3: &'static [u8],
    pub docs2: &'static [u8],
    pub docs3: &'static [u8],
}

pub struct All {
    /// name (or `parent|sub`) -> metadata
    pub meta: HashMap<String, Meta>,
    pub replies: HashMap<String, Replies>,
    /// name (or `parent|sub`) -> its own ACL categories, without `@` (COMMAND LIST FILTERBY ACLCAT).
    pub categories: HashMap<String, Vec<String>>,
}

impl All {
    /// Every command and subcommand Redis 7.0 has (`parent|sub` for subcommands), sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.replies.keys().map(|s| s.as_str()).collect();
        v.sort_unstable();
        v
    }

    /// The top-level commands only: what COMMAND, COMMAND COUNT and COMMAND DOCS enumerate.
    pub fn top_level(&self) -> Vec<&str> {
        let mut v = self.names();
        v.retain(|n| !n.contains('|'));
        v
    }
}

/// The length of the RESP2 value at the start of `d` (0 if it is malformed), to walk captured replies.
fn value_len(d: &[u8]) -> usize {
    let Some(eol) = d.windows(2).position(|w| w == b"\r\n") else {
        return 0;
    };
    let head = std::str::from_utf8(&d[1..eol]).unwrap_or("");
    let n: i64 = head.parse().unwrap_or(-1);
    let mut at = eol + 2;
    match d.first() {
        Some(b'$') if n >= 0 => at + n as usize + 2,
        Some(b'*') => {
            for _ in 0..n.max(0) {
                let l = value_len(&d[at.min(d.len())..]);
                if l == 0 {
                    return 0;
                }
                at += l;
            }
            at
        }
        _ => at,
    }
}

/// The elements of the RESP2 array at the start of `d`.
fn elements(d: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let Some(eol) = d.windows(2).position(|w| w == b"\r\n") else {
        return out;
    };
    let n: usize = std::str::from_utf8(&d[1..eol])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut at = eol + 2;
    for _ in 0..n {
        let l = value_len(&d[at.min(d.len())..]);
        if l == 0 || at + l > d.len() {
            break;
        }
        out.push(&d[at..at + l]);
        at += l;
    }
    out
}

/// The text of a RESP2 bulk or simple string.
fn scalar(v: &[u8]) -> String {
    let s = String::from_utf8_lossy(v);
    let mut lines = s.split("\r\n");
    let first = lines.next().unwrap_or("");
    match first.as_bytes().first() {
        Some(b'$') => lines.next().unwrap_or("").to_string(),
        _ => first.get(1..).unwrap_or("").to_string(),
    }
}

/// Collects each command's and subcommand's own ACL categories from its COMMAND INFO entry
/// (element 7; subcommand entries are element 10, each shaped like a command's).
fn collect_categories(entry: &[u8], out: &mut HashMap<String, Vec<String>>) {
    let e = elements(entry);
    let (Some(name), Some(cats)) = (e.first(), e.get(6)) else {
        return;
    };
    let cats = elements(cats)
        .iter()
        .map(|c| scalar(c).trim_start_matches('@').to_string())
        .collect();
    out.insert(scalar(name).to_ascii_lowercase(), cats);
    if let Some(subs) = e.get(9) {
        for s in elements(subs) {
            collect_categories(s, out);
        }
    }
}

/// Strips the one-element array header Redis puts around `COMMAND INFO x` / the map header of `COMMAND DOCS x`,
/// leaving the bytes of the entry itself.
fn strip_header(data: &'static [u8]) -> &'static [u8] {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => &data[i + 1..],
        None => data,
    }
}

pub fn all() -> &'static All {
    static ALL: OnceLock<All> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut meta = HashMap::new();
        let mut replies: HashMap<String, Replies> = HashMap::new();
        let mut p = RAW;
        while !p.is_empty() {
            let mut fields = p.splitn(4, |&b| b == 0);
            let (Some(name), Some(kind), Some(len), Some(rest)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                break;
            };
            let len: usize = std::str::from_utf8(len)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let data = &rest[..len.min(rest.len())];
            p = &rest[len.min(rest.len())..];
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            let r = replies.entry(name.clone()).or_default();
            match kind {
                b"meta" => {
                    for line in String::from_utf8_lossy(data).lines() {
                        let w: Vec<&str> = line.split(' ').collect();
                        if w.len() == 6 {
                            meta.insert(
                                w[0].to_ascii_lowercase(),
                                Meta {
                                    arity: w[1].parse().unwrap_or(-1),
                                    flags: w[2]
                                        .split(',')
                                        .filter(|s| !s.is_empty())
                                        .map(String::from)
                                        .collect(),
                                    first: w[3].parse().unwrap_or(0),
                                    last: w[4].parse().unwrap_or(0),
                                    step: w[5].parse().unwrap_or(0),
                                },
                            );
                        }
                    }
                }
                b"info2" => r.info2 = strip_header(data),
                b"info3" => r.info3 = strip_header(data),
                b"docs2" => r.docs2 = strip_header(data),
                b"docs3" => r.docs3 = strip_header(data),
                _ => {}
            }
        }
        let mut categories = HashMap::new();
        for r in replies.values() {
            collect_categories(r.info2, &mut categories);
        }
        All {
            meta,
            replies,
            categories,
        }
    })
}
