//! The `mini-redis-server` binary: configuration from argv (as redis-server takes it), then serve until
//! SHUTDOWN, SIGINT or SIGTERM.
use mini_redis::{server, Config};

#[global_allocator]
static GLOBAL: mini_redis::util::alloc::Counting<mimalloc::MiMalloc> =
    mini_redis::util::alloc::Counting(mimalloc::MiMalloc);

/// mimalloc's `mi_option_purge_delay`: 15 in the option enum of the bundled mimalloc (v2 and v3 alike); the
/// Rust bindings do not name it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// mimalloc v3's `mi_option_allow_thp` (43 in its option enum).
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

fn main() -> anyhow::Result<()> {
    // Give freed pages back to the OS immediately rather than after 10 ms of allocator activity, so RSS
    // tracks the dataset (after deletes and table resizes) as closely as Redis's jemalloc does.
    // SAFETY: sets a process-wide allocator option; no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-v" || a == "--version") {
        println!(
            "mini-redis server v={} (Redis 7.0 compatible)",
            env!("CARGO_PKG_VERSION")
        );
        return Ok(());
    }
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("Usage: mini-redis-server [/path/to/redis.conf] [options]\n       mini-redis-server --port 7777\n       mini-redis-server /etc/redis/6379.conf --loglevel verbose --requirepass secret");
        return Ok(());
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("\n*** FATAL CONFIG FILE ERROR (mini-redis) ***\n{e}");
            std::process::exit(1);
        }
    };
    if let Err(e) =
        mini_redis::util::log::init(config.get("logfile").unwrap_or(""), &config.loglevel)
    {
        eprintln!("Can't open the log file: {e}");
        std::process::exit(1);
    }
    let pid = std::process::id();
    mini_redis::util::log::set_role(b'C');
    tracing::warn!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    tracing::warn!(
        "Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid={pid}, just started"
    );
    if args.is_empty() {
        tracing::warn!("Warning: no config file specified, using the default config. In order to specify a config file use mini-redis-server /path/to/redis.conf");
    } else {
        tracing::warn!("Configuration loaded");
    }
    mini_redis::util::log::set_role(b'M');
    if config.get("disable-thp") != Some("no") {
        disable_thp();
    }

    // One thread serves clients, as Redis's default `io-threads 1` does: the store is behind one lock, so a second
    // worker mostly contends for it and for the CPU (measured on 2 cores with the client beside it: -P 16 SET
    // 0.49M/s with two workers against 0.78M/s with one, and a BGSAVE's worst latency 15 ms against 9 ms).
    // `io-threads N` asks for N.
    let threads = config.io_threads.max(1);
    let rt = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            // Woken connections run in the order they were woken (see .cargo/config.toml).
            .disable_lifo_slot()
            .enable_all()
            .build()?
    };
    // Signals are caught from the start: a SIGTERM that arrives while the port is already open must go
    // through the saving shutdown, not the default action.
    let handles_tx = start_signal_thread();
    rt.block_on(async move {
        let port = config.port;
        let show_logo = config.get("always-show-logo") == Some("yes")
            || mini_redis::util::log::to_terminal(config.get("logfile").unwrap_or(""));
        let listening = match server::Listening::bind(config).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("Failed listening on port {port} (TCP), aborting: {e}");
                std::process::exit(1);
            }
        };
        if show_logo {
            mini_redis::util::log::raw(&mini_redis::util::log::logo(listening.port, pid));
        } else {
            tracing::info!("Running mode=standalone, port={}.", listening.port);
        }
        tracing::warn!("Server initialized");
        {
            let s = listening.shared.store.lock();
            let _ = handles_tx.send((s.shutdown_asap.clone(), s.save_tmp.clone()));
        }
        let _req = listening.run_loading().await;
        tracing::warn!("Redis is now ready to exit, bye bye...");
    });
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    Ok(())
}

/// `disable-thp yes` (the default), as Redis's THPDisable: no transparent huge pages for this process. Redis
/// only needs it when THP is `always`; we need it under `madvise` too, because mimalloc madvises its
/// segments for huge pages, and a huge-page fault may stall in direct compaction for milliseconds (seen as
/// 7 ms pauses in a BGSAVE's sweep, which fills fresh buffers under the store's lock).
fn disable_thp() {
    // SAFETY: process-wide settings; no memory is touched.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0);
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// The flags the signal thread acts on: the store's shutdown_asap and the temp file of a running save.
type SignalHandles = (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::sync::Arc<parking_lot::Mutex<Option<std::path::PathBuf>>>,
);

/// Catches SIGINT and SIGTERM on a thread with a runtime of its own, and returns where to send the flags it
/// acts on once the store exists (signals that come before wait for them). The handler only raises a flag
/// the server's cron acts on (it never waits for the store, which a shutdown save may hold); a second SIGINT
/// while one is pending exits at once, as Redis's sigShutdownHandler. Not on the server's runtime: a
/// foreground save holds one worker and the store's lock, the other workers may all be waiting on that
/// lock, and the second SIGINT must still be heard.
fn start_signal_thread() -> std::sync::mpsc::Sender<SignalHandles> {
    use tokio::signal::unix::{signal, SignalKind};
    let (handles_tx, handles_rx) = std::sync::mpsc::channel::<SignalHandles>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                use std::sync::atomic::Ordering;
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    return;
                };
                let _ = ready_tx.send(());
                let Ok((asap, save_tmp)) = handles_rx.recv() else {
                    return;
                };
                loop {
                    let sigint = tokio::select! {
                        _ = int.recv() => true,
                        _ = term.recv() => false,
                    };
                    if sigint && asap.load(Ordering::Acquire) {
                        tracing::warn!("You insist... exiting now.");
                        if let Some(tmp) = save_tmp.lock().take() {
                            let _ = std::fs::remove_file(tmp);
                        }
                        std::process::exit(1);
                    }
                    if sigint {
                        tracing::warn!("Received SIGINT scheduling shutdown...");
                    } else {
                        tracing::warn!("Received SIGTERM scheduling shutdown...");
                    }
                    asap.store(true, Ordering::Release);
                }
            });
        });
    // Without handlers the default action would kill the server without its shutdown save: refuse to run.
    if spawned.is_err() || ready_rx.recv().is_err() {
        tracing::warn!("Can't install the signal handlers");
        std::process::exit(1);
    }
    handles_tx
}
