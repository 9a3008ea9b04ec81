//! Configuration: redis-server style flags and redis.conf directives, and the parameter table behind CONFIG GET/SET.
use crate::config::bounds::NumKind;
use std::collections::BTreeMap;

pub mod bounds;
mod table;

/// How a parameter's value is checked and normalised.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Bool,
    Int,
    Memory,
    Str,
    Enum(&'static [&'static str]),
}

/// Parameters that are two names for one value (the older name first).
const ALIASES: &[(&str, &str)] = &[
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
    ("list-max-ziplist-size", "list-max-listpack-size"),
    ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
    ("zset-max-ziplist-value", "zset-max-listpack-value"),
    ("slave-announce-ip", "replica-announce-ip"),
    ("slave-announce-port", "replica-announce-port"),
    ("slave-ignore-maxmemory", "replica-ignore-maxmemory"),
    ("slave-lazy-flush", "replica-lazy-flush"),
    ("slave-priority", "replica-priority"),
    ("slave-read-only", "replica-read-only"),
    ("slave-serve-stale-data", "replica-serve-stale-data"),
    ("slaveof", "replicaof"),
    ("min-slaves-max-lag", "min-replicas-max-lag"),
    ("min-slaves-to-write", "min-replicas-to-write"),
    ("repl-ping-slave-period", "repl-ping-replica-period"),
    ("cluster-slave-no-failover", "cluster-replica-no-failover"),
    (
        "cluster-slave-validity-factor",
        "cluster-replica-validity-factor",
    ),
];

fn canonical(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(old, _)| *old == name)
        .map(|(_, new)| *new)
        .unwrap_or(name)
}

fn lookup(name: &str) -> Option<&'static (&'static str, &'static str, Kind, bool)> {
    table::PARAMS
        .iter()
        .chain(table::HIDDEN)
        .find(|p| p.0 == name)
}

/// Redis's `memtoull`: a byte count with an optional b/k/kb/m/mb/g/gb unit.
pub fn parse_memory(s: &str) -> Option<u64> {
    let l = s.to_ascii_lowercase();
    let units: [(&str, u64); 7] = [
        ("gb", 1 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 1_000_000_000),
        ("m", 1_000_000),
        ("k", 1000),
        ("b", 1),
    ];
    let (num, mul) = units
        .iter()
        .find(|(u, _)| l.ends_with(u))
        .map(|(u, m)| (&l[..l.len() - u.len()], *m))
        .unwrap_or((&l[..], 1));
    // memtoull: a unit with no digits reads as 0; the product is not checked for overflow.
    if !num.bytes().all(|b| b.is_ascii_digit()) || num.len() >= 128 {
        return None;
    }
    if num.is_empty() {
        return Some(0);
    }
    Some(num.parse::<u64>().ok()?.wrapping_mul(mul))
}

/// A numeric parameter's value checked as numericParseString and numericBoundaryCheck do (config.c).
fn check_numeric(
    value: &str,
    lo: i128,
    hi: i128,
    unsigned: bool,
    kind: NumKind,
) -> Result<String, SetError> {
    let n: i128 = match kind {
        NumKind::Memory | NumKind::Percent => match parse_memory(value) {
            Some(n) => n as i128,
            None => return Err(SetError::Invalid("argument must be a memory value".into())),
        },
        NumKind::Octal => match i64::from_str_radix(value, 8) {
            Ok(n) => n as i128,
            Err(_) => {
                return Err(SetError::Invalid(
                    "argument couldn't be parsed into an integer".into(),
                ))
            }
        },
        NumKind::Integer => match crate::util::num::parse_i64(value.as_bytes()) {
            Some(n) => n as i128,
            None => {
                return Err(SetError::Invalid(
                    "argument couldn't be parsed into an integer".into(),
                ))
            }
        },
    };
    // Unsigned parameters read the number as C casts it: a negative one is huge.
    let checked = if unsigned && n < 0 {
        n + (1i128 << 64)
    } else {
        n
    };
    if checked < lo || checked > hi {
        return Err(SetError::Invalid(format!(
            "argument must be between {lo} and {hi} inclusive"
        )));
    }
    Ok(n.to_string())
}

