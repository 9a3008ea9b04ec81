//! The command table: each command's name, arity, flags and key positions (from Redis's own metadata) and
//! its handler; lookup and resolution of a request to the command it runs, with Redis's error texts.
use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;

use super::{
    bits, connection, dump, expire, hashes, keys, lcs, lists, meta, pubsub, replication, server,
    sets, sort, strings, transaction, zsets,
};
use super::{c_string, eq_ic, CmdError, CmdResult, Ctx};

/// Why a request was refused before its handler ran, as the bytes Redis sends: unknown names are echoed
/// as sent, which need not be UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub Vec<u8>);

impl From<CmdError> for Rejected {
    fn from(e: CmdError) -> Self {
        Rejected(e.0.into_owned())
    }
}

/// Command flags, as COMMAND INFO names them.
pub mod flags {
    pub const WRITE: u32 = 1;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const FAST: u32 = 1 << 9;
    pub const NO_AUTH: u32 = 1 << 10;
    pub const NO_MULTI: u32 = 1 << 11;
    pub const MOVABLEKEYS: u32 = 1 << 12;
    pub const ALLOW_BUSY: u32 = 1 << 13;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 14;
    pub const SKIP_SLOWLOG: u32 = 1 << 15;

    pub fn parse(names: &[String]) -> u32 {
        names
            .iter()
            .map(|n| match n.as_str() {
                "write" => WRITE,
                "readonly" => READONLY,
                "denyoom" => DENYOOM,
                "admin" => ADMIN,
                "pubsub" => PUBSUB,
                "noscript" => NOSCRIPT,
                "blocking" => BLOCKING,
                "loading" => LOADING,
                "stale" => STALE,
                "fast" => FAST,
                "no_auth" => NO_AUTH,
                "no_multi" => NO_MULTI,
                "movablekeys" => MOVABLEKEYS,
                "allow_busy" => ALLOW_BUSY,
                "no_mandatory_keys" => NO_MANDATORY_KEYS,
                "skip_slowlog" => SKIP_SLOWLOG,
                _ => 0,
            })
            .fold(0, |a, b| a | b)
    }
}

pub type Handler = fn(&mut Ctx, &[Bytes]) -> CmdResult;

/// One row of the command table.
#[derive(Debug)]
pub struct Command {
    /// Lowercase; `parent|sub` for subcommands.
    pub name: String,
    pub arity: i32,
    pub flags: u32,
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    /// `None` for a container (CONFIG, CLIENT...) whose subcommands are looked up by the second argument.
    pub handler: Option<Handler>,
    pub subcommands: HashMap<String, Command>,
    /// Index into the per-command statistics (INFO commandstats).
    pub id: usize,
}

impl Command {
    pub fn is_write(&self) -> bool {
        self.flags & flags::WRITE != 0
    }
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }
}

pub struct Table {
    /// Top-level commands (subcommands hang off their container).
    commands: Vec<Command>,
    /// Open-addressing index into `commands` by the FNV-1a hash of the lowercase name (`EMPTY` = free): a
    /// lookup hashes the name while lowercasing it and usually probes once, the cost of every request.
    slots: Vec<u32>,
    /// Every command and subcommand name, by id.
    pub names: Vec<String>,
}

const EMPTY: u32 = u32::MAX;

/// FNV-1a, one byte at a time, so it runs in the same pass that lowercases the name.
#[inline(always)]
fn fnv_step(h: u32, b: u8) -> u32 {
    (h ^ b as u32).wrapping_mul(0x0100_0193)
}
const FNV_BASIS: u32 = 0x811c_9dc5;

impl Table {
    fn new(map: HashMap<String, Command>, names: Vec<String>) -> Table {
        let commands: Vec<Command> = map.into_values().collect();
        let n = (commands.len() * 4).next_power_of_two();
        let mut slots = vec![EMPTY; n];
        for (i, c) in commands.iter().enumerate() {
            let h = c.name.bytes().fold(FNV_BASIS, fnv_step);
            let mut pos = h as usize & (n - 1);
            while slots[pos] != EMPTY {
                pos = (pos + 1) & (n - 1);
            }
            slots[pos] = i as u32;
        }
        Table {
            commands,
            slots,
            names,
        }
    }

    #[inline]
    fn find(&self, lower: &[u8], h: u32) -> Option<&Command> {
        let mask = self.slots.len() - 1;
        let mut pos = h as usize & mask;
        loop {
            let i = self.slots[pos];
            if i == EMPTY {
                return None;
            }
            let c = &self.commands[i as usize];
            if c.name.as_bytes() == lower {
                return Some(c);
            }
            pos = (pos + 1) & mask;
        }
    }
}

