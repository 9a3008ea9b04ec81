//! The network layer: listeners, the accept loop with maxclients, background jobs (active expiry), shutdown.

pub mod connection;
pub mod sock;

use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use crate::config::Config;
use crate::engine::{ShutdownRequest, Store};

/// State shared by every task of one server.
pub struct Shared {
    pub store: Mutex<Store>,
    pub shutdown_tx: watch::Sender<bool>,
    pub next_id: AtomicU64,
    pub connected: AtomicUsize,
    /// The listening sockets, closed to new connections the moment shutdown is requested: the client whose
    /// SHUTDOWN closed its connection must find the port refusing, as after Redis's exit.
    /// Taken by the first request (the accept tasks drop the sockets after it, and the numbers may be reused).
    listen_fds: Mutex<Vec<std::os::fd::RawFd>>,
}

impl Shared {
    /// Starts a graceful shutdown (stop accepting, let connections finish their batch, then exit).
    /// Must not be called with the store lock held.
    pub fn request_shutdown(&self) {
        // Before anything is told to stop: the accept tasks still hold the sockets.
        for fd in std::mem::take(&mut *self.listen_fds.lock()) {
            // SAFETY: a listener the accept tasks still own (they end only after the watch below changes);
            // shutdown(SHUT_RD) on a listening TCP socket stops it listening and touches no memory.
            unsafe { libc::shutdown(fd, libc::SHUT_RD) };
        }
        // send_replace stores the value even while nobody is subscribed (send would drop it).
        self.shutdown_tx.send_replace(true);
        for c in self.store.lock().clients.iter() {
            c.handle.kill();
        }
    }
}

/// Binds every address of the `bind` directive; addresses prefixed with `-` are optional.
async fn bind_all(cfg: &Config) -> std::io::Result<Vec<TcpListener>> {
    let mut port = cfg.port;
    let mut out = Vec::new();
    let binds = if cfg.bind.is_empty() {
        vec!["127.0.0.1".to_string()]
    } else {
        cfg.bind.clone()
    };
    let mut last_err = None;
    for b in binds {
        let (optional, host) = match b.strip_prefix('-') {
            Some(h) => (true, h.to_string()),
            None => (false, b.clone()),
        };
        let host = match host.as_str() {
            "*" => "0.0.0.0".to_string(),
            "::*" => "::".to_string(),
            h => h.to_string(),
        };
        let ip: std::net::IpAddr = match host.parse() {
            Ok(ip) => ip,
            Err(_) => {
                if optional {
                    continue;
                }
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("Invalid bind address '{host}'"),
                ));
            }
        };
        let addr = SocketAddr::new(ip, port);
        let sock = if ip.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        };
        let r = sock.and_then(|s| {
            s.set_reuseaddr(true)?;
            s.bind(addr)?;
            s.listen(511)
        });
        match r {
            Ok(l) => {
                if port == 0 {
                    port = l.local_addr()?.port();
                }
                out.push(l);
            }
            Err(e) if optional => {
                tracing::debug!("optional bind {addr} skipped: {e}");
            }
            Err(e) => {
                tracing::warn!("Warning: Could not create server TCP listening socket {addr}: {e}");
                last_err = Some(e);
            }
        }
    }
    if let Some(e) = last_err {
        return Err(e);
    }
    if out.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            "no address to listen on",
        ));
    }
    Ok(out)
}

/// A server that is listening. `run` serves until shutdown.
pub struct Listening {
    pub shared: Arc<Shared>,
    listeners: Vec<TcpListener>,
    pub port: u16,
}

