//! The order saga end to end: order and product services through the real broker.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Options, PASSWORD, Stack};

pub async fn new_product(stack: &Stack, admin: &str, sku: &str, stock: i64, price: i64) -> Uuid {
    let body = json!({"sku": sku, "name": format!("Item {sku}"), "description": "For the saga", "price_cents": price, "stock": stock, "category": "test"});
    let response = stack.product_call(Method::POST, "/product", Some(admin), Some(body)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().parse().unwrap()
}

pub async fn stock(stack: &Stack, id: Uuid) -> i64 {
    let product: Value =
        stack.product_call(Method::GET, &format!("/product/{id}"), None, None).await.json().await.unwrap();
    product["stock"].as_i64().unwrap()
}

/// A signed-in customer (no need to wait for their profile: orders do not read it).
pub async fn shopper(stack: &Stack, email: &str) -> (String, String) {
    let id = stack.register(email).await;
    (id, stack.login(email, PASSWORD).await)
}

pub async fn place(stack: &Stack, token: &str, lines: &[(Uuid, i64)]) -> (StatusCode, Value) {
    let items: Vec<Value> = lines.iter().map(|(id, q)| json!({"product_id": id, "quantity": q})).collect();
    let response = stack.order_call(Method::POST, "/order", Some(token), Some(json!({"items": items}))).await;
    (response.status(), response.json().await.unwrap())
}

/// The order once it is no longer pending.
pub async fn settled(stack: &Stack, token: &str, id: &str) -> Value {
    testkit::eventually_some(&format!("order {id} settles"), || async {
        let path = format!("/order/{id}");
        let order: Value =
            stack.order_call(Method::GET, &path, Some(token), None).await.json().await.unwrap();
        (order["status"] != "pending").then_some(order)
    })
    .await
}

pub async fn set_status(stack: &Stack, token: &str, id: &str, status: &str) -> StatusCode {
    stack
        .order_call(Method::PUT, &format!("/order/{id}"), Some(token), Some(json!({"status": status})))
        .await
        .status()
}

fn history(order: &Value) -> Vec<&str> {
    order["history"].as_array().unwrap().iter().map(|step| step["to"].as_str().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_concurrent_orders_against_a_stock_of_five_confirm_exactly_five() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let product = new_product(&stack, &admin, "LAST-5", 5, 1999).await;
    let emails: Vec<String> = (0..12).map(|i| format!("buyer{i}@shop.example")).collect();
    let shoppers = join_all(emails.iter().map(|email| shopper(&stack, email))).await;

    let one = [(product, 1)];
    let placed = join_all(shoppers.iter().map(|(_, token)| place(&stack, token, &one))).await;
    let mut orders = Vec::new();
    for ((status, order), (_, token)) in placed.iter().zip(&shoppers) {
        assert!(matches!(*status, StatusCode::CREATED | StatusCode::ACCEPTED), "{status}: {order}");
        orders.push(settled(&stack, token, order["id"].as_str().unwrap()).await);
    }

    let confirmed: Vec<&Value> = orders.iter().filter(|o| o["status"] == "confirmed").collect();
    let rejected: Vec<&Value> = orders.iter().filter(|o| o["status"] == "rejected").collect();
    assert_eq!((confirmed.len(), rejected.len()), (5, 7));
    assert_eq!(stock(&stack, product).await, 0);
    for order in confirmed {
        assert_eq!(order["items"][0]["unit_price_cents"], 1999, "the price snapshot");
        assert_eq!(order["items"][0]["name"], "Item LAST-5");
        assert_eq!((order["total_cents"].as_i64(), order["currency"].as_str()), (Some(1999), Some("USD")));
        assert_eq!(history(order), ["pending", "confirmed"]);
    }
    for order in rejected {
        assert_eq!(order["rejection_reason"], "short");
        assert_eq!(order["items"][0]["rejection"]["reason"], "short");
        assert_eq!(order["total_cents"], Value::Null);
        assert_eq!(history(order), ["pending", "rejected"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_order_cancelled_gives_its_stock_back_and_shows_its_history() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let mug = new_product(&stack, &admin, "MUG-1", 10, 1250).await;
    let lamp = new_product(&stack, &admin, "LAMP-1", 4, 4000).await;
    let (_, token) = shopper(&stack, "cancel@shop.example").await;

    let (_, order) = place(&stack, &token, &[(mug, 3), (lamp, 2)]).await;
    let id = order["id"].as_str().unwrap();
    let order = settled(&stack, &token, id).await;
    assert_eq!(order["status"], "confirmed");
    assert_eq!(order["total_cents"], 3 * 1250 + 2 * 4000);
    assert_eq!((stock(&stack, mug).await, stock(&stack, lamp).await), (7, 2));

    assert_eq!(set_status(&stack, &token, id, "cancelled").await, StatusCode::OK);
    stack
        .eventually("the stock is back", || async {
            (stock(&stack, mug).await, stock(&stack, lamp).await) == (10, 4)
        })
        .await;
    let order = settled(&stack, &token, id).await;
    assert_eq!(order["status"], "cancelled");
    assert_eq!(history(&order), ["pending", "confirmed", "cancelled"]);
    assert_eq!(set_status(&stack, &token, id, "cancelled").await, StatusCode::CONFLICT, "cancelled once");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!((stock(&stack, mug).await, stock(&stack, lamp).await), (10, 4), "released once");
}

/// Every (from, to) pair an admin can ask for, from every status an order can be settled in:
/// allowed (200) or 409. (Pending is covered where the product service is down.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_change_is_allowed_or_a_conflict() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let plenty = new_product(&stack, &admin, "PLENTY", 1000, 100).await;
    let none = new_product(&stack, &admin, "NONE", 0, 100).await;
    let (_, token) = shopper(&stack, "table@shop.example").await;

    // How to bring a fresh order to each status.
    let paths: [(&str, &[&str]); 5] = [
        ("confirmed", &[]),
        ("rejected", &[]),
        ("cancelled", &["cancelled"]),
        ("shipped", &["shipped"]),
        ("delivered", &["shipped", "delivered"]),
    ];
    let allowed = [("confirmed", "cancelled"), ("confirmed", "shipped"), ("shipped", "delivered")];
    let all = ["pending", "confirmed", "rejected", "cancelled", "shipped", "delivered"];
    for (from, steps) in paths {
        for to in all {
            let product = if from == "rejected" { none } else { plenty };
            let (_, order) = place(&stack, &token, &[(product, 1)]).await;
            let id = order["id"].as_str().unwrap();
            settled(&stack, &token, id).await;
            for step in steps {
                assert_eq!(set_status(&stack, &admin, id, step).await, StatusCode::OK, "{from}: {step}");
            }
            let expected = if allowed.contains(&(from, to)) { StatusCode::OK } else { StatusCode::CONFLICT };
            assert_eq!(set_status(&stack, &admin, id, to).await, expected, "{from} -> {to}");
        }
    }
    assert_eq!(
        set_status(&stack, &admin, &Uuid::now_v7().to_string(), "cancelled").await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_returns_the_first_order_and_creates_nothing_more() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let product = new_product(&stack, &admin, "KEYED", 10, 700).await;
    let (user_id, token) = shopper(&stack, "retry@shop.example").await;
    let post = |key: &'static str, token: String, quantity: i64| {
        let stack = &stack;
        async move {
            let body = json!({"items": [{"product_id": product, "quantity": quantity}]});
            let response = stack
                .client
                .post(format!("{}/order", stack.order))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };

    // Five at once with one key: one order, and every answer is it.
    let answers = join_all((0..5).map(|_| post("checkout-1", token.clone(), 2))).await;
    let first = answers[0].1["id"].clone();
    for (status, order) in &answers {
        assert!(matches!(*status, StatusCode::CREATED | StatusCode::ACCEPTED), "{status}: {order}");
        assert_eq!(order["id"], first);
    }
    let (status, again) = post("checkout-1", token.clone(), 2).await;
    assert_eq!((status, &again["id"]), (StatusCode::CREATED, &first));
    assert_eq!(again["status"], "confirmed");

    let (status, problem) = post("checkout-1", token.clone(), 3).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");

    // Keys are per user: another customer's same key is their own order.
    let (_, other) = shopper(&stack, "other@shop.example").await;
    let (status, theirs) = post("checkout-1", other, 2).await;
    assert!(matches!(status, StatusCode::CREATED | StatusCode::ACCEPTED));
    assert_ne!(theirs["id"], first);

    let mine: Value = stack
        .order_call(Method::GET, &format!("/order/user/{user_id}"), Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "one order for one key");
    stack.eventually("both orders reserved", || async { stock(&stack, product).await == 6 }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_for_unknown_or_deleted_products_are_rejected_and_bad_orders_refused() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let gone = new_product(&stack, &admin, "GONE", 5, 100).await;
    stack.product_call(Method::DELETE, &format!("/product/{gone}"), Some(&admin), None).await;
    let (_, token) = shopper(&stack, "odd@shop.example").await;

    for (product, reason) in [(Uuid::now_v7(), "unknown"), (gone, "deleted")] {
        let (_, order) = place(&stack, &token, &[(product, 1)]).await;
        let order = settled(&stack, &token, order["id"].as_str().unwrap()).await;
        assert_eq!(
            (order["status"].as_str(), order["rejection_reason"].as_str()),
            (Some("rejected"), Some(reason))
        );
    }

    let id = Uuid::now_v7();
    let many: Vec<Value> = (0..101).map(|_| json!({"product_id": Uuid::now_v7(), "quantity": 1})).collect();
    let refused = [
        (json!({"items": []}), "items"),
        (json!({"items": many}), "items"),
        (json!({"items": [{"product_id": id, "quantity": 0}]}), "items[0].quantity"),
        (json!({"items": [{"product_id": id, "quantity": 1001}]}), "items[0].quantity"),
        (
            json!({"items": [{"product_id": id, "quantity": 1}, {"product_id": id, "quantity": 2}]}),
            "items[1].product_id",
        ),
        (json!({"items": [{"product_id": id, "quantity": 1, "price_cents": 1}]}), "items[0].price_cents"),
    ];
    for (body, field) in refused {
        let response = stack.order_call(Method::POST, "/order", Some(&token), Some(body.clone())).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let not_json = stack
        .client
        .post(format!("{}/order", stack.order))
        .bearer_auth(&token)
        .body("items=1")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let bad_key = stack
        .client
        .post(format!("{}/order", stack.order))
        .bearer_auth(&token)
        .header("Idempotency-Key", "has spaces in it")
        .json(&json!({"items": [{"product_id": id, "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (_, order) = place(&stack, &token, &[(gone, 1)]).await;
    let order_id = order["id"].as_str().unwrap();
    let response = stack
        .order_call(Method::PUT, &format!("/order/{order_id}"), Some(&admin), Some(json!({"status": "lost"})))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let mine: Value = stack
        .order_call(Method::GET, "/order?status=pending&limit=100", Some(&admin), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(mine["items"].as_array().unwrap().iter().all(|o| o["status"] == "pending"));
    let refused: Value =
        stack.order_call(Method::GET, "/order?status=lost", Some(&admin), None).await.json().await.unwrap();
    assert_eq!(refused["status"], 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_the_product_service_never_answers_times_out_and_a_late_reservation_is_released() {
    let mut stack =
        Stack::start_with(Options { order_pending_timeout_secs: Some(2), ..Options::default() }).await;
    let admin = stack.admin().await;
    let product = new_product(&stack, &admin, "OUTAGE", 10, 300).await;
    let (_, token) = shopper(&stack, "patient@shop.example").await;
    stack.stop_product().await;

    let (status, order) = place(&stack, &token, &[(product, 4)]).await;
    assert_eq!((status, order["status"].as_str()), (StatusCode::ACCEPTED, Some("pending")));
    let id = order["id"].as_str().unwrap();

    // While pending, only a cancellation is possible (the saga alone confirms or rejects).
    for to in ["pending", "confirmed", "rejected", "shipped", "delivered"] {
        assert_eq!(set_status(&stack, &admin, id, to).await, StatusCode::CONFLICT, "pending -> {to}");
    }
    let (_, cancelled) = place(&stack, &token, &[(product, 1)]).await;
    let cancelled_id = cancelled["id"].as_str().unwrap();
    assert_eq!(set_status(&stack, &token, cancelled_id, "cancelled").await, StatusCode::OK);

    let order = settled(&stack, &token, id).await;
    assert_eq!(
        (order["status"].as_str(), order["rejection_reason"].as_str()),
        (Some("rejected"), Some("timeout"))
    );

    // The product service comes back and finds both orders' created and cancelled events: it may
    // reserve and must then release, so the stock ends where it started.
    stack.restart_product().await;
    let products = sqlx::MySqlPool::connect(&format!("{}/{}", testkit::database_url(), stack.product_schema))
        .await
        .unwrap();
    stack
        .eventually("the product service handled both orders' created and cancelled events", || async {
            let handled: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE event_type LIKE 'order.%'")
                    .fetch_one(&products)
                    .await
                    .unwrap();
            handled == 4
        })
        .await;
    assert_eq!(stock(&stack, product).await, 10);
    let order = settled(&stack, &token, id).await;
    assert_eq!(order["status"], "rejected", "a late answer does not revive it");
    assert_eq!(history(&order), ["pending", "rejected"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_through_every_order_exactly_once_newest_first() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let product = new_product(&stack, &admin, "PAGED", 100, 100).await;
    let (alice, alice_token) = shopper(&stack, "alice@shop.example").await;
    let (_, bob_token) = shopper(&stack, "bob@shop.example").await;
    let mut placed = Vec::new();
    for i in 0..7 {
        let token = if i % 2 == 0 { &alice_token } else { &bob_token };
        let (_, order) = place(&stack, token, &[(product, 1)]).await;
        placed.push(order["id"].as_str().unwrap().to_owned());
    }

    let mut seen = Vec::new();
    let mut path = "/order?limit=3".to_owned();
    loop {
        let page: Value =
            stack.order_call(Method::GET, &path, Some(&admin), None).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/order?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    placed.reverse();
    assert_eq!(seen, placed, "every order once, newest first");

    let alices: Value = stack
        .order_call(Method::GET, &format!("/order/user/{alice}"), Some(&alice_token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(alices["items"].as_array().unwrap().len(), 4);
    assert!(alices["items"].as_array().unwrap().iter().all(|o| o["user_id"] == alice.as_str()));
    let filtered: Value = stack
        .order_call(Method::GET, &format!("/order?user_id={alice}&limit=100"), Some(&admin), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 4);
}
