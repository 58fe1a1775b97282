//! `GET /health/live`, `GET /health/ready` and `GET /metrics`.
//!
//! Liveness says the process answers; readiness says its dependencies answer too, so an
//! orchestrator sends traffic only to instances that can serve it.

use std::{collections::BTreeMap, future::Future, pin::Pin, sync::Arc, time::Duration};

use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use serde::Serialize;
use sqlx::MySqlPool;

use super::Json;

/// How long one dependency may take to answer a readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A dependency that readiness checks.
pub trait Probe: Send + Sync {
    /// Whether the dependency answers now.
    fn is_up(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>>;
}

impl Probe for MySqlPool {
    fn is_up(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(async move { sqlx::query("SELECT 1").execute(self).await.is_ok() })
    }
}

/// The named dependencies a service needs to serve traffic.
#[derive(Clone, Default)]
pub struct Readiness {
    probes: Vec<(&'static str, Arc<dyn Probe>)>,
}

impl Readiness {
    /// Adds a dependency under a name shown in the readiness body.
    pub fn with(mut self, name: &'static str, probe: impl Probe + 'static) -> Self {
        self.probes.push((name, Arc::new(probe)));
        self
    }
}

#[derive(Serialize)]
struct ReadyBody {
    status: &'static str,
    checks: BTreeMap<&'static str, &'static str>,
}

/// The health and metrics routes, to be merged into a service's router.
pub fn health_routes(readiness: Readiness) -> Router {
    // Install the recorder now, so what happens before the first scrape is counted.
    crate::metrics::handle();
    Router::new()
        .route("/health/live", get(|| async { Json(serde_json::json!({ "status": "up" })) }))
        .route("/health/ready", get(ready).with_state(readiness))
        .route("/metrics", get(|| async { crate::metrics::render() }))
}

async fn ready(State(readiness): State<Readiness>) -> impl IntoResponse {
    let mut checks = BTreeMap::new();
    for (name, probe) in &readiness.probes {
        let up = tokio::time::timeout(PROBE_TIMEOUT, probe.is_up()).await.unwrap_or(false);
        checks.insert(*name, if up { "up" } else { "down" });
    }
    let all_up = checks.values().all(|state| *state == "up");
    let status = if all_up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(ReadyBody { status: if all_up { "ready" } else { "unavailable" }, checks }))
}