/// Every handler, one list per family: adding a command is one row here and one function.
fn handlers() -> Vec<(&'static str, Handler)> {
    let mut v = Vec::new();
    v.extend(connection::COMMANDS.iter().copied());
    v.extend(server::COMMANDS.iter().copied());
    v.extend(strings::COMMANDS.iter().copied());
    v.extend(bits::COMMANDS.iter().copied());
    v.extend(lcs::COMMANDS.iter().copied());
    v.extend(dump::COMMANDS.iter().copied());
    v.extend(keys::COMMANDS.iter().copied());
    v.extend(expire::COMMANDS.iter().copied());
    v.extend(lists::COMMANDS.iter().copied());
    v.extend(hashes::COMMANDS.iter().copied());
    v.extend(sets::COMMANDS.iter().copied());
    v.extend(sort::COMMANDS.iter().copied());
    v.extend(zsets::COMMANDS.iter().copied());
    v.extend(pubsub::COMMANDS.iter().copied());
    v.extend(replication::COMMANDS.iter().copied());
    v.extend(transaction::COMMANDS.iter().copied());
    v
}

fn make_command(name: &str, handler: Option<Handler>, id: usize) -> Command {
    let m = meta::all().meta.get(name).cloned().unwrap_or(meta::Meta {
        arity: -1,
        flags: vec![],
        first: 0,
        last: 0,
        step: 0,
    });
    Command {
        name: name.to_string(),
        arity: m.arity,
        flags: flags::parse(&m.flags),
        first_key: m.first,
        last_key: m.last,
        step: m.step,
        handler,
        subcommands: HashMap::new(),
        id,
    }
}

pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut commands: HashMap<String, Command> = HashMap::default();
        let mut names = Vec::new();
        for (name, h) in handlers() {
            let id = names.len();
            names.push(name.to_string());
            match name.split_once('|') {
                Some((parent, _)) => {
                    if !commands.contains_key(parent) {
                        let pid = names.len();
                        names.push(parent.to_string());
                        commands.insert(parent.to_string(), make_command(parent, None, pid));
                    }
                    if let Some(p) = commands.get_mut(parent) {
                        p.subcommands
                            .insert(name.to_string(), make_command(name, Some(h), id));
                    }
                }
                None => match commands.get_mut(name) {
                    // A container registered by its subcommands first, that also runs bare (COMMAND).
                    Some(c) => c.handler = Some(h),
                    None => {
                        commands.insert(name.to_string(), make_command(name, Some(h), id));
                    }
                },
            }
        }
        Table::new(commands, names)
    })
}

impl Table {
    /// Every top-level command (containers with their subcommands inside), in no particular order.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter()
    }
}

/// lookupCommandBySds: a command by its full name, `container|sub` for a subcommand, any case.
pub fn lookup_full(name: &[u8]) -> Option<&'static Command> {
    let Some(bar) = name.iter().position(|&b| b == b'|') else {
        return lookup(name);
    };
    let container = lookup(&name[..bar])?;
    let full = String::from_utf8_lossy(name).to_ascii_lowercase();
    container.subcommands.get(&full)
}

/// Case-insensitive lookup of a top-level command without allocating.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    let mut h = FNV_BASIS;
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
        h = fnv_step(h, *d);
    }
    table().find(&buf[..name.len()], h)
}

/// Resolves `args` to the command (or subcommand) to run, with Redis's error for unknown names and arity.
pub fn resolve(args: &[Bytes]) -> Result<&'static Command, Rejected> {
    let Some(cmd) = lookup(&args[0]) else {
        return Err(Rejected(unknown_command(args)));
    };
    // COMMAND runs bare too: a container with its own handler and no subcommand argument.
    let bare = cmd.handler.is_some() && args.len() == 1;
    if !cmd.subcommands.is_empty() && !bare {
        // A container: the subcommand decides.
        if args.len() < 2 {
            return Err(arity_error(&cmd.name).into());
        }
        let sub = format!(
            "{}|{}",
            cmd.name,
            String::from_utf8_lossy(&args[1]).to_ascii_lowercase()
        );
        let Some(s) = cmd.subcommands.get(&sub) else {
            return Err(Rejected(unknown_subcommand(&cmd.name, &args[1])));
        };
        if !arity_ok(s.arity, args.len()) {
            return Err(arity_error(&s.name).into());
        }
        return Ok(s);
    }
    if !arity_ok(cmd.arity, args.len()) {
        return Err(arity_error(&cmd.name).into());
    }
    Ok(cmd)
}

fn arity_ok(arity: i32, n: usize) -> bool {
    (arity > 0 && n == arity as usize) || (arity < 0 && n >= (-arity) as usize)
}

