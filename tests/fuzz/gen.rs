//! Command generation: walks a [`Spec`]'s argument tree with value pools chosen by argument name and type,
//! mutates the result (repeated, reordered, dropped or extra arguments, token case, boundary numbers,
//! binary values, unknown tokens), then makes it safe for a differential run (`sanitize`).

use crate::common::Rng;
use crate::grammar::{Arg, Kind, Spec};

/// The shared key space: one key per type plus one that never exists, so WRONGTYPE and missing-key paths
/// come up for every command.
pub const KEYS: &[&str] = &["str", "int", "list", "hash", "set", "iset", "zset", "none"];
/// Rare extra key names: binary and empty.
const ODD_KEYS: &[&[u8]] = &[b"bin\x00\r\nk", b""];

const VALUES: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b"d",
    b"x",
    b"1",
    b"2",
    b"3",
    b"10",
    b"-1",
    b"0",
    b"1.5",
    b"-2.5",
    b"hello",
    b"f1",
    b"f2",
    b"v1",
    b"e1",
    b"e7",
    b"",
    b"\x00",
    b"a\r\nb",
    b"\xff\xfe",
    "\u{4e2d}".as_bytes(),
    // Longer than the 64-byte listpack value limit: converts hashes and sorted sets.
    b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    b"str",
    b"list",
    b"hash",
    b"set",
    b"zset",
    b"iset",
    b"*",
    b"nosort",
    b"#",
];
const INTS: &[&str] = &["0", "1", "2", "3", "-1", "-2", "5", "10", "100", "-100"];
const DOUBLES: &[&str] = &[
    "0", "1", "1.5", "-2.5", "2", "3", "10", "inf", "-inf", "+inf", "1e3", "0.1", "-0",
];
/// Score and lex range bounds (ZRANGE and friends type them as strings).
const RANGES: &[&str] = &[
    "0", "1", "-1", "2", "(1", "[a", "(b", "-", "+", "-inf", "+inf", "(1.5", "10", "[", "(", "nan",
    "c",
];
const PATTERNS: &[&str] = &[
    "*", "k*", "*s*", "?et", "[a-z]*", "h*->f1", "#", "nosort", "\\*", "*[", "[^a]*", "str", "",
    "set*", "*->f2", "i*",
];
/// Edge cases of number parsing, substituted anywhere a value goes.
pub const BOUNDARY: &[&str] = &[
    "0",
    "-1",
    "1",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "4294967296",
    "1e308",
    "1e400",
    "-1e400",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "+5",
    " 5",
    "5 ",
    "0x10",
    "5.",
    "",
    "-0",
    "00",
    "1e3",
    ".5",
    "-.5",
    "1.5",
];
/// Blocking timeouts: never 0 (forever), never long. Enforced by `sanitize`.
const TIMEOUTS: &[&str] = &[
    "0.01", "0.01", "0.02", "0.001", "-1", "-0.5", "abc", "", "1e-2",
];
/// Only cursor 0 or invalid ones: another nonzero cursor means something different to each server.
const CURSORS: &[&str] = &["0", "0", "0", "abc", "-1x", "18446744073709551616", " 0"];
const DBS: &[&str] = &["0", "0", "1", "15", "16", "-1", "abc"];
const BITFIELD_TYPES: &[&str] = &[
    "u8", "i8", "i16", "u1", "i64", "u63", "u64", "i65", "x8", "U8",
];
const CHANNELS: &[&str] = &["ch1", "ch2", "news.*", ""];
const UNKNOWN: &[&str] = &[
    "NOSUCHOPT",
    "foo",
    "-",
    "WITHSCORES",
    "LIMIT",
    "COUNT",
    "EX",
];
/// Encoding thresholds CONFIG SET may change (reset at each epoch), so conversions happen mid-sequence.
pub const TUNABLES: &[(&str, &str)] = &[
    ("hash-max-listpack-entries", "128"),
    ("hash-max-listpack-value", "64"),
    ("set-max-intset-entries", "512"),
    ("zset-max-listpack-entries", "128"),
    ("zset-max-listpack-value", "64"),
    ("list-max-listpack-size", "-2"),
    ("list-compress-depth", "0"),
];
/// The globs CONFIG GET may be given: they match only settings that are the same on both servers.
const CONFIG_GET_GLOBS: &[&[u8]] = &[b"*-max-*", b"hash-*"];
const TUNABLE_VALUES: &[&str] = &[
    "0", "1", "2", "4", "16", "128", "-1", "-2", "-5", "-6", "abc", "",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Name,
    Token,
    Key,
    Value,
    NumKeys,
}

