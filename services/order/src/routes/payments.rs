//! `POST /payments/stripe/webhook`: where Stripe reports what happened to the intents. It carries
//! no token: the `Stripe-Signature` over the raw body is its authentication.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use common::{AppError, Problem, http::Json};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{payments::webhook, state::AppState};

/// What Stripe is answered.
#[derive(Serialize, ToSchema)]
pub(crate) struct Received {
    received: bool,
}

/// Receive one Stripe event. Each event is applied once however often it comes; events about
/// intents shopper does not know are answered 200 and change nothing.
#[utoipa::path(
    post, path = "/payments/stripe/webhook", tag = "payments", security(()),
    request_body(content = String, description = "A Stripe event, as Stripe sent it", content_type = "application/json"),
    params(("Stripe-Signature" = Option<String>, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256>; without it, a 400")),
    responses(
        (status = 200, description = "Received", body = Received),
        (status = 400, description = "The signature does not verify, is more than 300 s old, or the body is no Stripe event", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The service takes no payments (PAYMENT_PROVIDER=none)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Received>), AppError> {
    let Some(payer) = state.payer.clone() else {
        return Err(AppError::NotFound);
    };
    let signature = headers.get("stripe-signature").and_then(|value| value.to_str().ok());
    webhook::receive(&state, &payer, signature, &body).await?;
    Ok((StatusCode::OK, Json(Received { received: true })))
}