impl Listening {
    pub async fn bind(config: Config) -> std::io::Result<Listening> {
        let listeners = bind_all(&config).await?;
        let port = listeners[0].local_addr()?.port();
        let mut store = Store::new(config, crate::cmd::table().names.len());
        store.tcp_port = port;
        let (shutdown_tx, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            shutdown_tx,
            next_id: AtomicU64::new(1),
            connected: AtomicUsize::new(0),
            listen_fds: Mutex::new(listeners.iter().map(|l| l.as_raw_fd()).collect()),
        });
        Ok(Listening {
            shared,
            listeners,
            port,
        })
    }

    /// Loads the data set before any client is accepted: `load_into` the store, then `finish_load`. An error
    /// is logged as Redis logs it and returned: the server must not start on a damaged file.
    pub fn load_from_disk(&self) -> Result<(), crate::persist::load::LoadError> {
        let mut store = self.shared.store.lock();
        load_into(&mut store)?;
        finish_load(&mut store)
    }

    /// Serves clients while the data set loads, as Redis does (they get `-LOADING` until it is in; see below
    /// for when the first are taken), then until
    /// shutdown. The files are loaded into a store of their own, without the lock, and taken over at the end;
    /// a file that does not load ends the process, as it ends Redis.
    pub async fn run_loading(self) -> ShutdownRequest {
        let shared = self.shared.clone();
        let mut loader = {
            let mut store = shared.store.lock();
            let total = files_size(&store);
            store.loading_dataset = Some(crate::util::num::now_ms() / 1000);
            store.load_progress.start(total);
            let mut loader = Store::new(store.config.clone(), crate::cmd::table().names.len());
            loader.load_progress = store.load_progress.clone();
            loader
        };
        let sh = shared.clone();
        let load = tokio::task::spawn_blocking(move || {
            let r = load_into(&mut loader);
            let mut store = sh.store.lock();
            let r = r.and_then(|()| {
                store.adopt_loaded(loader);
                finish_load(&mut store)
            });
            // A failed load ends the process: until then, clients keep getting -LOADING.
            if r.is_ok() {
                store.loading_dataset = None;
            }
            r
        });
        tokio::pin!(load);
        // Clients wait in the listen backlog until the load first reports progress, as Redis first looks at
        // them at its first progress report (every loading-process-events-interval-bytes of an RDB file, every
        // 1024 AOF commands): a small file loads before anyone can see -LOADING.
        let progress = shared.store.lock().load_progress.clone();
        let mut loaded = None;
        while progress.get().0 == 0 {
            tokio::select! {
                r = &mut load => {
                    loaded = Some(r);
                    break;
                }
                _ = tokio::time::sleep(Duration::from_millis(2)) => {}
            }
        }
        let accepting = Accepting::start(&shared, self.listeners);
        let r = match loaded {
            Some(r) => r,
            None => {
                let mut rx = shared.shutdown_tx.subscribe();
                loop {
                    tokio::select! {
                        r = &mut load => break r,
                        // SHUTDOWN (or a signal) while loading: no need to wait for the rest of the files.
                        c = rx.changed() => {
                            if c.is_err() || *rx.borrow() {
                                return accepting.serve(shared).await;
                            }
                        }
                    }
                }
            }
        };
        if !matches!(r, Ok(Ok(()))) {
            std::process::exit(1);
        }
        tracing::info!("Ready to accept connections");
        accepting.serve(shared).await
    }

    /// Accepts and serves clients until shutdown is requested, then waits for connections to finish.
    pub async fn run(self) -> ShutdownRequest {
        let shared = self.shared.clone();
        let accepting = Accepting::start(&shared, self.listeners);
        tracing::info!("Ready to accept connections");
        accepting.serve(shared).await
    }
}

/// loadDataFromDisk into `store`: the AOF when `appendonly yes` (its manifest is read whatever `appendonly`
/// says: turned on later, the AOF goes on from it), else the RDB file.
fn load_into(store: &mut Store) -> Result<(), crate::persist::load::LoadError> {
    let fatal = || crate::persist::load::LoadError::Format("AOF loading failed".into());
    store.aof_load_manifest().map_err(|_| fatal())?;
    if store.config.get("appendonly") == Some("yes") {
        store.aof.state = crate::engine::aof::State::On;
        let t0 = Instant::now();
        // Loading runs commands as the AOF client: the statistics stay those of the clients.
        let stats = store.stats.clone();
        let mut replayer = crate::cmd::dispatch::AofReplayer::default();
        let r = store.aof_load(&mut replayer);
        store.stats = stats;
        use crate::engine::aof::LoadStatus;
        match r {
            LoadStatus::Failed | LoadStatus::OpenErr => return Err(fatal()),
            LoadStatus::NotExist => {}
            _ => tracing::info!(
                "DB loaded from append only file: {:.3} seconds",
                t0.elapsed().as_secs_f64()
            ),
        }
        return Ok(());
    }
    let r = store.load_from_disk();
    if let Err(e) = &r {
        e.log();
    }
    r.map(|_| ())
}