struct Word {
    b: Vec<u8>,
    role: Role,
    /// Which top-level argument (or repetition) the word belongs to: mutations move whole units.
    unit: usize,
}

pub struct Gen {
    pub rng: Rng,
    specs: std::rc::Rc<Vec<Spec>>,
    /// Cumulative weights over `specs`.
    weights: Vec<u64>,
    /// DUMP payloads taken from redis-server, for RESTORE.
    pub payloads: Vec<Vec<u8>>,
    /// Unix time at start, for absolute expiry values.
    pub now: i64,
    /// The keys holding the type the command being generated works on (its COMMAND DOCS group).
    typed: &'static [&'static str],
}

fn s(x: impl AsRef<[u8]>) -> Vec<u8> {
    x.as_ref().to_vec()
}

impl Gen {
    pub fn new(seed: u64, specs: Vec<Spec>) -> Gen {
        // splitmix64 of the seed: xorshift must not start at zero, and nearby seeds should differ.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let rng = Rng((z ^ (z >> 31)) | 1);
        let mut acc = 0;
        let weights = specs
            .iter()
            .map(|s| {
                acc += weight(s);
                acc
            })
            .collect();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        Gen {
            rng,
            specs: std::rc::Rc::new(specs),
            weights,
            payloads: Vec::new(),
            now,
            typed: &[],
        }
    }

    pub fn specs(&self) -> &[Spec] {
        &self.specs
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.rng.below(100) < percent
    }

    /// A key: often one of the type the command works on (otherwise most commands would only ever see
    /// WRONGTYPE), else any.
    pub fn key(&mut self) -> Vec<u8> {
        if self.chance(2) {
            return self.rng.pick(ODD_KEYS).to_vec();
        }
        if !self.typed.is_empty() && self.chance(60) {
            return s(self.rng.pick(self.typed));
        }
        s(self.rng.pick(KEYS))
    }

    fn pick_s(&mut self, v: &[&str]) -> Vec<u8> {
        s(self.rng.pick(v))
    }

    /// A value for an argument, by its name first (names carry the meaning), then its type.
    fn value(&mut self, cmd: &str, arg: &Arg) -> (Vec<u8>, Role) {
        let name = arg.name.as_str();
        let v = match (name, &arg.kind) {
            ("numkeys", _) => return (s("1"), Role::NumKeys),
            ("timeout", _) => self.pick_s(TIMEOUTS),
            ("cursor", _) => self.pick_s(CURSORS),
            ("serialized-value", _) if !self.payloads.is_empty() && self.chance(80) => {
                let p = self.rng.pick(&self.payloads).clone();
                if self.chance(10) {
                    // A flipped checksum byte.
                    let mut p = p;
                    let n = p.len() - 1;
                    p[n] ^= 1;
                    p
                } else {
                    p
                }
            }
            ("encoding", _) if cmd.starts_with("bitfield") => self.pick_s(BITFIELD_TYPES),
            ("offset", _) if cmd.starts_with("bitfield") && self.chance(30) => {
                self.pick_s(&["#0", "#1", "#3", "#-1", "#x"])
            }
            ("index", _) if cmd == "select" => self.pick_s(DBS),
            ("db" | "destination-db" | "index1" | "index2", _) => self.pick_s(DBS),
            ("channel" | "shardchannel", _) => self.pick_s(CHANNELS),
            ("command-name" | "command", _) => {
                let sp = self.rng.pick(&self.specs);
                s(sp.words[0].to_ascii_lowercase())
            }
            ("category", _) => self.pick_s(&["keyspace", "string", "read", "nosuch", "dangerous"]),
            (_, Kind::Pattern) => self.pick_s(PATTERNS),
            (_, Kind::UnixTime) => {
                let far = (self.now + 200_000).to_string();
                let far_ms = ((self.now + 200_000) * 1000).to_string();
                self.pick_s(&["0", "1", "-1", "1000", &far, &far_ms])
            }
            _ if self.chance(12) => self.pick_s(BOUNDARY),
            (_, Kind::Int) => self.pick_s(INTS),
            (_, Kind::Double) => self.pick_s(DOUBLES),
            ("min" | "max" | "start" | "stop" | "end", _) => self.pick_s(RANGES),
            _ => self.rng.pick(VALUES).to_vec(),
        };
        (v, Role::Value)
    }

