//! Tokens that must not get in: every one of these hits `GET /auth/me`, which verifies with the
//! same `TokenVerifier` every service uses.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use common::{
    jwt::{JwksClient, KeySource, SigningKey, TokenIssuer, TokenSettings, TokenVerifier},
    rbac::Role,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::{sync::Arc, time::Duration};
use uuid::Uuid;

use crate::helpers::{TestApp, problem, segment};

/// The service's own signing key, read from its schema, to forge tokens that differ from
/// valid ones in exactly one respect.
async fn server_key(app: &TestApp) -> SigningKey {
    let (kid, der): (String, Vec<u8>) =
        sqlx::query_as("SELECT kid, private_key FROM signing_keys WHERE is_current = 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    SigningKey::from_pkcs8_der(&der, Some(kid)).unwrap()
}

fn sign(key: &SigningKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid().to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(key.pkcs8_der())).unwrap()
}

fn claims(sub: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({"sub": sub, "role": "customer", "iss": "shopper", "aud": "shopper", "exp": now + 600, "iat": now, "jti": Uuid::now_v7()})
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.get_with_token("/auth/me", token).await.status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_reaches_a_protected_endpoint() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let response = app.get_with_token("/auth/me", pair["access_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["role"], "customer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_a_bearer_token_gets_401_problem_json() {
    let app = TestApp::spawn().await;
    let response = app.get("/auth/me").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(problem(response).await["detail"], "a bearer token is required");
    assert_eq!(me_status(&app, "not.a.jwt").await, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_signed_by_another_key_under_the_same_kid_is_refused() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let sub = segment(pair["access_token"].as_str().unwrap(), 1)["sub"].as_str().unwrap().to_owned();
    let real = server_key(&app).await;
    let impostor =
        SigningKey::from_pkcs8_der(SigningKey::generate().unwrap().pkcs8_der(), Some(real.kid().to_owned()))
            .unwrap();
    assert_eq!(
        me_status(&app, &sign(&real, &claims(&sub))).await,
        StatusCode::OK,
        "the control token must pass"
    );
    assert_eq!(me_status(&app, &sign(&impostor, &claims(&sub))).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_alg_none_token_is_refused() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let sub = segment(pair["access_token"].as_str().unwrap(), 1)["sub"].as_str().unwrap().to_owned();
    let kid = server_key(&app).await.kid().to_owned();
    for alg in ["none", "None", "NONE"] {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT", "kid": kid}).to_string());
        let body = URL_SAFE_NO_PAD.encode(claims(&sub).to_string());
        assert_eq!(me_status(&app, &format!("{header}.{body}.")).await, StatusCode::UNAUTHORIZED, "{alg}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_with_edited_claims_is_refused() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let token = pair["access_token"].as_str().unwrap();
    let mut claims = segment(token, 1);
    claims["role"] = json!("admin");
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims.to_string()), parts[2]);
    assert_eq!(me_status(&app, &forged).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_with_a_wrong_issuer_audience_or_expiry_are_refused() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let sub = segment(pair["access_token"].as_str().unwrap(), 1)["sub"].as_str().unwrap().to_owned();
    let key = server_key(&app).await;
    let now = Utc::now().timestamp();
    let edits: [(&str, Value); 6] = [
        ("iss", json!("someone-else")),
        ("aud", json!("another-audience")),
        ("exp", json!(now - 3600)),
        ("exp", Value::Null),
        ("iss", Value::Null),
        ("aud", Value::Null),
    ];
    for (claim, value) in edits {
        let mut edited = claims(&sub);
        if value.is_null() {
            edited.as_object_mut().unwrap().remove(claim);
        } else {
            edited[claim] = value.clone();
        }
        assert_eq!(
            me_status(&app, &sign(&key, &edited)).await,
            StatusCode::UNAUTHORIZED,
            "{claim} = {value}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_signed_with_an_hmac_secret_made_of_the_public_key_is_refused() {
    // The classic key-confusion attack: HS256 keyed with the published key bytes.
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let sub = segment(pair["access_token"].as_str().unwrap(), 1)["sub"].as_str().unwrap().to_owned();
    let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.unwrap();
    let jwk = &jwks["keys"][0];
    let mut header = Header::new(Algorithm::HS256);
    header.kid = jwk["kid"].as_str().map(String::from);
    let secret = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let token = jsonwebtoken::encode(&header, &claims(&sub), &EncodingKey::from_secret(&secret)).unwrap();
    assert_eq!(me_status(&app, &token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_services_verify_tokens_through_the_jwks_auth_serves() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let client = Arc::new(JwksClient::new(app.url("/.well-known/jwks.json")).unwrap());
    let settings = TokenSettings { issuer: "shopper".into(), audience: "shopper".into() };
    let verifier = TokenVerifier::new(client.clone(), &settings);

    let claims = verifier.verify(pair["access_token"].as_str().unwrap()).await.unwrap();
    assert_eq!(claims.role, Role::Customer);

    // A kid auth never published finds no key, and an attacker-made token with it fails.
    assert!(client.key("made-up-kid").await.is_none());
    let stranger = TokenIssuer::new(SigningKey::generate().unwrap(), settings, Duration::from_secs(60));
    let forged = stranger.issue(claims.sub, Role::Admin).unwrap();
    assert!(verifier.verify(&forged.token).await.is_err());
}