/// The server's configuration. Every Redis 7.0 parameter is kept as text (as CONFIG GET shows it); the ones the
/// server acts on are also kept typed, refreshed on every change.
#[derive(Debug, Clone)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
    pub port: u16,
    pub bind: Vec<String>,
    pub requirepass: Option<String>,
    pub databases: usize,
    pub hz: u32,
    pub proto_max_bulk_len: i64,
    pub maxclients: usize,
    pub loglevel: String,
    pub notify_keyspace_events: String,
    pub active_expire_effort: u32,
    /// pubsub class of client-output-buffer-limit: hard bytes, soft bytes, soft seconds.
    pub pubsub_limit: (u64, u64, u64),
    /// latency-tracking and latency-tracking-info-percentiles (INFO latencystats).
    pub latency_tracking: bool,
    /// `slowlog-log-slower-than` (µs, below 0 off) and `slowlog-max-len`, read on every command.
    pub slowlog_slower_than: i64,
    pub slowlog_max_len: usize,
    /// `latency-monitor-threshold` (ms, 0 off).
    pub latency_monitor_threshold: i64,
    pub latency_percentiles: Vec<f64>,
    pub io_threads: usize,
    /// Encoding thresholds, read on every write to a hash, set or sorted set.
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// The config file this server was started with (CONFIG REWRITE target, INFO config_file).
    pub config_file: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        let mut values = BTreeMap::new();
        for (name, default, _, _) in table::PARAMS.iter().chain(table::HIDDEN) {
            values.insert(*name, (*default).to_string());
        }
        let dir = std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        values.insert("dir", dir);
        let mut c = Config {
            values,
            port: 6379,
            bind: vec![],
            requirepass: None,
            databases: 16,
            hz: 10,
            proto_max_bulk_len: 512 << 20,
            maxclients: 10000,
            loglevel: "notice".into(),
            notify_keyspace_events: String::new(),
            active_expire_effort: 1,
            pubsub_limit: (32 << 20, 8 << 20, 60),
            latency_tracking: true,
            slowlog_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            latency_percentiles: vec![50.0, 99.0, 99.9],
            io_threads: 0,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            config_file: None,
        };
        c.refresh();
        c
    }
}

/// Why a directive was refused; `Display` gives the text after Redis's `CONFIG SET failed ... - ` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError {
    Unknown,
    Immutable,
    Invalid(String),
}

