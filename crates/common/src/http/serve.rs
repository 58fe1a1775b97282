//! Serving a router until shutdown: stop accepting, let in-flight requests finish within a
//! grace period, then return. Plain HTTP, or HTTPS when the settings carry a certificate: the
//! same router, the same limits, the same draining and the same `ConnectInfo<SocketAddr>`
//! either way.
//!
//! The loop drives hyper itself because `axum::serve` sets no timer, so hyper's header-read
//! timeout never fires there, and it has no connection cap. Here every connection
//! * must send a request's headers within `header_read_timeout`; an HTTP/1.1 connection waiting
//!   for its next request is on that clock too, so it is also the keep-alive idle timeout;
//! * is closed after `idle_timeout` with nothing read or nothing written while a write waits,
//!   which covers what the header clock does not: a client silent before its first byte, an
//!   idle HTTP/2 connection, a reader that stops reading its answer;
//! * counts against the listener's `max_connections` ([`Capped`]).

use std::{convert::Infallible, net::SocketAddr};

use anyhow::Context;
use axum::{Router, extract::ConnectInfo, serve::Listener};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
};
use tokio::net::TcpListener;
use tokio_io_timeout::TimeoutStream;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::{connections::Capped, tls_listener::TlsListener};
use crate::config::HttpSettings;

/// Binds the service's public address. Port 0 picks a free port (tests).
pub async fn bind(settings: &HttpSettings) -> anyhow::Result<TcpListener> {
    bind_port(settings, settings.port).await
}

/// Binds the service's admin address (metrics), on the same interface.
pub async fn bind_admin(settings: &HttpSettings) -> anyhow::Result<TcpListener> {
    bind_port(settings, settings.admin_port).await
}

async fn bind_port(settings: &HttpSettings, port: u16) -> anyhow::Result<TcpListener> {
    let address = SocketAddr::new(settings.host, port);
    TcpListener::bind(address).await.with_context(|| format!("cannot listen on {address}"))
}

/// Serves until `shutdown` is cancelled, then drains in-flight requests for at most
/// `settings.shutdown_grace`. With `settings.tls` every connection must be TLS.
pub async fn serve(
    service: &'static str,
    listener: TcpListener,
    router: Router,
    settings: &HttpSettings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let address = listener.local_addr()?;
    let scheme = if settings.tls.is_some() { "https" } else { "http" };
    tracing::info!(service, %address, scheme, max_connections = settings.max_connections, "listening");
    let capped = Capped::new(listener, settings.max_connections, service);
    match &settings.tls {
        None => accept_until(capped, router, settings, shutdown).await,
        Some(tls) => accept_until(TlsListener::new(capped, tls), router, settings, shutdown).await,
    }
    tracing::info!(service, "stopped");
    Ok(())
}

async fn accept_until<L>(
    mut listener: L,
    router: Router,
    settings: &HttpSettings,
    shutdown: CancellationToken,
) where
    L: Listener<Addr = SocketAddr>,
{
    let connections = connection_builder(settings);
    let graceful = GracefulShutdown::new();
    loop {
        let (io, remote) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => break,
        };
        let mut io = TimeoutStream::new(io);
        io.set_read_timeout(Some(settings.idle_timeout));
        io.set_write_timeout(Some(settings.idle_timeout));
        let router = router.clone();
        let handler = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            let answered = router.clone().oneshot(request);
            async move { Ok::<_, Infallible>(answered.await.unwrap_or_else(|never| match never {})) }
        });
        let connection = connections.serve_connection_with_upgrades(TokioIo::new(Box::pin(io)), handler);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            // Timeouts, resets and clients that hang up end up here all day: a debug line.
            if let Err(error) = connection.await {
                tracing::debug!(%remote, error = %error, "connection closed with an error");
            }
        });
    }
    // Closes the port: new clients are refused while the open connections drain.
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(settings.shutdown_grace) => {
            let grace = settings.shutdown_grace;
            tracing::warn!(?grace, "in-flight requests did not finish within the grace period");
        }
    }
}

/// HTTP/1.1 and HTTP/2 (ALPN offers h2 on TLS ports), with the header-read clock running.
fn connection_builder(settings: &HttpSettings) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(settings.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    builder
}
