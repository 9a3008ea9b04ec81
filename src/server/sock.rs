//! A client socket driven by readiness we track ourselves: a read that returns less than the free buffer
//! space means the socket is drained, so we mark it not-readable without the extra `read` that would return
//! EAGAIN. That saves a system call per request for non-pipelined clients (where Redis also makes one read).
use std::io;
use std::os::fd::AsRawFd;

use bytes::BytesMut;
use tokio::io::unix::AsyncFd;

/// Bytes each read may bring in at least (the read buffer grows to fit larger requests).
const READ_CHUNK: usize = 16 * 1024;

pub struct Sock {
    fd: AsyncFd<std::net::TcpStream>,
}

impl Sock {
    pub fn new(stream: tokio::net::TcpStream) -> io::Result<Sock> {
        let std = stream.into_std()?;
        std.set_nonblocking(true)?;
        // SAFETY: the AsyncFd owns the TcpStream, so the descriptor stays open and the same until it is dropped.
        let fd = unsafe { AsyncFd::register(std) }.map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Sock { fd })
    }

    pub fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.fd.get_ref().local_addr()
    }

    /// Appends what is available to `buf`; Ok(0) at end of stream. Cancel-safe: nothing is read until the
    /// socket is ready, and the read itself does not await.
    pub async fn read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        loop {
            let mut guard = self.fd.readable().await?;
            if buf.capacity() - buf.len() < READ_CHUNK {
                buf.reserve(READ_CHUNK);
            }
            let spare = buf.capacity() - buf.len();
            let fd = self.fd.get_ref().as_raw_fd();
            let dst = buf.spare_capacity_mut().as_mut_ptr() as *mut libc::c_void;
            // SAFETY: `dst` points to `spare` writable bytes owned by `buf`; read(2) writes at most that many.
            let n = unsafe { libc::read(fd, dst, spare) };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::WouldBlock => {
                        guard.clear_ready();
                        continue;
                    }
                    io::ErrorKind::Interrupted => continue,
                    _ => return Err(e),
                }
            }
            let n = n as usize;
            // SAFETY: read(2) initialised the first `n` bytes of the spare capacity.
            unsafe { buf.set_len(buf.len() + n) };
            if n < spare && n > 0 {
                // Drained. If data arrived since `readable()` returned, tokio keeps the socket ready.
                guard.clear_ready();
            }
            return Ok(n);
        }
    }

    /// Writes all of `data`, waiting for the socket to accept more when its buffer is full.
    pub async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let mut guard = self.fd.writable().await?;
            let r = guard.try_io(|inner| {
                // SAFETY: `data` is a valid slice; send(2) reads at most `data.len()` bytes from it.
                let n = unsafe {
                    libc::send(
                        inner.get_ref().as_raw_fd(),
                        data.as_ptr() as *const libc::c_void,
                        data.len(),
                        libc::MSG_NOSIGNAL,
                    )
                };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            match r {
                Ok(Ok(n)) => data = &data[n..],
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(Err(e)) => return Err(e),
                // Would block: readiness was cleared, wait for the socket to drain.
                Err(_) => {}
            }
        }
        Ok(())
    }
}
