use events::{
    Event, OrderCreated, ProductCreated, ProductDeleted, ProductUpdated, ProductsImported, ReservedLine,
    StockReserved,
};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::Suite;

fn quantities(cart: &Value) -> Vec<(String, i64)> {
    let items = cart["items"].as_array().unwrap();
    items
        .iter()
        .map(|i| (i["product_id"].as_str().unwrap().to_owned(), i["quantity"].as_i64().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_is_the_owners_alone_and_holds_catalogue_products_at_their_prices() {
    let suite = Suite::start().await;
    let (_, ada) = suite.solo.customer();
    let (_, bob) = suite.solo.customer();
    let empty = suite.cart(&ada).await;
    assert_eq!((empty["items"].as_array().unwrap().len(), empty["total_cents"].as_i64()), (0, Some(0)));

    let mug = suite.product("Enamel mug", 1250, 40).await;
    let pot = suite.product("Tea pot", 3000, 5).await;
    assert_eq!(suite.put(&ada, Uuid::now_v7(), 1).await.status(), StatusCode::NOT_FOUND, "unknown product");
    for quantity in [0, 1001] {
        assert_eq!(suite.put(&ada, mug, quantity).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(suite.put(&ada, mug, 2).await.status(), StatusCode::OK);
    assert_eq!(suite.put(&ada, pot, 1).await.status(), StatusCode::OK);
    assert_eq!(suite.put(&ada, mug, 3).await.status(), StatusCode::OK, "a second put changes the line");
    let cart = suite.cart(&ada).await;
    assert_eq!(quantities(&cart), [(mug.to_string(), 3), (pot.to_string(), 1)]);
    assert_eq!(
        (cart["total_cents"].as_i64(), cart["currency"].as_str()),
        (Some(3 * 1250 + 3000), Some("USD"))
    );
    assert_eq!(cart["items"][0]["name"], "Enamel mug");
    assert_eq!(cart["items"][0]["available"], true);

    assert!(suite.cart(&bob).await["items"].as_array().unwrap().is_empty(), "bob never sees ada's cart");
    let removed: Value =
        suite.call(Method::DELETE, &format!("/cart/items/{pot}"), &ada, None).await.json().await.unwrap();
    assert_eq!(quantities(&removed), [(mug.to_string(), 3)]);
    let again = suite.call(Method::DELETE, &format!("/cart/items/{pot}"), &ada, None).await;
    assert_eq!(again.status(), StatusCode::OK, "removing what is not there is fine");
    assert_eq!(suite.call(Method::DELETE, "/cart", &ada, None).await.status(), StatusCode::NO_CONTENT);
    assert!(suite.cart(&ada).await["items"].as_array().unwrap().is_empty());
    assert_eq!(
        suite.client.get(suite.solo.service.url("/cart")).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_product_shows_unavailable_and_checkout_refuses_it_leaving_the_cart() {
    let suite = Suite::start().await;
    let (_, ada) = suite.solo.customer();
    let mug = suite.product("Enamel mug", 1250, 40).await;
    assert_eq!(suite.put(&ada, mug, 2).await.status(), StatusCode::OK);
    suite.solo.run.publish_event(&ProductDeleted { product_id: mug }).await;
    testkit::eventually("the cart shows the mug unavailable", || async {
        suite.cart(&ada).await["items"][0]["available"] == false
    })
    .await;
    assert_eq!(suite.put(&ada, mug, 3).await.status(), StatusCode::NOT_FOUND, "no longer sold");
    let refused = suite.checkout(&ada, "k-1").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(quantities(&suite.cart(&ada).await), [(mug.to_string(), 2)], "the cart is as it was");

    let (_, bob) = suite.solo.customer();
    assert_eq!(suite.checkout(&bob, "k-2").await.status(), StatusCode::UNPROCESSABLE_ENTITY, "an empty cart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_places_one_order_per_key_and_its_confirmation_takes_the_units_out_of_the_cart() {
    let suite = Suite::start().await;
    let created = suite.solo.run.collector(&[OrderCreated::TYPE]).await;
    let (ada_id, ada) = suite.solo.customer();
    let mug = suite.product("Enamel mug", 1250, 40).await;
    let pot = suite.product("Tea pot", 3000, 5).await;
    suite.put(&ada, mug, 2).await;
    suite.put(&ada, pot, 1).await;

    let first = suite.checkout(&ada, "checkout-1").await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first: Value = first.json().await.unwrap();
    let again: Value = suite.checkout(&ada, "checkout-1").await.json().await.unwrap();
    assert_eq!(again["id"], first["id"], "the retry replays the first order");
    let published = created.collect(1).await;
    assert_eq!(published.len(), 1, "one order: {published:?}");
    let order: OrderCreated = published[0].decode().unwrap();
    assert_eq!(order.user_id, ada_id);
    assert_eq!(quantities(&suite.cart(&ada).await).len(), 2, "pending: the cart keeps its lines");

    // Meanwhile the customer adds one more mug; the confirmation takes out only what was bought.
    suite.put(&ada, mug, 3).await;
    let answer = StockReserved {
        order_id: order.order_id,
        items: vec![
            ReservedLine { product_id: mug, name: "Enamel mug".into(), quantity: 2, unit_price_cents: 1250 },
            ReservedLine { product_id: pot, name: "Tea pot".into(), quantity: 1, unit_price_cents: 3000 },
        ],
        currency: "USD".into(),
    };
    suite.solo.run.publish_event(&answer).await;
    testkit::eventually("the bought units leave the cart", || async {
        quantities(&suite.cart(&ada).await) == [(mug.to_string(), 1)]
    })
    .await;
    let replayed: Value = suite.checkout(&ada, "checkout-1").await.json().await.unwrap();
    assert_eq!(
        (replayed["id"].clone(), replayed["status"].as_str()),
        (first["id"].clone(), Some("confirmed"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_holds_at_most_100_lines() {
    let suite = Suite::start().await;
    let (_, ada) = suite.solo.customer();
    let mut products = Vec::new();
    for n in 0..101 {
        let product_id = Uuid::now_v7();
        let event = ProductCreated {
            product_id,
            sku: format!("SKU-{n}"),
            name: format!("Product {n}"),
            price_cents: 100,
            currency: "USD".into(),
            stock: 10,
            category: "misc".into(),
        };
        suite.solo.run.publish_event(&event).await;
        products.push(product_id);
    }
    let last = *products.last().unwrap();
    testkit::eventually("the order service knows every product", || async {
        suite.put(&ada, last, 1).await.status() == StatusCode::OK
    })
    .await;
    for product in &products[..99] {
        assert_eq!(suite.put(&ada, *product, 1).await.status(), StatusCode::OK);
    }
    let refused = suite.put(&ada, products[99], 1).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "the 101st line");
    assert_eq!(
        suite.put(&ada, last, 5).await.status(),
        StatusCode::OK,
        "changing a line that is there still works"
    );
    assert_eq!(suite.cart(&ada).await["items"].as_array().unwrap().len(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_batch_reaches_the_catalogue_copy_and_never_undoes_a_later_version() {
    let suite = Suite::start().await;
    let (_, ada) = suite.solo.customer();
    let lamp = suite.product("Walnut lamp", 4000, 3).await;
    let shade = Uuid::now_v7();
    let listing = |product_id, name: &str, price_cents, version| ProductUpdated {
        product_id,
        sku: format!("SKU-{}", product_id.simple()),
        name: name.into(),
        price_cents,
        currency: "USD".into(),
        stock: 3,
        category: "lighting".into(),
        version,
    };
    let newer = ProductsImported {
        products: vec![listing(lamp, "Walnut lamp", 4500, 3), listing(shade, "Linen shade", 900, 1)],
    };
    suite.solo.run.publish_event(&newer).await;
    testkit::eventually("the imported shade can be put in a cart", || async {
        suite.put(&ada, shade, 1).await.status() == StatusCode::OK
    })
    .await;
    // A batch carrying an older version of the lamp, arriving late, changes nothing.
    let older = ProductsImported { products: vec![listing(lamp, "Old lamp", 100, 2)] };
    suite.solo.run.publish_event(&older).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let cart: Value = suite.put(&ada, lamp, 1).await.json().await.unwrap();
    let line = cart["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["product_id"] == lamp.to_string())
        .cloned()
        .unwrap();
    assert_eq!((line["name"].as_str(), line["unit_price_cents"].as_i64()), (Some("Walnut lamp"), Some(4500)));
}
