//! The time a request may take (`HTTP_REQUEST_TIMEOUT_SECS`), and the one way a route may take
//! more.
//!
//! Every request gets a [`RequestDeadline`] in its extensions; when it passes, the answer is a
//! 503 and the handler's future is dropped. A route whose work grows with a streamed body (the
//! catalogue import) moves its own deadline with [`RequestDeadline::extend`] once it has checked
//! who is asking: an inner layer could not, since the outer timeout would fire first. A
//! connection that stops sending is still closed by the idle timeout.

use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, Request},
    http::request::Parts,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tokio::{sync::watch, time::Instant};

use crate::AppError;

/// When the request in hand must have been answered.
#[derive(Clone)]
pub struct RequestDeadline(Arc<watch::Sender<Instant>>);

impl RequestDeadline {
    /// Moves the deadline to `at` (later or earlier).
    pub fn extend(&self, at: Instant) {
        self.0.send_replace(at);
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestDeadline {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        // Only missing where a router is used without the shared stack: a bug, not bad input.
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no request deadline")))
    }
}

/// Runs the request until it is answered or its deadline passes (503).
pub(crate) async fn within(timeout: std::time::Duration, mut request: Request, next: Next) -> Response {
    let (deadline, mut moved) = watch::channel(Instant::now() + timeout);
    request.extensions_mut().insert(RequestDeadline(Arc::new(deadline)));
    let answer = next.run(request);
    tokio::pin!(answer);
    // Once the handler has dropped the request (and every copy of the deadline), it cannot move
    // any more: wait for the last one set.
    let mut movable = true;
    loop {
        let at = *moved.borrow_and_update();
        tokio::select! {
            response = &mut answer => return response,
            () = tokio::time::sleep_until(at) => return AppError::Unavailable.into_response(),
            changed = moved.changed(), if movable => movable = changed.is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::{Router, body::Body, http::StatusCode, routing::get};
    use tower::ServiceExt;

    use super::*;
    use crate::config::{Env, HttpSettings};

    /// A service behind the shared stack with a one-second request timeout.
    fn service(router: Router) -> Router {
        let env = Env::from_pairs([("HTTP_REQUEST_TIMEOUT_SECS", "1")]);
        let settings = HttpSettings::from_env(&env, "TEST_PORT", 0).unwrap();
        crate::http::stack(router, "test", &settings)
    }

    async fn status(router: &Router, path: &str) -> (StatusCode, Option<String>) {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        (response.status(), kind)
    }

    #[tokio::test]
    async fn a_request_past_its_deadline_is_a_503_unless_its_route_moved_it() {
        let slow = || async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            "done"
        };
        let router = service(Router::new().route("/slow", get(slow)).route(
            "/long",
            get(move |deadline: RequestDeadline| async move {
                deadline.extend(Instant::now() + Duration::from_secs(5));
                slow().await
            }),
        ));
        let (code, kind) = status(&router, "/slow").await;
        assert_eq!(
            (code, kind.as_deref()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("application/problem+json"))
        );
        assert_eq!(status(&router, "/long").await.0, StatusCode::OK);
    }
}
