//! Per-client state: identity, selected database, protocol version, MULTI queue, WATCHed keys, subscriptions,
//! what it is blocked on, the shared handle through which other clients deliver messages (pub/sub, served
//! blocking pops, kills), and the registry of every connected client, which the server owns.
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{mpsc, Notify};

use crate::util::HashMap;

/// CLIENT REPLY mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command.
    Skip,
    /// Set while the command after CLIENT REPLY SKIP runs.
    SkipThis,
}

/// The part of a client that other clients reach: its outbox and kill switch.
pub struct ClientHandle {
    pub id: u64,
    /// Queued output; `None` asks the connection to close (CLIENT KILL, shutdown, buffer limits).
    tx: mpsc::UnboundedSender<Option<Bytes>>,
    /// Bytes queued in the outbox and not yet written to the socket.
    pub pending: AtomicUsize,
    /// When the outbox went over the soft limit (ms), 0 if it is under.
    soft_since: AtomicI64,
    pub killed: AtomicBool,
    pub kill_notify: Notify,
}

impl ClientHandle {
    pub fn new(id: u64) -> (Arc<ClientHandle>, mpsc::UnboundedReceiver<Option<Bytes>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Arc::new(ClientHandle {
                id,
                tx,
                pending: AtomicUsize::new(0),
                soft_since: AtomicI64::new(0),
                killed: AtomicBool::new(false),
                kill_notify: Notify::new(),
            }),
            rx,
        )
    }

    /// Queues bytes for the client. With a limit (hard, soft, soft seconds) as client-output-buffer-limit sets
    /// it, a client whose queue grows past it is disconnected instead of growing the server's memory.
    pub fn send(&self, data: Bytes, limit: Option<(u64, u64, u64)>, now_ms: i64) {
        if self.killed.load(Ordering::Relaxed) {
            return;
        }
        let len = data.len();
        let pending = self.pending.fetch_add(len, Ordering::Relaxed) + len;
        if let Some((hard, soft, secs)) = limit {
            let over_hard = hard > 0 && pending as u64 > hard;
            let mut over_soft = false;
            if soft > 0 && pending as u64 > soft {
                let since = self.soft_since.load(Ordering::Relaxed);
                if since == 0 {
                    self.soft_since.store(now_ms, Ordering::Relaxed);
                } else if now_ms - since > secs as i64 * 1000 {
                    over_soft = true;
                }
            } else {
                self.soft_since.store(0, Ordering::Relaxed);
            }
            if over_hard || over_soft {
                tracing::warn!(
                    "Client id={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                    self.id
                );
                self.kill();
                return;
            }
        }
        if self.tx.send(Some(data)).is_err() {
            self.pending.fetch_sub(len, Ordering::Relaxed);
        }
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    /// Asks the client's connection to close.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Relaxed);
        // The notify reaches a connection stuck writing; the message reaches an idle one.
        self.kill_notify.notify_one();
        let _ = self.tx.send(None);
    }
}

/// One client's state. It lives in the store's `Clients` registry; its connection task takes it out for the
/// batch of commands it runs under the store lock.
pub struct Client {
    pub id: u64,
    pub db: usize,
    pub resp: u8,
    pub name: Option<Bytes>,
    pub authenticated: bool,
    /// Queued commands while in MULTI.
    pub multi: Option<Vec<Vec<Bytes>>>,
    /// A command failed to queue: EXEC must abort.
    pub multi_error: bool,
    /// Running the commands of an EXEC (blocking commands do not block).
    pub in_exec: bool,
    /// Never blocks (the AOF client: CLIENT_DENY_BLOCKING); a blocking command answers as on a timeout.
    pub deny_blocking: bool,
    pub channels: HashSet<Bytes>,
    pub patterns: HashSet<Bytes>,
    pub reply_mode: ReplyMode,
    pub close_after_reply: bool,
    pub block: Option<BlockRequest>,
    /// Set while `cmd::serve_blocked` re-runs this (blocked) client's command because `key` was written:
    /// as in Redis, the command is served from that key only, and a key of another type keeps it waiting.
    pub serving_key: Option<Bytes>,
    pub handle: Arc<ClientHandle>,
    pub addr: String,
    pub laddr: String,
    pub created: Instant,
    pub last_cmd: String,
    pub no_evict: bool,
    /// In MONITOR mode: every command other clients run is sent to it.
    pub monitor: bool,
    /// A replica after SYNC/PSYNC: the journal's stream is sent to it.
    pub replica: bool,
    /// REPLCONF listening-port, for INFO replication.
    pub repl_listening_port: u16,
    /// Unparsed input left in the read buffer after the last batch (CLIENT LIST qbuf).
    pub qbuf: usize,
    /// The end of the last batch or wait (CLIENT LIST idle).
    pub last_interaction: Instant,
}

