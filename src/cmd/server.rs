//! Server commands: DBSIZE FLUSHDB FLUSHALL TIME INFO CONFIG COMMAND DEBUG MEMORY SHUTDOWN, and the no-op
//! FUNCTION FLUSH / SCRIPT FLUSH kept for tools that call them.
use bytes::Bytes;

use super::{arg_i64, eq_ic, CmdError, CmdResult, Ctx, Handler, SYNTAX};
use crate::config::SetError;
use crate::engine::ShutdownRequest;

pub static COMMANDS: &[(&str, Handler)] = &[
    ("dbsize", dbsize),
    ("flushdb", flushdb),
    ("flushall", flushall),
    ("time", time),
    ("info", info),
    ("lastsave", lastsave),
    ("save", save),
    ("bgsave", bgsave),
    ("bgrewriteaof", bgrewriteaof),
    ("shutdown", shutdown),
    ("config|get", config_get),
    ("config|set", config_set),
    ("config|resetstat", config_resetstat),
    ("config|rewrite", config_rewrite),
    ("config|help", config_help),
    ("command", command),
    ("command|count", command_count),
    ("command|info", command_info),
    ("command|docs", command_docs),
    ("command|list", command_list),
    ("command|getkeys", command_getkeys),
    ("command|help", command_help),
    ("debug", debug),
    ("memory|usage", memory_usage),
    ("function|flush", function_flush),
    ("script|flush", script_flush),
    ("slowlog|get", slowlog_get),
    ("slowlog|len", slowlog_len),
    ("slowlog|reset", slowlog_reset),
    ("slowlog|help", slowlog_help),
    ("latency|latest", latency_latest),
    ("latency|history", latency_history),
    ("latency|reset", latency_reset),
    ("latency|help", latency_help),
    ("latency|histogram", latency_histogram),
    ("latency|doctor", latency_doctor),
];

/// LATENCY DOCTOR: createLatencyReport's text, as a verbatim string.
fn latency_doctor(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let store = ctx.keys.engine_ref();
    let cx = crate::engine::latency_monitor::DoctorContext {
        threshold: store.config.latency_monitor_threshold,
        slowlog_slower_than: store.config.slowlog_slower_than,
        hz: store.config.hz,
        anon_huge_pages: crate::engine::latency_monitor::anon_huge_pages(),
        now_secs: ctx.now / 1000,
    };
    let report = store.latency_events.report(&cx);
    ctx.out.verbatim(report.as_bytes());
    Ok(())
}

/// LATENCY HISTOGRAM [command ...]: per command (and subcommand) that has run since the last CONFIG
/// RESETSTAT, its calls and cumulative latency distribution; unknown names are skipped, a container
/// command stands for its subcommands.
fn latency_histogram(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let table = super::table();
    let mut ids: Vec<usize> = Vec::new();
    let mut with_subs = |c: &super::table::Command| {
        ids.push(c.id);
        ids.extend(c.subcommands.values().map(|s| s.id));
    };
    if args.len() == 2 {
        table.commands().for_each(&mut with_subs);
    } else {
        args[2..]
            .iter()
            .filter_map(|a| super::table::lookup_full(a))
            .for_each(&mut with_subs);
    }
    let stats = &ctx.keys.engine_ref().stats.latency;
    let found: Vec<(usize, &crate::util::latency::Histogram)> = ids
        .into_iter()
        .filter_map(|id| stats.get(id).and_then(|h| h.as_deref()).map(|h| (id, h)))
        .collect();
    ctx.out.map(found.len());
    for (id, h) in found {
        ctx.out.bulk(table.names[id].as_bytes());
        ctx.out.map(2);
        ctx.out.bulk(b"calls");
        ctx.out.int(h.total() as i64);
        ctx.out.bulk(b"histogram_usec");
        let cdf = h.cdf_usec();
        ctx.out.map(cdf.len());
        for (usec, count) in cdf {
            ctx.out.int(usec);
            ctx.out.int(count as i64);
        }
    }
    Ok(())
}

/// LATENCY LATEST: per event, its name, the newest sample's time and latency, and the largest ever.
fn latency_latest(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let events = &ctx.keys.engine_ref().latency_events.events;
    ctx.out.array(events.len());
    for (name, ts) in events {
        let (time, ms) = ts.latest();
        ctx.out.array(4);
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(time);
        ctx.out.int(ms as i64);
        ctx.out.int(ts.max as i64);
    }
    Ok(())
}

/// LATENCY HISTORY event: its (time, latency) samples, oldest first; none for an unknown event.
fn latency_history(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // The monitor's table compares names as C strings, case-sensitively.
    let name = String::from_utf8_lossy(crate::util::num::c_string(&args[2]));
    let Some(ts) = ctx
        .keys
        .engine_ref()
        .latency_events
        .events
        .get(name.as_ref())
    else {
        ctx.out.array(0);
        return Ok(());
    };
    let samples: Vec<(i64, u64)> = ts.samples().collect();
    ctx.out.array(samples.len());
    for (time, ms) in samples {
        ctx.out.array(2);
        ctx.out.int(time);
        ctx.out.int(ms as i64);
    }
    Ok(())
}

