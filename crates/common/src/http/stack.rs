//! The middleware every service runs behind, in one place: request id, tracing with the
//! matched route, metrics, timeout, body and URI limits, CORS, security headers, and
//! problem+json for the answers axum and tower give on their own (unknown route, wrong method,
//! timeout).

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
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, OnResponse, TraceLayer},
};
use tracing::{Level, field::Empty};

use super::deadline;
use crate::{AppError, config::HttpSettings, telemetry};

/// The largest request body any endpoint accepts.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;
/// The longest request target (path and query) any endpoint accepts; longer ones are a 414.
pub const URI_LIMIT_BYTES: usize = 8 * 1024;
/// The longest `x-request-id` kept from a client; a longer one is replaced by a new id.
const REQUEST_ID_MAX_LEN: usize = 128;
/// HSTS on TLS ports: browsers keep to HTTPS for a year after seeing it.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// Wraps a service's routes in the shared middleware.
pub fn stack(router: Router, service: &'static str, settings: &HttpSettings) -> Router {
    let timeout = settings.request_timeout;
    router
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .option_layer(
                    settings
                        .tls
                        .is_some()
                        .then(|| SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, HSTS)),
                )
                .layer(middleware::map_request(drop_unsafe_request_id))
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(move |request: &Request| span(service, request))
                        .on_response(record_response),
                )
                .layer(middleware::from_fn(move |request, next| record_metrics(service, request, next)))
                .layer(middleware::from_fn(problem_for_bare_errors))
                .layer(middleware::from_fn(refuse_long_uris))
                .option_layer(cors(&settings.cors_origins))
                .layer(middleware::from_fn(move |request, next| deadline::within(timeout, request, next)))
                .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES)),
        )
}

/// A client's request id is kept only when it is short and made of characters that are safe in
/// logs and headers; otherwise the next layer gives the request a new one.
async fn drop_unsafe_request_id(mut request: Request) -> Request {
    let safe = request.headers().get(&REQUEST_ID).is_none_or(|id| is_safe_request_id(id.as_bytes()));
    if !safe {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

fn is_safe_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= REQUEST_ID_MAX_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'+' | b'='))
}

/// 414 for a request target over [`URI_LIMIT_BYTES`], before any extractor reads it.
async fn refuse_long_uris(request: Request, next: Next) -> Response {
    let length = request.uri().path_and_query().map_or(0, |target| target.as_str().len());
    if length > URI_LIMIT_BYTES {
        return AppError::UriTooLong.into_response();
    }
    next.run(request).await
}

/// The request's span: a server span continuing the caller's trace (or starting one), named by
/// method and route. Probes and scrapes get a span of their own that is logged but not traced:
/// a trace every few seconds per replica would bury the ones that matter.
fn span(service: &'static str, request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("unmatched");
    let request_id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let method = request.method().as_str();
    if route.starts_with("/health/") || route == "/metrics" {
        return tracing::info_span!(telemetry::PROBE_SPAN, service, method, route, request_id);
    }
    let span = if telemetry::exporting() {
        tracing::info_span!(
            "request",
            otel.name = %format_args!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = Empty,
            service,
            method,
            route,
            "http.route" = route,
            "http.response.status_code" = Empty,
            request_id,
            trace_id = Empty,
        )
    } else {
        // What the logs show, and the trace id: every field here costs each request.
        tracing::info_span!("request", service, method, route, request_id, trace_id = Empty)
    };
    telemetry::continue_trace(&span, service, &opentelemetry_http::HeaderExtractor(request.headers()));
    span
}

/// Logs the answer and records its status on the request's span (when exported); a 5xx marks the
/// span failed.
fn record_response(response: &Response, latency: Duration, span: &tracing::Span) {
    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "error");
    }
    DefaultOnResponse::new().level(Level::INFO).on_response(response, latency, span);
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
        StatusCode::URI_TOO_LONG => AppError::UriTooLong,
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
            TRACEPARENT,
            TRACESTATE,
        ])
        .expose_headers([header::ETAG, header::LOCATION, header::RETRY_AFTER, REQUEST_ID])
        .max_age(Duration::from_secs(600));
    Some(layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_kept_only_when_short_and_plain() {
        assert!(is_safe_request_id(b"0192f1c2-7a4e-7d3b-9c1a-5e6f7a8b9c0d"));
        assert!(is_safe_request_id(b"frontend:checkout/42"));
        assert!(!is_safe_request_id(b""));
        assert!(!is_safe_request_id("a".repeat(129).as_bytes()));
        assert!(!is_safe_request_id(b"id with spaces"));
        assert!(!is_safe_request_id(b"<script>"));
        assert!(!is_safe_request_id("caf\u{e9}".as_bytes()));
    }
}
