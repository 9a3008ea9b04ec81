//! The master side of replication: SYNC and PSYNC (always a full resynchronization: an RDB snapshot taken
//! under the store lock, so the journal's stream that follows starts exactly where it ends) and REPLCONF.
use bytes::Bytes;

use super::{arg_i64, eq_ic, CmdError, CmdResult, Ctx, Handler, SYNTAX};
use crate::engine::journal::Replica;

pub static COMMANDS: &[(&str, Handler)] =
    &[("sync", sync), ("psync", psync), ("replconf", replconf)];

fn sync(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    full_resync(ctx, false)
}

fn psync(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if ctx.client.replica {
        return Ok(());
    }
    // The offset must be a number even though no partial resynchronization is offered.
    arg_i64(&args[2])?;
    full_resync(ctx, true)
}

fn full_resync(ctx: &mut Ctx, psync: bool) -> CmdResult {
    // A client already a replica (or a monitor) ignores SYNC, without a reply.
    if ctx.client.replica || ctx.client.monitor {
        return Ok(());
    }
    let me = ctx.client.id;
    let addr = ctx.client.addr.clone();
    tracing::info!("Replica {addr} asks for synchronization");
    if !ctx.keys.engine().journal.is_active() {
        // A stream starting from scratch gets a new replication ID, as Redis's first backlog does.
        ctx.keys.engine().repl_id = new_repl_id(ctx);
        tracing::info!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            ctx.keys.engine().repl_id,
            "0".repeat(40)
        );
    }
    let offset = ctx.keys.engine().journal.offset;
    if psync {
        let line = format!("FULLRESYNC {} {offset}", ctx.keys.engine().repl_id);
        ctx.out.simple(&line);
    }
    let id = ctx.keys.engine().repl_id.clone();
    let rdb = super::dump::rdb_snapshot(ctx, &id, offset);
    tracing::info!("Starting BGSAVE for SYNC with target: replicas sockets");
    ctx.out.raw(format!("${}\r\n", rdb.len()).as_bytes());
    ctx.out.raw(&rdb);
    ctx.client.replica = true;
    let handle = ctx.client.handle.clone();
    let port = ctx.client.repl_listening_port;
    ctx.keys.engine().journal.add_replica(Replica {
        id: me,
        handle,
        addr,
        listening_port: port,
        ack_offset: 0,
    });
    tracing::info!("Synchronization with replica succeeded");
    Ok(())
}

/// 40 hex characters, random (changeReplicationId).
fn new_repl_id(ctx: &mut Ctx) -> String {
    use rand::Rng;
    (0..40)
        .map(|_| char::from_digit(ctx.keys.engine().rng.gen_range(0..16), 16).unwrap_or('0'))
        .collect()
}

fn replconf(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(SYNTAX);
    }
    for pair in args[1..].chunks(2) {
        let (opt, v) = (&pair[0], &pair[1]);
        if eq_ic(opt, "listening-port") {
            let port = arg_i64(v)?;
            ctx.client.repl_listening_port = port.clamp(0, 65535) as u16;
            let id = ctx.client.id;
            if let Some(r) = ctx.keys.engine().journal.replica_mut(id) {
                r.listening_port = ctx.client.repl_listening_port;
            }
        } else if eq_ic(opt, "ip-address") {
            if v.len() >= 256 {
                return Err(CmdError::from(format!(
                    "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    v.len()
                )));
            }
        } else if eq_ic(opt, "capa") {
            // Capabilities this master does not use (eof, psync2) are accepted and ignored.
        } else if eq_ic(opt, "ack") {
            // A replica's acknowledged offset; never answered.
            let id = ctx.client.id;
            if let (Some(off), Some(r)) = (
                crate::util::num::parse_i64(v),
                ctx.keys.engine().journal.replica_mut(id),
            ) {
                r.ack_offset = r.ack_offset.max(off.max(0) as u64);
            }
            return Ok(());
        } else if eq_ic(opt, "getack") {
            // Only a replica answers GETACK, to its master; a master ignores it.
            return Ok(());
        } else if eq_ic(opt, "rdb-only") {
            super::args::range_long(v, 0, 1, None)?;
        } else if eq_ic(opt, "rdb-filter-only") {
            for f in String::from_utf8_lossy(v).split_whitespace() {
                if !f.eq_ignore_ascii_case("functions") {
                    return Err(CmdError::from(format!(
                        "ERR Unsupported rdb-filter-only option: {f}"
                    )));
                }
            }
        } else {
            return Err(CmdError::echoing(
                "ERR Unrecognized REPLCONF option: ",
                opt,
                "",
            ));
        }
    }
    ctx.out.ok();
    Ok(())
}
