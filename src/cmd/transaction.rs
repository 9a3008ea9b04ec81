//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH. EXEC runs its queue under the store lock, so no other client's
//! command interleaves.
use bytes::Bytes;

use super::{CmdError, CmdResult, Ctx, Handler};
use crate::engine::client::Client;
use crate::engine::Store;

pub static COMMANDS: &[(&str, Handler)] = &[
    ("multi", multi),
    ("exec", exec),
    ("discard", discard),
    ("watch", watch),
    ("unwatch", unwatch),
];

fn multi(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::new("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(Vec::new());
    ctx.client.multi_error = false;
    ctx.out.ok();
    Ok(())
}

/// Leaves MULTI state and drops all WATCHes (after EXEC, DISCARD, RESET).
pub fn discard_state(ctx: &mut Ctx) {
    ctx.client.multi = None;
    ctx.client.multi_error = false;
    unwatch_all(ctx.keys.engine(), ctx.client);
}

/// Forgets the client's WATCHed keys.
pub fn unwatch_all(store: &mut Store, client: &mut Client) {
    store.watch.unwatch_all(client.id);
}

/// True when EXEC must fail: a watched key changed, or expired since it was watched.
fn watch_broken(ctx: &mut Ctx) -> bool {
    let (id, now) = (ctx.client.id, ctx.now);
    ctx.engine().watch_broken(id, now)
}

fn exec(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let Some(queue) = ctx.client.multi.take() else {
        return Err(CmdError::new("ERR EXEC without MULTI"));
    };
    if ctx.client.multi_error {
        discard_state(ctx);
        return Err(CmdError::new(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if watch_broken(ctx) {
        discard_state(ctx);
        ctx.out.null_array();
        return Ok(());
    }
    unwatch_all(ctx.keys.engine(), ctx.client);
    ctx.out.array(queue.len());
    ctx.client.in_exec = true;
    for args in &queue {
        match super::resolve(args) {
            Ok(cmd) => super::call(ctx.keys.engine(), ctx.client, ctx.out, cmd, args),
            Err(e) => ctx.out.error_bytes(&e.0),
        }
        // A command inside EXEC may switch protocol (HELLO): later replies follow it.
        ctx.out.resp = ctx.client.resp;
    }
    ctx.client.in_exec = false;
    ctx.client.multi_error = false;
    Ok(())
}

fn discard(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err(CmdError::new("ERR DISCARD without MULTI"));
    }
    discard_state(ctx);
    ctx.out.ok();
    Ok(())
}

fn watch(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::new("ERR WATCH inside MULTI is not allowed"));
    }
    let (db, id) = (ctx.client.db, ctx.client.id);
    // A dirty client's EXEC fails anyway: Redis adds no watches then.
    if !ctx.keys.engine().watch.is_dirty(id) {
        for key in &args[1..] {
            let expired = ctx.keys.engine_ref().is_expired_key(db, key, ctx.now);
            ctx.keys.engine().watch.watch(id, db, key, expired);
        }
    }
    ctx.out.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    unwatch_all(ctx.keys.engine(), ctx.client);
    ctx.out.ok();
    Ok(())
}