    fn emit(&mut self, cmd: &str, arg: &Arg, top: bool, out: &mut Vec<Word>, unit: &mut usize) {
        if arg.optional && self.chance(50) {
            return;
        }
        let reps = if arg.multiple {
            1 + self.rng.below(3) as usize
        } else {
            1
        };
        for i in 0..reps {
            if top {
                *unit += 1;
            }
            let u = *unit;
            if let Some(t) = &arg.token {
                if (i == 0 || arg.multiple_token) && !matches!(arg.kind, Kind::PureToken) {
                    out.push(Word {
                        b: s(t),
                        role: Role::Token,
                        unit: u,
                    });
                }
            }
            match &arg.kind {
                Kind::PureToken => out.push(Word {
                    b: s(arg.token.as_deref().unwrap_or(&arg.name)),
                    role: Role::Token,
                    unit: u,
                }),
                Kind::OneOf(ch) if !ch.is_empty() => {
                    let mut c = self.rng.pick(ch).clone();
                    c.optional = false;
                    self.emit(cmd, &c, false, out, unit);
                }
                Kind::Block(ch) => {
                    for c in ch {
                        self.emit(cmd, c, false, out, unit);
                    }
                }
                Kind::Key => {
                    let k = self.key();
                    out.push(Word {
                        b: k,
                        role: Role::Key,
                        unit: u,
                    })
                }
                _ => {
                    let (b, role) = self.value(cmd, arg);
                    out.push(Word { b, role, unit: u });
                }
            }
        }
    }

    /// Picks a spec by weight.
    pub fn pick_spec(&mut self) -> usize {
        let total = *self.weights.last().unwrap();
        let x = self.rng.below(total) + 1;
        self.weights.partition_point(|&w| w < x)
    }

