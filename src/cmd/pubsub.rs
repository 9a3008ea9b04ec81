//! Pub/sub commands: (P)SUBSCRIBE, (P)UNSUBSCRIBE, PUBLISH, PUBSUB CHANNELS / NUMSUB / NUMPAT.
use bytes::Bytes;

use super::{CmdResult, Ctx, Handler};
use crate::engine::pubsub::Subscriber;

pub static COMMANDS: &[(&str, Handler)] = &[
    ("subscribe", subscribe),
    ("unsubscribe", unsubscribe),
    ("psubscribe", psubscribe),
    ("punsubscribe", punsubscribe),
    ("publish", publish),
    ("pubsub|channels", pubsub_channels),
    ("pubsub|numsub", pubsub_numsub),
    ("pubsub|numpat", pubsub_numpat),
    ("pubsub|shardchannels", pubsub_shardchannels),
    ("pubsub|shardnumsub", pubsub_shardnumsub),
    ("pubsub|help", pubsub_help),
];

fn count(ctx: &Ctx) -> i64 {
    (ctx.client.channels.len() + ctx.client.patterns.len()) as i64
}

fn confirm(ctx: &mut Ctx, kind: &[u8], name: Option<&[u8]>) {
    let n = count(ctx);
    let o = &mut *ctx.out;
    o.push(3);
    o.bulk(kind);
    match name {
        Some(n) => o.bulk(n),
        None => o.null(),
    }
    o.int(n);
}

fn subscriber(ctx: &Ctx) -> Subscriber {
    Subscriber {
        handle: ctx.client.handle.clone(),
        resp: ctx.client.resp,
    }
}

fn subscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    for ch in &args[1..] {
        // An own copy: a slice would keep the client's whole read buffer alive for as long as it subscribes.
        let ch = Bytes::copy_from_slice(ch);
        if ctx.client.channels.insert(ch.clone()) {
            let s = subscriber(ctx);
            ctx.keys.engine().pubsub.subscribe(ch.clone(), s);
        }
        confirm(ctx, b"subscribe", Some(&ch));
    }
    Ok(())
}

fn psubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    for p in &args[1..] {
        let p = Bytes::copy_from_slice(p);
        if ctx.client.patterns.insert(p.clone()) {
            let s = subscriber(ctx);
            ctx.keys.engine().pubsub.psubscribe(p.clone(), s);
        }
        confirm(ctx, b"psubscribe", Some(&p));
    }
    Ok(())
}

fn unsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let names: Vec<Bytes> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        ctx.client.channels.iter().cloned().collect()
    };
    if names.is_empty() {
        confirm(ctx, b"unsubscribe", None);
        return Ok(());
    }
    for ch in names {
        if ctx.client.channels.remove(&ch) {
            ctx.keys.engine().pubsub.unsubscribe(&ch, ctx.client.id);
        }
        confirm(ctx, b"unsubscribe", Some(&ch));
    }
    Ok(())
}

fn punsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let names: Vec<Bytes> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        ctx.client.patterns.iter().cloned().collect()
    };
    if names.is_empty() {
        confirm(ctx, b"punsubscribe", None);
        return Ok(());
    }
    for p in names {
        if ctx.client.patterns.remove(&p) {
            ctx.keys.engine().pubsub.punsubscribe(&p, ctx.client.id);
        }
        confirm(ctx, b"punsubscribe", Some(&p));
    }
    Ok(())
}

/// Leaves every channel and pattern silently (RESET, disconnect).
pub fn unsubscribe_all(ctx: &mut Ctx) {
    for ch in ctx.client.channels.drain() {
        ctx.keys.engine().pubsub.unsubscribe(&ch, ctx.client.id);
    }
    for p in ctx.client.patterns.drain() {
        ctx.keys.engine().pubsub.punsubscribe(&p, ctx.client.id);
    }
}

fn publish(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let limit = ctx.keys.engine().config.pubsub_limit;
    let n = ctx
        .keys
        .engine()
        .pubsub
        .publish(&args[1], &args[2], limit, ctx.now);
    ctx.keys.engine().stats.pubsub_messages += 1;
    // Replicas' subscribers get the message too (forceCommandPropagation with PROPAGATE_REPL): not the AOF.
    ctx.prop.replicas_only = true;
    ctx.out.int(n as i64);
    Ok(())
}

/// pubsubCommand takes CHANNELS and SHARDCHANNELS with at most one pattern; more is its generic error.
fn at_most_one_pattern(args: &[Bytes]) -> CmdResult {
    if args.len() > 3 {
        return Err(super::table::subcommand_syntax_error("PUBSUB", &args[1]));
    }
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    at_most_one_pattern(args)?;
    let pat = args.get(2);
    let names: Vec<Bytes> = ctx
        .keys
        .engine()
        .pubsub
        .channels
        .iter()
        .filter(|(_, subs)| crate::engine::pubsub::live(subs).next().is_some())
        .map(|(c, _)| c)
        .filter(|c| pat.is_none_or(|p| crate::util::glob::glob_match(p, c, false)))
        .cloned()
        .collect();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(&n);
    }
    Ok(())
}

fn pubsub_numsub(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.out.array((args.len() - 2) * 2);
    for ch in &args[2..] {
        let n = ctx.keys.engine().pubsub.numsub(ch);
        ctx.out.bulk(ch);
        ctx.out.int(n as i64);
    }
    Ok(())
}

fn pubsub_numpat(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.out.int(ctx.keys.engine().pubsub.numpat() as i64);
    Ok(())
}

fn pubsub_shardchannels(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    at_most_one_pattern(args)?;
    ctx.out.array(0);
    Ok(())
}

fn pubsub_shardnumsub(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.out.array((args.len() - 2) * 2);
    for ch in &args[2..] {
        ctx.out.bulk(ch);
        ctx.out.int(0);
    }
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    super::connection::help_reply(
        ctx,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}
