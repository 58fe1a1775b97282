use events::{Event, OrderCreated, OrderLine, ProductCreated, StockReserved};
use product::ProductService;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use testkit::Solo;
use uuid::Uuid;

struct Suite {
    solo: Solo,
    client: Client,
}

impl Suite {
    async fn start() -> Self {
        Self { solo: Solo::start::<ProductService>(&[]).await, client: Client::new() }
    }

    async fn create(&self, token: &str, key: &str, body: &Value) -> reqwest::Response {
        let request = self.client.post(self.solo.service.url("/product")).bearer_auth(token).json(body);
        request.header("Idempotency-Key", key).send().await.unwrap()
    }
}

fn mug(sku: &str, stock: i64) -> Value {
    json!({"sku": sku, "name": "Enamel mug", "description": "Blue.", "price_cents": 1250, "stock": stock, "category": "kitchen"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_creation_creates_one_product_and_announces_it_once() {
    let suite = Suite::start().await;
    let created = suite.solo.run.collector(&[ProductCreated::TYPE]).await;
    let admin = suite.solo.admin();

    let first = suite.create(&admin, "k-1", &mug("MUG-1", 5)).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = suite.create(&admin, "k-1", &mug("MUG-1", 5)).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(
        again.json::<Value>().await.unwrap()["id"],
        first["id"],
        "the retry answers with the first product"
    );
    let other = suite.create(&admin, "k-1", &mug("MUG-2", 5)).await;
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY, "one key, another product");

    let published = created.collect(1).await;
    assert_eq!(published.len(), 1, "{published:?}");
    let (_, customer) = suite.solo.customer();
    assert_eq!(suite.create(&customer, "k-2", &mug("MUG-3", 5)).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_reserves_its_stock_at_the_catalogue_price() {
    let suite = Suite::start().await;
    let reserved = suite.solo.run.collector(&[StockReserved::TYPE]).await;
    let admin = suite.solo.admin();
    let product: Value = suite.create(&admin, "k-1", &mug("MUG-9", 5)).await.json().await.unwrap();
    let product_id: Uuid = product["id"].as_str().unwrap().parse().unwrap();

    let order = OrderCreated {
        order_id: Uuid::now_v7(),
        user_id: Uuid::now_v7(),
        items: vec![OrderLine { product_id, quantity: 2 }],
    };
    suite.solo.run.publish_event(&order).await;
    let published = reserved.collect(1).await;
    assert_eq!(published.len(), 1, "{published:?}");
    let answer: StockReserved = published[0].decode().unwrap();
    assert_eq!(answer.order_id, order.order_id);
    assert_eq!((answer.items[0].quantity, answer.items[0].unit_price_cents), (2, 1250));

    let now: Value = suite
        .client
        .get(suite.solo.service.url(&format!("/product/{product_id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["stock"], 3);
}
