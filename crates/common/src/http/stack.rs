//! The middleware every service runs behind, in one place: request id, tracing with the
//! matched route, metrics, timeout, body limit, CORS, and problem+json for the answers axum
//! and tower give on their own (unknown route, wrong method, timeout).

use std::time::{Duration, Instant};

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower::ServiceBuilder;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{AppError, config::HttpSettings, trace_context::TraceContext};

/// The largest request body any endpoint accepts.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: &str = "traceparent";

/// Wraps a service's routes in the shared middleware.
pub fn stack(router: Router, service: &'static str, settings: &HttpSettings) -> Router {
    router
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(move |request: &Request| span(service, request))
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(middleware::from_fn(with_trace_context))
                .layer(middleware::from_fn(move |request, next| record_metrics(service, request, next)))
                .layer(middleware::from_fn(problem_for_bare_errors))
                .option_layer(cors(&settings.cors_origins))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    settings.request_timeout,
                ))
                .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES)),
        )
}

fn span(service: &'static str, request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("unmatched");
    let request_id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let trace_id = incoming_trace(request).map(|t| t.trace_id());
    tracing::info_span!("request", service, method = %request.method(), route, request_id, trace_id)
}

fn incoming_trace(request: &Request) -> Option<TraceContext> {
    request.headers().get(TRACEPARENT).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

/// Continues the caller's trace (or starts one) for everything the request does, and records its
/// id on the request span when the caller sent none.
async fn with_trace_context(request: Request, next: Next) -> Response {
    let context = match incoming_trace(&request) {
        Some(parent) => parent.child(),
        None => {
            let root = TraceContext::new_root();
            tracing::Span::current().record("trace_id", root.trace_id());
            root
        }
    };
    context.scope(next.run(request)).await
}

async fn record_metrics(service: &'static str, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    let labels = [
        ("service", service.to_owned()),
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Tower layers answer with empty bodies (a timeout's 503, say); the contract promises
/// problem+json for every error, so bodiless errors get one here.
async fn problem_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let error = match status {
        StatusCode::SERVICE_UNAVAILABLE => AppError::Unavailable,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
        _ => return response,
    };
    let mut problem = error.into_response();
    // Keep headers such as `Allow` that the original answer carried.
    for (name, value) in response.headers() {
        problem.headers_mut().entry(name).or_insert(value.clone());
    }
    problem
}

/// No CORS headers at all unless origins are configured: browsers then refuse cross-origin calls.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let layer = CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
            REQUEST_ID,
            HeaderName::from_static(TRACEPARENT),
        ])
        .expose_headers([header::ETAG, header::LOCATION, header::RETRY_AFTER, REQUEST_ID])
        .max_age(Duration::from_secs(600));
    Some(layer)
}
