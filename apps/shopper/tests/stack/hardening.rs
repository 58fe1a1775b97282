//! What hostile or careless input gets across the services: 400s that name the parameter in our
//! words and repeat nothing of what was sent, and cursors that continue only their own list.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::Stack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_path_or_query_parameter_is_named_without_echoing_it() {
    let stack = Stack::start().await;
    let (_, customer) = stack.customer("echo@example.com").await;
    let injection = "1'%20AND%20EXTRACTVALUE(1,CONCAT(0x7e,version()))--";

    let by_id = stack.product_call(Method::GET, &format!("/product/{injection}"), None, None).await;
    assert_eq!(by_id.status(), StatusCode::BAD_REQUEST);
    let body: Value = by_id.json().await.unwrap();
    assert_eq!(body["detail"], "the path parameter `id` is malformed");

    let order = stack.order_call(Method::GET, &format!("/order/{injection}"), Some(&customer), None).await;
    assert_eq!(order.status(), StatusCode::BAD_REQUEST);
    assert_eq!(order.json::<Value>().await.unwrap()["detail"], "the path parameter `id` is malformed");

    let query = stack.product_call(Method::GET, &format!("/product?limit={injection}"), None, None).await;
    assert_eq!(query.status(), StatusCode::BAD_REQUEST);
    let body: Value = query.json().await.unwrap();
    assert_eq!(body["detail"], "the query parameter `limit` is malformed");
    assert!(!body.to_string().contains("EXTRACTVALUE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_of_another_list_sort_or_filter_is_a_422() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    for n in 0..3 {
        let product = json!({"sku": format!("lamp-{n}"), "name": "Walnut lamp", "description": "A lamp.",
            "price_cents": 1000 + n, "currency": "USD", "stock": 5, "category": "lighting"});
        let created = stack.product_call(Method::POST, "/product", Some(&admin), Some(product)).await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let first: Value = stack
        .product_call(Method::GET, "/product?sort=price_asc&limit=1", None, None)
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let path = format!("/product?sort=price_asc&limit=1&cursor={cursor}");
    let next = stack.product_call(Method::GET, &path, None, None);
    assert_eq!(next.await.status(), StatusCode::OK, "the cursor continues its own search");

    for other in [
        format!("/product?sort=price_desc&limit=1&cursor={cursor}"),
        format!("/product?sort=price_asc&category=kitchen&limit=1&cursor={cursor}"),
    ] {
        let refused = stack.product_call(Method::GET, &other, None, None).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{other}");
    }

    stack.customer("cursor-a@example.com").await;
    stack.customer("cursor-b@example.com").await;
    let users: Value =
        stack.call(Method::GET, "/user?limit=1", Some(&admin), None).await.json().await.unwrap();
    let user_cursor = users["next_cursor"].as_str().expect("a next page of users").to_owned();
    let orders =
        stack.order_call(Method::GET, &format!("/order?cursor={user_cursor}"), Some(&admin), None).await;
    assert_eq!(orders.status(), StatusCode::UNPROCESSABLE_ENTITY, "a user list's cursor on the order list");
    let path = format!("/user?limit=1&email=cursor&cursor={user_cursor}");
    let filtered = stack.call(Method::GET, &path, Some(&admin), None);
    assert_eq!(
        filtered.await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the same list with another filter"
    );
}
