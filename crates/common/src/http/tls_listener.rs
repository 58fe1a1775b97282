//! A listener that speaks TLS: it accepts connections from an inner listener (TCP, capped) and
//! hands on only those whose handshake succeeded.
//!
//! Each handshake runs in its own task with a deadline, so a slow, silent or broken client
//! delays nobody else; at most [`MAX_PENDING_HANDSHAKES`] run at once, after which new
//! connections wait in the kernel's backlog. Dropping the listener (axum does so when shutdown
//! begins) closes the port and abandons the handshakes still running.

use std::{io, net::SocketAddr, time::Duration};

use axum::serve::Listener;
use tokio::task::JoinSet;
use tokio_rustls::{TlsAcceptor, server::TlsStream};

use crate::tls::ServerTls;

/// Longest a client may take to complete its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once.
const MAX_PENDING_HANDSHAKES: usize = 1024;

type Accepted<Io> = (TlsStream<Io>, SocketAddr);

/// A listener whose connections are TLS sessions.
pub(super) struct TlsListener<L: Listener> {
    inner: L,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<Accepted<L::Io>>>,
}

impl<L: Listener> TlsListener<L> {
    pub(super) fn new(inner: L, tls: &ServerTls) -> Self {
        Self { inner, acceptor: tls.acceptor(), handshakes: JoinSet::new() }
    }
}

impl<L: Listener<Addr = SocketAddr>> Listener for TlsListener<L> {
    type Io = TlsStream<L::Io>;
    type Addr = SocketAddr;

    // Cancel-safe, as the serve loop needs (it races this with the shutdown signal): the inner
    // accept is cancel-safe, and finished handshakes wait in the set for the next call.
    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                (stream, remote) = self.inner.accept(), if self.handshakes.len() < MAX_PENDING_HANDSHAKES => {
                    self.handshakes.spawn(handshake(self.acceptor.clone(), stream, remote));
                }
                Some(finished) = self.handshakes.join_next() => {
                    if let Ok(Some(session)) = finished {
                        return session;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

async fn handshake<Io>(acceptor: TlsAcceptor, stream: Io, remote: SocketAddr) -> Option<Accepted<Io>>
where
    Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(session)) => Some((session, remote)),
        // Scanners and plain-HTTP clients end up here all day: worth a debug line, no more.
        Ok(Err(error)) => {
            tracing::debug!(%remote, %error, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%remote, timeout = ?HANDSHAKE_TIMEOUT, "TLS handshake timed out");
            None
        }
    }
}
