//! The HTTP mechanisms every service shares: the JSON extractor, the middleware stack,
//! health and metrics routes, and serving (HTTP or HTTPS) with graceful shutdown.

mod connections;
mod deadline;
mod health;
mod json;
mod serve;
mod stack;
mod tls_listener;

pub use deadline::RequestDeadline;
pub use health::{HealthApi, Probe, Readiness, admin_routes, health_routes};
pub use json::{Json, Path, Query, decode_json};
pub use serve::{bind, bind_admin, serve};
pub use stack::{BODY_LIMIT_BYTES, URI_LIMIT_BYTES, stack};