/// After the load (aofOpenIfNeededOnServerStart, aofDelHistoryFiles): the AOF opened for appending.
fn finish_load(store: &mut Store) -> Result<(), crate::persist::load::LoadError> {
    store
        .aof_open_on_start()
        .map_err(|_| crate::persist::load::LoadError::Format("AOF open failed".into()))?;
    let _ = store.aof_del_history_files();
    Ok(())
}

/// The bytes a start-up load of the RDB file will read (INFO loading_total_bytes); the AOF's loader sets its
/// own once it has read the manifest.
fn files_size(store: &Store) -> u64 {
    if store.config.get("appendonly") == Some("yes") {
        return 0;
    }
    std::fs::metadata(store.rdb_path())
        .map(|m| m.len())
        .unwrap_or(0)
}

/// The background jobs and accept loops of a running server.
struct Accepting {
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

impl Accepting {
    fn start(shared: &Arc<Shared>, listeners: Vec<TcpListener>) -> Accepting {
        let mut jobs = vec![
            tokio::spawn(active_expire_task(shared.clone())),
            tokio::spawn(replication_cron(shared.clone())),
            tokio::spawn(persistence_cron(shared.clone())),
        ];
        for l in listeners {
            jobs.push(tokio::spawn(accept_loop(shared.clone(), l)));
        }
        Accepting { jobs }
    }

