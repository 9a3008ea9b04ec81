//! The command table (name, arity, flags, key positions -> handler) and dispatch: lookup, arity, auth, MULTI
//! queuing, subscribed-mode rules, statistics, and the context every handler works through.
pub mod args;
pub mod bits;
pub mod connection;
pub mod ctx;
pub mod dump;
pub mod expire;
pub mod hashes;
pub mod keys;
pub mod lcs;
pub mod lists;
pub mod meta;
pub mod pubsub;
pub mod replication;
pub mod server;
pub mod sets;
pub mod sort;
pub mod strings;
pub mod transaction;
pub mod zsets;

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;

use crate::engine::client::Client;
use crate::engine::{HashSet, Store};
use crate::resp::Out;

pub use crate::engine::client::BlockRequest;
pub use crate::engine::keys::{Event, Keys};
pub use crate::engine::notify;
pub use crate::util::error::*;
pub use crate::util::num::{c_string, eq_ic, now_ms, parse_f64};
pub use ctx::Ctx;

/// Why a request was refused before its handler ran, as the bytes Redis sends: unknown names are echoed
/// as sent, which need not be UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub Vec<u8>);

impl From<CmdError> for Rejected {
    fn from(e: CmdError) -> Self {
        Rejected(e.0.as_bytes().to_vec())
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
    pub commands: HashMap<String, Command, ahash::RandomState>,
    /// Every command and subcommand name, by id.
    pub names: Vec<String>,
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
        let mut commands: HashMap<String, Command, ahash::RandomState> = HashMap::default();
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
        Table { commands, names }
    })
}

/// Case-insensitive lookup of a top-level command without allocating.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    let lower = std::str::from_utf8(&buf[..name.len()]).ok()?;
    table().commands.get(lower)
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

/// Parses an integer argument with Redis's rules and error text.
pub fn arg_i64(a: &[u8]) -> Result<i64, CmdError> {
    crate::util::num::parse_i64(a).ok_or(NOT_INTEGER)
}

/// Parses a float argument as Redis's `getDoubleFromObject` (strtod, no spaces, no NaN).
pub fn arg_f64(a: &[u8]) -> Result<f64, CmdError> {
    parse_f64(a).ok_or(NOT_FLOAT)
}

