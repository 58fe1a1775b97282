//! Throttling as a client meets it: 429 problem+json with `Retry-After`, per account and per
//! address, and nothing of it with `AUTH_RATE_LIMIT=off`.

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, problem};

const WRONG: &str = "not the password";

/// The `Retry-After` of a 429, in seconds; checks the body is the problem it should be.
async fn too_many(response: Response) -> u64 {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    let body = problem(response).await;
    assert_eq!(body["status"], 429);
    assert_eq!(body["type"], "urn:shopper:problem:too-many-requests");
    seconds
}

async fn accounts(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&app.pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_wrong_passwords_for_one_account_meet_a_429_while_another_account_signs_in() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    app.register("bob@example.com", PASSWORD).await;

    let mut statuses = Vec::new();
    let mut retry_after = None;
    for attempt in 0..40 {
        let response = app.login("ada@example.com", WRONG).await;
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS && retry_after.is_none() {
            retry_after = Some(too_many(response).await);
        }
        if attempt == 20 {
            // Meanwhile, someone else signs in as usual.
            assert_eq!(app.login("bob@example.com", PASSWORD).await.status(), StatusCode::OK);
        }
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED, "{statuses:?}");
    let first_429 = statuses.iter().position(|s| *s == StatusCode::TOO_MANY_REQUESTS).expect("a 429");
    assert!(statuses[..first_429].iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert!(statuses[first_429..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let metrics = app.client.get(format!("{}/metrics", app.admin_address)).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with(r#"auth_throttled_total{limit="failures_in_a_row"}"#)),
        "operators see the lock in the metrics"
    );
    let retry_after = retry_after.unwrap();
    assert!((1..=900).contains(&retry_after), "Retry-After: {retry_after}");

    // Locked means locked: the right password is not even checked...
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...and other accounts still sign in.
    assert_eq!(app.login("bob@example.com", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_ends_with_its_window_and_a_success_clears_the_failures_before_it() {
    let app =
        TestApp::spawn_with(&[("AUTH_LOGIN_MAX_FAILURES", "3"), ("AUTH_LOGIN_FAILURE_WINDOW_SECS", "3")])
            .await;
    app.register("ada@example.com", PASSWORD).await;
    // Two failures, then the owner gets in: the count starts again, so this never locks.
    for _ in 0..2 {
        for _ in 0..2 {
            assert_eq!(app.login("ada@example.com", WRONG).await.status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::OK);
    }

    for _ in 0..3 {
        assert_eq!(app.login("ada@example.com", WRONG).await.status(), StatusCode::UNAUTHORIZED);
    }
    let retry_after = too_many(app.login("ada@example.com", WRONG).await).await;
    assert!((1..=3).contains(&retry_after), "Retry-After: {retry_after}");
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);

    tokio::time::sleep(Duration::from_secs(retry_after) + Duration::from_millis(200)).await;
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_email_is_locked_exactly_like_a_known_one() {
    let app = TestApp::spawn_with(&[("AUTH_LOGIN_MAX_FAILURES", "2")]).await;
    app.register("ada@example.com", PASSWORD).await;
    let mut locked = Vec::new();
    for email in ["ada@example.com", "nobody@example.com"] {
        for _ in 0..2 {
            assert_eq!(app.login(email, WRONG).await.status(), StatusCode::UNAUTHORIZED, "{email}");
        }
        let response = app.login(email, WRONG).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(response.headers().contains_key("retry-after"), "{email}");
        locked.push(response.bytes().await.unwrap());
    }
    assert_eq!(locked[0], locked[1], "the two 429 bodies differ");
    // The table says nothing about who was tried.
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT subject FROM login_attempts").fetch_all(&app.pool).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|s| s.len() == 32 && !String::from_utf8_lossy(s).contains("example")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_counted_by_one_instance_lock_the_account_on_another() {
    let limits = [("AUTH_LOGIN_MAX_FAILURES", "3")];
    let first = TestApp::spawn_with(&limits).await;
    first.register("ada@example.com", PASSWORD).await;
    let second = TestApp::spawn_on(&first.schema, &limits).await;
    for _ in 0..3 {
        assert_eq!(first.login("ada@example.com", WRONG).await.status(), StatusCode::UNAUTHORIZED);
    }
    too_many(second.login("ada@example.com", WRONG).await).await;
    assert_eq!(second.login("ada@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_auth_rate_limit_off_nothing_is_throttled() {
    let app = TestApp::spawn_with(&[
        ("AUTH_RATE_LIMIT", "off"),
        ("AUTH_LOGIN_MAX_FAILURES", "1"),
        ("AUTH_LOGIN_PER_ADDRESS_BURST", "1"),
        ("AUTH_LOGIN_PER_ADDRESS_PER_MINUTE", "1"),
        ("AUTH_REGISTER_PER_ADDRESS_BURST", "1"),
        ("AUTH_REGISTER_PER_ADDRESS_PER_MINUTE", "1"),
    ])
    .await;
    for email in ["ada@example.com", "bob@example.com", "cy@example.com"] {
        assert_eq!(app.register(email, PASSWORD).await.status(), StatusCode::CREATED, "{email}");
    }
    for attempt in 0..45 {
        let status = app.login("ada@example.com", WRONG).await.status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::OK);
    let counted: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM login_attempts").fetch_one(&app.pool).await.unwrap();
    assert_eq!(counted, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_from_one_address_beyond_its_burst_get_429_and_create_nothing() {
    let app = TestApp::spawn_with(&[
        ("AUTH_REGISTER_PER_ADDRESS_BURST", "3"),
        ("AUTH_REGISTER_PER_ADDRESS_PER_MINUTE", "1"),
    ])
    .await;
    for i in 0..3 {
        assert_eq!(app.register(&format!("u{i}@example.com"), PASSWORD).await.status(), StatusCode::CREATED);
    }
    let retry_after = too_many(app.register("u3@example.com", PASSWORD).await).await;
    assert!((1..=60).contains(&retry_after), "Retry-After: {retry_after}");
    assert_eq!(accounts(&app).await, 3);
    // Signing in is limited separately.
    assert_eq!(app.login("u0@example.com", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_from_one_address_beyond_its_burst_get_429_even_with_the_right_password() {
    let app = TestApp::spawn_with(&[
        ("AUTH_LOGIN_PER_ADDRESS_BURST", "3"),
        ("AUTH_LOGIN_PER_ADDRESS_PER_MINUTE", "1"),
    ])
    .await;
    app.register("ada@example.com", PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), StatusCode::OK);
    }
    let retry_after = too_many(app.login("ada@example.com", PASSWORD).await).await;
    assert!((1..=60).contains(&retry_after), "Retry-After: {retry_after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_forwarded_for_names_the_client_only_behind_the_configured_proxies() {
    let register = |app: &TestApp, email: &str, forwarded_for: &str| {
        let body = json!({"email": email, "password": PASSWORD, "name": "Test User"});
        let request = app.client.post(app.url("/auth/register")).header("x-forwarded-for", forwarded_for);
        async move { request.json(&body).send().await.unwrap().status() }
    };
    let tight = [("AUTH_REGISTER_PER_ADDRESS_BURST", "1"), ("AUTH_REGISTER_PER_ADDRESS_PER_MINUTE", "1")];

    // By default the header is the client's own say, and changing it gets around nothing.
    let direct = TestApp::spawn_with(&tight).await;
    assert_eq!(register(&direct, "a@example.com", "192.0.2.1").await, StatusCode::CREATED);
    assert_eq!(register(&direct, "b@example.com", "192.0.2.2").await, StatusCode::TOO_MANY_REQUESTS);

    // Behind one proxy, the entry it appends is the client.
    let mut proxied = tight.to_vec();
    proxied.push(("AUTH_TRUSTED_PROXY_HOPS", "1"));
    let behind = TestApp::spawn_with(&proxied).await;
    assert_eq!(register(&behind, "a@example.com", "192.0.2.1").await, StatusCode::CREATED);
    assert_eq!(register(&behind, "b@example.com", "192.0.2.2").await, StatusCode::CREATED);
    assert_eq!(
        register(&behind, "c@example.com", "203.0.113.9, 192.0.2.2").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}