    /// One command from spec `i`, maybe mutated, always sanitized.
    pub fn command(&mut self, i: usize) -> Vec<Vec<u8>> {
        let specs = std::rc::Rc::clone(&self.specs);
        let spec = &specs[i];
        let name = spec.full_name();
        self.typed = match spec.group.as_str() {
            "string" | "bitmap" => &["str", "int"],
            "list" => &["list"],
            "hash" => &["hash"],
            "set" => &["set", "iset"],
            "sorted-set" => &["zset"],
            _ => &[],
        };
        let mut words: Vec<Word> = spec
            .words
            .iter()
            .map(|w| Word {
                b: s(w),
                role: Role::Name,
                unit: 0,
            })
            .collect();
        let mut unit = 0;
        match name.as_str() {
            // Only encoding thresholds: other parameters would change how the two servers run.
            "config|set" => {
                for _ in 0..1 + self.rng.below(2) {
                    unit += 1;
                    let (p, _) = *self.rng.pick(TUNABLES);
                    let v = self.pick_s(TUNABLE_VALUES);
                    words.push(Word {
                        b: s(p),
                        role: Role::Value,
                        unit,
                    });
                    words.push(Word {
                        b: v,
                        role: Role::Value,
                        unit,
                    });
                }
            }
            // Parameters that are the same on both servers (not ports, paths, pids).
            "config|get" => {
                for _ in 0..1 + self.rng.below(2) {
                    unit += 1;
                    let p = if self.chance(70) {
                        s(self.rng.pick(TUNABLES).0)
                    } else {
                        self.pick_s(&[
                            "*-max-*",
                            "hash-*",
                            "nosuch",
                            "maxmemory-policy",
                            "appendonly",
                        ])
                    };
                    words.push(Word {
                        b: p,
                        role: Role::Value,
                        unit,
                    });
                }
            }
            // The keys of a generated command.
            "command|getkeys" | "command|getkeysandflags" => {
                let j = self.pick_spec();
                let inner = self.command(j);
                for a in inner {
                    unit += 1;
                    words.push(Word {
                        b: a,
                        role: Role::Value,
                        unit,
                    });
                }
            }
            _ => {
                for a in &spec.args {
                    self.emit(&name, a, true, &mut words, &mut unit);
                }
            }
        }
        fix_numkeys(&mut words, &mut self.rng);
        if self.chance(30) {
            for _ in 0..1 + self.rng.below(2) {
                self.mutate(&mut words, spec);
            }
        }
        let mut args: Vec<Vec<u8>> = words.into_iter().map(|w| w.b).collect();
        self.sanitize(&mut args);
        args
    }

