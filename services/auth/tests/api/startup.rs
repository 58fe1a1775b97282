use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use common::jwt::SigningKey;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, segment};

async fn jwks(app: &TestApp) -> Value {
    app.get("/.well-known/jwks.json").await.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_signing_key_is_kept_so_restarts_and_other_instances_share_it() {
    let first = TestApp::spawn().await;
    let token = first.signed_in("ada@example.com").await["access_token"].as_str().unwrap().to_owned();
    let second = TestApp::spawn_on(&first.schema, &[]).await;
    assert_eq!(jwks(&first).await, jwks(&second).await);
    // A token from one instance is good at the other.
    assert_eq!(second.get_with_token("/auth/me", &token).await.status(), StatusCode::OK);
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM signing_keys").fetch_one(&first.pool).await.unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_signing_key_file_signs_the_tokens() {
    let key = SigningKey::generate().unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(key.pkcs8_der())
    );
    let path = std::env::temp_dir().join(format!("shopper-test-key-{}.pem", uuid::Uuid::now_v7()));
    std::fs::write(&path, pem).unwrap();
    let app =
        TestApp::spawn_with(&[("JWT_SIGNING_KEY_FILE", path.to_str().unwrap()), ("JWT_KEY_ID", "2026-11")])
            .await;
    std::fs::remove_file(&path).unwrap();
    let token = app.signed_in("ada@example.com").await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(segment(&token, 0)["kid"], "2026-11");
    assert_eq!(jwks(&app).await["keys"][0]["x"], serde_json::to_value(key.public_jwk()).unwrap()["x"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_from_the_environment_is_created_once_and_can_sign_in_as_admin() {
    let admin = [("SHOPPER_ADMIN_EMAIL", "Root@Example.com"), ("SHOPPER_ADMIN_PASSWORD", "admin password 1")];
    let first = TestApp::spawn_with(&admin).await;
    let again = TestApp::spawn_on(&first.schema, &admin).await;
    let admins: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM accounts WHERE email = 'root@example.com' AND role = 'admin'",
    )
    .fetch_one(&again.pool)
    .await
    .unwrap();
    assert_eq!(admins, 1);
    let pair: Value = again.login("root@example.com", "admin password 1").await.json().await.unwrap();
    assert_eq!(segment(pair["access_token"].as_str().unwrap(), 1)["role"], "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_account_named_as_admin_is_promoted_and_keeps_its_password() {
    let first = TestApp::spawn().await;
    first.register("boss@example.com", PASSWORD).await;
    let app = TestApp::spawn_on(
        &first.schema,
        &[("SHOPPER_ADMIN_EMAIL", "boss@example.com"), ("SHOPPER_ADMIN_PASSWORD", "another password")],
    )
    .await;
    let pair: Value = app.login("boss@example.com", PASSWORD).await.json().await.unwrap();
    assert_eq!(segment(pair["access_token"].as_str().unwrap(), 1)["role"], "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_requests_finish() {
    let mut app = TestApp::spawn().await;
    // Registrations hash passwords, so they are still running when the shutdown begins.
    let requests: Vec<_> = (0..8)
        .map(|i| {
            let client = app.client.clone();
            let url = app.url("/auth/register");
            tokio::spawn(async move {
                let body = serde_json::json!({"email": format!("u{i}@example.com"), "password": PASSWORD, "name": "U"});
                client.post(url).json(&body).send().await.map(|r| r.status())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(30)).await;
    app.shutdown.cancel();
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.unwrap());
    }
    app.stop().await.expect("the server stops cleanly");
    let created = statuses.iter().filter(|s| matches!(s, Ok(StatusCode::CREATED))).count();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&app.pool).await.unwrap();
    // Every request the server accepted was answered; none was cut off halfway.
    assert_eq!(created as i64, stored, "{statuses:?}");
    assert!(created > 0, "{statuses:?}");
    // And it no longer accepts connections.
    assert!(app.client.get(app.url("/health/live")).send().await.is_err());
}
