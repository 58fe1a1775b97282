//! Serving a router until shutdown: stop accepting, let in-flight requests finish within a
//! grace period, then return. Plain HTTP, or HTTPS when the settings carry a certificate: the
//! same router, the same draining and the same `ConnectInfo<SocketAddr>` either way.

use std::net::SocketAddr;

use anyhow::Context;
use axum::{Router, serve::ListenerExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::tls_listener::TlsListener;
use crate::config::HttpSettings;

/// Binds the service's address. Port 0 picks a free port (tests).
pub async fn bind(settings: &HttpSettings) -> anyhow::Result<TcpListener> {
    let address = SocketAddr::new(settings.host, settings.port);
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
    tracing::info!(service, %address, scheme, "listening");
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    let drain = shutdown.clone().cancelled_owned();
    let server = match &settings.tls {
        None => axum::serve(listener, app).with_graceful_shutdown(drain).into_future(),
        // axum provides `ConnectInfo<SocketAddr>` for its own listeners and for any listener
        // wrapped by `tap_io`; this no-op tap is what gives it to ours.
        Some(tls) => axum::serve(TlsListener::new(listener, tls).tap_io(|_| {}), app)
            .with_graceful_shutdown(drain)
            .into_future(),
    };
    let grace = settings.shutdown_grace;
    tokio::select! {
        served = server => served.context("server failed")?,
        () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(service, ?grace, "in-flight requests did not finish within the grace period");
        }
    }
    tracing::info!(service, "stopped");
    Ok(())
}