    fn mutate(&mut self, w: &mut Vec<Word>, spec: &Spec) {
        let n = w.len();
        let first_arg = spec.words.len();
        let units: Vec<usize> = {
            let mut u: Vec<usize> = w.iter().filter(|x| x.unit > 0).map(|x| x.unit).collect();
            u.dedup();
            u
        };
        match self.rng.below(9) {
            // Repeat an option (a whole argument with its token).
            0 if !units.is_empty() => {
                let u = *self.rng.pick(&units);
                let pos = w.iter().rposition(|x| x.unit == u).unwrap() + 1;
                let copy: Vec<Word> = w
                    .iter()
                    .filter(|x| x.unit == u)
                    .map(|x| Word {
                        b: x.b.clone(),
                        role: x.role,
                        unit: x.unit,
                    })
                    .collect();
                for (k, c) in copy.into_iter().enumerate() {
                    w.insert(pos + k, c);
                }
            }
            // Reorder: swap two arguments.
            1 if units.len() >= 2 => {
                let a = *self.rng.pick(&units);
                let b = *self.rng.pick(&units);
                let (a, b) = (a.min(b), a.max(b));
                if a != b {
                    let mut head: Vec<Word> = Vec::new();
                    let mut ua = Vec::new();
                    let mut mid = Vec::new();
                    let mut ub = Vec::new();
                    let mut tail = Vec::new();
                    for x in w.drain(..) {
                        match x.unit {
                            u if u == a => ua.push(x),
                            u if u == b => ub.push(x),
                            u if u < a => head.push(x),
                            u if u < b => mid.push(x),
                            _ => tail.push(x),
                        }
                    }
                    w.extend(head);
                    w.extend(ub);
                    w.extend(mid);
                    w.extend(ua);
                    w.extend(tail);
                }
            }
            // Drop a word (a subcommand name too, but never the command name).
            2 if n > 1 => {
                let i = 1 + self.rng.below(n as u64 - 1) as usize;
                w.remove(i);
            }
            // An extra word somewhere after the name.
            3 => {
                let b = match self.rng.below(4) {
                    0 => self.pick_s(BOUNDARY),
                    1 => self.key(),
                    2 => self.rng.pick(VALUES).to_vec(),
                    _ => any_token(spec, &mut self.rng).unwrap_or_else(|| s("NX")),
                };
                let i =
                    first_arg.min(n) + self.rng.below((n - first_arg.min(n)) as u64 + 1) as usize;
                w.insert(
                    i,
                    Word {
                        b,
                        role: Role::Value,
                        unit: 0,
                    },
                );
            }
            // Token or command name in another case.
            4 => {
                let idx: Vec<usize> = (0..n)
                    .filter(|&i| matches!(w[i].role, Role::Token | Role::Name))
                    .collect();
                if !idx.is_empty() {
                    let i = *self.rng.pick(&idx);
                    let mixed = self.chance(50);
                    w[i].b = w[i]
                        .b
                        .iter()
                        .enumerate()
                        .map(|(k, c)| {
                            if !mixed || k % 2 == 0 {
                                c.to_ascii_lowercase()
                            } else {
                                c.to_ascii_uppercase()
                            }
                        })
                        .collect();
                }
            }
            // A boundary number in place of a value.
            5 => {
                let idx: Vec<usize> = (0..n)
                    .filter(|&i| matches!(w[i].role, Role::Value | Role::NumKeys))
                    .collect();
                if !idx.is_empty() {
                    let i = *self.rng.pick(&idx);
                    w[i].b = self.pick_s(BOUNDARY);
                }
            }
            // A binary value (NUL, CRLF, high bytes).
            6 => {
                let idx: Vec<usize> = (0..n).filter(|&i| w[i].role == Role::Value).collect();
                if !idx.is_empty() {
                    let i = *self.rng.pick(&idx);
                    w[i].b = self
                        .rng
                        .pick(&[
                            &b"\x00"[..],
                            b"a\r\nb",
                            b"\r\n",
                            b"\xff",
                            b"x\x00y",
                            b"$1\r\n",
                        ])
                        .to_vec();
                }
            }
            // An unknown token.
            7 => {
                let i =
                    first_arg.min(n) + self.rng.below((n - first_arg.min(n)) as u64 + 1) as usize;
                let b = self.pick_s(UNKNOWN);
                w.insert(
                    i,
                    Word {
                        b,
                        role: Role::Token,
                        unit: 0,
                    },
                );
            }
            // A key of another type (or a value where a key goes).
            _ => {
                let idx: Vec<usize> = (0..n).filter(|&i| w[i].role == Role::Key).collect();
                if !idx.is_empty() {
                    let i = *self.rng.pick(&idx);
                    w[i].b = if self.chance(80) {
                        self.key()
                    } else {
                        self.rng.pick(VALUES).to_vec()
                    };
                }
            }
        }
    }