/// LATENCY RESET [event ...]: how many events were dropped.
fn latency_reset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let monitor = &mut ctx.keys.engine().latency_events;
    let n = if args.len() == 2 {
        monitor.reset(None)
    } else {
        args[2..].iter().map(|e| monitor.reset(Some(e))).sum()
    };
    ctx.out.int(n as i64);
    Ok(())
}

fn latency_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    super::connection::help_reply(
        ctx,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    Ok(())
}

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for all).
fn slowlog_get(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // The table's arity lets more through; slowlogCommand takes at most a count.
    if args.len() > 3 {
        return Err(super::table::subcommand_syntax_error("SLOWLOG", &args[1]));
    }
    let count = match args.get(2) {
        Some(a) => super::args::range_long(
            a,
            -1,
            i64::MAX,
            Some("ERR count should be greater than or equal to -1"),
        )?,
        None => 10,
    };
    let log = &ctx.keys.engine_ref().slowlog.entries;
    let n = if count == -1 {
        log.len()
    } else {
        log.len().min(count as usize)
    };
    ctx.out.array(n);
    for e in log.iter().take(n) {
        ctx.out.array(6);
        ctx.out.int(e.id as i64);
        ctx.out.int(e.time);
        ctx.out.int(e.duration as i64);
        ctx.out.array(e.args.len());
        for a in &e.args {
            ctx.out.bulk(a);
        }
        ctx.out.bulk(e.peer.as_bytes());
        ctx.out.bulk(&e.name);
    }
    Ok(())
}

fn slowlog_len(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let n = ctx.keys.engine_ref().slowlog.entries.len();
    ctx.out.int(n as i64);
    Ok(())
}

fn slowlog_reset(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.keys.engine().slowlog.entries.clear();
    ctx.out.ok();
    Ok(())
}

