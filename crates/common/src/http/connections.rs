//! How many connections a listener holds at once.
//!
//! Each connection costs a file descriptor, and the process has a fixed number of them: a client
//! that opens connections and never finishes a request would otherwise take them all, and every
//! service of the process, health included, would stop answering. [`Capped`] counts the
//! connections a listener has open; past its limit it closes each new one as soon as it is
//! accepted, so the client learns at once, and the connections already open keep being served.

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use axum::serve::Listener;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    sync::{OwnedSemaphorePermit, Semaphore},
};

/// A listener that holds at most a fixed number of connections open.
pub(super) struct Capped<L> {
    inner: L,
    permits: Arc<Semaphore>,
    service: &'static str,
}

impl<L> Capped<L> {
    pub(super) fn new(inner: L, max_connections: usize, service: &'static str) -> Self {
        Self { inner, permits: Arc::new(Semaphore::new(max_connections)), service }
    }
}

impl<L: Listener> Listener for Capped<L> {
    type Io = Counted<L::Io>;
    type Addr = L::Addr;

    // Cancel-safe when the inner accept is: nothing is held across the await.
    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, remote) = self.inner.accept().await;
            match Arc::clone(&self.permits).try_acquire_owned() {
                Ok(permit) => {
                    metrics::gauge!("http_connections_open", "service" => self.service).increment(1.0);
                    return (Counted { io, _permit: permit, service: self.service }, remote);
                }
                // Dropping the stream closes it: the client sees the end of the connection now
                // instead of waiting in the kernel's backlog.
                Err(_) => {
                    metrics::counter!("http_connections_shed_total", "service" => self.service).increment(1);
                    drop(io);
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that gives its place back when it closes.
pub(super) struct Counted<Io> {
    io: Io,
    _permit: OwnedSemaphorePermit,
    service: &'static str,
}

impl<Io> Drop for Counted<Io> {
    fn drop(&mut self) {
        metrics::gauge!("http_connections_open", "service" => self.service).decrement(1.0);
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for Counted<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Counted<Io> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
