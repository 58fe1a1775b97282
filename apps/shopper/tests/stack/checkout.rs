//! Carts, checkout and payment across the services: the product service's catalogue reaches the
//! order service's copy, the reservation decides who gets the last unit, Stripe (played by
//! wiremock) and its signed webhook decide who has paid.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::{
    helpers::{Options, Stack, WEBHOOK_SECRET},
    orders::{new_product, shopper, stock},
};

fn unix_now() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    i64::try_from(since_epoch.as_secs()).unwrap()
}

async fn order_of(stack: &Stack, token: &str, id: &str) -> Value {
    stack.order_call(Method::GET, &format!("/order/{id}"), Some(token), None).await.json().await.unwrap()
}

async fn cart(stack: &Stack, token: &str) -> Value {
    stack.order_call(Method::GET, "/cart", Some(token), None).await.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_customers_race_for_the_last_unit_through_their_carts_and_exactly_one_pays_for_it() {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "pi_race", "client_secret": "pi_race_secret"})),
        )
        .mount(&stripe)
        .await;
    let stack = Stack::start_with(Options { stripe: Some(stripe.uri()), ..Options::default() }).await;
    let admin = stack.admin().await;
    let product = new_product(&stack, &admin, "LAST-ONE", 1, 4200).await;
    let (_, ada) = shopper(&stack, "ada@race.example").await;
    let (_, bob) = shopper(&stack, "bob@race.example").await;
    let line = format!("/cart/items/{product}");
    for token in [&ada, &bob] {
        stack
            .eventually("the order service's catalogue has the product", || async {
                let put =
                    stack.order_call(Method::PUT, &line, Some(token), Some(json!({"quantity": 1}))).await;
                put.status() == StatusCode::OK
            })
            .await;
    }

    let checkout = |token: String| {
        let stack = &stack;
        async move {
            let placed: Value = stack
                .order_call(Method::POST, "/cart/checkout", Some(&token), None)
                .await
                .json()
                .await
                .unwrap();
            (token, placed["id"].as_str().unwrap().to_owned())
        }
    };
    let (first, second) = tokio::join!(checkout(ada.clone()), checkout(bob.clone()));
    let mut settled = Vec::new();
    for (token, id) in [first, second] {
        let order = testkit::eventually_some("the checkout settles", || async {
            let order = order_of(&stack, &token, &id).await;
            (order["status"] != "pending").then_some(order)
        })
        .await;
        settled.push((token, id, order));
    }
    let statuses: Vec<&str> = settled.iter().map(|(_, _, o)| o["status"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"confirmed") && statuses.contains(&"rejected"), "{statuses:?}");
    let (winner, won, _) = settled.iter().find(|(_, _, o)| o["status"] == "confirmed").unwrap();
    let (loser, lost, _) = settled.iter().find(|(_, _, o)| o["status"] == "rejected").unwrap();
    assert_eq!(stock(&stack, product).await, 0);

    testkit::eventually("the winner's order has its intent", || async {
        order_of(&stack, winner, won).await["payment"]["intent_id"] == "pi_race"
    })
    .await;
    let body = json!({
        "id": format!("evt_{}", Uuid::now_v7().simple()), "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_race", "amount": 4200, "currency": "usd"}}
    })
    .to_string();
    let signature = order::stripe_signature(body.as_bytes(), WEBHOOK_SECRET.as_bytes(), unix_now());
    let answered = stack
        .client
        .post(format!("{}/payments/stripe/webhook", stack.order))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), StatusCode::OK);

    assert_eq!(order_of(&stack, winner, won).await["payment_status"], "paid");
    assert_eq!(
        order_of(&stack, loser, lost).await["payment_status"],
        "not_required",
        "a rejected order asks no money"
    );
    testkit::eventually("the paid units leave the winner's cart", || async {
        cart(&stack, winner).await["items"].as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        cart(&stack, loser).await["items"].as_array().unwrap().len(),
        1,
        "the loser's cart is as it was"
    );
}
