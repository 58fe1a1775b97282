use std::time::Duration;

use auth::AuthService;
use order::OrderService;
use product::ProductService;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use testkit::{Spawned, TestRun};
use user::UserService;

pub const PASSWORD: &str = "correct horse battery";
pub const ADMIN_EMAIL: &str = "admin@shop.example";
pub const ADMIN_PASSWORD: &str = "admin password 1";

/// Auth, user, product and order, wired together through a per-test exchange.
pub struct Stack {
    pub auth: String,
    pub user: String,
    pub product: String,
    pub order: String,
    pub exchange: String,
    pub client: Client,
    pub user_schema: String,
    pub auth_schema: String,
    pub product_schema: String,
    jwks_url: String,
    // Running until the stack drops.
    _services: Vec<Spawned>,
    product_service: Spawned,
    // Dropped last: it stops whatever is still running and removes the schemas and the exchange.
    run: TestRun,
}

/// What a test changes from the defaults.
#[derive(Default)]
pub struct Options {
    /// `ORDER_PENDING_TIMEOUT_SECS`.
    pub order_pending_timeout_secs: Option<u64>,
    /// Where Stripe answers (`STRIPE_BASE_URL`): orders are then paid, with the webhook secret
    /// [`WEBHOOK_SECRET`].
    pub stripe: Option<String>,
}

/// `STRIPE_WEBHOOK_SECRET` of a stack that takes payments.
pub const WEBHOOK_SECRET: &str = "whsec_stack";

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let timeout = options.order_pending_timeout_secs.unwrap_or(600).to_string();
        let mut run = TestRun::new()
            .set("SHOPPER_ADMIN_EMAIL", ADMIN_EMAIL)
            .set("SHOPPER_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .set("RETRY_DELAYS_MS", "50,100,200")
            .set("USER_PII_KEYS", "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
            .set("ORDER_PENDING_TIMEOUT_SECS", &timeout)
            // Every client of these tests is 127.0.0.1; per-address limits are auth's own tests' subject.
            .set("AUTH_LOGIN_PER_ADDRESS_BURST", "10000")
            .set("AUTH_REGISTER_PER_ADDRESS_BURST", "10000");
        if let Some(stripe) = &options.stripe {
            run = run
                .set("PAYMENT_PROVIDER", "stripe")
                .set("STRIPE_BASE_URL", stripe)
                .set("STRIPE_API_KEY", "sk_test_stack")
                .set("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET);
        }
        // As deployments do: every service's migrate step (schema and queues) before any runs, so
        // no event, the admin's registration included, is published before its queues exist.
        run.migrate::<AuthService>(&[]).await;
        run.migrate::<UserService>(&[]).await;
        run.migrate::<ProductService>(&[]).await;
        run.migrate::<OrderService>(&[]).await;
        let auth = run.spawn::<AuthService>().await;
        let jwks_url = format!("{}/.well-known/jwks.json", auth.url);
        let jwks = [("AUTH_JWKS_URL", jwks_url.as_str())];
        let user = run.spawn_with::<UserService>(&jwks).await;
        let order = run.spawn_with::<OrderService>(&jwks).await;
        let product = run.spawn_with::<ProductService>(&jwks).await;
        let stack = Self {
            auth: auth.url.clone(),
            user: user.url.clone(),
            product: product.url.clone(),
            order: order.url.clone(),
            exchange: run.exchange.clone(),
            client: Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
            user_schema: user.schema.clone(),
            auth_schema: auth.schema.clone(),
            product_schema: product.schema.clone(),
            jwks_url,
            _services: vec![auth, user, order],
            product_service: product,
            run,
        };
        // The admin's profile arrives like anyone's: wait for it, so tests start from a settled state.
        let admin = stack.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let admin_id = stack.me(&admin).await;
        stack.eventually_status(&admin, &admin_id, StatusCode::OK).await;
        stack
    }

    /// Stops the product service (its HTTP server and its consumer), as an outage would.
    pub async fn stop_product(&self) {
        self.product_service.stopper().cancel();
        let health = format!("{}/health/live", self.product);
        testkit::eventually("the product service stops", || async {
            self.client.get(&health).send().await.is_err()
        })
        .await;
    }

    /// Starts a new product service on the same schema and queues (on a new port).
    pub async fn restart_product(&mut self) {
        let jwks = [("AUTH_JWKS_URL", self.jwks_url.as_str())];
        self.product_service = self.run.spawn_with::<ProductService>(&jwks).await;
        self.product = self.product_service.url.clone();
    }

    pub async fn register(&self, email: &str) -> String {
        let response = self
            .client
            .post(format!("{}/auth/register", self.auth))
            .json(&json!({"email": email, "password": PASSWORD, "name": "Test User"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    pub async fn try_login(&self, email: &str, password: &str) -> Response {
        self.client
            .post(format!("{}/auth/login", self.auth))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// An access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self.try_login(email, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {email}");
        response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }

    /// Registers a customer, waits for their profile, and returns (id, token).
    pub async fn customer(&self, email: &str) -> (String, String) {
        let id = self.register(email).await;
        let token = self.login(email, PASSWORD).await;
        self.eventually_status(&token, &id, StatusCode::OK).await;
        (id, token)
    }

    pub async fn admin(&self) -> String {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    async fn me(&self, token: &str) -> String {
        let me: Value = self
            .client
            .get(format!("{}/auth/me", self.auth))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        me["id"].as_str().unwrap().to_owned()
    }

    /// A request to the user service, with a token when given.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        self.send(&self.user, method, path, token, body).await
    }

    /// A request to the product service, with a token when given.
    pub async fn product_call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        self.send(&self.product, method, path, token, body).await
    }

    /// A request to the order service, with a token when given.
    pub async fn order_call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        self.send(&self.order, method, path, token, body).await
    }

    async fn send(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.client.request(method, format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// Publishes an event on this stack's exchange, as its producer would.
    pub async fn publish<E: events::Event>(&self, event: &E) {
        self.run.publish_event(event).await;
    }

    /// Waits until `GET /user/{id}` answers `status` (events take a moment).
    pub async fn eventually_status(&self, token: &str, id: &str, status: StatusCode) {
        let path = format!("/user/{id}");
        testkit::eventually(&format!("GET {path} answers {status}"), || async {
            self.call(reqwest::Method::GET, &path, Some(token), None).await.status() == status
        })
        .await;
    }

    /// Polls `check` until it holds, for up to twenty seconds.
    pub async fn eventually<F, Fut>(&self, what: &str, check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        testkit::eventually(what, check).await;
    }
}