    /// Rewrites arguments that would make the run hang, allocate gigabytes, or depend on timing, wherever
    /// mutations put them (so by position and token, not by the generator's labels).
    pub fn sanitize(&mut self, a: &mut Vec<Vec<u8>>) {
        let name = String::from_utf8_lossy(&a[0]).to_ascii_lowercase();
        let n = a.len();
        let safe_timeout = |rng: &mut Rng, w: &mut Vec<u8>| {
            if !TIMEOUTS.iter().any(|t| t.as_bytes() == w.as_slice()) {
                *w = s(rng.pick(TIMEOUTS));
            }
        };
        match name.as_str() {
            // The timeout is last; 0 would block forever.
            "blpop" | "brpop" | "brpoplpush" | "blmove" | "bzpopmin" | "bzpopmax" if n >= 2 => {
                safe_timeout(&mut self.rng, &mut a[n - 1])
            }
            "blmpop" | "bzmpop" if n >= 2 => safe_timeout(&mut self.rng, &mut a[1]),
            "expire" | "setex" if n >= 3 => self.rel_time(&mut a[2], 1),
            "pexpire" | "psetex" if n >= 3 => self.rel_time(&mut a[2], 1000),
            "expireat" if n >= 3 => self.abs_time(&mut a[2], 1),
            "pexpireat" if n >= 3 => self.abs_time(&mut a[2], 1000),
            "restore" if n >= 3 => {
                if a.iter().any(|x| x.eq_ignore_ascii_case(b"ABSTTL")) {
                    self.abs_time(&mut a[2], 1000)
                } else {
                    self.rel_time(&mut a[2], 1000)
                }
            }
            "set" | "getex" => {
                for i in 2..n.saturating_sub(1) {
                    let t = a[i].to_ascii_uppercase();
                    match t.as_slice() {
                        b"EX" => self.rel_time(&mut a[i + 1], 1),
                        b"PX" => self.rel_time(&mut a[i + 1], 1000),
                        b"EXAT" => self.abs_time(&mut a[i + 1], 1),
                        b"PXAT" => self.abs_time(&mut a[i + 1], 1000),
                        _ => {}
                    }
                }
            }
            // A huge negative count asks for that many random elements.
            "srandmember" | "zrandmember" | "hrandfield" if n >= 3 => {
                if let Some(v) = plain_int(&a[2]) {
                    if v < -1000 && v != i64::MIN {
                        a[2] = (v % 100).to_string().into_bytes();
                    }
                }
            }
            // SPOP pops random members; popping at least the whole set makes the result a known set.
            "spop" if n == 3 => {
                if let Some(v) = plain_int(&a[2]) {
                    if (1..100_000).contains(&v) {
                        a[2] = s("100000");
                    }
                }
            }
            // Offsets up to 2^32 bits are valid and would allocate up to 512 MB.
            "setbit" | "setrange" if n >= 3 => shrink_offset(&mut a[2], 1 << 17),
            "bitfield" | "bitfield_ro" => {
                for w in a[2.min(n)..].iter_mut() {
                    if w.first() == Some(&b'#') {
                        let mut rest = w[1..].to_vec();
                        shrink_offset(&mut rest, 1 << 11);
                        w.truncate(1);
                        w.extend(rest);
                    } else {
                        shrink_offset(w, 1 << 17);
                    }
                }
            }
            // A glob put in by a mutation would match ports, paths and pids.
            "config" if n > 2 && a[1].eq_ignore_ascii_case(b"get") => {
                for w in a[2..].iter_mut() {
                    if w.iter().any(|c| b"*?[".contains(c))
                        && !CONFIG_GET_GLOBS.contains(&w.as_slice())
                    {
                        *w = s(self.rng.pick(TUNABLES).0);
                    }
                }
            }
            // SPOP without a count pops one random member: a count that empties the set instead.
            "spop" if n == 2 => a.push(s("100000")),
            // A mutation dropped the subcommand: bare COMMAND dumps the table in dict order.
            "command" if n == 1 => a.push(s("COUNT")),
            // Without names these dump the whole table (in the dict's random order): name one.
            "command"
                if n == 2 && matches!(a[1].to_ascii_lowercase().as_slice(), b"info" | b"docs") =>
            {
                let sp = self.rng.pick(&self.specs);
                a.push(s(sp.words[0].to_ascii_lowercase()));
            }
            _ => {}
        }
    }

    /// A relative expiry (`unit` 1 = seconds, 1000 = milliseconds) that is positive and valid becomes a
    /// random value days away: the key does not expire during the run, and two expiries almost never land
    /// in the same millisecond (which would make GT/LT comparisons depend on timing). Negative ones stay:
    /// they are errors or delete at once.
    fn rel_time(&mut self, w: &mut Vec<u8>, unit: i64) {
        if let Some((pre, v, post)) = digits(w) {
            if !pre.contains(&b'-') && v > 0 && v < 10_000_000_000 * unit as u128 {
                let nv = (100_000 + self.rng.below(1_000_000_000)) as i64 * unit
                    + self.rng.below(unit as u64) as i64;
                *w = [pre, nv.to_string().into_bytes(), post].concat();
            }
        }
    }

