use events::ProductCreated;
use order::OrderService;
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use testkit::Solo;
use uuid::Uuid;

/// The order service alone; the tests play the product service by publishing its events.
pub struct Suite {
    pub solo: Solo,
    pub client: Client,
}

impl Suite {
    pub async fn start() -> Self {
        Self::with(&[]).await
    }

    /// With `extra` settings.
    pub async fn with(extra: &[(&str, &str)]) -> Self {
        // Answer at once, without waiting for the saga: the tests decide when it answers.
        let mut settings = vec![("ORDER_SETTLE_WAIT_MS", "0")];
        settings.extend_from_slice(extra);
        let solo = Solo::start::<OrderService>(&settings).await;
        Self { solo, client: Client::new() }
    }

    /// Announces a product as the product service would, and waits until carts can hold it.
    pub async fn product(&self, name: &str, price_cents: i64, stock: i64) -> Uuid {
        let product_id = Uuid::now_v7();
        let event = ProductCreated {
            product_id,
            sku: format!("SKU-{}", product_id.simple()),
            name: name.into(),
            price_cents,
            currency: "USD".into(),
            stock,
            category: "kitchen".into(),
        };
        self.solo.run.publish_event(&event).await;
        let (_, probe) = self.solo.customer();
        testkit::eventually("the order service knows the product", || async {
            self.put(&probe, product_id, 1).await.status() == StatusCode::OK
        })
        .await;
        product_id
    }

    pub async fn call(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Response {
        let mut request = self.client.request(method, self.solo.service.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, id: &str, token: &str) -> Response {
        self.call(Method::GET, &format!("/order/{id}"), token, None).await
    }

    pub async fn put(&self, token: &str, product: Uuid, quantity: i64) -> Response {
        self.call(Method::PUT, &format!("/cart/items/{product}"), token, Some(json!({"quantity": quantity})))
            .await
    }

    pub async fn cart(&self, token: &str) -> Value {
        let response = self.call(Method::GET, "/cart", token, None).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn checkout(&self, token: &str, key: &str) -> Response {
        let request = self.client.post(self.solo.service.url("/cart/checkout")).bearer_auth(token);
        request.header("Idempotency-Key", key).send().await.unwrap()
    }
}
