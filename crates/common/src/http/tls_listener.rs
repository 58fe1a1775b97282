//! A listener that speaks TLS, for `axum::serve`: it accepts TCP connections and hands axum
//! only those whose handshake succeeded.
//!
//! Each handshake runs in its own task with a deadline, so a slow, silent or broken client
//! delays nobody else; at most [`MAX_PENDING_HANDSHAKES`] run at once, after which new
//! connections wait in the kernel's backlog. Dropping the listener (axum does so when shutdown
//! begins) closes the port and abandons the handshakes still running.

use std::{io, net::SocketAddr, time::Duration};

use axum::serve::Listener;
use tokio::{
    net::{TcpListener, TcpStream},
    task::JoinSet,
};
use tokio_rustls::{TlsAcceptor, server::TlsStream};

use crate::tls::ServerTls;

/// Longest a client may take to complete its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once.
const MAX_PENDING_HANDSHAKES: usize = 1024;

type Accepted = (TlsStream<TcpStream>, SocketAddr);

/// A TCP listener whose connections are TLS sessions.
pub(super) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<Accepted>>,
}

impl TlsListener {
    pub(super) fn new(tcp: TcpListener, tls: &ServerTls) -> Self {
        Self { tcp, acceptor: tls.acceptor(), handshakes: JoinSet::new() }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    // Cancel-safe, as axum needs (it races this with the shutdown signal): a TCP accept is
    // cancel-safe, and finished handshakes wait in the set for the next call.
    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                accepted = self.tcp.accept(), if self.handshakes.len() < MAX_PENDING_HANDSHAKES => {
                    match accepted {
                        Ok((stream, remote)) => {
                            self.handshakes.spawn(handshake(self.acceptor.clone(), stream, remote));
                        }
                        Err(error) => accept_failed(error).await,
                    }
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
        self.tcp.local_addr()
    }
}

async fn handshake(acceptor: TlsAcceptor, stream: TcpStream, remote: SocketAddr) -> Option<Accepted> {
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

/// What axum does with its own TCP listener: a connection that died while queued is nothing;
/// anything else (out of file descriptors) is logged and waited out for a second.
async fn accept_failed(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accept error");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
