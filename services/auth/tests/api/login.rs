use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, problem, segment};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_in_returns_a_bearer_token_pair() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    let response = app.login("ADA@example.com ", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["access_token"].as_str().unwrap().split('.').count() == 3);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_an_unknown_email_get_byte_identical_401_bodies() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    let wrong_password = app.login("ada@example.com", "not the password").await;
    let unknown_email = app.login("nobody@example.com", PASSWORD).await;
    let malformed_email = app.login("nobody", PASSWORD).await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(malformed_email.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.headers()["www-authenticate"], "Bearer");
    let a = wrong_password.bytes().await.unwrap();
    let b = unknown_email.bytes().await.unwrap();
    let c = malformed_email.bytes().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_account_cannot_log_in() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    sqlx::query("UPDATE accounts SET status = 'disabled'").execute(&app.pool).await.unwrap();
    let response = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(response).await["detail"], "the email or password is wrong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_token_is_eddsa_signed_with_a_kid_the_jwks_publishes_without_private_parts() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let token = pair["access_token"].as_str().unwrap();
    let header = segment(token, 0);
    assert_eq!(header["alg"], "EdDSA");
    let kid = header["kid"].as_str().unwrap();

    let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let key = keys.iter().find(|k| k["kid"] == kid).expect("the token's kid is published");
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
        assert!(keys.iter().all(|k| k.get(private).is_none()), "a key carries `{private}`");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_token_carries_the_contract_claims() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    let account_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM accounts").fetch_one(&app.pool).await.unwrap();
    let pair: Value = app.login("ada@example.com", PASSWORD).await.json().await.unwrap();
    let claims = segment(pair["access_token"].as_str().unwrap(), 1);
    assert_eq!(claims["sub"], account_id.to_string());
    assert_eq!(claims["role"], "customer");
    assert_eq!(claims["iss"], "shopper");
    assert_eq!(claims["aud"], "shopper");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
    assert!(claims["jti"].as_str().unwrap().parse::<uuid::Uuid>().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlong_password_at_login_is_a_401_not_an_error() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    let response = app.login("ada@example.com", &"x".repeat(100_000)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
