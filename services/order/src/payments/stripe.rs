//! A small Stripe client: the three calls shopper makes (create a PaymentIntent, cancel it, refund
//! it), form-encoded as Stripe's API wants, each with an `Idempotency-Key`, so that Stripe itself
//! turns a retried call into the first one's answer.
//!
//! Written on reqwest rather than a Stripe SDK crate: three endpoints do not earn the compile time
//! and the generated surface of `async-stripe`, and every call here must carry our own
//! idempotency key and map failures onto our retry rules, which is most of the code anyway.

use std::time::Duration;

use reqwest::{StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use uuid::Uuid;

use crate::config::StripeSettings;

/// What a call came to.
#[derive(Debug)]
pub(crate) enum Outcome<T> {
    Done(T),
    /// Worth trying again (network, timeout, 429, 5xx, a concurrent call with the same key).
    Transient(String),
    /// Will never work as asked (4xx): recorded for an operator, not retried.
    Refused {
        code: Option<String>,
        reason: String,
    },
}

/// A PaymentIntent as shopper needs it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Intent {
    pub(crate) id: String,
    pub(crate) client_secret: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Refund {
    id: String,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: StripeError,
}

#[derive(Debug, Deserialize)]
struct StripeError {
    code: Option<String>,
    message: Option<String>,
}

/// Talks to Stripe's API.
#[derive(Clone)]
pub(crate) struct StripeClient {
    http: reqwest::Client,
    base_url: String,
    api_key: SecretString,
}

impl StripeClient {
    pub(crate) fn new(settings: &StripeSettings, tls: &common::tls::ClientTls) -> anyhow::Result<Self> {
        let http =
            tls.client_builder().timeout(settings.timeout).connect_timeout(Duration::from_secs(5)).build()?;
        Ok(Self { http, base_url: settings.base_url.clone(), api_key: settings.api_key.clone() })
    }

    /// `POST /v1/payment_intents` for `order`: `amount_cents` in `currency`.
    pub(crate) async fn create_intent(
        &self,
        order: Uuid,
        amount_cents: i64,
        currency: &str,
        key: &str,
    ) -> Outcome<Intent> {
        let form = [
            ("amount", amount_cents.to_string()),
            ("currency", currency.to_ascii_lowercase()),
            ("metadata[order_id]", order.to_string()),
            ("automatic_payment_methods[enabled]", "true".to_owned()),
        ];
        self.post("/v1/payment_intents", &form, key).await
    }

    /// `POST /v1/payment_intents/{id}/cancel`.
    pub(crate) async fn cancel_intent(&self, intent: &str, key: &str) -> Outcome<Intent> {
        let form: [(&str, String); 1] = [("cancellation_reason", "abandoned".to_owned())];
        self.post(&format!("/v1/payment_intents/{intent}/cancel"), &form, key).await
    }

    /// `POST /v1/refunds` of the whole of `intent`; answers the refund's id.
    pub(crate) async fn refund(&self, intent: &str, order: Uuid, key: &str) -> Outcome<String> {
        let form = [("payment_intent", intent.to_owned()), ("metadata[order_id]", order.to_string())];
        match self.post::<Refund>("/v1/refunds", &form, key).await {
            Outcome::Done(refund) => Outcome::Done(refund.id),
            Outcome::Transient(reason) => Outcome::Transient(reason),
            Outcome::Refused { code, reason } => Outcome::Refused { code, reason },
        }
    }

    async fn post<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        form: &[(&str, String)],
        key: &str,
    ) -> Outcome<T> {
        let body = match serde_urlencoded::to_string(form) {
            Ok(body) => body,
            Err(error) => {
                return Outcome::Refused {
                    code: None,
                    reason: format!("cannot encode the request: {error}"),
                };
            }
        };
        let sent = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(self.api_key.expose_secret())
            .header("Idempotency-Key", key)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                let kind = if error.is_timeout() { "timed out" } else { "network error" };
                return Outcome::Transient(format!("Stripe {kind}: {error}"));
            }
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            return match serde_json::from_str(&text) {
                Ok(value) => Outcome::Done(value),
                Err(error) => {
                    Outcome::Transient(format!("Stripe answered {status} with an unreadable body: {error}"))
                }
            };
        }
        let error = serde_json::from_str::<ErrorBody>(&text).ok().map(|body| body.error);
        let code = error.as_ref().and_then(|e| e.code.clone());
        let message: String = error.and_then(|e| e.message).unwrap_or_default().chars().take(300).collect();
        let reason = format!("Stripe answered {status}: {message}");
        // 409: another call with this key is still running at Stripe; its answer comes next time.
        if status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::CONFLICT
            || status.is_server_error()
        {
            Outcome::Transient(reason)
        } else {
            Outcome::Refused { code, reason }
        }
    }
}
