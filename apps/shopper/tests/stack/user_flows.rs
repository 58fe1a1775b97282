use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::MySqlPool;

use crate::helpers::{PASSWORD, Stack};

fn claims(token: &str) -> Value {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_user_finds_their_profile_moments_later() {
    let stack = Stack::start().await;
    let (id, token) = stack.customer("Ada@Example.com").await;
    let profile: Value =
        stack.call(Method::GET, &format!("/user/{id}"), Some(&token), None).await.json().await.unwrap();
    assert_eq!(profile["id"], id);
    assert_eq!(profile["email"], "ada@example.com");
    assert_eq!(profile["name"], "Test User");
    assert_eq!(profile["role"], "customer");
    assert_eq!(profile["phone"], Value::Null);
    assert_eq!(profile["address"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_sets_phone_and_address_and_reads_them_back() {
    let stack = Stack::start().await;
    let (id, token) = stack.customer("ada@example.com").await;
    let patch = json!({
        "name": "Ada Lovelace",
        "phone": "+44 20 7946 0958",
        "address": {"line1": "12 Marylebone Road", "city": "London", "postal_code": "NW1 5LR", "country": "gb"}
    });
    let response = stack.call(Method::PATCH, &format!("/user/{id}"), Some(&token), Some(patch)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let profile: Value =
        stack.call(Method::GET, &format!("/user/{id}"), Some(&token), None).await.json().await.unwrap();
    assert_eq!(profile["name"], "Ada Lovelace");
    assert_eq!(profile["phone"], "+442079460958");
    assert_eq!(profile["address"]["country"], "GB");
    assert_eq!(profile["address"]["line1"], "12 Marylebone Road");

    let cleared =
        stack.call(Method::PATCH, &format!("/user/{id}"), Some(&token), Some(json!({"phone": null}))).await;
    let cleared: Value = cleared.json().await.unwrap();
    assert_eq!(cleared["phone"], Value::Null);
    assert_eq!(cleared["address"]["city"], "London", "fields left out stay as they were");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_and_street_are_not_stored_in_plaintext() {
    let stack = Stack::start().await;
    let (id, token) = stack.customer("ada@example.com").await;
    let patch = json!({"phone": "+14155550123", "address": {"line1": "1 Infinite Loop", "city": "Cupertino", "postal_code": "95014", "country": "US"}});
    stack.call(Method::PATCH, &format!("/user/{id}"), Some(&token), Some(patch)).await;
    let pool =
        MySqlPool::connect(&format!("{}/{}", testkit::database_url(), stack.user_schema)).await.unwrap();
    let rows: Vec<(Vec<u8>, Vec<u8>, String)> =
        sqlx::query_as("SELECT phone_encrypted, address_encrypted, pii_key_id FROM profiles WHERE phone_encrypted IS NOT NULL")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    let (phone, address, kid) = &rows[0];
    assert_eq!(kid, "k1");
    let raw = [phone.as_slice(), address.as_slice()].concat();
    for plaintext in ["4155550123", "Infinite Loop", "Cupertino", "95014"] {
        assert!(
            !raw.windows(plaintext.len()).any(|w| w == plaintext.as_bytes()),
            "{plaintext} is stored in the clear"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_changes_get_422_naming_each_field_and_change_nothing() {
    let stack = Stack::start().await;
    let (id, token) = stack.customer("ada@example.com").await;
    let cases = [
        (json!({"name": "   "}), vec!["name"]),
        (json!({"phone": "555-0123"}), vec!["phone"]),
        (json!({"nickname": "ace"}), vec!["nickname"]),
        (
            json!({"address": {"line1": "x", "city": "y", "postal_code": "1", "country": "XX"}}),
            vec!["address.country"],
        ),
        (
            json!({"address": {"line1": "x", "city": "y", "postal_code": "1", "country": "DE", "zip": "2"}}),
            vec!["address.zip"],
        ),
        (json!({"name": "", "phone": "nope"}), vec!["name", "phone"]),
    ];
    for (body, fields) in cases {
        let response =
            stack.call(Method::PATCH, &format!("/user/{id}"), Some(&token), Some(body.clone())).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let problem: Value = response.json().await.unwrap();
        let named: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(named, fields, "{body}");
    }
    let profile: Value =
        stack.call(Method::GET, &format!("/user/{id}"), Some(&token), None).await.json().await.unwrap();
    assert_eq!(profile["name"], "Test User");
    assert_eq!(profile["phone"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_cannot_make_themselves_admin_and_nothing_changes() {
    let stack = Stack::start().await;
    let (id, token) = stack.customer("ada@example.com").await;
    let body = json!({"name": "Sneaky", "role": "admin"});
    let response = stack.call(Method::PATCH, &format!("/user/{id}"), Some(&token), Some(body)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let profile: Value =
        stack.call(Method::GET, &format!("/user/{id}"), Some(&token), None).await.json().await.unwrap();
    assert_eq!((profile["role"].as_str(), profile["name"].as_str()), (Some("customer"), Some("Test User")));
    assert_eq!(claims(&stack.login("ada@example.com", PASSWORD).await)["role"], "customer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_given_by_an_admin_reaches_the_users_next_token() {
    let stack = Stack::start().await;
    let (id, _) = stack.customer("ada@example.com").await;
    let admin = stack.admin().await;
    let response =
        stack.call(Method::PATCH, &format!("/user/{id}"), Some(&admin), Some(json!({"role": "admin"}))).await;
    assert_eq!(response.status(), StatusCode::OK);
    stack
        .eventually("the next token carries the new role", || async {
            claims(&stack.login("ada@example.com", PASSWORD).await)["role"] == "admin"
        })
        .await;
    // And with it, the user may now list everyone.
    let token = stack.login("ada@example.com", PASSWORD).await;
    assert_eq!(stack.call(Method::GET, "/user", Some(&token), None).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_changed_by_an_admin_becomes_the_sign_in_email_and_a_taken_one_is_refused() {
    let stack = Stack::start().await;
    let (id, _) = stack.customer("ada@example.com").await;
    stack.customer("bob@example.com").await;
    let admin = stack.admin().await;
    let taken = stack
        .call(Method::PATCH, &format!("/user/{id}"), Some(&admin), Some(json!({"email": "BOB@example.com"})))
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let moved = stack
        .call(
            Method::PATCH,
            &format!("/user/{id}"),
            Some(&admin),
            Some(json!({"email": "Ada.L@Example.com"})),
        )
        .await;
    assert_eq!(moved.json::<Value>().await.unwrap()["email"], "ada.l@example.com");
    stack
        .eventually("auth accepts the new email", || async {
            stack.try_login("ada.l@example.com", PASSWORD).await.status() == StatusCode::OK
        })
        .await;
    assert_eq!(stack.try_login("ada@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_can_no_longer_sign_in_and_is_gone_for_everyone() {
    let stack = Stack::start().await;
    let (id, token) = stack.customer("ada@example.com").await;
    let admin = stack.admin().await;
    assert_eq!(
        stack.call(Method::DELETE, &format!("/user/{id}"), Some(&token), None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        stack.call(Method::GET, &format!("/user/{id}"), Some(&admin), None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stack.call(Method::DELETE, &format!("/user/{id}"), Some(&admin), None).await.status(),
        StatusCode::NOT_FOUND
    );
    stack
        .eventually("login answers 401", || async {
            stack.try_login("ada@example.com", PASSWORD).await.status() == StatusCode::UNAUTHORIZED
        })
        .await;
    let listed: Value =
        stack.call(Method::GET, "/user?email=ada", Some(&admin), None).await.json().await.unwrap();
    assert!(listed["items"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_through_the_list_visits_every_user_exactly_once() {
    let stack = Stack::start().await;
    let mut expected = HashSet::new();
    for i in 0..16 {
        expected.insert(stack.register(&format!("page{i:02}@example.com")).await);
    }
    let admin = stack.admin().await;
    stack
        .eventually("every profile exists", || async {
            let page: Value = stack
                .call(Method::GET, "/user?email=page&limit=100", Some(&admin), None)
                .await
                .json()
                .await
                .unwrap();
            page["items"].as_array().unwrap().len() == 16
        })
        .await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/user?email=page&limit=5&cursor={c}"),
            None => "/user?email=page&limit=5".to_owned(),
        };
        let page: Value = stack.call(Method::GET, &path, Some(&admin), None).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 5);
        seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 16, "no profile twice");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), expected);

    for bad in ["/user?limit=0", "/user?limit=101", "/user?cursor=not-a-cursor", "/user?limit=ten"] {
        let status = stack.call(Method::GET, bad, Some(&admin), None).await.status();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {status}"
        );
    }
    let wildcard: Value =
        stack.call(Method::GET, "/user?email=%25", Some(&admin), None).await.json().await.unwrap();
    assert!(wildcard["items"].as_array().unwrap().is_empty(), "% is matched literally, not as a wildcard");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_change_that_auth_must_refuse_is_undone_so_both_services_agree() {
    let stack = Stack::start().await;
    let (id, _) = stack.customer("ada@example.com").await;
    // An account auth has and the user service has not profiled yet: what a registration still
    // in flight looks like when an admin moves someone else onto its email.
    let auth =
        MySqlPool::connect(&format!("{}/{}", testkit::database_url(), stack.auth_schema)).await.unwrap();
    sqlx::query(
        "INSERT INTO accounts (id, email, password_hash, role, status, created_at, updated_at)
         VALUES (?, 'racing@example.com', 'x', 'customer', 'active', NOW(6), NOW(6))",
    )
    .bind(uuid::Uuid::now_v7())
    .execute(&auth)
    .await
    .unwrap();

    let admin = stack.admin().await;
    let patch = json!({"email": "racing@example.com"});
    let accepted = stack.call(Method::PATCH, &format!("/user/{id}"), Some(&admin), Some(patch)).await;
    assert_eq!(accepted.status(), StatusCode::OK, "the user service could not know");

    stack
        .eventually("the profile gets back the email auth kept", || async {
            let profile: Value = stack
                .call(Method::GET, &format!("/user/{id}"), Some(&admin), None)
                .await
                .json()
                .await
                .unwrap();
            profile["email"] == "ada@example.com"
        })
        .await;
    assert_eq!(stack.try_login("ada@example.com", PASSWORD).await.status(), StatusCode::OK);
    let kept: String = sqlx::query_scalar("SELECT email FROM accounts WHERE id = ?")
        .bind(uuid::Uuid::parse_str(&id).unwrap())
        .fetch_one(&auth)
        .await
        .unwrap();
    assert_eq!(kept, "ada@example.com");
}