pub fn arity_error(name: &str) -> CmdError {
    CmdError::from(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// A C string's view of an argument, as Redis's `%.Ns` prints it: up to the first NUL, at most `max` bytes.
fn c_str(b: &[u8], max: usize) -> &[u8] {
    c_string(&b[..b.len().min(max)])
}

/// `ERR unknown command 'x', with args beginning with: 'a' 'b' `, built as Redis builds it: the bytes as
/// sent (cut at a NUL, as C strings are), not UTF-8.
pub fn unknown_command(args: &[Bytes]) -> Vec<u8> {
    let mut list = Vec::new();
    for a in &args[1..] {
        if list.len() >= 128 {
            break;
        }
        list.push(b'\'');
        list.extend_from_slice(c_str(a, 128 - list.len() + 1));
        list.extend_from_slice(b"' ");
    }
    let mut e = b"ERR unknown command '".to_vec();
    e.extend_from_slice(c_str(&args[0], 128));
    e.extend_from_slice(b"', with args beginning with: ");
    e.extend_from_slice(&list);
    e
}

/// `ERR unknown subcommand 'x'. Try CONFIG HELP.`, the subcommand's bytes as sent.
/// addReplySubcommandSyntaxError: the error of a subcommand given arguments it does not take, naming the
/// subcommand as the client sent it.
pub fn subcommand_syntax_error(container: &str, sub: &[u8]) -> CmdError {
    let mut e = b"ERR unknown subcommand or wrong number of arguments for '".to_vec();
    e.extend_from_slice(c_str(sub, 128));
    e.extend_from_slice(format!("'. Try {container} HELP.").as_bytes());
    CmdError(std::borrow::Cow::Owned(e))
}

fn unknown_subcommand(container: &str, sub: &[u8]) -> Vec<u8> {
    let mut e = b"ERR unknown subcommand '".to_vec();
    e.extend_from_slice(c_str(sub, 128));
    e.extend_from_slice(format!("'. Try {} HELP.", container.to_ascii_uppercase()).as_bytes());
    e
}

/// Positions of the key arguments of a command, as COMMAND GETKEYS reports them.
pub fn key_positions(cmd: &Command, args: &[Bytes]) -> Vec<usize> {
    key_positions_checked(cmd, args).unwrap_or_default()
}

/// Key positions, or None when a numkeys argument is not a count the arguments can hold (Redis's key-spec
/// lookup fails then: COMMAND GETKEYS answers "Invalid arguments specified for command").
pub fn key_positions_checked(cmd: &Command, args: &[Bytes]) -> Option<Vec<usize>> {
    let n = args.len();
    let numkeys_at = |pos: usize, first: usize| -> Option<Vec<usize>> {
        args.get(pos)
            .and_then(|a| crate::util::num::parse_i64(a))
            .filter(|&k| k >= 0 && first + (k as usize) <= n)
            .map(|k| (first..first + k as usize).collect())
    };
    Some(match cmd.name.as_str() {
        "zunionstore" | "zinterstore" | "zdiffstore" => {
            let mut v = vec![1];
            v.extend(numkeys_at(2, 3)?);
            v
        }
        "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" | "lmpop" | "zmpop"
        | "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => numkeys_at(1, 2)?,
        "blmpop" | "bzmpop" => numkeys_at(2, 3)?,
        // sortGetKeys: the key, and the last STORE's destination; LIMIT, GET and BY skip their arguments.
        "sort" => {
            let mut v = vec![1];
            let mut store = None;
            let mut i = 2;
            while i < n {
                if eq_ic(&args[i], "limit") {
                    i += 2;
                } else if eq_ic(&args[i], "get") || eq_ic(&args[i], "by") {
                    i += 1;
                } else if eq_ic(&args[i], "store") && i + 1 < n {
                    store = Some(i + 1);
                }
                i += 1;
            }
            v.extend(store);
            v
        }
        _ => {
            if cmd.first_key <= 0 {
                return Some(vec![]);
            }
            let first = cmd.first_key as usize;
            let last = if cmd.last_key < 0 {
                (n as i64 + cmd.last_key as i64) as usize
            } else {
                cmd.last_key as usize
            };
            let step = cmd.step.max(1) as usize;
            (first..=last.min(n.saturating_sub(1)))
                .step_by(step)
                .collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<Bytes> {
        v.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn table_takes_redis_metadata() {
        let get = lookup(b"GeT").unwrap();
        assert_eq!(get.arity, 2);
        assert!(get.has(flags::READONLY) && get.has(flags::FAST));
        assert!(lookup(b"set").unwrap().is_write());
        assert_eq!(
            resolve(&args(&["get"])).unwrap_err().0,
            b"ERR wrong number of arguments for 'get' command"
        );
        assert_eq!(
            resolve(&args(&["foo", "a", "b"])).unwrap_err().0,
            b"ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        );
        assert_eq!(
            resolve(&args(&["config", "nope"])).unwrap_err().0,
            b"ERR unknown subcommand 'nope'. Try CONFIG HELP."
        );
        assert_eq!(
            resolve(&args(&["config", "get", "x"])).unwrap().name,
            "config|get"
        );
    }

    #[test]
    fn key_positions_follow_specs() {
        let mset = lookup(b"mset").unwrap();
        assert_eq!(
            key_positions(mset, &args(&["mset", "a", "1", "b", "2"])),
            vec![1, 3]
        );
        let set = lookup(b"set").unwrap();
        assert_eq!(
            key_positions(set, &args(&["set", "k", "v", "EX", "1"])),
            vec![1]
        );
    }
}
