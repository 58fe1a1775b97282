use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, problem};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_returns_201_with_the_account_and_a_normalised_email() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json(
            "/auth/register",
            &json!({"email": "  Ada@Example.COM ", "password": PASSWORD, "name": " Ada "}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["name"], "Ada");
    assert_eq!(body["role"], "customer");
    assert!(body["id"].as_str().unwrap().parse::<uuid::Uuid>().is_ok());
    assert!(body["created_at"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().is_ok());
    assert!(body.get("password").is_none() && body.get("password_hash").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_a_taken_email_in_any_letter_case_returns_409() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("ada@example.com", PASSWORD).await.status(), StatusCode::CREATED);
    let response = app.register("ADA@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body = problem(response).await;
    assert_eq!(body["status"], 409);
    assert_eq!(body["detail"], "an account with this email already exists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_simultaneous_registrations_of_one_email_give_one_201_and_one_409() {
    let app = TestApp::spawn().await;
    for round in 0..5 {
        let email = format!("race{round}@example.com");
        let (a, b) = tokio::join!(app.register(&email, PASSWORD), app.register(&email, PASSWORD));
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "round {round}");
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&app.pool).await.unwrap();
    assert_eq!(count, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_fields_get_422_naming_each_field_and_create_nothing() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({"email": "ada@example.com", "password": "1234567", "name": "Ada"}), vec!["password"]),
        (json!({"email": "ada@example.com", "password": "x".repeat(129), "name": "Ada"}), vec!["password"]),
        (json!({"email": "not-an-email", "password": PASSWORD, "name": "Ada"}), vec!["email"]),
        (json!({"email": "ada@example.com", "password": PASSWORD, "name": "   "}), vec!["name"]),
        (json!({"email": "", "password": "short", "name": ""}), vec!["email", "password", "name"]),
    ];
    for (body, fields) in cases {
        let response = app.post_json("/auth/register", &body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let problem = problem(response).await;
        let named: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(named, fields, "{body}");
        assert!(problem["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&app.pool).await.unwrap();
    assert_eq!(count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_field_or_a_wrong_type_is_a_400() {
    let app = TestApp::spawn().await;
    for body in [
        json!({"email": "ada@example.com", "name": "Ada"}),
        json!({"email": 7, "password": PASSWORD, "name": "Ada"}),
    ] {
        let response = app.post_json("/auth/register", &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(problem(response).await["status"], 400);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_is_stored_only_as_an_argon2id_hash_with_owasp_parameters() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM accounts WHERE email = 'ada@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_the_contract_does_not_have_is_refused_not_ignored() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada", "role": "admin"});
    let response = app.post_json("/auth/register", &body).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(response).await["errors"][0]["field"], "role");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&app.pool).await.unwrap();
    assert_eq!(count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_common_password_in_any_letter_case_is_refused_with_422_saying_why() {
    let app = TestApp::spawn().await;
    for password in ["password123", "PassWord123", "QWERTYUIOP"] {
        let response = app.register("ada@example.com", password).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        let problem = problem(response).await;
        assert_eq!(
            problem["errors"],
            json!([{"field": "password", "message": "is one of the most commonly used passwords"}]),
            "{password}"
        );
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&app.pool).await.unwrap();
    assert_eq!(count, 0);
    assert_eq!(app.register("ada@example.com", PASSWORD).await.status(), StatusCode::CREATED);
}
