use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, segment};

fn refresh_token(pair: &Value) -> &str {
    pair["refresh_token"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshing_returns_a_new_pair_and_the_old_refresh_token_stops_working() {
    let app = TestApp::spawn().await;
    let first = app.signed_in("ada@example.com").await;

    let response = app.refresh(refresh_token(&first)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: Value = response.json().await.unwrap();
    assert_ne!(refresh_token(&second), refresh_token(&first));
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(segment(second["access_token"].as_str().unwrap(), 1)["role"], "customer");

    let replay = app.refresh(refresh_token(&first)).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reusing_a_rotated_refresh_token_revokes_its_whole_family() {
    let app = TestApp::spawn().await;
    let first = app.signed_in("ada@example.com").await;
    let second: Value = app.refresh(refresh_token(&first)).await.json().await.unwrap();

    // An attacker replays the stolen first token...
    assert_eq!(app.refresh(refresh_token(&first)).await.status(), StatusCode::UNAUTHORIZED);
    // ...and the legitimate holder's newer token dies with it.
    assert_eq!(app.refresh(refresh_token(&second)).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuse_revokes_only_that_login_not_the_accounts_other_sessions() {
    let app = TestApp::spawn().await;
    let phone = app.signed_in("ada@example.com").await;
    let laptop: Value = app.login("ada@example.com", crate::helpers::PASSWORD).await.json().await.unwrap();
    app.refresh(refresh_token(&phone)).await;
    app.refresh(refresh_token(&phone)).await; // reuse
    assert_eq!(app.refresh(refresh_token(&laptop)).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_answers_204_and_the_refresh_token_stops_working() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let response = app.post_json("/auth/logout", &json!({ "refresh_token": refresh_token(&pair) })).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.refresh(refresh_token(&pair)).await.status(), StatusCode::UNAUTHORIZED);
    // Logging out twice, or with a token nobody issued, is still a success.
    let again = app.post_json("/auth/logout", &json!({ "refresh_token": refresh_token(&pair) })).await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
    let unknown = app.post_json("/auth/logout", &json!({ "refresh_token": "never-issued" })).await;
    assert_eq!(unknown.status(), StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_or_unknown_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    sqlx::query("UPDATE refresh_tokens SET expires_at = '2000-01-01 00:00:00'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.refresh(refresh_token(&pair)).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.refresh("never-issued").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_are_stored_only_as_digests() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT token_hash FROM refresh_tokens").fetch_all(&app.pool).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].len(), 32);
    assert!(!String::from_utf8_lossy(&stored[0]).contains(refresh_token(&pair)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_role_reaches_the_next_access_token() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    sqlx::query("UPDATE accounts SET role = 'admin'").execute(&app.pool).await.unwrap();
    let next: Value = app.refresh(refresh_token(&pair)).await.json().await.unwrap();
    assert_eq!(segment(next["access_token"].as_str().unwrap(), 1)["role"], "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_account_cannot_refresh() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    sqlx::query("UPDATE accounts SET status = 'disabled'").execute(&app.pool).await.unwrap();
    assert_eq!(app.refresh(refresh_token(&pair)).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_with_one_token_never_both_succeed() {
    let app = TestApp::spawn().await;
    let pair = app.signed_in("ada@example.com").await;
    let (a, b) = tokio::join!(app.refresh(refresh_token(&pair)), app.refresh(refresh_token(&pair)));
    let ok = [a.status(), b.status()].iter().filter(|s| **s == StatusCode::OK).count();
    assert!(ok <= 1, "one refresh token was redeemed twice");
}
