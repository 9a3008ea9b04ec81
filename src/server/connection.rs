//! One client connection: read -> parse every complete request -> run them under one lock -> one write.
//! Also waits for blocked commands and delivers messages other clients queue for this one.
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::sock::Sock;
use super::Shared;
use crate::engine::client::{Client, ClientHandle};
use crate::engine::{ClientInfo, Store, Waiter};
use crate::resp::parse::Limits;
use crate::resp::{Out, Parser};

/// What the connection does after a batch.
enum Next {
    Read,
    Close,
    Block,
    /// SHUTDOWN ran: close and stop the server.
    Shutdown,
}

pub async fn serve(shared: Arc<Shared>, socket: TcpStream, id: u64, peer: std::net::SocketAddr) {
    let _ = socket.set_nodelay(true);
    let Ok(mut socket) = Sock::new(socket) else {
        return;
    };
    let laddr = socket
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (handle, mut rx) = ClientHandle::new(id);
    let mut client;
    {
        let mut store = shared.store.lock();
        let needs_auth = store.config.requirepass.is_some();
        client = Client::new(handle.clone(), peer.to_string(), laddr, needs_auth);
        store.stats.total_connections_received += 1;
        store.clients.insert(id, info_of(&client, 0));
    }
    if *shared.shutdown_tx.borrow() {
        // Accepted just as the server began shutting down.
        handle.kill();
    }
    let mut rbuf = BytesMut::with_capacity(16 * 1024);
    let mut out = Out::new(2);
    let mut parser = Parser::new();
    let mut args: Vec<Bytes> = Vec::with_capacity(8);

    'conn: loop {
        let mut next = Next::Read;
        if !rbuf.is_empty() {
            next = process(
                &shared,
                &mut client,
                &mut parser,
                &mut rbuf,
                &mut args,
                &mut out,
            );
        }
        if !out.buf.is_empty() {
            if socket.write_all(&out.buf).await.is_err() {
                break;
            }
            out.buf.clear();
            if out.buf.capacity() > 1 << 20 {
                out.buf = BytesMut::with_capacity(16 * 1024);
            }
        }
        match next {
            Next::Close => break,
            Next::Shutdown => {
                shared.request_shutdown();
                break;
            }
            Next::Block => {
                if !wait_blocked(
                    &shared,
                    &mut client,
                    &mut socket,
                    &mut rx,
                    &mut rbuf,
                    &mut out,
                )
                .await
                {
                    break;
                }
                if !out.buf.is_empty() {
                    if socket.write_all(&out.buf).await.is_err() {
                        break;
                    }
                    out.buf.clear();
                }
                continue;
            }
            Next::Read => {}
        }
        if client.handle.killed.load(Ordering::Relaxed) {
            break;
        }
        // Only wait for more input when the buffer holds no complete request.
        tokio::select! {
            r = socket.read_buf(&mut rbuf) => {
                match r {
                    Ok(0) | Err(_) => break 'conn,
                    // Only a large buffer is worth looking up client-query-buffer-limit for.
                    Ok(_) if rbuf.len() > 1 << 20 => {
                        let limit = shared
                            .store
                            .lock()
                            .config
                            .get("client-query-buffer-limit")
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(1 << 30);
                        if rbuf.len() > limit {
                            tracing::warn!(
                                "Closing client that reached max query buffer length (qbuf={})",
                                rbuf.len()
                            );
                            break 'conn;
                        }
                    }
                    Ok(_) => {}
                }
            }
            msg = rx.recv() => {
                let Some(Some(msg)) = msg else { break 'conn };
                if !write_outbox(&mut socket, &handle, msg, &mut rx).await {
                    break 'conn;
                }
            }
        }
    }
    cleanup(&shared, &mut client);
}

