//! mini-redis: a Redis 7.0-compatible in-memory data server. The library runs a server on a port (or an
//! ephemeral one) so it can be embedded and tested in-process; `src/main.rs` is the thin binary.
pub mod cmd;
pub mod config;
pub mod db;
pub mod engine;
pub mod persist;
pub mod resp;
pub mod server;
pub mod util;

pub use config::Config;

use std::sync::Arc;

/// A server running on its own thread and runtime; shut down on `shutdown()` or drop.
pub struct RunningServer {
    pub port: u16,
    shared: Arc<server::Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    /// Starts a server with `config` (port 0 picks a free port) on a background thread, after loading
    /// `<dir>/<dbfilename>` if it exists (an error if that file does not load).
    pub fn start(config: Config) -> std::io::Result<RunningServer> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            // Woken connections run in the order they were woken (see .cargo/config.toml).
            .disable_lifo_slot()
            .enable_all()
            .build()?;
        let listening = rt.block_on(server::Listening::bind(config))?;
        listening
            .load_from_disk()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
        let port = listening.port;
        let shared = listening.shared.clone();
        let thread = std::thread::spawn(move || {
            rt.block_on(listening.run());
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
        });
        Ok(RunningServer {
            port,
            shared,
            thread: Some(thread),
        })
    }

    /// A server on a free port with default settings and no persistence.
    pub fn start_default() -> std::io::Result<RunningServer> {
        let mut c = Config::default();
        let _ = c.set("port", "0");
        let _ = c.set("save", "");
        Self::start(c)
    }

    pub fn shared(&self) -> &Arc<server::Shared> {
        &self.shared
    }

    pub fn shutdown(&mut self) {
        self.shared.request_shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Waits until the server stops by itself (SHUTDOWN).
    pub fn wait(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
