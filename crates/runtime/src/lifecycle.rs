//! A built service: its HTTP listeners (the public one with its router, the admin one with
//! metrics), its pool and its messaging workers, run and stopped together, in the same order
//! for every service.

use axum::Router;
use common::db::Pool;
use common::{config::HttpSettings, http};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::workers::Workers;

/// Everything a service runs, bound and ready.
pub struct Built {
    name: &'static str,
    listener: TcpListener,
    admin: TcpListener,
    router: Router,
    http: HttpSettings,
    pool: Pool,
    workers: Workers,
}

impl Built {
    /// Binds the service's ports and gathers what it runs.
    pub(crate) async fn bind(
        name: &'static str,
        router: Router,
        http: HttpSettings,
        pool: Pool,
        workers: Workers,
    ) -> anyhow::Result<Self> {
        let listener = http::bind(&http).await?;
        let admin = http::bind_admin(&http).await?;
        Ok(Self { name, listener, admin, router, http, pool, workers })
    }

    /// The port it listens on (useful when configured as 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// The admin port, where `/metrics` is served.
    pub fn admin_port(&self) -> u16 {
        self.admin.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// Serves and runs the workers until `shutdown`; the requests drain, the relay outlives the
    /// drain, then the pool closes.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let admin = http::stack(http::admin_routes(), self.name, &self.http);
        let (public_stop, admin_stop) = (shutdown.clone(), shutdown.clone());
        let serve = async move {
            let (public, admin) = tokio::join!(
                http::serve(self.name, self.listener, self.router, &self.http, public_stop),
                http::serve(self.name, self.admin, admin, &self.http, admin_stop),
            );
            public.and(admin)
        };
        let served = self.workers.run_around(shutdown, serve).await;
        self.pool.close().await;
        served
    }
}
