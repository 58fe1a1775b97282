//! The few calls the driver makes, as any REST client would make them.

use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Where the services answer.
#[derive(Debug, Clone, clap::Args)]
pub struct Endpoints {
    /// The auth service.
    #[arg(long, env = "BENCH_AUTH_URL", default_value = "http://127.0.0.1:8081")]
    pub auth: String,
    /// The product service.
    #[arg(long, env = "BENCH_PRODUCT_URL", default_value = "http://127.0.0.1:8083")]
    pub product: String,
    /// The order service.
    #[arg(long, env = "BENCH_ORDER_URL", default_value = "http://127.0.0.1:8084")]
    pub order: String,
    /// An admin account (creates the products).
    #[arg(long, env = "SHOPPER_ADMIN_EMAIL")]
    pub admin_email: String,
    #[arg(long, env = "SHOPPER_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
}

#[derive(Clone)]
pub struct Api {
    client: Client,
    at: Endpoints,
}

/// A signed-in customer.
#[derive(Clone)]
pub struct Customer {
    pub token: String,
}

const PASSWORD: &str = "bench password 1";

impl Api {
    pub fn new(at: Endpoints) -> anyhow::Result<Self> {
        let client =
            Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(256).build()?;
        Ok(Self { client, at })
    }

    async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let response = self
            .client
            .post(format!("{}/auth/login", self.at.auth))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await?;
        if response.status() != StatusCode::OK {
            bail!("login of {email}: {}", response.status());
        }
        let body: Value = response.json().await?;
        Ok(body["access_token"].as_str().context("no access_token")?.to_owned())
    }

    pub async fn admin(&self) -> anyhow::Result<String> {
        self.login(&self.at.admin_email, &self.at.admin_password).await
    }

    /// Registers a new customer (a fresh address every run) and signs them in.
    pub async fn customer(&self, run: Uuid, n: usize) -> anyhow::Result<Customer> {
        let email = format!("bench-{}-{n}@shop.example", run.simple());
        let response = self
            .client
            .post(format!("{}/auth/register", self.at.auth))
            .json(&json!({"email": email, "password": PASSWORD, "name": format!("Bench Customer {n}")}))
            .send()
            .await?;
        if response.status() != StatusCode::CREATED {
            bail!("register {email}: {}", response.status());
        }
        Ok(Customer { token: self.login(&email, PASSWORD).await? })
    }

    pub async fn product(
        &self,
        admin: &str,
        sku: &str,
        stock: i64,
        price_cents: i64,
    ) -> anyhow::Result<Uuid> {
        let body = json!({
            "sku": sku, "name": format!("Bench item {sku}"), "description": "Seeded by the load driver",
            "price_cents": price_cents, "stock": stock, "category": "bench",
        });
        let response = self
            .client
            .post(format!("{}/product", self.at.product))
            .bearer_auth(admin)
            .json(&body)
            .send()
            .await?;
        if response.status() != StatusCode::CREATED {
            bail!("create product {sku}: {} {}", response.status(), response.text().await?);
        }
        let body: Value = response.json().await?;
        Ok(body["id"].as_str().context("no id")?.parse()?)
    }

    pub async fn stock(&self, product: Uuid) -> anyhow::Result<i64> {
        let body: Value =
            self.client.get(format!("{}/product/{product}", self.at.product)).send().await?.json().await?;
        body["stock"].as_i64().context("no stock")
    }

    /// Places an order of `quantity` units of `product`; the status and the order.
    pub async fn place(
        &self,
        customer: &Customer,
        product: Uuid,
        quantity: i64,
        key: Uuid,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let response = self
            .client
            .post(format!("{}/order", self.at.order))
            .bearer_auth(&customer.token)
            .header("Idempotency-Key", key.to_string())
            .json(&json!({"items": [{"product_id": product, "quantity": quantity}]}))
            .send()
            .await?;
        Ok((response.status(), response.json().await?))
    }

    pub async fn order(&self, customer: &Customer, id: &str) -> anyhow::Result<Value> {
        let response = self
            .client
            .get(format!("{}/order/{id}", self.at.order))
            .bearer_auth(&customer.token)
            .send()
            .await?;
        Ok(response.json().await?)
    }

    /// Places an order and follows it until it settles (or `patience` runs out): its final status.
    /// A failed request is retried with the same idempotency key, as a careful client would.
    pub async fn place_and_settle(
        &self,
        customer: &Customer,
        product: Uuid,
        quantity: i64,
        patience: Duration,
    ) -> anyhow::Result<String> {
        let key = Uuid::now_v7();
        let deadline = tokio::time::Instant::now() + patience;
        let order = loop {
            match self.place(customer, product, quantity, key).await {
                Ok((status, order)) if status.is_success() => break order,
                Ok((status, order)) if status.is_client_error() => bail!("order refused: {status} {order}"),
                _ if tokio::time::Instant::now() > deadline => bail!("could not place an order in time"),
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let id = order["id"].as_str().context("no order id")?.to_owned();
        let mut status = order["status"].as_str().unwrap_or_default().to_owned();
        while status == "pending" && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if let Ok(order) = self.order(customer, &id).await {
                status = order["status"].as_str().unwrap_or_default().to_owned();
            }
        }
        Ok(status)
    }
}
