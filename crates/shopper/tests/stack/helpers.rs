use std::time::Duration;

use common::{cli::Service, config::Env};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A test's queues go a minute after its services stop consuming.
const QUEUE_EXPIRY: Duration = Duration::from_secs(60);

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
    pub order_schema: String,
    env: Vec<(String, String)>,
    shutdown: CancellationToken,
    product_shutdown: CancellationToken,
}

/// What a test changes from the defaults.
#[derive(Default)]
pub struct Options {
    /// `ORDER_PENDING_TIMEOUT_SECS`.
    pub order_pending_timeout_secs: Option<u64>,
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            let settings = common::telemetry::TelemetrySettings::from_env(&Env::from_process()).unwrap();
            common::telemetry::init(&settings);
        }
        let id = Uuid::now_v7().simple().to_string();
        let (auth_schema, user_schema) = (format!("test_stack_auth_{id}"), format!("test_stack_user_{id}"));
        let product_schema = format!("test_stack_product_{id}");
        let order_schema = format!("test_stack_order_{id}");
        let (exchange, prefix) = (format!("test.events.{id}"), format!("test-{id}."));
        let database = testkit::database_url();
        let timeout = options.order_pending_timeout_secs.unwrap_or(600).to_string();
        let pairs: Vec<(String, String)> = [
            ("DATABASE_URL", database.as_str()),
            ("AUTH_DATABASE", auth_schema.as_str()),
            ("USER_DATABASE", user_schema.as_str()),
            ("PRODUCT_DATABASE", product_schema.as_str()),
            ("ORDER_DATABASE", order_schema.as_str()),
            ("AMQP_EXCHANGE", exchange.as_str()),
            ("AMQP_QUEUE_PREFIX", prefix.as_str()),
            ("AUTH_PORT", "0"),
            ("USER_PORT", "0"),
            ("PRODUCT_PORT", "0"),
            ("ORDER_PORT", "0"),
            ("BIND_ADDRESS", "127.0.0.1"),
            ("SHOPPER_ADMIN_EMAIL", ADMIN_EMAIL),
            ("SHOPPER_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("RETRY_DELAYS_MS", "50,100,200"),
            ("USER_PII_KEYS", "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
            ("ORDER_PENDING_TIMEOUT_SECS", timeout.as_str()),
            // Every client of these tests is 127.0.0.1; per-address limits are auth's own tests' subject.
            ("AUTH_LOGIN_PER_ADDRESS_BURST", "10000"),
            ("AUTH_REGISTER_PER_ADDRESS_BURST", "10000"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        let env = Env::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let mut auth_config = auth::App::config(&env).unwrap();
        auth_config.consumer.idle_queue_expiry = Some(QUEUE_EXPIRY);
        let mut user_config = user::App::config(&env).unwrap();
        user_config.consumer.idle_queue_expiry = Some(QUEUE_EXPIRY);
        let mut order_config = order::App::config(&env).unwrap();
        order_config.consumer.idle_queue_expiry = Some(QUEUE_EXPIRY);
        // As deployments do: every service's migrate step (schema and queues) before any runs, so
        // no event, the admin's registration included, is published before its queues exist.
        auth::migrate(&auth_config).await.unwrap();
        user::migrate(&user_config).await.unwrap();
        product::migrate(&product_config(&env)).await.unwrap();
        order::migrate(&order_config).await.unwrap();
        let auth = auth::App::build(auth_config).await.unwrap();
        let auth_url = format!("http://127.0.0.1:{}", auth.port());
        user_config.jwks_url = format!("{auth_url}/.well-known/jwks.json");
        let user = user::App::build(user_config).await.unwrap();
        let user_url = format!("http://127.0.0.1:{}", user.port());
        order_config.jwks_url = format!("{auth_url}/.well-known/jwks.json");
        let order = order::App::build(order_config).await.unwrap();
        let order_url = format!("http://127.0.0.1:{}", order.port());
        let shutdown = CancellationToken::new();
        let product_shutdown = shutdown.child_token();
        let product_url = start_product(&env, &auth_url, &product_shutdown).await;
        tokio::spawn(auth.run(shutdown.clone()));
        tokio::spawn(user.run(shutdown.clone()));
        tokio::spawn(order.run(shutdown.clone()));
        let stack = Self {
            auth: auth_url,
            user: user_url,
            product: product_url,
            order: order_url,
            exchange,
            client: Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
            user_schema,
            auth_schema,
            product_schema,
            order_schema,
            env: pairs,
            shutdown,
            product_shutdown,
        };
        // Under load a service may start consuming (and so have its queues) only after a few
        // seconds; events published before that would find no queue. Start from consuming services.
        for service in ["auth", "user", "product", "order"] {
            testkit::wait_for_consumer(&format!("{prefix}{service}.events")).await;
        }
        // The admin's profile arrives like anyone's: wait for it, so tests start from a settled state.
        let admin = stack.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let admin_id = stack.me(&admin).await;
        stack.eventually_status(&admin, &admin_id, StatusCode::OK).await;
        stack
    }

    /// Stops the product service (its HTTP server and its consumer), as an outage would.
    pub async fn stop_product(&self) {
        self.product_shutdown.cancel();
        let health = format!("{}/health/live", self.product);
        for _ in 0..200 {
            if self.client.get(&health).send().await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the product service did not stop");
    }

    /// Starts a new product service on the same schema and queues (on a new port).
    pub async fn restart_product(&mut self) {
        self.product_shutdown = self.shutdown.child_token();
        let env = Env::from_pairs(self.env.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        self.product = start_product(&env, &self.auth, &self.product_shutdown).await;
        let prefix = env.text("AMQP_QUEUE_PREFIX").unwrap().unwrap_or_default();
        testkit::wait_for_consumer(&format!("{prefix}product.events")).await;
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
        let envelope = events::Envelope::new(event, None).unwrap();
        let connection = lapin::Connection::connect(&testkit::amqp_url(), Default::default()).await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel.confirm_select(Default::default()).await.unwrap();
        channel
            .basic_publish(
                self.exchange.as_str().into(),
                envelope.kind.as_str().into(),
                Default::default(),
                &serde_json::to_vec(&envelope).unwrap(),
                lapin::BasicProperties::default().with_delivery_mode(2),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }

    /// Waits until `GET /user/{id}` answers `status` (events take a moment).
    pub async fn eventually_status(&self, token: &str, id: &str, status: StatusCode) {
        let mut last = StatusCode::IM_A_TEAPOT;
        for _ in 0..400 {
            last = self.call(reqwest::Method::GET, &format!("/user/{id}"), Some(token), None).await.status();
            if last == status {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("GET /user/{id} answered {last}, never {status}");
    }

    /// Polls `check` until it holds, for up to twenty seconds.
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..400 {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting until {what}");
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.shutdown.cancel();
        testkit::drop_schema(&self.auth_schema);
        testkit::drop_schema(&self.user_schema);
        testkit::drop_schema(&self.product_schema);
        testkit::drop_schema(&self.order_schema);
        testkit::delete_exchange(&self.exchange);
    }
}

/// The product service's settings for a test; it is built again when a test restarts it.
fn product_config(env: &Env) -> <product::App as Service>::Config {
    let mut config = product::App::config(env).unwrap();
    config.consumer.idle_queue_expiry = Some(QUEUE_EXPIRY);
    config
}

async fn start_product(env: &Env, auth_url: &str, shutdown: &CancellationToken) -> String {
    let mut config = product_config(env);
    config.jwks_url = format!("{auth_url}/.well-known/jwks.json");
    let product = product::App::build(config).await.unwrap();
    let url = format!("http://127.0.0.1:{}", product.port());
    tokio::spawn(product.run(shutdown.clone()));
    url
}
