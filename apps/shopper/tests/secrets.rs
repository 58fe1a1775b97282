//! Secrets never reach the logs: a register, sign-in, refresh and profile flow across auth and
//! user, logged at `debug` in the production JSON format, leaves no password, token, personal
//! data or key in the output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "stack/helpers.rs"]
mod helpers;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use reqwest::Method;
use serde_json::{Value, json};
use tracing_subscriber::{EnvFilter, fmt::MakeWriter, layer::SubscriberExt, util::SubscriberInitExt};

use crate::helpers::{ADMIN_PASSWORD, PASSWORD, Stack};

/// Everything logged, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_flow_logs_no_password_token_personal_data_or_key() {
    let logs = Captured::default();
    tracing_subscriber::registry()
        .with(EnvFilter::new("debug"))
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_writer(logs.clone()),
        )
        .init();

    let stack = Stack::start().await;
    let email = "secretive@shop.example";
    let (id, _) = stack.customer(email).await;
    let session: Value = stack.try_login(email, PASSWORD).await.json().await.unwrap();
    let access = session["access_token"].as_str().unwrap().to_owned();
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();
    let renewed: Value = stack
        .client
        .post(format!("{}/auth/refresh", stack.auth))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let renewed_access = renewed["access_token"].as_str().unwrap().to_owned();
    let renewed_refresh = renewed["refresh_token"].as_str().unwrap().to_owned();
    let phone = "+14155550199";
    let changed = stack
        .call(Method::PATCH, &format!("/user/{id}"), Some(&renewed_access), Some(json!({"phone": phone})))
        .await;
    assert!(changed.status().is_success());
    // A wrong password and a refused token are logged too, as failures.
    assert_eq!(stack.try_login(email, "not the password at all").await.status(), 401);
    let refused = stack.call(Method::GET, &format!("/user/{id}"), Some("not.a.token"), None).await;
    assert_eq!(refused.status(), 401);
    drop(stack);

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("\"level\""), "the logs were captured");
    let pii_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    for (what, secret) in [
        ("the customer's password", PASSWORD),
        ("the admin's password", ADMIN_PASSWORD),
        ("the wrong password", "not the password at all"),
        ("an access token", access.as_str()),
        ("a refresh token", refresh.as_str()),
        ("a renewed access token", renewed_access.as_str()),
        ("a renewed refresh token", renewed_refresh.as_str()),
        ("a phone number", phone),
        ("the PII key", pii_key),
    ] {
        assert!(!text.contains(secret), "the logs hold {what}");
    }
    // A token's signature alone is as secret as the token.
    let signature = access.rsplit('.').next().unwrap();
    assert!(!text.contains(signature), "the logs hold a token signature");
}
