//! The user service's access rules as a table: every endpoint x {anonymous, the user, another
//! customer, admin}. Another user's profile answers 404, as if it did not exist.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::Stack;

#[derive(Clone, Copy, Debug)]
enum Actor {
    Anonymous,
    TheUser,
    OtherCustomer,
    Admin,
}

struct Row {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    expected: [(Actor, StatusCode); 4],
}

fn rows() -> Vec<Row> {
    use Actor::*;
    let row = |method: Method, path, body, expected| Row { method, path, body, expected };
    vec![
        row(
            Method::GET,
            "/user",
            None,
            [
                (Anonymous, StatusCode::UNAUTHORIZED),
                (TheUser, StatusCode::FORBIDDEN),
                (OtherCustomer, StatusCode::FORBIDDEN),
                (Admin, StatusCode::OK),
            ],
        ),
        row(
            Method::GET,
            "/user/{id}",
            None,
            [
                (Anonymous, StatusCode::UNAUTHORIZED),
                (TheUser, StatusCode::OK),
                (OtherCustomer, StatusCode::NOT_FOUND),
                (Admin, StatusCode::OK),
            ],
        ),
        row(
            Method::PATCH,
            "/user/{id}",
            Some(json!({"name": "Renamed"})),
            [
                (Anonymous, StatusCode::UNAUTHORIZED),
                (TheUser, StatusCode::OK),
                (OtherCustomer, StatusCode::NOT_FOUND),
                (Admin, StatusCode::OK),
            ],
        ),
        row(
            Method::PATCH,
            "/user/{id}",
            Some(json!({"role": "customer"})),
            [
                (Anonymous, StatusCode::UNAUTHORIZED),
                (TheUser, StatusCode::FORBIDDEN),
                (OtherCustomer, StatusCode::NOT_FOUND),
                (Admin, StatusCode::OK),
            ],
        ),
        row(
            Method::PATCH,
            "/user/{id}",
            Some(json!({"email": "new@example.com"})),
            [
                (Anonymous, StatusCode::UNAUTHORIZED),
                (TheUser, StatusCode::FORBIDDEN),
                (OtherCustomer, StatusCode::NOT_FOUND),
                (Admin, StatusCode::OK),
            ],
        ),
        row(
            Method::DELETE,
            "/user/{id}",
            None,
            [
                (Anonymous, StatusCode::UNAUTHORIZED),
                (TheUser, StatusCode::NO_CONTENT),
                (OtherCustomer, StatusCode::NOT_FOUND),
                (Admin, StatusCode::NO_CONTENT),
            ],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_user_endpoint_answers_each_kind_of_caller_as_the_rules_say() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let (_, other) = stack.customer("other@example.com").await;
    let mut failures = Vec::new();
    for (n, row) in rows().into_iter().enumerate() {
        for (i, (actor, expected)) in row.expected.iter().enumerate() {
            // A fresh target per cell: some cells change or delete it.
            let (id, own) = stack.customer(&format!("target{n}-{i}@example.com")).await;
            let token = match actor {
                Actor::Anonymous => None,
                Actor::TheUser => Some(own.as_str()),
                Actor::OtherCustomer => Some(other.as_str()),
                Actor::Admin => Some(admin.as_str()),
            };
            let mut body = row.body.clone();
            if let Some(email) = body.as_mut().and_then(|b| b.get_mut("email")) {
                *email = json!(format!("moved{n}-{i}@example.com"));
            }
            let path = row.path.replace("{id}", &id);
            let status = stack.call(row.method.clone(), &path, token, body).await.status();
            if status != *expected {
                failures
                    .push(format!("{} {} as {actor:?}: {status}, expected {expected}", row.method, row.path));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_profile_is_indistinguishable_from_a_missing_one() {
    let stack = Stack::start().await;
    let (_, mine) = stack.customer("me@example.com").await;
    let (theirs, _) = stack.customer("them@example.com").await;
    let hidden = stack.call(Method::GET, &format!("/user/{theirs}"), Some(&mine), None).await;
    let missing =
        stack.call(Method::GET, &format!("/user/{}", uuid::Uuid::now_v7()), Some(&mine), None).await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    assert_eq!(hidden.bytes().await.unwrap(), missing.bytes().await.unwrap());
}