    /// Serves until shutdown is requested, then waits for connections to finish their batch.
    async fn serve(self, shared: Arc<Shared>) -> ShutdownRequest {
        let mut rx = shared.shutdown_tx.subscribe();
        while !*rx.borrow() {
            if rx.changed().await.is_err() {
                break;
            }
        }
        for j in &self.jobs {
            j.abort();
        }
        let req = shared.store.lock().shutdown.unwrap_or_default();
        // Give connections a moment to finish the batch they are running and close.
        let t0 = Instant::now();
        while shared.connected.load(Ordering::Relaxed) > 0 && t0.elapsed() < Duration::from_secs(2)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        req
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let accepted = listener.accept().await;
        // Redis's accept loop runs until accept() fails with EAGAIN, which leaves errno there.
        shared.store.lock().errno_range = false;
        let (mut socket, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("Accepting client connection: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let maxclients = shared.store.lock().config.maxclients;
        if shared.connected.load(Ordering::Relaxed) >= maxclients {
            shared.store.lock().stats.rejected_connections += 1;
            let _ = socket
                .write_all(b"-ERR max number of clients reached\r\n")
                .await;
            continue;
        }
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        shared.connected.fetch_add(1, Ordering::Relaxed);
        let sh = shared.clone();
        tokio::spawn(async move {
            connection::serve(sh.clone(), socket, id, peer).await;
            sh.connected.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// Redis's replicationCron, once a second: a PING to replicas every `repl-ping-replica-period` seconds, so
/// they can tell a live master from a silent link (they give up after `repl-timeout`).
async fn replication_cron(shared: Arc<Shared>) {
    let mut loops: u64 = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut store = shared.store.lock();
        let period = store
            .config
            .get("repl-ping-replica-period")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(10)
            .max(1);
        if loops.is_multiple_of(period) {
            store.journal.ping(crate::util::num::now_ms());
        }
        loops += 1;
    }
}

/// Saves in the background: advances a BGSAVE in slices of a quarter millisecond, handing the lock to any waiting
/// client between them (so a client waits at most one slice), and goes on at once while nothing else waits;
/// otherwise, ten times a second, starts the BGSAVE a `save` point or BGSAVE SCHEDULE asks for (serverCron).
async fn persistence_cron(shared: Arc<Shared>) {
    loop {
        let pause = persistence_step(&shared);
        match pause {
            Some(d) => tokio::time::sleep(d).await,
            None => tokio::task::yield_now().await,
        }
    }
}

/// One turn of `persistence_cron`, under the lock: how long to pause before the next (`None`: go on at once,
/// after letting other tasks run).
fn persistence_step(shared: &Shared) -> Option<Duration> {
    let mut pause = Some(Duration::from_millis(100));
    let mut store = shared.store.lock();
    if store.cron_paused {
        parking_lot::MutexGuard::unlock_fair(store);
        return pause;
    }
    // A shutdown a signal asked for (serverCron's shutdown_asap): saves as SHUTDOWN would; a failed save
    // keeps the server running, as Redis does.
    // The flag stays up during the save: a second SIGINT meanwhile exits at once.
    if store
        .shutdown_asap
        .load(std::sync::atomic::Ordering::Acquire)
    {
        let now = crate::util::num::now_ms();
        if store.prepare_shutdown(Default::default(), now) {
            store.shutdown = Some(ShutdownRequest {
                save: Some(false),
                ..Default::default()
            });
            drop(store);
            shared.request_shutdown();
            return pause;
        }
        store
            .shutdown_asap
            .store(false, std::sync::atomic::Ordering::Release);
        tracing::warn!("SIGTERM received but errors trying to shut down the server, check the logs for more information");
    }
    if store.snapshot_running() {
        // rdb-key-save-delay (a test knob): one key per step, that long apart.
        let delay = store
            .config
            .get("rdb-key-save-delay")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        let limit = if delay > 0 { 1 } else { usize::MAX };
        let more = store.save_step(Instant::now() + Duration::from_micros(250), limit);
        pause = if delay > 0 {
            Some(Duration::from_micros(delay.clamp(1000, 10_000_000) as u64))
        } else if more && store.rdb.snapshot.as_ref().is_some_and(|s| s.backlogged()) {
            // The disk is behind: give the writer a moment rather than spinning on a full queue.
            Some(Duration::from_micros(500))
        } else if more {
            None
        } else {
            // Swept: only the writer thread's fsync and rename are left.
            Some(Duration::from_millis(1))
        };
    } else {
        let now = crate::util::num::now_ms();
        let due = store.save_point_due(now / 1000);
        if let Some((changes, secs)) = due {
            tracing::info!("{changes} changes in {secs} seconds. Saving...");
        }
        if due.is_some() || std::mem::take(&mut store.rdb.bgsave_scheduled) {
            let _ = store.bgsave(now);
            pause = None;
        }
    }
    // A scheduled or automatic rewrite, the AOF written and fsynced as its policy says.
    store.aof_cron();
    // Fair: a client batch waiting for the lock runs before the next slice.
    parking_lot::MutexGuard::unlock_fair(store);
    pause
}

/// Redis's serverCron expiry: every 1/hz seconds a cycle of at most 25% of the period, run in short slices so
/// clients are served in between.
async fn active_expire_task(shared: Arc<Shared>) {
    loop {
        let hz = shared.store.lock().config.hz.max(1);
        let period = Duration::from_millis(1000 / hz as u64);
        tokio::time::sleep(period).await;
        let cycle_end = Instant::now() + period / 4;
        // The cycle's own time (its slices' expiry work), for the latency monitor's "expire-cycle" event.
        let mut busy = Duration::ZERO;
        loop {
            let slice_end = (Instant::now() + Duration::from_millis(1)).min(cycle_end);
            // A bug here must not end active expiry for the life of the process: log it and go on.
            let more = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut store = shared.store.lock();
                if store.cron_paused {
                    return false;
                }
                let now = crate::util::num::now_ms();
                let t0 = Instant::now();
                let more = store.active_expire_slice(now, slice_end);
                busy += t0.elapsed();
                store.sample_ops();
                crate::db::refresh_lru_clock();
                crate::cmd::serve_blocked(&mut store);
                more
            }))
            .unwrap_or_else(|_| {
                tracing::error!("the expiry cron panicked; it goes on with the next cycle");
                false
            });
            if !more || Instant::now() >= cycle_end {
                break;
            }
            tokio::task::yield_now().await;
        }
        let ms = busy.as_millis() as u64;
        if ms > 0 {
            let mut store = shared.store.lock();
            let threshold = store.config.latency_monitor_threshold;
            let now = crate::util::num::now_ms() / 1000;
            store
                .latency_events
                .add_if_needed(threshold, "expire-cycle", ms, now);
        }
    }
}