/// Writes one queued message and everything else already queued, in one write.
async fn write_outbox(
    socket: &mut Sock,
    handle: &ClientHandle,
    first: Bytes,
    rx: &mut mpsc::UnboundedReceiver<Option<Bytes>>,
) -> bool {
    let mut total = first.len();
    let mut killed = false;
    let ok = if let Ok(second) = rx.try_recv() {
        let Some(second) = second else {
            // Killed right after this message: deliver it, then close.
            write_or_killed(socket, handle, &first).await;
            handle.pending.fetch_sub(total, Ordering::Relaxed);
            return false;
        };
        let mut buf = BytesMut::with_capacity(first.len() + second.len());
        buf.extend_from_slice(&first);
        buf.extend_from_slice(&second);
        total += second.len();
        while buf.len() < 1 << 20 {
            match rx.try_recv() {
                Ok(Some(m)) => {
                    total += m.len();
                    buf.extend_from_slice(&m);
                }
                Ok(None) => {
                    killed = true;
                    break;
                }
                Err(_) => break,
            }
        }
        write_or_killed(socket, handle, &buf).await
    } else {
        write_or_killed(socket, handle, &first).await
    };
    handle.pending.fetch_sub(total, Ordering::Relaxed);
    ok && !killed
}

/// Writes unless the client is killed meanwhile (a subscriber that stopped reading must not pin its task).
async fn write_or_killed(socket: &mut Sock, handle: &ClientHandle, data: &[u8]) -> bool {
    tokio::select! {
        r = socket.write_all(data) => r.is_ok(),
        _ = handle.kill_notify.notified() => false,
    }
}

fn limits(store: &Store, client: &Client) -> Limits {
    Limits {
        proto_max_bulk_len: store.config.proto_max_bulk_len,
        unauthenticated: !client.authenticated,
    }
}

/// Runs every complete request in the read buffer under one acquisition of the store lock.
fn process(
    shared: &Shared,
    client: &mut Client,
    parser: &mut Parser,
    rbuf: &mut BytesMut,
    args: &mut Vec<Bytes>,
    out: &mut Out,
) -> Next {
    let mut store = shared.store.lock();
    let mut next = Next::Read;
    let before = rbuf.len();
    loop {
        let lim = limits(&store, client);
        match parser.parse(rbuf, args, lim) {
            Ok(true) => {
                if args.is_empty() {
                    continue;
                }
                out.resp = client.resp;
                crate::cmd::execute(&mut store, client, out, args);
                if client.close_after_reply || client.handle.killed.load(Ordering::Relaxed) {
                    next = Next::Close;
                    break;
                }
                if store.shutdown.is_some() {
                    next = Next::Shutdown;
                    break;
                }
                if let Some(b) = client.block.as_ref() {
                    let waiter = Waiter {
                        db: client.db,
                        // Own copies, so a long wait does not pin the read buffer the command came in.
                        args: args.iter().map(|a| Bytes::copy_from_slice(a)).collect(),
                        keys: b.keys.iter().map(|k| Bytes::copy_from_slice(k)).collect(),
                        resp: client.resp,
                        handle: client.handle.clone(),
                        authenticated: client.authenticated,
                        command_id: crate::cmd::resolve(args).ok().map(|c| c.id),
                    };
                    store.block(client.id, waiter);
                    next = Next::Block;
                    break;
                }
            }
            Ok(false) => break,
            Err(e) => {
                out.error(&format!("ERR {e}"));
                tracing::debug!("Protocol error from client id={}: {e}", client.id);
                next = Next::Close;
                break;
            }
        }
    }
    store.stats.total_net_input_bytes += (before - rbuf.len()) as u64;
    store.stats.total_net_output_bytes += out.buf.len() as u64;
    store.stats.total_reads_processed += 1;
    crate::cmd::serve_blocked(&mut store);
    let qbuf = rbuf.len();
    if let Some(info) = store.clients.get_mut(&client.id) {
        refresh_info(info, client, qbuf);
    }
    next
}

fn info_of(c: &Client, qbuf: usize) -> ClientInfo {
    ClientInfo {
        handle: c.handle.clone(),
        addr: c.addr.clone(),
        laddr: c.laddr.clone(),
        name: c.name.clone(),
        db: c.db,
        created: c.created,
        last_interaction: Instant::now(),
        last_cmd: c.last_cmd.clone(),
        resp: c.resp,
        sub: c.channels.len(),
        psub: c.patterns.len(),
        multi: c.multi.as_ref().map(|q| q.len() as i64).unwrap_or(-1),
        flags: flags_of(c),
        qbuf,
        no_evict: c.no_evict,
    }
}

