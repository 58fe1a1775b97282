//! Serving a router until shutdown: stop accepting, let in-flight requests finish within a
//! grace period, then return.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::HttpSettings;

/// Binds the service's address. Port 0 picks a free port (tests).
pub async fn bind(settings: &HttpSettings) -> anyhow::Result<TcpListener> {
    let address = SocketAddr::new(settings.host, settings.port);
    TcpListener::bind(address).await.with_context(|| format!("cannot listen on {address}"))
}

/// Serves until `shutdown` is cancelled, then drains in-flight requests for at most
/// `settings.shutdown_grace`.
pub async fn serve(
    service: &'static str,
    listener: TcpListener,
    router: Router,
    settings: &HttpSettings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!(service, %address, "listening");
    let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let grace = settings.shutdown_grace;
    tokio::select! {
        served = server.into_future() => served.context("server failed")?,
        () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(service, ?grace, "in-flight requests did not finish within the grace period");
        }
    }
    tracing::info!(service, "stopped");
    Ok(())
}