fn slowlog_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    super::connection::help_reply(
        ctx,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

fn dbsize(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let n = ctx.keys.len();
    ctx.out.int(n as i64);
    Ok(())
}

fn flush_mode(args: &[Bytes]) -> CmdResult {
    match args.len() {
        1 => Ok(()),
        2 if eq_ic(&args[1], "async") || eq_ic(&args[1], "sync") => Ok(()),
        _ => Err(SYNTAX),
    }
}

fn flushdb(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    flush_mode(args)?;
    let db = ctx.keys.db_index();
    let removed = ctx.engine().flush(Some(db));
    ctx.keys.add_dirty(removed as i64);
    // Propagated even when the database was already empty (forceCommandPropagation).
    ctx.prop.force = true;
    ctx.out.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    flush_mode(args)?;
    let removed = ctx.engine().flush(None);
    ctx.prop.force = true;
    ctx.keys.add_dirty(removed as i64);
    // With save points the emptied data set is saved at once, which also zeroes the changes count
    // (flushAllDataAndResetRDB).
    let now = ctx.now;
    if ctx.engine().has_save_points() {
        let _ = ctx.engine().save(now);
    }
    ctx.out.ok();
    Ok(())
}

fn save(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let e = ctx.engine();
    if e.saving() {
        return Err(CmdError::new("ERR Background save already in progress"));
    }
    match e.save(now) {
        Ok(()) => ctx.out.ok(),
        // Redis replies a bare ERR; the reason is in the log.
        Err(_) => return Err(CmdError::new("ERR")),
    }
    Ok(())
}

fn bgsave(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // SCHEDULE matters only while another background job runs, and none ever runs beside a save here.
    if args.len() > 2 || (args.len() == 2 && !eq_ic(&args[1], "schedule")) {
        return Err(SYNTAX);
    }
    let now = ctx.now;
    let in_exec = ctx.client.in_exec;
    let schedule = args.len() == 2;
    let e = ctx.engine();
    if e.saving() {
        return Err(CmdError::new("ERR Background save already in progress"));
    }
    if e.snapshot_running() && !in_exec && !schedule {
        return Err(CmdError::new("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."));
    }
    // Inside MULTI/EXEC a save cannot start (Redis's fork is not allowed there): the cron starts it.
    if in_exec || e.snapshot_running() {
        e.rdb.bgsave_scheduled = true;
        ctx.out.simple("Background saving scheduled");
        return Ok(());
    }
    match e.bgsave(now) {
        Ok(()) => ctx.out.simple("Background saving started"),
        Err(_) => return Err(CmdError::new("ERR")),
    }
    Ok(())
}

fn bgrewriteaof(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let in_exec = ctx.client.in_exec;
    let e = ctx.engine();
    if e.aof_rewriting() {
        return Err(CmdError::new(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    if e.snapshot_running() || in_exec {
        e.aof.rewrite_scheduled = true;
        e.aof.consecutive_failures = 0;
        ctx.out
            .simple("Background append only file rewriting scheduled");
        return Ok(());
    }
    if e.aof_rewrite_background().is_err() {
        return Err(CmdError::new(
            "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
        ));
    }
    ctx.out
        .simple("Background append only file rewriting started");
    Ok(())
}

fn time(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    ctx.out.array(2);
    ctx.out.bulk(d.as_secs().to_string().as_bytes());
    ctx.out.bulk(d.subsec_micros().to_string().as_bytes());
    Ok(())
}

fn lastsave(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.out.int(ctx.keys.engine().last_save);
    Ok(())
}

fn shutdown(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // As shutdownCommand: options accumulate (a repeated one is fine), then the illegal combinations.
    let mut req = ShutdownRequest::default();
    let (mut save, mut nosave, mut abort) = (false, false, false);
    for a in &args[1..] {
        if eq_ic(a, "nosave") {
            nosave = true;
        } else if eq_ic(a, "save") {
            save = true;
        } else if eq_ic(a, "now") {
            req.now = true;
        } else if eq_ic(a, "force") {
            req.force = true;
        } else if eq_ic(a, "abort") {
            abort = true;
        } else {
            return Err(SYNTAX);
        }
    }
    if (abort && (save || nosave || req.now || req.force)) || (save && nosave) {
        return Err(SYNTAX);
    }
    // A SHUTDOWN completes within the command that asked for it; what can be pending is one a signal
    // asked for, which the cron has not carried out yet (abortShutdown).
    if abort {
        let asap = &ctx.keys.engine().shutdown_asap;
        if !asap.swap(false, std::sync::atomic::Ordering::AcqRel) {
            return Err(CmdError::new("ERR No shutdown in progress."));
        }
        tracing::info!("Shutdown manually aborted.");
        ctx.out.ok();
        return Ok(());
    }
    req.save = (save || nosave).then_some(save);
    if ctx.client.multi.is_some() || ctx.client.in_exec {
        return Err(CmdError::new(
            "ERR Command not allowed inside a transaction",
        ));
    }
    let now = ctx.now;
    if !ctx.keys.engine().prepare_shutdown(req, now) {
        return Err(CmdError::new("ERR Errors trying to SHUTDOWN. Check logs."));
    }
    // Saved (or not) already: the server only has to stop now.
    ctx.keys.engine().shutdown = Some(ShutdownRequest {
        save: Some(false),
        ..req
    });
    Ok(())
}

// ---- INFO ----

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b < 1024.0 {
        format!("{bytes}B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.2}K", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", b / 1024.0 / 1024.0)
    } else {
        format!("{:.2}G", b / 1024.0 / 1024.0 / 1024.0)
    }
}

fn cpu_times() -> (f64, f64) {
    // SAFETY: getrusage only writes into the struct we pass.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut ru) != 0 {
            return (0.0, 0.0);
        }
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        (t(ru.ru_stime), t(ru.ru_utime))
    }
}

/// The text of one INFO section, or None for an unknown name.
fn info_section(ctx: &mut Ctx, name: &str) -> Option<String> {
    use std::fmt::Write;
    let s = &*ctx.keys.engine();
    let mut o = String::new();
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    match name {
        "server" => {
            let up = s.started.elapsed().as_secs();
            let _ = write!(
                o,
                "# Server\r\nredis_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{:040x}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\nserver_name:mini-redis\r\nmini_redis_version:{}\r\n",
                super::connection::REDIS_VERSION,
                std::env::consts::OS,
                std::env::consts::ARCH,
                std::process::id(),
                s.started.elapsed().as_nanos() ^ (std::process::id() as u128) << 64,
                s.tcp_port,
                now_us,
                up,
                up / 86400,
                s.config.hz,
                s.config.hz,
                (now_us / 1_000_000) as u64 & ((1 << 24) - 1),
                std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
                s.config.config_file.clone().unwrap_or_default(),
                env!("CARGO_PKG_VERSION"),
            );
        }
        "clients" => {
            let _ = write!(
                o,
                "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:{}\r\ntracking_clients:0\r\nclients_in_timeout_table:{}\r\n",
                // Replicas are not counted as clients, as in Redis.
                s.clients.len() - s.journal.replicas.len(),
                s.config.maxclients,
                s.blocked_count(),
                s.blocked_count(),
            );
        }
        "memory" => {
            let used = crate::util::alloc::allocated() as u64;
            let rss = rss_bytes();
            let used = if used == 0 { rss } else { used };
            let maxmem: u64 = s
                .config
                .get("maxmemory")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let _ = write!(
                o,
                "# Memory\r\nused_memory:{}\r\nused_memory_human:{}\r\nused_memory_rss:{}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{}\r\nused_memory_peak_human:{}\r\nused_memory_dataset:{}\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nmem_fragmentation_ratio:{:.2}\r\nmem_allocator:mimalloc\r\n",
                used,
                human(used),
                rss,
                human(rss),
                crate::util::alloc::peak().max(used as usize),
                human(crate::util::alloc::peak().max(used as usize) as u64),
                used,
                maxmem,
                human(maxmem),
                s.config.get("maxmemory-policy").unwrap_or("noeviction"),
                if used > 0 { rss as f64 / used as f64 } else { 0.0 },
            );
        }
        "persistence" => {
            let snap = s.rdb.snapshot.as_ref();
            let _ = write!(
                o,
                "# Persistence\r\nloading:{}\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:{}\r\ncurrent_save_keys_total:{}\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\n",
                s.loading_dataset.is_some() as u8,
                snap.map(|x| x.keys_processed).unwrap_or(0),
                snap.map(|x| x.keys_total).unwrap_or(0),
                s.dirty(),
                snap.is_some_and(|x| x.background && !x.aof_rewrite) as u8,
                s.last_save,
                if s.rdb.last_bgsave_ok { "ok" } else { "err" },
                s.rdb.last_bgsave_time_sec,
                snap.filter(|x| x.background && !x.aof_rewrite)
                    .map(|x| x.started.elapsed().as_secs() as i64)
                    .unwrap_or(-1),
                s.rdb.saves,
                s.last_load.keys_expired,
                s.last_load.keys_loaded,
            );
            s.aof_info(&mut o);
            if let Some(since) = s.loading_dataset {
                let (loaded, total) = s.load_progress.get();
                let (perc, remaining) = if total > 0 {
                    (
                        loaded as f64 / total as f64 * 100.0,
                        total.saturating_sub(loaded),
                    )
                } else {
                    (0.0, 0)
                };
                let elapsed = (crate::util::num::now_ms() / 1000 - since).max(0) as u64;
                let eta = if elapsed == 0 {
                    1
                } else {
                    elapsed * remaining / (loaded + 1)
                };
                let _ = write!(
                    o,
                    "loading_start_time:{since}\r\nloading_total_bytes:{total}\r\nloading_rdb_used_mem:0\r\nloading_loaded_bytes:{loaded}\r\nloading_loaded_perc:{perc:.2}\r\nloading_eta_seconds:{eta}\r\n"
                );
            }
        }
        "stats" => {
            let st = &s.stats;
            let _ = write!(
                o,
                "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ninstantaneous_input_kbps:0.00\r\ninstantaneous_output_kbps:0.00\r\nrejected_connections:{}\r\nsync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\nexpired_keys:{}\r\nexpired_stale_perc:{:.2}\r\nexpired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:0\r\nevicted_keys:0\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\nlatest_fork_usec:0\r\ntotal_forks:{}\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:0\r\ntracking_total_items:0\r\ntracking_total_prefixes:0\r\nunexpected_error_replies:{}\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:{}\r\ntotal_writes_processed:{}\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nreply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
                st.total_connections_received,
                st.total_commands_processed,
                s.ops_per_sec,
                st.total_net_input_bytes,
                st.total_net_output_bytes,
                st.rejected_connections,
                st.expired_keys,
                st.expired_stale_perc * 100.0,
                st.keyspace_hits,
                st.keyspace_misses,
                s.pubsub.channels.len(),
                s.pubsub.numpat(),
                st.total_forks,
                st.unexpected_error_replies,
                st.total_error_replies,
                st.total_reads_processed,
                st.total_reads_processed,
            );
        }
        "replication" => {
            let j = &s.journal;
            let _ = write!(
                o,
                "# Replication\r\nrole:master\r\nconnected_slaves:{}\r\n",
                j.replicas.len()
            );
            for (i, r) in j.replicas.iter().enumerate() {
                let ip = r.addr.rsplit_once(':').map(|(ip, _)| ip).unwrap_or("");
                let _ = write!(
                    o,
                    "slave{i}:ip={ip},port={},state=online,offset={},lag=0\r\n",
                    r.listening_port, r.ack_offset
                );
            }
            let active = j.is_active() as u8;
            let _ = write!(
                o,
                "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:{active}\r\nrepl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n",
                s.repl_id,
                j.offset,
                active,
                j.offset.min(1 << 20)
            );
        }
        "cpu" => {
            let (sys, user) = cpu_times();
            let _ = write!(
                o,
                "# CPU\r\nused_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\nused_cpu_sys_main_thread:{sys:.6}\r\nused_cpu_user_main_thread:{user:.6}\r\n"
            );
        }
        "modules" => o.push_str("# Modules\r\n"),
        "errorstats" => {
            o.push_str("# Errorstats\r\n");
            let mut errs: Vec<_> = s.stats.errors.iter().collect();
            errs.sort();
            for (k, v) in errs {
                let _ = write!(o, "errorstat_{k}:count={v}\r\n");
            }
        }
        "cluster" => o.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
        "keyspace" => {
            o.push_str("# Keyspace\r\n");
            for (i, (keys, expires)) in s.db_sizes().enumerate() {
                if keys > 0 {
                    let _ = write!(o, "db{i}:keys={keys},expires={expires},avg_ttl=0\r\n");
                }
            }
        }
        "commandstats" => {
            o.push_str("# Commandstats\r\n");
            let names = &super::table().names;
            let mut rows: Vec<(String, crate::engine::CmdStat)> = Vec::new();
            for (id, st) in s.stats.commands.iter().enumerate() {
                if st.calls > 0 || st.rejected > 0 || st.failed > 0 {
                    rows.push((names[id].clone(), *st));
                }
            }
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, st) in rows {
                let per = if st.calls > 0 {
                    st.usec as f64 / st.calls as f64
                } else {
                    0.0
                };
                let _ = write!(
                    o,
                    "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                    name, st.calls, st.usec, per, st.rejected, st.failed
                );
            }
        }
        "latencystats" => {
            o.push_str("# Latencystats\r\n");
            if s.config.latency_tracking {
                let names = &super::table().names;
                let mut rows: Vec<(&String, &crate::util::latency::Histogram)> = s
                    .stats
                    .latency
                    .iter()
                    .enumerate()
                    .filter_map(|(id, h)| Some((&names[id], h.as_deref()?)))
                    .collect();
                rows.sort_by(|a, b| a.0.cmp(b.0));
                for (name, h) in rows {
                    let ps: Vec<String> = s
                        .config
                        .latency_percentiles
                        .iter()
                        .map(|&p| {
                            let v = h.value_at_percentile(p) as f64 / 1000.0;
                            format!("p{}={v:.3}", crate::util::latency::fmt_percentile(p))
                        })
                        .collect();
                    let _ = write!(o, "latency_percentiles_usec_{name}:{}\r\n", ps.join(","));
                }
            }
        }
        _ => return None,
    }
    Some(o)
}

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

fn info(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut wanted: Vec<String> = Vec::new();
    for a in &args[1..] {
        let n = String::from_utf8_lossy(a).to_ascii_lowercase();
        match n.as_str() {
            "default" => wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string())),
            "all" | "everything" => {
                wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
                wanted.push("commandstats".into());
                wanted.push("latencystats".into());
            }
            _ => wanted.push(n),
        }
    }
    if wanted.is_empty() {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
    }
    let mut seen = std::collections::HashSet::new();
    let mut parts = Vec::new();
    for w in wanted {
        if !seen.insert(w.clone()) {
            continue;
        }
        if let Some(text) = info_section(ctx, &w) {
            parts.push(text);
        }
    }
    let text = parts.join("\r\n");
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