/// CLIENT LIST's flags, in the order of Redis's catClientInfoString.
fn flags_of(c: &Client) -> String {
    let mut f = String::new();
    if c.monitor {
        f.push('O');
    } else if c.replica {
        f.push('S');
    }
    if c.subscribed() {
        f.push('P');
    }
    if c.multi.is_some() {
        f.push('x');
    }
    if c.block.is_some() {
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

fn refresh_info(info: &mut ClientInfo, c: &Client, qbuf: usize) {
    if info.name != c.name {
        info.name = c.name.clone();
    }
    info.db = c.db;
    info.last_interaction = Instant::now();
    if info.last_cmd != c.last_cmd {
        info.last_cmd.clone_from(&c.last_cmd);
    }
    info.resp = c.resp;
    info.sub = c.channels.len();
    info.psub = c.patterns.len();
    info.multi = c.multi.as_ref().map(|q| q.len() as i64).unwrap_or(-1);
    info.qbuf = qbuf;
    info.no_evict = c.no_evict;
    if c.block.is_some()
        || c.subscribed()
        || c.multi.is_some()
        || c.no_evict
        || c.monitor
        || c.replica
        || info.flags != "N"
    {
        info.flags = flags_of(c);
    }
}

/// Waits while the client is blocked: served by another client's write (the reply arrives in the outbox),
/// timed out, disconnected or killed. Returns false if the connection must close.
async fn wait_blocked(
    shared: &Shared,
    client: &mut Client,
    socket: &mut Sock,
    rx: &mut mpsc::UnboundedReceiver<Option<Bytes>>,
    rbuf: &mut BytesMut,
    out: &mut Out,
) -> bool {
    let deadline = client.block.as_ref().map(|b| b.deadline).unwrap_or(0);
    let sleep_for = if deadline == 0 {
        Duration::from_secs(365 * 24 * 3600)
    } else {
        Duration::from_millis((deadline - crate::util::num::now_ms()).max(0) as u64)
    };
    let timer = tokio::time::sleep(sleep_for);
    tokio::pin!(timer);
    let handle = client.handle.clone();
    let result = loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(Some(msg)) = msg else { break false };
                handle.pending.fetch_sub(msg.len(), Ordering::Relaxed);
                out.raw(&msg);
                let still = shared.store.lock().waiter(client.id).is_some();
                if !still {
                    break true;
                }
            }
            _ = &mut timer => {
                let mut store = shared.store.lock();
                if store.unblocked_by_timeout(client.id) {
                    out.resp = client.resp;
                    out.null_array();
                }
                break true;
            }
            r = socket.read_buf(rbuf) => {
                // Input is kept for after the block; a closed socket ends the wait.
                if matches!(r, Ok(0) | Err(_)) {
                    break false;
                }
            }
        }
    };
    client.block = None;
    // A reply sent while we were deciding is already queued: it goes out before anything else.
    let mut result = result;
    while let Ok(m) = rx.try_recv() {
        match m {
            Some(m) => {
                handle.pending.fetch_sub(m.len(), Ordering::Relaxed);
                out.raw(&m);
            }
            None => result = false,
        }
    }
    let mut store = shared.store.lock();
    let qbuf = rbuf.len();
    if let Some(info) = store.clients.get_mut(&client.id) {
        refresh_info(info, client, qbuf);
    }
    result
}

/// Forgets everything the store knows about a closed client.
fn cleanup(shared: &Shared, client: &mut Client) {
    let mut store = shared.store.lock();
    if store.forget_client(client.id) {
        tracing::info!("Connection with replica {} lost.", client.addr);
    }
    for ch in client.channels.drain() {
        store.pubsub.unsubscribe(&ch, client.id);
    }
    for p in client.patterns.drain() {
        store.pubsub.punsubscribe(&p, client.id);
    }
}