impl Client {
    pub fn new(handle: Arc<ClientHandle>, addr: String, laddr: String, needs_auth: bool) -> Client {
        Client {
            id: handle.id,
            db: 0,
            resp: 2,
            name: None,
            authenticated: !needs_auth,
            multi: None,
            multi_error: false,
            in_exec: false,
            deny_blocking: false,
            channels: HashSet::new(),
            patterns: HashSet::new(),
            reply_mode: ReplyMode::On,
            close_after_reply: false,
            block: None,
            serving_key: None,
            handle,
            addr,
            laddr,
            created: Instant::now(),
            last_cmd: "NULL".into(),
            no_evict: false,
            monitor: false,
            replica: false,
            repl_listening_port: 0,
            qbuf: 0,
            last_interaction: Instant::now(),
        }
    }

    /// Subscribed to any channel or pattern.
    pub fn subscribed(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty()
    }
}

/// What a blocked client waits on (BLPOP and friends): its handler asks for keys and a deadline; the
/// connection adds the command, to be run again when a key is written.
pub struct BlockRequest {
    pub keys: Vec<Bytes>,
    /// Absolute deadline in Unix ms; 0 = forever.
    pub deadline: i64,
    /// The blocked command, in its own copies (a long wait must not pin the read buffer it came in).
    pub args: Vec<Bytes>,
    /// Its command's id in the command table (statistics when it is unblocked).
    pub command_id: Option<usize>,
}

impl BlockRequest {
    /// A handler's request to wait on `keys` until `deadline` (Unix ms, 0 = forever).
    pub fn new(keys: Vec<Bytes>, deadline: i64) -> BlockRequest {
        BlockRequest {
            keys,
            deadline,
            args: Vec::new(),
            command_id: None,
        }
    }
}

/// Every connected client, owned by the server as Redis owns its clients. A connection takes its own client
/// out of its slot for the batch it runs under the store lock, and puts it back at the end (a blocked client
/// being served is out the same way): an empty slot is a client whose commands are running, so it still
/// counts and its id still lists.
#[derive(Default)]
pub struct Clients {
    slots: HashMap<u64, Option<Box<Client>>>,
}

impl Clients {
    /// Registers a new connection's client.
    pub fn insert(&mut self, client: Box<Client>) {
        self.slots.insert(client.id, Some(client));
    }

    /// Forgets a client: its state, if it is in its slot.
    pub fn remove(&mut self, id: u64) -> Option<Box<Client>> {
        self.slots.remove(&id).flatten()
    }

    /// Takes a client out of its slot to run its commands; `None` if it is gone (killed) or already out.
    pub fn take(&mut self, id: u64) -> Option<Box<Client>> {
        self.slots.get_mut(&id).and_then(Option::take)
    }

    /// Puts a client taken out back in its slot. A slot forgotten meanwhile stays forgotten.
    pub fn put_back(&mut self, client: Box<Client>) {
        if let Some(slot) = self.slots.get_mut(&client.id) {
            *slot = Some(client);
        }
    }

    /// A client in its slot (not one whose commands are running).
    pub fn get(&self, id: u64) -> Option<&Client> {
        self.slots.get(&id).and_then(|s| s.as_deref())
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Client> {
        self.slots.get_mut(&id).and_then(|s| s.as_deref_mut())
    }

    /// Connected clients, those running included.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Ids of every connected client, those running included, in no particular order.
    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots.keys().copied()
    }

    /// The clients in their slots.
    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        self.slots.values().filter_map(|s| s.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: u64) -> Box<Client> {
        let (handle, _rx) = ClientHandle::new(id);
        Box::new(Client::new(handle, String::new(), String::new(), false))
    }

    #[test]
    fn a_client_out_of_its_slot_still_counts() {
        let mut clients = Clients::default();
        clients.insert(client(1));
        clients.insert(client(2));
        let Some(one) = clients.take(1) else {
            panic!("client 1 is in its slot");
        };
        assert!(clients.get(1).is_none() && clients.take(1).is_none());
        assert_eq!(clients.len(), 2);
        assert_eq!(clients.iter().count(), 1);
        clients.put_back(one);
        assert!(clients.get(1).is_some());
        // Forgotten while out: putting it back does not bring it back.
        let two = clients.take(2);
        assert!(clients.remove(2).is_none());
        if let Some(two) = two {
            clients.put_back(two);
        }
        assert!(clients.get(2).is_none());
        assert_eq!(clients.len(), 1);
    }
}
