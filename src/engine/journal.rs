//! The journal: what commands propagate, collected per execution unit as Redis's also_propagate array and
//! emitted when the unit ends (more than one entry wrapped in MULTI/EXEC, SELECT before a change of database),
//! as the RESP stream a replica applies, and (less what goes to replicas only) as the AOF's feed.
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::engine::client::ClientHandle;

/// One attached replica (SYNC/PSYNC): where its stream goes.
pub struct Replica {
    pub id: u64,
    pub handle: Arc<ClientHandle>,
    pub addr: String,
    /// The port it said it listens on (REPLCONF listening-port), for INFO replication.
    pub listening_port: u16,
    /// The offset it last acknowledged (REPLCONF ACK).
    pub ack_offset: u64,
}

/// The AOF's side of the stream (feedAppendOnlyFile): its own selected database, the bytes not yet written.
#[derive(Default)]
pub struct AofFeed {
    /// Whether the AOF takes the stream (AOF on, or a rewrite running after it was switched on).
    pub on: bool,
    /// The database the AOF last selected (aof_selected_db); None forces a SELECT.
    pub seldb: Option<usize>,
    pub buf: Vec<u8>,
    /// aof-timestamp-enabled: a `#TS:<unix s>` annotation before the first command of each second.
    pub timestamps: bool,
    pub cur_timestamp: i64,
}

#[derive(Default)]
pub struct Journal {
    /// (db, argv, replicas only) of the current execution unit.
    pending: Vec<(usize, Vec<Bytes>, bool)>,
    pub aof: AofFeed,
    pub replicas: Vec<Replica>,
    /// The database the stream last selected (Redis's slaveseldb); None forces a SELECT.
    seldb: Option<usize>,
    /// Bytes of stream produced since the first replica attached (master_repl_offset).
    pub offset: u64,
    /// A stream exists once a replica attached (Redis creates its backlog then); before that nothing is kept.
    active: bool,
    /// The execution unit's stream, sent when it ends.
    buf: BytesMut,
    /// An AOF is being loaded: what its commands do is not propagated (Redis runs them outside call()).
    pub loading: bool,
}

fn encode(buf: &mut BytesMut, argv: &[&[u8]]) {
    buf.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for a in argv {
        buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

impl Journal {
    /// Whether anything consumes the stream (so callers can skip building rewritten commands).
    #[inline]
    pub fn is_active(&self) -> bool {
        (self.active || self.aof.on) && !self.loading
    }

    /// Whether the current execution unit has anything to emit.
    #[inline]
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Adds a command to the current execution unit (alsoPropagate).
    pub fn propagate(&mut self, db: usize, argv: Vec<Bytes>) {
        if self.is_active() {
            self.pending.push((db, argv, false));
        }
    }

    /// Adds a command that goes to replicas but not to the AOF (PUBLISH: PROPAGATE_REPL).
    pub fn propagate_to_replicas(&mut self, db: usize, argv: Vec<Bytes>) {
        if self.active && !self.loading {
            self.pending.push((db, argv, true));
        }
    }

    /// Ends the execution unit: emits its commands, wrapped in MULTI/EXEC when there is more than one, and
    /// sends them to every replica (propagatePendingCommands).
    pub fn flush(&mut self, now_ms: i64) {
        self.flush_unit(now_ms, false);
    }

    /// `arbitrary_keys`: the unit was a command that may touch any key (SCAN, RANDOMKEY: Redis's
    /// CMD_TOUCHES_ARBITRARY_KEYS); the deletions of expired keys it ran into go unwrapped, as active expiry's.
    pub fn flush_unit(&mut self, now_ms: i64, arbitrary_keys: bool) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let transaction = pending.len() > 1 && !arbitrary_keys;
        let (first, last) = (pending[0].0, pending[pending.len() - 1].0);
        if self.aof.on {
            if self.aof.timestamps {
                let now = now_ms.div_euclid(1000);
                if self.aof.cur_timestamp < now {
                    self.aof.cur_timestamp = now;
                    self.aof
                        .buf
                        .extend_from_slice(format!("#TS:{now}\r\n").as_bytes());
                }
            }
            if transaction {
                aof_emit(&mut self.aof, first, &[b"MULTI"]);
            }
            for (db, argv, repl_only) in &pending {
                if !repl_only {
                    let parts: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
                    aof_emit(&mut self.aof, *db, &parts);
                }
            }
            if transaction {
                aof_emit(&mut self.aof, last, &[b"EXEC"]);
            }
        }
        if !self.active {
            return;
        }
        if transaction {
            self.emit(first, &[b"MULTI"]);
        }
        for (db, argv, _) in &pending {
            let parts: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
            self.emit(*db, &parts);
        }
        if transaction {
            self.emit(last, &[b"EXEC"]);
        }
        self.send(now_ms);
    }

    fn send(&mut self, now_ms: i64) {
        let out = self.buf.split().freeze();
        self.offset += out.len() as u64;
        for r in &self.replicas {
            // Replicas have no output buffer limit here yet: client-output-buffer-limit replica is issue 15's.
            r.handle.send(out.clone(), None, now_ms);
        }
    }

    fn emit(&mut self, db: usize, argv: &[&[u8]]) {
        if self.seldb != Some(db) {
            let n = db.to_string();
            encode(&mut self.buf, &[b"SELECT", n.as_bytes()]);
            self.seldb = Some(db);
        }
        encode(&mut self.buf, argv);
    }

    /// A PING to every replica, in whatever database the stream is (no SELECT), outside any unit.
    pub fn ping(&mut self, now_ms: i64) {
        if self.replicas.is_empty() {
            return;
        }
        encode(&mut self.buf, &[b"PING"]);
        self.send(now_ms);
    }

    /// Attaches a replica whose snapshot was just taken: its stream starts with a SELECT.
    pub fn add_replica(&mut self, r: Replica) {
        self.active = true;
        self.seldb = None;
        self.replicas.push(r);
    }

    pub fn remove_replica(&mut self, id: u64) -> bool {
        let n = self.replicas.len();
        self.replicas.retain(|r| r.id != id);
        n != self.replicas.len()
    }

    pub fn replica_mut(&mut self, id: u64) -> Option<&mut Replica> {
        self.replicas.iter_mut().find(|r| r.id == id)
    }
}

/// Propagation requests a handler makes for its own command (Redis's rewriteClientCommandVector,
/// preventCommandPropagation and forceCommandPropagation).
#[derive(Default)]
pub struct Propagation {
    /// Propagate this instead of the command as sent.
    pub rewrite: Option<Vec<Bytes>>,
    /// Propagate nothing for the command itself (what it added with `also` still goes).
    pub prevent: bool,
    /// Propagate even though the data set did not change (FLUSHALL of an empty data set).
    pub force: bool,
    /// Propagate to replicas only, even though the data set did not change (PUBLISH: PROPAGATE_REPL).
    pub replicas_only: bool,
}

/// One command into the AOF's feed, after a SELECT when its database is not the one the AOF last selected.
fn aof_emit(aof: &mut AofFeed, db: usize, argv: &[&[u8]]) {
    if aof.seldb != Some(db) {
        let n = db.to_string();
        crate::persist::aof::write_command(&mut aof.buf, &[b"SELECT", n.as_bytes()]);
        aof.seldb = Some(db);
    }
    crate::persist::aof::write_command(&mut aof.buf, argv);
}

/// Shorthand for building a propagated command from static names and argument bytes.
pub fn argv(parts: &[&[u8]]) -> Vec<Bytes> {
    parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
}
