//! What the integration tests of the shared HTTP stack have in common: a server on a free port
//! of 127.0.0.1 with the shared stack around the given routes and the health routes.

use axum::Router;
use common::{
    config::HttpSettings,
    http::{self, Readiness},
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running server; `shutdown` stops it and `task` ends with what `serve` returned.
pub struct Served {
    pub port: u16,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<anyhow::Result<()>>,
}

/// Binds a free port and serves `routes` with `settings` until `shutdown` is cancelled.
pub async fn serve(settings: HttpSettings, routes: Router) -> Served {
    let router = http::stack(routes.merge(http::health_routes(Readiness::default())), "test", &settings);
    let listener = http::bind(&settings).await.expect("a free port");
    let port = listener.local_addr().expect("a bound listener has an address").port();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { http::serve("test", listener, router, &settings, shutdown).await }
    });
    Served { port, shutdown, task }
}
