//! `GET /health/live` and `GET /health/ready` on a service's public port, `GET /metrics` on its
//! admin port.
//!
//! Liveness says the process answers; readiness says its dependencies answer too, so an
//! orchestrator sends traffic only to instances that can serve it. Both stay on the public
//! port: a probe there takes the path the traffic takes (a listener at its connection cap fails
//! it), and load balancers and compose's health checks reach only that port. Their answers
//! carry no more than up or down. Metrics tell much more (routes, volumes, error rates), so they
//! are served on the admin port, which is for the cluster's scraper, not for the public.

use std::{collections::BTreeMap, future::Future, pin::Pin, sync::Arc, time::Duration};

use crate::db::Pool;
use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::Json;

/// How long one dependency may take to answer a readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A dependency that readiness checks.
pub trait Probe: Send + Sync {
    /// Whether the dependency answers now.
    fn is_up(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>>;
}

impl Probe for Pool {
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

/// The answer of `/health/ready`.
#[derive(Serialize, ToSchema)]
struct ReadyBody {
    /// `ready` or `unavailable`.
    status: &'static str,
    /// `up` or `down` for each dependency (`database`, `broker`).
    #[schema(value_type = BTreeMap<String, String>)]
    checks: BTreeMap<&'static str, &'static str>,
}

/// The answer of `/health/live`.
#[derive(Serialize, ToSchema)]
struct LiveBody {
    /// Always `up`.
    status: &'static str,
}

/// The health routes' part of an OpenAPI document, for a service that has no other routes to
/// document (the mailer).
#[derive(OpenApi)]
#[openapi(paths(live, ready), components(schemas(LiveBody, ReadyBody)))]
pub struct HealthApi;

/// The health routes, to be merged into a service's public router.
pub fn health_routes(readiness: Readiness) -> Router {
    // Install the recorder now, so what happens before the first scrape is counted.
    crate::metrics::handle();
    Router::new().route("/health/live", get(live)).route("/health/ready", get(ready).with_state(readiness))
}

/// The process answers.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "The process answers", body = LiveBody)))]
async fn live() -> Json<LiveBody> {
    Json(LiveBody { status: "up" })
}

/// The routes of a service's admin port: `GET /metrics` (Prometheus text).
pub fn admin_routes() -> Router {
    crate::metrics::handle();
    Router::new().route("/metrics", get(|| async { crate::metrics::render() }))
}

/// The service's dependencies answer too, so it can serve traffic.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Every dependency answers", body = ReadyBody),
        (status = 503, description = "A dependency does not answer; `checks` names it", body = ReadyBody),
    ))]
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
