//! Connection commands: PING ECHO QUIT RESET SELECT SWAPDB HELLO AUTH and the CLIENT subcommands.
use bytes::Bytes;

use super::{arg_i64, eq_ic, CmdError, CmdResult, Ctx, Handler, SYNTAX};
use crate::engine::client::{Client, ReplyMode};

pub static COMMANDS: &[(&str, Handler)] = &[
    ("ping", ping),
    ("echo", echo),
    ("quit", quit),
    ("reset", reset),
    ("monitor", monitor),
    ("select", select),
    ("swapdb", swapdb),
    ("hello", hello),
    ("auth", auth),
    ("client|id", client_id),
    ("client|setname", client_setname),
    ("client|getname", client_getname),
    ("client|list", client_list),
    ("client|info", client_info),
    ("client|kill", client_kill),
    ("client|reply", client_reply),
    ("client|no-evict", client_no_evict),
    ("client|unblock", client_unblock),
    ("client|help", client_help),
];

/// The Redis version we answer as, so clients enable the same features.
pub const REDIS_VERSION: &str = "7.0.15";

fn ping(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 2 {
        return Err(super::arity_error("ping"));
    }
    if ctx.client.resp == 2 && ctx.client.subscribed() {
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(args.get(1).map(|a| &a[..]).unwrap_or(b""));
    } else if let Some(a) = args.get(1) {
        ctx.out.bulk(a);
    } else {
        ctx.out.simple("PONG");
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.out.bulk(&args[1]);
    Ok(())
}

fn quit(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.out.ok();
    ctx.client.close_after_reply = true;
    Ok(())
}

fn reset(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    super::transaction::discard_state(ctx);
    super::pubsub::unsubscribe_all(ctx);
    leave_monitor(ctx.keys.engine(), ctx.client.id);
    ctx.client.monitor = false;
    let c = &mut *ctx.client;
    c.db = 0;
    c.resp = 2;
    c.name = None;
    c.reply_mode = ReplyMode::On;
    c.no_evict = false;
    c.authenticated = ctx.keys.engine().config.requirepass.is_none();
    ctx.out.resp = 2;
    ctx.out.simple("RESET");
    Ok(())
}

/// MONITOR: from now on the client is sent every command the server runs (see `dispatch::feed_monitors`).
fn monitor(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    // Inside EXEC a client expects one reply per command (Redis's CLIENT_DENY_BLOCKING).
    if ctx.client.in_exec {
        return Err(CmdError::new(
            "ERR MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    // A second MONITOR is ignored, without a reply.
    if ctx.client.monitor {
        return Ok(());
    }
    ctx.client.monitor = true;
    ctx.keys.engine().monitors.push(ctx.client.id);
    ctx.out.ok();
    Ok(())
}

/// Takes a client out of the MONITOR list (RESET, disconnect, CLIENT KILL).
fn leave_monitor(store: &mut crate::engine::Store, id: u64) {
    store.monitors.retain(|&m| m != id);
}

/// Parses a database index, with Redis's errors.
/// A database number as Redis reads it (getIntFromObjectOrReply: a C int), then checked against
/// `databases`. `msg` replaces both parse errors when given (SWAPDB), as Redis's `msg` argument does.
pub fn db_index(ctx: &Ctx, a: &[u8], msg: Option<&'static str>) -> Result<usize, CmdError> {
    let n = db_number(a, msg)?;
    db_in_range(ctx, n)
}

/// The C int part of `db_index`.
fn db_number(a: &[u8], msg: Option<&'static str>) -> Result<i64, CmdError> {
    super::args::range_long(a, i32::MIN.into(), i32::MAX.into(), msg)
}

fn db_in_range(ctx: &Ctx, n: i64) -> Result<usize, CmdError> {
    usize::try_from(n)
        .ok()
        .filter(|&i| i < ctx.keys.engine_ref().db_count())
        .ok_or(CmdError::new("ERR DB index is out of range"))
}

fn select(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let db = db_index(ctx, &args[1], None)?;
    ctx.client.db = db;
    ctx.keys.select(db);
    ctx.out.ok();
    Ok(())
}

fn swapdb(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // Both numbers are read before either is checked against `databases`, as swapdbCommand does.
    let a = db_number(&args[1], Some("ERR invalid first DB index"))?;
    let b = db_number(&args[2], Some("ERR invalid second DB index"))?;
    let (a, b) = (db_in_range(ctx, a)?, db_in_range(ctx, b)?);
    let now = ctx.now;
    ctx.engine().swap_dbs(a, b, now);
    ctx.out.ok();
    Ok(())
}

fn check_password(ctx: &mut Ctx, user: &[u8], pass: &[u8]) -> CmdResult {
    let ok = match &ctx.keys.engine().config.requirepass {
        Some(p) => user == b"default" && p.as_bytes() == pass,
        None => user == b"default",
    };
    if ok {
        ctx.client.authenticated = true;
        Ok(())
    } else {
        Err(CmdError::new(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ))
    }
}

fn auth(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match args.len() {
        2 => {
            if ctx.keys.engine().config.requirepass.is_none() {
                return Err(CmdError::new("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"));
            }
            check_password(ctx, b"default", &args[1])?;
        }
        3 => check_password(ctx, &args[1], &args[2])?,
        _ => return Err(SYNTAX),
    }
    ctx.out.ok();
    Ok(())
}

fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

fn hello(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut proto = ctx.client.resp;
    let mut i = 1;
    if args.len() >= 2 {
        let v = arg_i64(&args[1])
            .map_err(|_| CmdError::new("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::new("NOPROTO unsupported protocol version"));
        }
        proto = v as u8;
        i = 2;
    }
    let mut setname = None;
    while i < args.len() {
        let more = args.len() - i - 1;
        if eq_ic(&args[i], "auth") && more >= 2 {
            check_password(ctx, &args[i + 1], &args[i + 2])?;
            i += 3;
        } else if eq_ic(&args[i], "setname") && more >= 1 {
            if !valid_name(&args[i + 1]) {
                return Err(CmdError::new(
                    "ERR Client names cannot contain spaces, newlines or special characters.",
                ));
            }
            setname = Some(Bytes::copy_from_slice(&args[i + 1]));
            i += 2;
        } else {
            return Err(CmdError::echoing(
                "ERR Syntax error in HELLO option '",
                &args[i],
                "'",
            ));
        }
    }
    if !ctx.client.authenticated {
        return Err(CmdError::new(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(n) = setname {
        ctx.client.name = if n.is_empty() { None } else { Some(n) };
    }
    if ctx.client.resp != proto && ctx.client.subscribed() {
        // Messages are encoded per subscriber at publish time: re-register with the new protocol.
        let sub = crate::engine::pubsub::Subscriber {
            handle: ctx.client.handle.clone(),
            resp: proto,
        };
        for ch in &ctx.client.channels {
            ctx.keys.engine().pubsub.subscribe(ch.clone(), sub.clone());
        }
        for p in &ctx.client.patterns {
            ctx.keys.engine().pubsub.psubscribe(p.clone(), sub.clone());
        }
    }
    ctx.client.resp = proto;
    ctx.out.resp = proto;
    let o = &mut *ctx.out;
    o.map(7);
    o.bulk(b"server");
    o.bulk(b"redis");
    o.bulk(b"version");
    o.bulk(REDIS_VERSION.as_bytes());
    o.bulk(b"proto");
    o.int(proto as i64);
    o.bulk(b"id");
    o.int(ctx.client.id as i64);
    o.bulk(b"mode");
    o.bulk(b"standalone");
    o.bulk(b"role");
    o.bulk(b"master");
    o.bulk(b"modules");
    o.array(0);
    Ok(())
}

fn client_id(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.out.int(ctx.client.id as i64);
    Ok(())
}

fn client_setname(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if !valid_name(&args[2]) {
        return Err(CmdError::new(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    ctx.client.name = if args[2].is_empty() {
        None
    } else {
        Some(Bytes::copy_from_slice(&args[2]))
    };
    ctx.out.ok();
    Ok(())
}

fn client_getname(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    match &ctx.client.name {
        Some(n) => ctx.out.bulk(n),
        None => ctx.out.null(),
    }
    Ok(())
}

/// A connected client by id. The caller is out of the registry while its commands run: it is `ctx.client`.
fn client_by_id<'c>(ctx: &'c Ctx, id: u64) -> Option<&'c Client> {
    if id == ctx.client.id {
        Some(&*ctx.client)
    } else {
        ctx.keys.engine_ref().clients.get(id)
    }
}

/// Ids of every connected client, the caller included, ascending (CLIENT LIST's order).
fn client_ids(ctx: &Ctx) -> Vec<u64> {
    let mut ids: Vec<u64> = ctx.keys.engine_ref().clients.ids().collect();
    ids.sort_unstable();
    ids
}

/// CLIENT LIST's flags, in the order of Redis's catClientInfoString. The caller sees its own line without the
/// role and blocked flags (it is running a command, so neither applies).
fn client_flags(c: &Client, me: bool) -> String {
    let mut f = String::new();
    if !me {
        if c.monitor {
            f.push('O');
        } else if c.replica {
            f.push('S');
        }
    }
    if c.subscribed() {
        f.push('P');
    }
    if c.multi.is_some() {
        f.push('x');
    }
    if !me && c.block.is_some() {
        f.push('b');
    }
    if c.no_evict {
        f.push('e');
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// One CLIENT LIST line for a client, with Redis's field names (memory figures are estimates). `me`: the
/// calling client, idle 0 and the query buffer holding its command.
fn client_line(c: &Client, me: bool) -> String {
    format!(
        "id={} addr={} laddr={} fd=8 name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} qbuf={} qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd={} user=default redir=-1 resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default(),
        c.created.elapsed().as_secs(),
        if me { 0 } else { c.last_interaction.elapsed().as_secs() },
        client_flags(c, me),
        c.db,
        c.channels.len(),
        c.patterns.len(),
        c.multi.as_ref().map(|q| q.len() as i64).unwrap_or(-1),
        if me { 26 } else { c.qbuf },
        c.last_cmd,
        c.resp
    )
}

fn client_list(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut ids = client_ids(ctx);
    let mut i = 2;
    while i < args.len() {
        if eq_ic(&args[i], "type") && i + 1 < args.len() {
            let t = String::from_utf8_lossy(&args[i + 1]).to_ascii_lowercase();
            match t.as_str() {
                "normal" => {
                    ids.retain(|&id| client_by_id(ctx, id).is_some_and(|c| !c.subscribed()))
                }
                "pubsub" => ids.retain(|&id| client_by_id(ctx, id).is_some_and(|c| c.subscribed())),
                "master" | "replica" | "slave" => ids.clear(),
                _ => {
                    return Err(CmdError::echoing(
                        "ERR Unknown client type '",
                        &args[i + 1],
                        "'",
                    ))
                }
            }
            i += 2;
        } else if eq_ic(&args[i], "id") && i + 1 < args.len() {
            let mut want = Vec::new();
            for a in &args[i + 1..] {
                let n = arg_i64(a)
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(CmdError::new("ERR Invalid client ID"))?;
                want.push(n as u64);
            }
            ids.retain(|id| want.contains(id));
            i = args.len();
        } else {
            return Err(SYNTAX);
        }
    }
    let mut text = String::new();
    for id in ids {
        if let Some(c) = client_by_id(ctx, id) {
            text.push_str(&client_line(c, id == ctx.client.id));
        }
        text.push('\n');
    }
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

fn client_info(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let mut line = client_line(ctx.client, true);
    line.push('\n');
    ctx.out.verbatim(line.as_bytes());
    Ok(())
}

fn client_kill(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() == 3 {
        // Old form: CLIENT KILL addr:port
        let addr = String::from_utf8_lossy(&args[2]).to_string();
        let target = client_ids(ctx)
            .into_iter()
            .find(|&id| client_by_id(ctx, id).is_some_and(|c| c.addr == addr));
        return match target {
            Some(id) => {
                kill_client(ctx, id);
                ctx.out.ok();
                Ok(())
            }
            None => Err(CmdError::new("ERR No such client")),
        };
    }
    if !args.len().is_multiple_of(2) {
        return Err(SYNTAX);
    }
    let mut filters: Vec<(String, Bytes)> = Vec::new();
    let mut skipme = true;
    for pair in args[2..].chunks(2) {
        let k = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
        match k.as_str() {
            "id" => {
                if arg_i64(&pair[1]).map(|n| n <= 0).unwrap_or(true) {
                    return Err(CmdError::new("ERR client-id should be greater than 0"));
                }
            }
            "type" => {
                let t = String::from_utf8_lossy(&pair[1]).to_ascii_lowercase();
                if !matches!(
                    t.as_str(),
                    "normal" | "master" | "replica" | "slave" | "pubsub"
                ) {
                    return Err(CmdError::echoing(
                        "ERR Unknown client type '",
                        &pair[1],
                        "'",
                    ));
                }
            }
            "skipme" => {
                skipme = match String::from_utf8_lossy(&pair[1])
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(SYNTAX),
                };
                continue;
            }
            // Without ACL users only `default` exists (ACLGetUserByName is case-sensitive).
            "user" if &pair[1][..] != b"default" => {
                return Err(CmdError::echoing("ERR No such user '", &pair[1], "'"));
            }
            // Redis 7.0 has no MAXAGE filter: a syntax error like any unknown option.
            "addr" | "laddr" | "user" => {}
            _ => return Err(SYNTAX),
        }
        filters.push((k, pair[1].clone()));
    }
    let mut victims = Vec::new();
    for id in ctx.keys.engine_ref().clients.ids() {
        if skipme && id == ctx.client.id {
            continue;
        }
        let Some(c) = client_by_id(ctx, id) else {
            continue;
        };
        let all = filters.iter().all(|(k, v)| {
            let v = String::from_utf8_lossy(v);
            match k.as_str() {
                "id" => v.parse::<u64>().ok() == Some(id),
                "addr" => c.addr == v,
                "laddr" => c.laddr == v,
                "user" => true,
                "type" => match v.to_ascii_lowercase().as_str() {
                    "normal" => !c.subscribed(),
                    "pubsub" => c.subscribed(),
                    _ => false,
                },
                _ => false,
            }
        });
        if all {
            victims.push(id);
        }
    }
    for id in &victims {
        kill_client(ctx, *id);
    }
    ctx.out.int(victims.len() as i64);
    Ok(())
}

fn kill_client(ctx: &mut Ctx, id: u64) {
    if id == ctx.client.id {
        ctx.client.close_after_reply = true;
    } else if let Some(c) = ctx.keys.engine().clients.get(id) {
        // Gone at once, as Redis frees the client in the call: INFO, CLIENT LIST, BLPOP queues and WATCH
        // stop seeing it now, not when its connection task gets round to closing.
        c.handle.kill();
        ctx.keys.engine().forget_client(id);
    }
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking command as if it had timed out, or with
/// an error.
fn client_unblock(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 4 {
        return Err(super::table::subcommand_syntax_error("CLIENT", &args[1]));
    }
    let error = match args.get(3) {
        None => false,
        Some(r) if eq_ic(r, "timeout") => false,
        Some(r) if eq_ic(r, "error") => true,
        Some(_) => {
            return Err(CmdError::new(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let id = arg_i64(&args[2])?;
    let id = id as u64;
    let blocked = ctx.keys.engine_ref().clients.get(id);
    let Some(c) = blocked.filter(|c| c.block.is_some()) else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut reply = crate::resp::Out::new(c.resp);
    if error {
        reply.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    } else {
        reply.null_array();
    }
    let handle = c.handle.clone();
    ctx.keys.engine().unblock(id);
    // The blocked connection takes this as its command's reply and goes back to reading.
    handle.send(reply.buf.freeze(), None, ctx.now);
    ctx.out.int(1);
    Ok(())
}

fn client_reply(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mode = &args[2];
    if eq_ic(mode, "on") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.out.ok();
    } else if eq_ic(mode, "off") {
        ctx.client.reply_mode = ReplyMode::Off;
    } else if eq_ic(mode, "skip") {
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::Skip;
        }
    } else {
        return Err(SYNTAX);
    }
    Ok(())
}

fn client_no_evict(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if eq_ic(&args[2], "on") {
        ctx.client.no_evict = true;
    } else if eq_ic(&args[2], "off") {
        ctx.client.no_evict = false;
    } else {
        return Err(SYNTAX);
    }
    ctx.out.ok();
    Ok(())
}

/// Writes a HELP reply: the header line and the lines, as Redis's addReplyHelp formats them.
pub fn help_reply(ctx: &mut Ctx, command: &str, lines: &[&str]) {
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        command
    ));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
}

fn client_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    help_reply(
        ctx,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    );
    Ok(())
}
