//! Dispatch: running a request for a client (checks, MULTI queuing, subscribed-mode rules, reply modes),
//! `call` (the one place a handler runs, with statistics, propagation and MONITOR), and serving blocked
//! clients when the keys they wait on are written.
use bytes::Bytes;

use super::table::{flags, lookup, resolve, Command};
use super::{eq_ic, now_ms, transaction, CmdError, Ctx};
use crate::engine::client::{Client, ReplyMode};
use crate::engine::{HashSet, Store};
use crate::resp::Out;

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

const LOADING: &str = "LOADING Redis is loading the dataset in memory";
const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

fn record_error(store: &mut Store, out: &mut Out, e: &CmdError) {
    record_error_bytes(store, out, &e.0);
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

/// Re-runs a blocked client's command through `call` because `key` was written, with the client's own state
/// (db, protocol, name, auth): served, it gets its reply (and is unblocked); a command that would still block
/// leaves the client waiting as it was.
fn try_serve(store: &mut Store, id: u64, key: &Bytes) {
    if !store.is_blocked(id) {
        return;
    }
    let Some(mut client) = store.clients.take(id) else {
        return;
    };
    // Out of the client while its command runs again: the handler sets a fresh one if it would still block.
    let Some(req) = client.block.take() else {
        store.clients.put_back(client);
        return;
    };
    let mut out = Out::new(client.resp);
    let served = match resolve(&req.args) {
        Ok(command) => {
            client.serving_key = Some(key.clone());
            call(store, &mut client, &mut out, command, &req.args);
            client.serving_key = None;
            client.block.is_none()
        }
        Err(_) => false,
    };
    // Still waiting: on its first request, with its first deadline.
    client.block = Some(req);
    let handle = client.handle.clone();
    store.clients.put_back(client);
    if served {
        store.unblock(id);
        handle.send(out.buf.freeze(), None, now_ms());
    }
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
    // No writes (nor PING, as Redis) while the last background save failed and save points are set.
    // The store's flag first: it is almost always clear, and this runs for every command.
    if store.writes_refused() && (cmd.has(flags::WRITE) || cmd.name == "ping") {
        if client.multi.is_some() {
            client.multi_error = true;
        }
        store.stats.commands[cmd.id].rejected += 1;
        record_error(store, out, &CmdError::new(MISCONF));
        return;
    }
    // Loading the data set at start-up: only commands flagged `loading` run (INFO, SHUTDOWN, CONFIG...).
    if store.loading_dataset.is_some() && !cmd.has(flags::LOADING) {
        if client.multi.is_some() {
            client.multi_error = true;
        }
        store.stats.commands[cmd.id].rejected += 1;
        record_error(store, out, &CmdError::new(LOADING));
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
    if store.journal.is_active() && !prop.prevent && cmd.name != "exec" {
        if store.dirty() != dirty || prop.force {
            let argv = prop.rewrite.unwrap_or_else(|| args.to_vec());
            store.journal.propagate(client.db, argv);
        } else if prop.replicas_only {
            store
                .journal
                .propagate_to_replicas(client.db, args.to_vec());
        }
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
    // The latency monitor and the slow log: a command that blocked is counted when it is served, nothing
    // while an AOF loads.
    if !blocked && !store.journal.loading {
        // latencyAddSampleIfNeeded("command" or "fast-command"), in ms.
        let threshold = store.config.latency_monitor_threshold;
        if threshold > 0 {
            let event = if cmd.has(flags::FAST) {
                "fast-command"
            } else {
                "command"
            };
            store
                .latency_events
                .add_if_needed(threshold, event, elapsed / 1000, now / 1000);
        }
        // slowlogPushCurrentCommand: EXEC (skip_slowlog) is not logged, the commands it runs are.
        if !cmd.has(flags::SKIP_SLOWLOG) {
            let slower = store.config.slowlog_slower_than;
            if slower >= 0 && elapsed as i128 >= slower as i128 {
                let redacted = redacted_args(args);
                store.slowlog.push(
                    elapsed,
                    args,
                    &redacted,
                    &client.addr,
                    client.name.as_ref(),
                    now / 1000,
                );
            }
            store.slowlog.trim(store.config.slowlog_max_len);
        }
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
    for &id in &store.monitors {
        // The client running the command is out of the registry: it may be a monitor too.
        let handle = if id == client.id {
            Some(&client.handle)
        } else {
            store.clients.get(id).map(|c| &c.handle)
        };
        if let Some(h) = handle {
            // Monitors are normal-class clients in Redis: no output buffer limit by default.
            h.send(line.clone(), None, now_ms);
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

/// The AOF client (createAOFClient): commands read from an append-only file run through `call` as this
/// client, which never blocks and whose replies go nowhere. Unlike a connection's, nothing is checked first
/// (arity, ACL, OOM): Redis calls the command's function directly.
pub struct AofReplayer {
    client: Box<Client>,
    out: Out,
}

impl Default for AofReplayer {
    fn default() -> Self {
        let (handle, _rx) = crate::engine::client::ClientHandle::new(u64::MAX);
        let mut client = Box::new(Client::new(handle, String::new(), String::new(), false));
        client.deny_blocking = true;
        AofReplayer {
            client,
            out: Out::new(2),
        }
    }
}

impl crate::engine::aof::Replayer for AofReplayer {
    fn replay(&mut self, store: &mut Store, argv: &[Bytes]) -> crate::engine::aof::Replayed {
        use crate::engine::aof::Replayed;
        // lookupCommand: a container resolves to its subcommand; arity is not checked.
        let Some(mut cmd) = lookup(&argv[0]) else {
            return Replayed::Unknown;
        };
        if !cmd.subcommands.is_empty() && argv.len() > 1 {
            let sub = format!(
                "{}|{}",
                cmd.name,
                String::from_utf8_lossy(&argv[1]).to_ascii_lowercase()
            );
            match cmd.subcommands.get(&sub) {
                Some(s) => cmd = s,
                None => return Replayed::Unknown,
            }
        }
        let multi = cmd.name == "multi";
        if self.client.multi.is_some() && cmd.name != "exec" {
            if let Some(q) = self.client.multi.as_mut() {
                q.push(argv.to_vec());
            }
        } else {
            call(store, &mut self.client, &mut self.out, cmd, argv);
        }
        self.out.buf.clear();
        if multi {
            Replayed::Multi
        } else {
            Replayed::Ok
        }
    }

    fn in_multi(&self) -> bool {
        self.client.multi.is_some()
    }

    fn discard_multi(&mut self, _store: &mut Store) {
        self.client.multi = None;
        self.client.multi_error = false;
    }
}