    /// An absolute expiry near now (which would expire mid-run, or race) moves days ahead; past ones stay
    /// (they delete at once on both servers).
    fn abs_time(&mut self, w: &mut Vec<u8>, unit: i64) {
        if let Some((pre, v, post)) = digits(w) {
            if pre.contains(&b'-') {
                return;
            }
            let lo = ((self.now - 100_000) * unit) as u128;
            let hi = 100_000_000_000u128 * unit as u128;
            if v > lo && v < hi {
                let nv = (self.now + 100_000 + self.rng.below(1_000_000_000) as i64) * unit
                    + self.rng.below(unit as u64) as i64;
                *w = [pre, nv.to_string().into_bytes(), post].concat();
            }
        }
    }
}

/// The weight of a spec in the mix: data commands (those with a key) more, whole-keyspace ones rarely.
fn weight(s: &Spec) -> u64 {
    let name = s.full_name();
    if matches!(
        name.as_str(),
        "flushall" | "flushdb" | "swapdb" | "select" | "move"
    ) {
        return 1;
    }
    // Blocking commands wait out their timeout whenever their keys are empty.
    if name.starts_with('b') && s.args.iter().any(|a| a.name == "timeout") {
        return 5;
    }
    let has_key = s.args.iter().any(has_key);
    if has_key {
        15
    } else {
        4
    }
}

pub fn has_key(a: &Arg) -> bool {
    match &a.kind {
        Kind::Key => true,
        Kind::OneOf(c) | Kind::Block(c) => c.iter().any(has_key),
        _ => false,
    }
}

fn any_token(spec: &Spec, rng: &mut Rng) -> Option<Vec<u8>> {
    fn collect(a: &Arg, out: &mut Vec<String>) {
        if let Some(t) = &a.token {
            out.push(t.clone());
        }
        if let Kind::OneOf(c) | Kind::Block(c) = &a.kind {
            for x in c {
                collect(x, out);
            }
        }
    }
    let mut v = Vec::new();
    for a in &spec.args {
        collect(a, &mut v);
    }
    if v.is_empty() {
        None
    } else {
        Some(s(rng.pick(&v)))
    }
}

/// `numkeys` counts the keys that follow it (mostly; sometimes it is left wrong on purpose).
fn fix_numkeys(w: &mut [Word], rng: &mut Rng) {
    for i in 0..w.len() {
        if w[i].role != Role::NumKeys {
            continue;
        }
        let count = w[i + 1..]
            .iter()
            .take_while(|x| x.role == Role::Key)
            .count();
        w[i].b = match rng.below(10) {
            0 => s(rng.pick(&["0", "-1", "2", "abc", "2147483647"])),
            _ => count.to_string().into_bytes(),
        };
    }
}

/// `[-]digits` only (what every Redis integer parser accepts), as i64.
fn plain_int(w: &[u8]) -> Option<i64> {
    let d = w.strip_prefix(b"-").unwrap_or(w);
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(w).ok()?.parse().ok()
}

/// Splits a word into (prefix, the first run of digits as a number, rest), if it has digits.
fn digits(w: &[u8]) -> Option<(Vec<u8>, u128, Vec<u8>)> {
    let start = w.iter().position(u8::is_ascii_digit)?;
    let len = w[start..].iter().take_while(|c| c.is_ascii_digit()).count();
    if len > 30 {
        return None;
    }
    let v: u128 = std::str::from_utf8(&w[start..start + len])
        .ok()?
        .parse()
        .ok()?;
    Some((w[..start].to_vec(), v, w[start + len..].to_vec()))
}

/// A valid but huge offset becomes a small one (keeping its prefix and suffix).
fn shrink_offset(w: &mut Vec<u8>, limit: u128) {
    if let Some((pre, v, post)) = digits(w) {
        if v >= limit && v < (1u128 << 34) {
            *w = [pre, (v % 1000).to_string().into_bytes(), post].concat();
        }
    }
}
