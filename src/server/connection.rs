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
use crate::engine::Store;
use crate::resp::parse::Limits;
use crate::resp::{Out, Parser};

/// What the connection does after a batch.
enum Next {
    Read,
    Close,
    /// A command blocked, until this deadline (Unix ms, 0 = forever).
    Block(i64),
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
    let addr = peer.to_string();
    {
        let mut store = shared.store.lock();
        let needs_auth = store.config.requirepass.is_some();
        let client = Client::new(handle.clone(), addr.clone(), laddr, needs_auth);
        store.stats.total_connections_received += 1;
        store.clients.insert(Box::new(client));
    }
    if *shared.shutdown_tx.borrow() {
        // Accepted just as the server began shutting down.
        handle.kill();
    }
    let durability = shared.store.lock().aof.durability.clone();
    let mut rbuf = BytesMut::with_capacity(16 * 1024);
    let mut out = Out::new(2);
    let mut parser = Parser::new();
    let mut args: Vec<Bytes> = Vec::with_capacity(8);

    'conn: loop {
        let mut next = Next::Read;
        if !rbuf.is_empty() {
            next = process(&shared, id, &mut parser, &mut rbuf, &mut args, &mut out);
        }
        if !out.buf.is_empty() {
            durability.wait().await;
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
            Next::Block(deadline) => {
                if !wait_blocked(
                    &shared,
                    &handle,
                    deadline,
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
                    durability.wait().await;
                    if socket.write_all(&out.buf).await.is_err() {
                        break;
                    }
                    out.buf.clear();
                }
                continue;
            }
            Next::Read => {}
        }
        if handle.is_killed() {
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
                durability.wait().await;
                if !write_outbox(&mut socket, &handle, msg, &mut rx).await {
                    break 'conn;
                }
            }
        }
    }
    cleanup(&shared, id, &addr);
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

/// Runs every complete request in the read buffer under one acquisition of the store lock, with the client
/// taken out of the registry for the batch and put back at its end.
fn process(
    shared: &Shared,
    id: u64,
    parser: &mut Parser,
    rbuf: &mut BytesMut,
    args: &mut Vec<Bytes>,
    out: &mut Out,
) -> Next {
    let mut store = shared.store.lock();
    // Gone: killed by another client since the last batch.
    let Some(mut client) = store.clients.take(id) else {
        return Next::Close;
    };
    let mut next = Next::Read;
    let before = rbuf.len();
    loop {
        let lim = limits(&store, &client);
        match parser.parse(rbuf, args, lim) {
            Ok(true) => {
                if args.is_empty() {
                    continue;
                }
                out.resp = client.resp;
                crate::cmd::execute(&mut store, &mut client, out, args);
                if client.close_after_reply || client.handle.killed.load(Ordering::Relaxed) {
                    next = Next::Close;
                    break;
                }
                if store.shutdown.is_some() {
                    next = Next::Shutdown;
                    break;
                }
                if let Some(b) = client.block.as_mut() {
                    // Own copies, so a long wait does not pin the read buffer the command came in.
                    b.args = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
                    for k in b.keys.iter_mut() {
                        *k = Bytes::copy_from_slice(k);
                    }
                    b.command_id = crate::cmd::resolve(args).ok().map(|c| c.id);
                    next = Next::Block(b.deadline);
                    store.block(&client);
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
    if !matches!(next, Next::Block(_)) {
        // A command that blocked as the connection was closing: never registered, so not blocked.
        client.block = None;
    }
    store.stats.total_net_input_bytes += (before - rbuf.len()) as u64;
    store.stats.total_net_output_bytes += out.buf.len() as u64;
    store.stats.total_reads_processed += 1;
    client.qbuf = rbuf.len();
    client.last_interaction = Instant::now();
    // Back before blocked clients are served: this one may be among them.
    store.clients.put_back(client);
    crate::cmd::serve_blocked(&mut store);
    // What the batch fed the AOF is written before its replies leave (and fsynced, under `always`, by
    // the first connection about to reply: see Durability::wait).
    store.aof_flush(false);
    next
}

/// Waits while the client is blocked: served by another client's write (the reply arrives in the outbox),
/// timed out, disconnected or killed. Returns false if the connection must close.
async fn wait_blocked(
    shared: &Shared,
    handle: &ClientHandle,
    deadline: i64,
    socket: &mut Sock,
    rx: &mut mpsc::UnboundedReceiver<Option<Bytes>>,
    rbuf: &mut BytesMut,
    out: &mut Out,
) -> bool {
    let sleep_for = if deadline == 0 {
        Duration::from_secs(365 * 24 * 3600)
    } else {
        Duration::from_millis((deadline - crate::util::num::now_ms()).max(0) as u64)
    };
    let timer = tokio::time::sleep(sleep_for);
    tokio::pin!(timer);
    let id = handle.id;
    let result = loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(Some(msg)) = msg else { break false };
                handle.pending.fetch_sub(msg.len(), Ordering::Relaxed);
                out.raw(&msg);
                let still = shared.store.lock().is_blocked(id);
                if !still {
                    break true;
                }
            }
            _ = &mut timer => {
                let mut store = shared.store.lock();
                let resp = store.clients.get(id).map(|c| c.resp);
                if let (Some(resp), true) = (resp, store.unblocked_by_timeout(id)) {
                    out.resp = resp;
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
    // Whatever ended the wait, the client no longer waits (a no-op when it was served or unblocked).
    store.unblock(id);
    match store.clients.get_mut(id) {
        Some(c) => {
            c.qbuf = rbuf.len();
            c.last_interaction = Instant::now();
            result
        }
        // Killed meanwhile.
        None => false,
    }
}

/// Forgets everything the store knows about a closed client.
fn cleanup(shared: &Shared, id: u64, addr: &str) {
    let mut store = shared.store.lock();
    if store.forget_client(id) {
        tracing::info!("Connection with replica {addr} lost.");
    }
}