impl Config {
    /// Parses redis-server's command line: an optional config file, then `--name value...` directives.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut cfg = Config::default();
        let mut rest = args;
        if let Some(first) = args.first() {
            if !first.starts_with("--") {
                let text = if first == "-" {
                    let mut s = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                        .map_err(|e| e.to_string())?;
                    s
                } else {
                    std::fs::read_to_string(first).map_err(|e| {
                        format!("Fatal error, can't open config file '{first}': {e}")
                    })?
                };
                cfg.load_text(&text)?;
                cfg.config_file = Some(first.clone());
                rest = &args[1..];
            }
        }
        // Each --name starts a directive; the words up to the next --name are its arguments.
        let mut directives: Vec<(String, Vec<String>)> = Vec::new();
        for a in rest {
            if let Some(name) = a.strip_prefix("--") {
                directives.push((name.to_ascii_lowercase(), vec![]));
            } else if let Some(last) = directives.last_mut() {
                last.1.push(a.clone());
            } else {
                return Err(format!("Invalid argument '{a}'"));
            }
        }
        let mut saves = None;
        for (name, vals) in directives {
            cfg.apply_directive(&name, &vals, &mut saves)?;
        }
        if let Some(s) = saves {
            cfg.values.insert("save", s);
        }
        cfg.refresh();
        Ok(cfg)
    }

    /// Applies the lines of a redis.conf file.
    pub fn load_text(&mut self, text: &str) -> Result<(), String> {
        let mut saves = None;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = crate::util::num::split_args(line.as_bytes()).ok_or_else(|| {
                format!("line {}: Unbalanced quotes in configuration line", i + 1)
            })?;
            let words: Vec<String> = words
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect();
            let Some((name, vals)) = words.split_first() else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            if name == "include" {
                for f in vals {
                    let t = std::fs::read_to_string(f).map_err(|e| format!("include {f}: {e}"))?;
                    self.load_text(&t)?;
                }
                continue;
            }
            self.apply_directive(&name, vals, &mut saves)
                .map_err(|e| format!("line {}: {e}", i + 1))?;
        }
        if let Some(s) = saves {
            self.values.insert("save", s);
        }
        self.refresh();
        Ok(())
    }

    fn apply_directive(
        &mut self,
        name: &str,
        vals: &[String],
        saves: &mut Option<String>,
    ) -> Result<(), String> {
        match name {
            // Repeated `save` lines accumulate; `save ""` clears them.
            "save" => {
                let joined = vals.join(" ");
                let cur = saves.get_or_insert_with(String::new);
                if joined.trim().is_empty() {
                    cur.clear();
                } else {
                    if !cur.is_empty() {
                        cur.push(' ');
                    }
                    cur.push_str(&joined);
                }
                Ok(())
            }
            // Accepted for compatibility; renaming and modules are not supported.
            "rename-command" | "loadmodule" | "user" | "sentinel" => Ok(()),
            _ => match self.set_internal(name, &vals.join(" "), true) {
                Ok(()) => Ok(()),
                Err(SetError::Unknown) => Err(format!(
                    "Bad directive or wrong number of arguments: '{name}'"
                )),
                Err(SetError::Invalid(m)) => Err(format!("'{name}' {m}")),
                Err(SetError::Immutable) => Ok(()),
            },
        }
    }

    /// The value CONFIG GET shows.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(canonical(name)).map(|s| s.as_str())
    }

    /// All (name, value) pairs whose name matches the glob, aliases included, as CONFIG GET lists them.
    pub fn matching(&self, pattern: &[u8]) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (name, _, _, _) in table::PARAMS {
            if crate::util::glob::glob_match(pattern, name.as_bytes(), true) {
                out.push((*name, self.get(name).unwrap_or("").to_string()));
            }
        }
        // Hidden parameters answer only to their exact name.
        for (name, _, _, _) in table::HIDDEN {
            if pattern.eq_ignore_ascii_case(name.as_bytes()) {
                out.push((*name, self.get(name).unwrap_or("").to_string()));
            }
        }
        out
    }

    /// The configuration as redis.conf text (CONFIG REWRITE): every parameter that differs from its default.
    pub fn render(&self) -> String {
        let mut out = String::from("# Generated by CONFIG REWRITE\n");
        for (name, default, _, _) in table::PARAMS {
            if ALIASES.iter().any(|(old, _)| old == name) {
                continue;
            }
            let v = self.get(name).unwrap_or("");
            if v != *default && *name != "dir" {
                let quoted = if v.is_empty() || v.contains(' ') {
                    format!("\"{v}\"")
                } else {
                    v.to_string()
                };
                out.push_str(&format!("{name} {quoted}\n"));
            }
        }
        out
    }

    pub fn is_known(name: &str) -> bool {
        lookup(&name.to_ascii_lowercase()).is_some()
    }

    /// The parameter a name (or alias, any case) stands for, and whether CONFIG SET may change it.
    pub fn param(name: &str) -> Option<(&'static str, bool)> {
        lookup(canonical(&name.to_ascii_lowercase())).map(|&(n, _, _, mutable)| (n, mutable))
    }

    /// CONFIG SET of one parameter.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), SetError> {
        let r = self.set_internal(&name.to_ascii_lowercase(), value, false);
        self.refresh();
        r
    }

    /// Sets a parameter as a config file or the command line would, immutable ones included.
    pub fn set_startup(&mut self, name: &str, value: &str) -> Result<(), SetError> {
        let r = self.set_internal(&name.to_ascii_lowercase(), value, true);
        self.refresh();
        r
    }

    fn set_internal(&mut self, name: &str, value: &str, startup: bool) -> Result<(), SetError> {
        let name = canonical(name);
        let Some(&(pname, _, kind, mutable)) = lookup(name) else {
            return Err(SetError::Unknown);
        };
        if !mutable && !startup {
            return Err(SetError::Immutable);
        }
        let numeric = crate::config::bounds::numeric(pname)
            .filter(|_| !(pname == "maxmemory-clients" && value.ends_with('%')));
        let normalized = match (numeric, kind) {
            (Some((lo, hi, unsigned, nk)), _) => {
                let v = check_numeric(value, lo, hi, unsigned, nk)?;
                if pname == "hz" {
                    v.parse::<i64>().unwrap_or(10).clamp(1, 500).to_string()
                } else {
                    v
                }
            }
            (None, kind) => match kind {
                Kind::Bool => match value.to_ascii_lowercase().as_str() {
                    "yes" | "no" => value.to_ascii_lowercase(),
                    _ => return Err(SetError::Invalid("argument must be 'yes' or 'no'".into())),
                },
                // hz has bounds in config_bounds, so it never comes here.
                Kind::Int => match value.parse::<i64>() {
                    Ok(n) => n.to_string(),
                    Err(_) => {
                        return Err(SetError::Invalid(
                            "argument couldn't be parsed into an integer".into(),
                        ))
                    }
                },
                Kind::Memory => match parse_memory(value) {
                    Some(n) => n.to_string(),
                    None if pname == "maxmemory-clients" && value.ends_with('%') => value.into(),
                    None => {
                        return Err(SetError::Invalid("argument must be a memory value".into()))
                    }
                },
                Kind::Enum(opts) => {
                    let l = value.to_ascii_lowercase();
                    if !l.split_whitespace().all(|w| opts.contains(&w)) || l.is_empty() {
                        return Err(SetError::Invalid(format!(
                            "argument(s) must be one of the following: {}",
                            opts.join(", ")
                        )));
                    }
                    l
                }
                Kind::Str => self.check_special(pname, value)?,
            },
        };
        self.values.insert(pname, normalized);
        Ok(())
    }

    fn check_special(&self, name: &str, value: &str) -> Result<String, SetError> {
        match name {
            "save" => {
                let words: Vec<&str> = value.split_whitespace().collect();
                if !words.len().is_multiple_of(2) || words.iter().any(|w| w.parse::<u64>().is_err())
                {
                    return Err(SetError::Invalid("Invalid save parameters".into()));
                }
                Ok(words.join(" "))
            }
            "latency-tracking-info-percentiles" => {
                let mut v = Vec::new();
                for w in value.split_whitespace() {
                    // Rust's float syntax, less NaN: string2d's but for hex floats (config must not
                    // import cmd/, where the strtod parser lives).
                    let p = w
                        .parse::<f64>()
                        .ok()
                        .filter(|p| !p.is_nan())
                        .ok_or_else(|| {
                            SetError::Invalid(
                                "Invalid latency-tracking-info-percentiles parameters".into(),
                            )
                        })?;
                    if !(0.0..=100.0).contains(&p) {
                        return Err(SetError::Invalid(
                            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                                .into(),
                        ));
                    }
                    v.push(crate::util::latency::fmt_percentile(p));
                }
                Ok(v.join(" "))
            }
            "notify-keyspace-events" => {
                if value.chars().all(|c| "gxe$lshzAKEtmdn".contains(c)) {
                    Ok(normalize_notify(value))
                } else {
                    Err(SetError::Invalid(
                        "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into(),
                    ))
                }
            }
            "client-output-buffer-limit" => {
                let words: Vec<&str> = value.split_whitespace().collect();
                if !words.len().is_multiple_of(4)
                    || words.chunks(4).any(|c| {
                        !matches!(c[0], "normal" | "slave" | "replica" | "pubsub")
                            || parse_memory(c[1]).is_none()
                            || parse_memory(c[2]).is_none()
                            || c[3].parse::<u64>().is_err()
                    })
                {
                    return Err(SetError::Invalid(
                        "Wrong number of arguments in buffer limit configuration.".into(),
                    ));
                }
                // Merge into the current three classes, printing bytes as Redis does.
                let cur = self
                    .values
                    .get("client-output-buffer-limit")
                    .cloned()
                    .unwrap_or_default();
                let mut classes: Vec<Vec<String>> = cur
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .chunks(4)
                    .map(|c| c.iter().map(|s| s.to_string()).collect())
                    .collect();
                for c in words.chunks(4) {
                    let class = if c[0] == "replica" { "slave" } else { c[0] };
                    let row = vec![
                        class.to_string(),
                        parse_memory(c[1]).unwrap_or(0).to_string(),
                        parse_memory(c[2]).unwrap_or(0).to_string(),
                        c[3].to_string(),
                    ];
                    if let Some(r) = classes.iter_mut().find(|r| r[0] == class) {
                        *r = row;
                    }
                }
                Ok(classes
                    .iter()
                    .map(|r| r.join(" "))
                    .collect::<Vec<_>>()
                    .join(" "))
            }
            _ => Ok(value.to_string()),
        }
    }

    /// Recomputes the typed fields from the text values.
    fn refresh(&mut self) {
        let num =
            |c: &Config, n: &str, d: i64| c.get(n).and_then(|v| v.parse::<i64>().ok()).unwrap_or(d);
        self.port = num(self, "port", 6379).clamp(0, 65535) as u16;
        self.bind = self
            .get("bind")
            .unwrap_or("")
            .split_whitespace()
            .map(|s| s.to_string())
            .collect();
        self.requirepass = self
            .get("requirepass")
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string());
        self.databases = num(self, "databases", 16).clamp(1, 1 << 20) as usize;
        self.hz = num(self, "hz", 10).clamp(1, 500) as u32;
        self.proto_max_bulk_len = num(self, "proto-max-bulk-len", 512 << 20);
        self.maxclients = num(self, "maxclients", 10000).max(1) as usize;
        self.loglevel = self.get("loglevel").unwrap_or("notice").to_string();
        crate::util::log::set_verbosity(&self.loglevel);
        self.notify_keyspace_events = self.get("notify-keyspace-events").unwrap_or("").to_string();
        self.active_expire_effort = num(self, "active-expire-effort", 1).clamp(1, 10) as u32;
        self.latency_tracking = self.get("latency-tracking") != Some("no");
        self.slowlog_slower_than = num(self, "slowlog-log-slower-than", 10000);
        self.slowlog_max_len = num(self, "slowlog-max-len", 128).max(0) as usize;
        self.latency_monitor_threshold = num(self, "latency-monitor-threshold", 0);
        self.latency_percentiles = self
            .get("latency-tracking-info-percentiles")
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        self.io_threads = num(self, "io-threads", 1).max(0) as usize;
        let size = |c: &Config, n: &str, d: i64| num(c, n, d).max(0) as usize;
        self.hash_max_listpack_entries = size(self, "hash-max-listpack-entries", 512);
        self.hash_max_listpack_value = size(self, "hash-max-listpack-value", 64);
        self.set_max_intset_entries = size(self, "set-max-intset-entries", 512);
        self.zset_max_listpack_entries = size(self, "zset-max-listpack-entries", 128);
        self.zset_max_listpack_value = size(self, "zset-max-listpack-value", 64);
        let cobl = self
            .get("client-output-buffer-limit")
            .unwrap_or("")
            .to_string();
        let words: Vec<&str> = cobl.split_whitespace().collect();
        for c in words.chunks(4) {
            if c.len() == 4 && c[0] == "pubsub" {
                self.pubsub_limit = (
                    c[1].parse().unwrap_or(0),
                    c[2].parse().unwrap_or(0),
                    c[3].parse().unwrap_or(0),
                );
            }
        }
    }
}

