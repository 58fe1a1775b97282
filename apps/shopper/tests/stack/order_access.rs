//! Who may do what with an order (OWASP API1/API5): every order endpoint for an anonymous
//! caller, the owner, another customer and an admin.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::Stack,
    orders::{new_product, place, settled, shopper},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customer_can_neither_see_nor_change_an_order() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let product = new_product(&stack, &admin, "BOLA", 10, 100).await;
    let (owner_id, owner) = shopper(&stack, "owner@shop.example").await;
    let (_, other) = shopper(&stack, "other@shop.example").await;
    let (_, order) = place(&stack, &owner, &[(product, 1)]).await;
    let id = order["id"].as_str().unwrap().to_owned();
    settled(&stack, &owner, &id).await;

    let one = format!("/order/{id}");
    let theirs = format!("/order/user/{owner_id}");
    let cancel = Some(json!({"status": "cancelled"}));
    let ship = Some(json!({"status": "shipped"}));
    let place_body = Some(json!({"items": [{"product_id": product, "quantity": 1}]}));
    // (method, path, body, anonymous, owner, other customer, admin)
    type Row<'a> = (Method, &'a str, Option<Value>, [StatusCode; 4]);
    use StatusCode as S;
    let rows: Vec<Row> = vec![
        (Method::GET, &one, None, [S::UNAUTHORIZED, S::OK, S::NOT_FOUND, S::OK]),
        (Method::GET, &theirs, None, [S::UNAUTHORIZED, S::OK, S::NOT_FOUND, S::OK]),
        (Method::GET, "/order", None, [S::UNAUTHORIZED, S::FORBIDDEN, S::FORBIDDEN, S::OK]),
        (Method::PUT, &one, ship.clone(), [S::UNAUTHORIZED, S::FORBIDDEN, S::NOT_FOUND, S::OK]),
        (Method::POST, "/order", place_body, [S::UNAUTHORIZED, S::CREATED, S::CREATED, S::CREATED]),
    ];
    let callers = [None, Some(owner.as_str()), Some(other.as_str()), Some(admin.as_str())];
    for (method, path, body, expected) in rows {
        for (caller, want) in callers.iter().zip(expected) {
            let response = stack.order_call(method.clone(), path, *caller, body.clone()).await;
            let got = response.status();
            // A new order answers 201 once settled, 202 if the saga takes longer than the wait.
            let got = if got == S::ACCEPTED { S::CREATED } else { got };
            let who =
                ["anonymous", "owner", "other", "admin"][callers.iter().position(|c| c == caller).unwrap()];
            assert_eq!(got, want, "{method} {path} as {who}");
        }
    }
    // The order is shipped now; the other customer still cannot cancel it, nor can its owner.
    let response = stack.order_call(Method::PUT, &one, Some(&other), cancel.clone()).await;
    assert_eq!(response.status(), S::NOT_FOUND);
    let response = stack.order_call(Method::PUT, &one, Some(&owner), cancel).await;
    assert_eq!(response.status(), S::CONFLICT);
    let order: Value = stack.order_call(Method::GET, &one, Some(&owner), None).await.json().await.unwrap();
    assert_eq!(order["status"], "shipped");
}
