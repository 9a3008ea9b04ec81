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
        All { meta, replies }
    })
}