/// Commands a RESP2 client may send while subscribed.
fn allowed_when_subscribed(name: &str) -> bool {
    matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

fn record_error(store: &mut Store, out: &mut Out, e: &CmdError) {
    record_error_bytes(store, out, e.0.as_bytes());
}

fn record_error_bytes(store: &mut Store, out: &mut Out, e: &[u8]) {
    store.stats.total_error_replies += 1;
    let prefix = e.split(|&b| b == b' ').next().unwrap_or(b"ERR");
    let prefix = String::from_utf8_lossy(prefix);
    match store.stats.errors.get_mut(prefix.as_ref()) {
        Some(n) => *n += 1,
        None => {
            store.stats.errors.insert(prefix.into_owned(), 1);
        }
    }
    out.error_bytes(e);
}

/// Runs one request for a client: lookup, checks, MULTI queuing, the handler, statistics and reply mode.
pub fn execute(store: &mut Store, client: &mut Client, out: &mut Out, args: &[Bytes]) {
    let start_len = out.buf.len();
    let was_skipped = client.reply_mode == ReplyMode::SkipThis;
    run(store, client, out, args);
    // As Redis checks the flags when the reply is added: CLIENT REPLY ON answers (it clears SKIP and OFF
    // first), OFF does not, and a SKIP given while this command is skipped skips the next one too.
    let suppress = match client.reply_mode {
        ReplyMode::On => false,
        ReplyMode::Off => true,
        ReplyMode::SkipThis => {
            client.reply_mode = ReplyMode::On;
            true
        }
        ReplyMode::Skip => {
            client.reply_mode = ReplyMode::SkipThis;
            was_skipped
        }
    };
    // Pub/sub confirmations are pushes, which Redis delivers whatever the reply mode (CLIENT_PUSHING).
    if suppress && !is_subscription_command(&args[0]) {
        out.buf.truncate(start_len);
    }
}

fn is_subscription_command(name: &[u8]) -> bool {
    [
        &b"subscribe"[..],
        b"unsubscribe",
        b"psubscribe",
        b"punsubscribe",
        b"ssubscribe",
        b"sunsubscribe",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

use crate::engine::client::ReplyMode;

/// Serves clients blocked on keys that were written, longest-waiting first, each by re-running its command
/// against the current data. A client whose command would still block keeps waiting.
pub fn serve_blocked(store: &mut Store) {
    serve_blocked_keys(store);
    // Each served client is its own execution unit in Redis; together here, as one batch of wake-ups.
    if store.journal.has_pending() {
        store.journal.flush(now_ms());
    }
}

fn serve_blocked_keys(store: &mut Store) {
    let mut rounds = 0;
    while store.has_ready_keys() && rounds < 1000 {
        rounds += 1;
        let ready = store.take_ready_keys();
        let mut seen = HashSet::default();
        for k in ready {
            if !seen.insert(k.clone()) {
                continue;
            }
            for id in store.waiting_on(&k) {
                // Stop once the key is gone: nothing more to serve from it.
                if !store.contains_key(k.0, &k.1) {
                    break;
                }
                try_serve(store, id, &k.1);
            }
        }
    }
}

/// Re-runs a blocked client's command through `call` because `key` was written: served, it gets its reply
/// (and is unblocked); a command that would still block leaves the client waiting.
fn try_serve(store: &mut Store, id: u64, key: &Bytes) {
    let Some(w) = store.waiter(id) else {
        return;
    };
    let handle = w.handle.clone();
    let args = w.args.clone();
    let mut client = Client::new(handle.clone(), String::new(), String::new(), false);
    client.db = w.db;
    client.resp = w.resp;
    client.authenticated = w.authenticated;
    client.serving_key = Some(key.clone());
    let mut out = Out::new(w.resp);
    let Ok(command) = resolve(&args) else {
        return;
    };
    call(store, &mut client, &mut out, command, &args);
    if client.block.is_some() {
        return;
    }
    store.unblock(id);
    handle.send(out.buf.freeze(), None, now_ms());
}

fn run(store: &mut Store, client: &mut Client, out: &mut Out, args: &[Bytes]) {
    let cmd = match resolve(args) {
        Ok(c) => c,
        Err(e) => {
            let known = lookup(&args[0]);
            if let Some(c) = known {
                store.stats.commands[c.id].rejected += 1;
            }
            if client.multi.is_some() {
                client.multi_error = true;
                // A rejected EXEC ends the transaction, as Redis's rejectCommand -> execCommandAbort.
                if known.is_some_and(|c| c.name == "exec") {
                    client.multi = None;
                    client.multi_error = false;
                    transaction::unwatch_all(store, client);
                    let why = e.0.strip_prefix(b"ERR ").unwrap_or(&e.0);
                    let mut abort = b"EXECABORT Transaction discarded because of: ".to_vec();
                    abort.extend_from_slice(why);
                    record_error_bytes(store, out, &abort);
                    return;
                }
            }
            record_error_bytes(store, out, &e.0);
            return;
        }
    };
    if !client.authenticated && !cmd.has(flags::NO_AUTH) {
        if client.multi.is_some() {
            client.multi_error = true;
        }
        store.stats.commands[cmd.id].rejected += 1;
        record_error(
            store,
            out,
            &CmdError::new("NOAUTH Authentication required."),
        );
        return;
    }
    if client.multi.is_some()
        && !matches!(
            cmd.name.as_str(),
            "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
        )
    {
        if cmd.has(flags::NO_MULTI) {
            client.multi_error = true;
            record_error(
                store,
                out,
                &CmdError::new("ERR Command not allowed inside a transaction"),
            );
            return;
        }
        if let Some(q) = client.multi.as_mut() {
            q.push(args.to_vec());
        }
        out.simple("QUEUED");
        return;
    }
    if client.resp == 2 && client.subscribed() && !allowed_when_subscribed(&cmd.name) {
        record_error(
            store,
            out,
            &CmdError::from(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                cmd.name
            )),
        );
        return;
    }
    call(store, client, out, cmd, args);
}

/// Runs a resolved command's handler: the one place a handler is called (a client's request, EXEC's queued
/// commands, a blocked client being served), with the panic guard, statistics, propagation and MONITOR.
pub fn call(store: &mut Store, client: &mut Client, out: &mut Out, cmd: &Command, args: &[Bytes]) {
    let Some(handler) = cmd.handler else {
        return;
    };
    // Set before running, as Redis does, so CLIENT LIST shows the command that is running.
    if client.last_cmd != cmd.name {
        client.last_cmd.clear();
        client.last_cmd.push_str(&cmd.name);
    }
    // A blocked client being served: Redis 7.0 counted the call when it blocked, and adds only the time
    // (and a failure) when it is served (updateStatsOnUnblock); MONITOR saw it then too.
    let serving = client.serving_key.is_some();
    let t0 = std::time::Instant::now();
    let dirty = store.dirty();
    if store.call_depth == 0 {
        crate::util::cerrno::set_range(store.errno_range);
    }
    store.call_depth += 1;
    let now = now_ms();
    let mut ctx = Ctx {
        keys: crate::engine::keys::Keys::new(store, client.db, now),
        client,
        out,
        now,
        prop: Default::default(),
    };
    // A bug in one command must not take the connection (or the server) down: answer an error instead.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&mut ctx, args)));
    let prop = std::mem::take(&mut ctx.prop);
    let r = match result {
        Ok(r) => r,
        Err(_) => {
            tracing::error!("command '{}' panicked", cmd.name);
            store.stats.unexpected_error_replies += 1;
            Err(CmdError::new("ERR internal error"))
        }
    };
    let elapsed = t0.elapsed().as_micros() as u64;
    // Propagated when it changed the data set (or asked to be), as sent unless it rewrote itself. EXEC is
    // never propagated itself: its commands are, wrapped in MULTI/EXEC when more than one.
    // Nothing is built while no replica (or AOF) takes the stream.
    if store.journal.is_active()
        && (store.dirty() != dirty || prop.force)
        && !prop.prevent
        && cmd.name != "exec"
    {
        let argv = prop.rewrite.unwrap_or_else(|| args.to_vec());
        store.journal.propagate(client.db, argv);
    }
    store.call_depth -= 1;
    if store.call_depth == 0 {
        store.errno_range = crate::util::cerrno::is_range();
        if store.journal.has_pending() {
            let arbitrary = matches!(cmd.name.as_str(), "scan" | "randomkey");
            store.journal.flush_unit(now_ms(), arbitrary);
        }
    }
    // A command that blocked has its latency recorded when it is unblocked.
    let blocked = client.block.is_some();
    let st = &mut store.stats;
    if !serving {
        st.total_commands_processed += 1;
        st.commands[cmd.id].calls += 1;
    }
    st.commands[cmd.id].usec += elapsed;
    if store.config.latency_tracking && !blocked {
        store.stats.record_latency(cmd.id, elapsed);
    }
    if let Err(e) = r {
        store.stats.commands[cmd.id].failed += 1;
        record_error(store, out, &e);
    }
    // After the command, as Redis 7.0's call(): inside EXEC the queued commands come before EXEC itself.
    // Administrative commands are considered too dangerous to be shown.
    if !serving && !store.monitors.is_empty() && !cmd.has(flags::ADMIN) {
        feed_monitors(store, client, args);
    }
}

/// Sends one command line to every MONITOR client: `+<sec>.<usec> [<db> <addr>] "arg" ...`, as Redis's
/// replicationFeedMonitors, with passwords redacted as its commands redact them.
fn feed_monitors(store: &mut Store, client: &Client, args: &[Bytes]) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut line = format!(
        "+{}.{:06} [{} {}] ",
        now.as_secs(),
        now.subsec_micros(),
        client.db,
        client.addr
    )
    .into_bytes();
    let redacted = redacted_args(args);
    for (j, a) in args.iter().enumerate() {
        if j > 0 {
            line.push(b' ');
        }
        if redacted.contains(&j) {
            line.extend_from_slice(b"\"(redacted)\"");
        } else {
            crate::resp::encode::repr_into(&mut line, a);
        }
    }
    line.extend_from_slice(b"\r\n");
    let line = Bytes::from(line);
    let now_ms = now_ms();
    for id in &store.monitors {
        if let Some(c) = store.clients.get(id) {
            // Monitors are normal-class clients in Redis: no output buffer limit by default.
            c.handle.send(line.clone(), None, now_ms);
        }
    }
}

/// Which arguments Redis hides from MONITOR: AUTH's, and HELLO's AUTH username and password once the protocol
/// version is valid (HELLO redacts while it parses its options).
fn redacted_args(args: &[Bytes]) -> Vec<usize> {
    if eq_ic(&args[0], "auth") {
        return (1..args.len()).collect();
    }
    if !eq_ic(&args[0], "hello") || args.len() < 2 {
        return Vec::new();
    }
    if !matches!(crate::util::num::parse_i64(&args[1]), Some(2..=3)) {
        return Vec::new();
    }
    let mut v = Vec::new();
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - j - 1;
        if eq_ic(&args[j], "auth") && more >= 2 {
            v.extend([j + 1, j + 2]);
            j += 3;
        } else if eq_ic(&args[j], "setname") && more >= 1 {
            j += 2;
        } else {
            break;
        }
    }
    v
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

    #[test]
    fn floats_like_strtod() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"+1"), Some(1.0));
        assert_eq!(parse_f64(b"infinity"), Some(f64::INFINITY));
        for bad in [
            &b"nan"[..],
            b"",
            b" 1",
            b"1 ",
            b"abc",
            b"1.2.3",
            b"1e400",
            b"1e-400",
            b"1e",
            b"1\x002",
        ] {
            assert_eq!(parse_f64(bad), None);
        }
    }
}
