use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, problem};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_id_is_echoed_when_given_and_set_when_not() {
    let app = TestApp::spawn().await;
    let echoed =
        app.client.get(app.url("/health/live")).header("x-request-id", "trace-me-42").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-42");
    let generated = app.get("/health/live").await;
    assert!(generated.headers()["x-request-id"].to_str().unwrap().parse::<uuid::Uuid>().is_ok());
    let error = app.login("nobody@example.com", PASSWORD).await;
    assert!(error.headers().contains_key("x-request-id"), "errors carry a request id too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_1_mib_gets_413_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let name = "a".repeat(2 * 1024 * 1024);
    let response = app
        .post_json("/auth/register", &json!({"email": "ada@example.com", "password": PASSWORD, "name": name}))
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem(response).await["status"], 413);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&app.pool).await.unwrap();
    assert_eq!(count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_gets_400_and_a_non_json_body_gets_415() {
    let app = TestApp::spawn().await;
    let malformed = app
        .client
        .post(app.url("/auth/register"))
        .header("content-type", "application/json")
        .body(r#"{"email": "ada@example.com", "password""#)
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(malformed).await["type"], "urn:shopper:problem:bad-request");

    let form = app
        .client
        .post(app.url("/auth/register"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=ada%40example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem(form).await["status"], 415);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_wrong_methods_answer_problem_json() {
    let app = TestApp::spawn().await;
    let missing = app.get("/no/such/thing").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(missing).await["status"], 404);
    let wrong_method = app.client.delete(app.url("/auth/login")).send().await.unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.headers()["allow"], "POST");
    assert_eq!(problem(wrong_method).await["status"], 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_and_readiness_answer_and_readiness_names_the_database() {
    let app = TestApp::spawn().await;
    let live = app.get("/health/live").await;
    assert_eq!(live.status(), StatusCode::OK);
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_503_while_the_database_is_unreachable_and_200_once_it_is_back() {
    let proxy = testkit::TcpProxy::start("127.0.0.1:3306").await;
    let url = format!("mysql://root@{}", proxy.address());
    let app = TestApp::spawn_with(&[("DATABASE_URL", &url)]).await;
    assert_eq!(app.get("/health/ready").await.status(), StatusCode::OK);

    proxy.cut();
    let down = app.get("/health/ready").await;
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = down.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "down");
    assert_eq!(
        app.get("/health/live").await.status(),
        StatusCode::OK,
        "liveness does not depend on the database"
    );

    proxy.restore();
    testkit::eventually("readiness answers 200 again", || async {
        app.get("/health/ready").await.status() == StatusCode::OK
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::spawn().await;
    app.login("nobody@example.com", PASSWORD).await;
    let metrics = app.client.get(format!("{}/metrics", app.admin_address)).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total")
                && l.contains(r#"route="/auth/login""#)
                && l.contains(r#"status="401""#)
        })
        .expect("a counter for the failed login");
    assert!(line.contains(r#"service="auth""#));
    let counted = |prefix: &str| metrics.lines().any(|l| l.starts_with(prefix));
    assert!(counted(r#"auth_sign_ins_total{outcome="refused"}"#), "the refused sign-in is counted");
    assert!(
        counted("http_request_duration_seconds_bucket{") && metrics.contains(r#"route="/auth/login""#),
        "latency is a histogram with buckets, which replicas' series can be summed from"
    );
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND, "not on the public port");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_3_1_and_lists_every_endpoint() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/auth/register",
        "/auth/login",
        "/auth/refresh",
        "/auth/logout",
        "/auth/me",
        "/.well-known/jwks.json",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_or_unsafe_request_id_is_replaced_by_a_new_one() {
    let app = TestApp::spawn().await;
    for sent in ["a".repeat(129), "x\u{1b}[31mred".to_owned(), "<script>alert(1)</script>".to_owned()] {
        let Ok(value) = reqwest::header::HeaderValue::from_str(&sent) else { continue };
        let answer =
            app.client.get(app.url("/health/live")).header("x-request-id", value).send().await.unwrap();
        let id = answer.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, sent);
        assert!(id.parse::<uuid::Uuid>().is_ok(), "a fresh id, not {id:?}");
    }
    let longest = "r".repeat(128);
    let kept = app.client.get(app.url("/health/live")).header("x-request-id", &longest).send().await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], longest.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_says_nosniff_and_plain_http_sends_no_hsts() {
    let app = TestApp::spawn().await;
    let answers = [
        app.get("/health/live").await,
        app.get("/no/such/thing").await,
        app.client.delete(app.url("/auth/login")).send().await.unwrap(),
        app.login("nobody@example.com", PASSWORD).await,
        app.post_json("/auth/register", &json!({"email": "ada@example.com"})).await,
    ];
    for answer in answers {
        assert_eq!(answer.headers()["x-content-type-options"], "nosniff", "{}", answer.status());
        assert!(!answer.headers().contains_key("strict-transport-security"), "HSTS only over TLS");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_answers_are_never_cached() {
    let app = TestApp::spawn().await;
    let email = "cache@example.com";
    app.post_json("/auth/register", &json!({"email": email, "password": PASSWORD, "name": "Cache"})).await;
    let login = app.login(email, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(login.headers()["cache-control"], "no-store");
    assert_eq!(login.headers()["pragma"], "no-cache");
    let pair: Value = login.json().await.unwrap();
    let refreshed = app.post_json("/auth/refresh", &json!({"refresh_token": pair["refresh_token"]})).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    assert_eq!(refreshed.headers()["cache-control"], "no-store");
    assert_eq!(refreshed.headers()["pragma"], "no-cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_uri_over_the_limit_gets_414_problem_json() {
    let app = TestApp::spawn().await;
    let long = format!("/auth/me?pad={}", "a".repeat(common::http::URI_LIMIT_BYTES));
    let answer = app.get(&long).await;
    assert_eq!(answer.status(), StatusCode::URI_TOO_LONG);
    assert_eq!(answer.headers()["content-type"], "application/problem+json");
    assert_eq!(problem(answer).await["type"], "urn:shopper:problem:uri-too-long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_names_the_problem_in_our_words_without_echoing_the_input() {
    let app = TestApp::spawn().await;
    let injected =
        r#"{"email": "ada@example.com", "password": ["' AND EXTRACTVALUE(1,CONCAT(0x7e,version()))--"]}"#;
    let answer = app
        .client
        .post(app.url("/auth/login"))
        .header("content-type", "application/json")
        .body(injected)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body = problem(answer).await;
    assert_eq!(body["detail"], "`password` has the wrong type or value");
    assert!(!body.to_string().contains("EXTRACTVALUE"));
}