// ---- CONFIG ----

fn config_get(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    for pat in &args[2..] {
        for (k, v) in ctx.keys.engine().config.matching(pat) {
            if !pairs.iter().any(|(n, _)| *n == k) {
                pairs.push((k, v));
            }
        }
    }
    ctx.out.map(pairs.len());
    for (k, v) in pairs {
        ctx.out.bulk(k.as_bytes());
        ctx.out.bulk(v.as_bytes());
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // configSetCommand: an odd number of words is a syntax error (fewer than four is the arity's).
    if !args.len().is_multiple_of(2) {
        return Err(SYNTAX);
    }
    // Names as typed, for the error texts; the parameter each stands for (aliases are the same one).
    let pairs: Vec<(String, String)> = args[2..]
        .chunks(2)
        .map(|p| {
            (
                String::from_utf8_lossy(&p[0]).to_string(),
                String::from_utf8_lossy(&p[1]).to_string(),
            )
        })
        .collect();
    // All names are checked before any value, in order: the first unknown, immutable or repeated one is
    // the error. An alias is a parameter of its own there (Redis keeps a copy of the entry under it).
    for (i, (name, _)) in pairs.iter().enumerate() {
        let why = match crate::config::Config::param(name) {
            None => {
                return Err(CmdError::echoing(
                    "ERR Unknown option or number of arguments for CONFIG SET - '",
                    &args[2 + 2 * i],
                    "'",
                ))
            }
            Some((_, false)) => Some("can't set immutable config"),
            Some(_) if pairs[..i].iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) => {
                Some("duplicate parameter")
            }
            Some(_) => None,
        };
        if let Some(why) = why {
            return Err(CmdError::from(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
            )));
        }
    }
    // All or nothing: apply to a copy, then commit.
    let mut cfg = ctx.keys.engine().config.clone();
    for (name, value) in &pairs {
        if let Err(e) = cfg.set(name, value) {
            let why = match e {
                SetError::Unknown => "Unknown option".to_string(),
                SetError::Immutable => "can't set immutable config".to_string(),
                SetError::Invalid(m) => m,
            };
            // Here the name is the parameter's entry, lower case.
            return Err(CmdError::from(format!(
                "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
                name.to_ascii_lowercase()
            )));
        }
    }
    let in_exec = ctx.client.in_exec;
    let e = ctx.keys.engine();
    let old = std::mem::replace(&mut e.config, cfg);
    // updateAppendonly: the AOF switched on (a first rewrite makes its base) or off.
    let aof_on = e.config.get("appendonly") == Some("yes");
    if aof_on && e.aof.state == crate::engine::aof::State::Off {
        if e.aof_start(in_exec).is_err() {
            e.config = old;
            return Err(CmdError::new(
                "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs.",
            ));
        }
    } else if !aof_on && e.aof.state != crate::engine::aof::State::Off {
        e.aof_stop();
    }
    e.config_changed();
    e.aof_refresh();
    // updateAofAutoGCEnabled: turning the AOF's garbage collection back on deletes the history at once.
    if pairs
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("aof-disable-auto-gc"))
    {
        let _ = e.aof_del_history_files();
    }
    ctx.out.ok();
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let n = ctx.keys.engine().stats.commands.len();
    ctx.keys.engine().stats = crate::engine::Stats {
        commands: vec![Default::default(); n],
        ..Default::default()
    };
    // instantaneous_ops_per_sec starts over too (resetServerStats resets the instantaneous metrics).
    ctx.keys.engine().ops_samples.clear();
    ctx.keys.engine().ops_per_sec = 0;
    ctx.out.ok();
    Ok(())
}