/// Redis prints notify-keyspace-events flags in a canonical order, folding the all-events set into 'A'.
fn normalize_notify(v: &str) -> String {
    let has = |c| v.contains(c);
    let all = "g$lshzxetmd";
    let mut out = String::new();
    let a = has('A') || all.chars().all(has);
    if a {
        out.push('A');
    } else {
        for c in all.chars() {
            if has(c) {
                out.push(c);
            }
        }
    }
    if has('K') {
        out.push('K');
    }
    if has('E') {
        out.push('E');
    }
    if has('n') {
        out.push('n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_and_file() {
        let dir = std::env::temp_dir().join(format!("mr-conf-{}", std::process::id()));
        std::fs::write(
            &dir,
            "# comment\nport 7000\nsave 900 1\nsave 300 10\nhash-max-ziplist-value 32\n",
        )
        .unwrap();
        let args: Vec<String> = [
            dir.to_str().unwrap(),
            "--port",
            "7001",
            "--requirepass",
            "x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c = Config::from_args(&args).unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.requirepass.as_deref(), Some("x"));
        assert_eq!(c.get("save"), Some("900 1 300 10"));
        assert_eq!(c.get("hash-max-listpack-value"), Some("32"));
        assert!(Config::from_args(&["--nosuch".into(), "1".into()]).is_err());
        std::fs::remove_file(dir).ok();
    }

    #[test]
    fn set_checks_like_redis() {
        let mut c = Config::default();
        assert_eq!(c.set("maxmemory", "1gb"), Ok(()));
        assert_eq!(c.get("maxmemory"), Some("1073741824"));
        assert_eq!(c.set("nosuch", "1"), Err(SetError::Unknown));
        assert_eq!(c.set("daemonize", "no"), Err(SetError::Immutable));
        assert!(matches!(
            c.set("activerehashing", "maybe"),
            Err(SetError::Invalid(_))
        ));
        c.set("hz", "1000").unwrap();
        assert_eq!(c.get("hz"), Some("500"));
        c.set("notify-keyspace-events", "KEA").unwrap();
        assert_eq!(c.get("notify-keyspace-events"), Some("AKE"));
    }
}