fn config_rewrite(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let Some(path) = ctx.keys.engine().config.config_file.clone() else {
        return Err(CmdError::new(
            "ERR The server is running without a config file",
        ));
    };
    let text = ctx.keys.engine().config.render();
    std::fs::write(&path, text)
        .map_err(|e| CmdError::from(format!("ERR Rewriting config file: {e}")))?;
    ctx.out.ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    super::connection::help_reply(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

// ---- COMMAND ----
// COMMAND describes Redis 7.0's whole command table (240 commands, 366 with subcommands), as redis-server
// does: client libraries read it to learn arities, flags and key positions, and compare it with Redis's.

fn info_of(ctx: &Ctx, r: &super::meta::Replies) -> &'static [u8] {
    if ctx.client.resp >= 3 {
        r.info3
    } else {
        r.info2
    }
}

fn command(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let all = super::meta::all();
    let names = all.top_level();
    ctx.out.array(names.len());
    for n in names {
        if let Some(r) = all.replies.get(n) {
            ctx.out.raw(info_of(ctx, r));
        }
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.out.int(super::meta::all().top_level().len() as i64);
    Ok(())
}

fn command_list(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let all = super::meta::all();
    let mut names = all.names();
    match args.len() {
        2 => {}
        5 if eq_ic(&args[2], "filterby") => {
            let v = &args[4];
            if eq_ic(&args[3], "pattern") {
                names.retain(|n| crate::util::glob::glob_match(v, n.as_bytes(), true));
            } else if eq_ic(&args[3], "aclcat") {
                let cat = String::from_utf8_lossy(v).to_ascii_lowercase();
                names.retain(|n| all.categories.get(*n).is_some_and(|c| c.contains(&cat)));
            } else if eq_ic(&args[3], "module") {
                names.clear();
            } else {
                return Err(SYNTAX);
            }
        }
        _ => return Err(SYNTAX),
    }
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

fn command_info(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() == 2 {
        return command(ctx, args);
    }
    let all = super::meta::all();
    ctx.out.array(args.len() - 2);
    for a in &args[2..] {
        let name = String::from_utf8_lossy(a).to_ascii_lowercase();
        match all.replies.get(&name) {
            Some(r) => ctx.out.raw(info_of(ctx, r)),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn command_docs(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let all = super::meta::all();
    let names: Vec<String> = if args.len() == 2 {
        all.top_level().into_iter().map(String::from).collect()
    } else {
        args[2..]
            .iter()
            .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
            .collect()
    };
    let items: Vec<&[u8]> = names
        .iter()
        .filter_map(|n| all.replies.get(n))
        .map(|r| {
            if ctx.client.resp >= 3 {
                r.docs3
            } else {
                r.docs2
            }
        })
        .filter(|d| !d.is_empty())
        .collect();
    ctx.out.map(items.len());
    for i in items {
        ctx.out.raw(i);
    }
    Ok(())
}

fn command_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    const LINES: &[&str] = &[
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(LINES.len());
    for l in LINES {
        ctx.out.simple(l);
    }
    Ok(())
}

fn command_getkeys(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = &args[2..];
    let Some(cmd) = super::lookup(&sub[0]) else {
        return Err(CmdError::new("ERR Invalid command specified"));
    };
    // getKeysSubcommandImpl's order: the command (a container's subcommand must exist), whether it has
    // keys at all, the arity, then the keys themselves.
    let cmd = if !cmd.subcommands.is_empty() && sub.len() > 1 {
        let name = format!(
            "{}|{}",
            cmd.name,
            String::from_utf8_lossy(&sub[1]).to_ascii_lowercase()
        );
        cmd.subcommands
            .get(&name)
            .ok_or(CmdError::new("ERR Invalid command specified"))?
    } else {
        cmd
    };
    if cmd.first_key <= 0 && !cmd.has(super::flags::MOVABLEKEYS) {
        return Err(CmdError::new("ERR The command has no key arguments"));
    }
    let ar = cmd.arity;
    if (ar > 0 && ar as usize != sub.len()) || (sub.len() as i32) < -ar {
        return Err(CmdError::new(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let pos = super::key_positions_checked(cmd, sub).unwrap_or_default();
    if pos.is_empty() {
        if cmd.has(super::flags::NO_MANDATORY_KEYS) {
            ctx.out.array(0);
            return Ok(());
        }
        return Err(CmdError::new("ERR Invalid arguments specified for command"));
    }
    ctx.out.array(pos.len());
    for p in pos {
        ctx.out.bulk(&sub[p]);
    }
    Ok(())
}

// ---- DEBUG, MEMORY, misc ----

fn debug(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mode = ctx
        .keys
        .engine()
        .config
        .get("enable-debug-command")
        .unwrap_or("no");
    let local = ctx.client.addr.starts_with("127.") || ctx.client.addr.starts_with("[::1]");
    if !(mode == "yes" || mode == "local" && local) {
        return Err(CmdError::new("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."));
    }
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    match (sub.as_str(), args.len()) {
        ("sleep", 3) => {
            let secs = super::arg_f64(&args[2])?;
            // Like Redis, the whole server sleeps: the lock is held.
            std::thread::sleep(std::time::Duration::from_secs_f64(secs.clamp(0.0, 3600.0)));
            ctx.out.ok();
        }
        ("aof-flush-sleep", 3) => {
            // atoi, as debug.c reads it: "x" is 0.
            let us = crate::util::num::c_strtol(&args[2]);
            ctx.engine().aof.flush_sleep_us = us.clamp(0, 60_000_000) as u64;
            ctx.out.ok();
        }
        // debug.c does not look at the arguments after LOADAOF.
        ("pause-cron", 3) => {
            ctx.engine().cron_paused = crate::util::num::c_strtol(&args[2]) != 0;
            ctx.out.ok();
        }
        ("loadaof", _) => {
            let mut replayer = super::dispatch::AofReplayer::default();
            use crate::engine::aof::LoadStatus;
            let r = ctx.engine().aof_debug_reload(&mut replayer);
            if r != LoadStatus::Ok && r != LoadStatus::Empty {
                // As debug.c: a server that cannot load its own AOF does not go on.
                tracing::warn!("DEBUG LOADAOF failed: exiting");
                std::process::exit(1);
            }
            ctx.prop.prevent = true;
            ctx.out.ok();
        }
        ("reload", _) => {
            if args[2..].iter().any(|a| {
                !["merge", "noflush", "nosave"]
                    .iter()
                    .any(|o| super::eq_ic(a, o))
            }) {
                return Err(CmdError::new(
                    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                ));
            }
            // As debug.c: save the data set (unless NOSAVE), then load the file back in its place. NOFLUSH and
            // MERGE are accepted; the file always replaces the data set here.
            let now = ctx.now;
            let nosave = args[2..].iter().any(|a| super::eq_ic(a, "nosave"));
            if !nosave && ctx.engine().save(now).is_err() {
                return Err(CmdError::new("ERR"));
            }
            match ctx.engine().load_from_disk() {
                Ok(true) => {}
                Ok(false) => return Err(CmdError::new("ERR Error trying to load the RDB dump")),
                Err(e) => {
                    tracing::warn!("{e}");
                    return Err(CmdError::new("ERR Error trying to load the RDB dump"));
                }
            }
            tracing::warn!("DB reloaded by DEBUG RELOAD");
            ctx.out.ok();
        }
        ("log", 3) => {
            tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(&args[2]));
            ctx.out.ok();
        }
        ("set-active-expire", 3) => {
            ctx.keys.engine().active_expire_enabled = arg_i64(&args[2])? != 0;
            ctx.out.ok();
        }
        ("set-skip-checksum-validation", 3) => {
            // atoi, as debug.c: anything that is not a number is 0.
            let on = crate::util::num::parse_i64(&args[2]).unwrap_or(0) != 0;
            ctx.keys.engine().skip_checksum_validation = on;
            ctx.out.ok();
        }
        ("object", 3) => {
            let key = args[2].clone();
            let opts = ctx.engine().save_options();
            let Some(e) = ctx.keys.peek_entry(&key) else {
                return Err(super::NO_SUCH_KEY);
            };
            let enc = e.value.encoding();
            let ser = crate::persist::convert::serialized_length(&e.value, &opts);
            let (lru, idle) = (e.lru, e.idle_secs());
            ctx.out.simple(&format!(
                "Value at:0x7f0000000000 refcount:1 encoding:{enc} serializedlength:{ser} lru:{lru} lru_seconds_idle:{idle}"
            ));
        }
        ("digest", 2) => {
            let d = ctx.engine().digest();
            ctx.out.simple(&crate::db::digest::hex(&d));
        }
        ("digest-value", _) => {
            // Like Redis: no lookup, so logically expired keys still count.
            ctx.out.array(args.len() - 2);
            for k in &args[2..] {
                let d = crate::db::digest::of_value(ctx.keys.view().get(k));
                ctx.out.simple(&crate::db::digest::hex(&d));
            }
        }
        ("protocol", 3) => debug_protocol(ctx, &args[2])?,
        ("error", 3) => {
            return Err(CmdError::from(
                String::from_utf8_lossy(&args[2]).into_owned(),
            ))
        }
        ("change-repl-id", 2) => ctx.out.ok(),
        ("quicklist-packed-threshold", 3) => {
            // Accepted as Redis accepts it; our list nodes have no separate "plain" layout to switch.
            let sz = crate::config::parse_memory(&String::from_utf8_lossy(&args[2]));
            // quicklistisSetPackedThreshold: 0 restores the default; above 4 GB less 1 MB is refused.
            if sz.is_none_or(|n| n > (1 << 32) - (1 << 20)) {
                return Err(CmdError::new(
                    "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
                ));
            }
            ctx.out.ok();
        }
        ("listpack", 3) => {
            let key = args[2].clone();
            if ctx.keys.peek_entry(&key).is_none() {
                return Err(super::NO_SUCH_KEY);
            }
            ctx.out.simple("Listpack structure printed on stdout");
        }
        ("jmap", 2) => ctx.out.ok(),
        ("help", _) => {
            super::connection::help_reply(
                ctx,
                "DEBUG",
                &[
                    "LOG <message>",
                    "    Write <message> to the server log.",
                    "OBJECT <key>",
                    "    Show low level info about `key` and associated value.",
                    "SET-ACTIVE-EXPIRE <0|1>",
                    "    Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis behavior). Setting it to 1 reenables back the default.",
                    "SLEEP <seconds>",
                    "    Stop the server for <seconds>. Decimals allowed.",
                ],
            );
        }
        _ => {
            return Err(super::table::subcommand_syntax_error("DEBUG", &args[1]));
        }
    }
    Ok(())
}

/// DEBUG PROTOCOL: one reply of each RESP type, as Redis's debug.c sends them (RESP2 gets the fallbacks).
fn debug_protocol(ctx: &mut Ctx, name: &[u8]) -> CmdResult {
    let o = &mut *ctx.out;
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    match name.as_str() {
        "string" => o.bulk(b"Hello World"),
        "integer" => o.int(12345),
        // Redis's sample value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        "double" => o.double(3.141),
        "bignum" => {
            let n = b"1234567999999999999999999999999999999";
            if o.resp >= 3 {
                o.raw(b"(");
                o.raw(n);
                o.raw(b"\r\n");
            } else {
                o.bulk(n);
            }
        }
        "null" => o.null(),
        "array" | "set" => {
            if name == "set" {
                o.set(3);
            } else {
                o.array(3);
            }
            for j in 0..3 {
                o.int(j);
            }
        }
        "map" => {
            o.map(3);
            for j in 0..3 {
                o.int(j);
                o.boolean(j == 1);
            }
        }
        "attrib" => {
            if o.resp >= 3 {
                o.raw(b"|1\r\n");
                o.bulk(b"key-popularity");
                o.array(2);
                o.bulk(b"key:123");
                o.int(90);
            }
            o.bulk(b"Some real reply following the attribute");
        }
        "push" => {
            if o.resp < 3 {
                return Err(CmdError::new("ERR RESP2 is not supported by this command"));
            }
            o.push(2);
            o.bulk(b"server-cpu-usage");
            o.int(42);
            o.bulk(b"Some real reply following the push reply");
        }
        "true" => o.boolean(true),
        "false" => o.boolean(false),
        "verbatim" => o.verbatim(b"This is a verbatim\nstring"),
        _ => return Err(CmdError::new("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")),
    }
    Ok(())
}

fn memory_usage(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 3 {
        if args.len() != 5 || !eq_ic(&args[3], "samples") {
            return Err(SYNTAX);
        }
        arg_i64(&args[4])?;
    }
    let key = args[2].clone();
    match ctx.keys.read_entry(&key) {
        Some(e) => {
            let n = e.value.mem_usage() + key.len() + 56;
            ctx.out.int(n as i64);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// SYNC or ASYNC, or nothing.
fn flush_mode_ok(args: &[Bytes]) -> bool {
    args.len() == 2 || (args.len() == 3 && (eq_ic(&args[2], "async") || eq_ic(&args[2], "sync")))
}

/// With no scripts stored yet (issue 12) there is nothing to flush; the arguments are checked as eval.c does.
fn script_flush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if !flush_mode_ok(args) {
        return Err(CmdError::new(
            "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
        ));
    }
    ctx.out.ok();
    Ok(())
}

/// As functionFlushCommand: more than one option is the generic subcommand error.
fn function_flush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 3 {
        return Err(super::table::subcommand_syntax_error("FUNCTION", &args[1]));
    }
    if !flush_mode_ok(args) {
        return Err(CmdError::new(
            "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
        ));
    }
    // A change of the data set (functionFlushCommand's dirty++): counted, and propagated as sent.
    ctx.keys.add_dirty(1);
    ctx.out.ok();
    Ok(())
}
