use common::rbac::Role;
use events::{Event, UserRegistered, UserUpdated};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use testkit::Solo;
use user::UserService;
use uuid::Uuid;

struct Suite {
    solo: Solo,
    client: Client,
}

impl Suite {
    async fn start() -> Self {
        Self { solo: Solo::start::<UserService>(&[]).await, client: Client::new() }
    }

    /// Registers an account as auth would announce it, and waits until its owner sees the profile.
    async fn registered(&self, email: &str) -> (Uuid, String) {
        let id = Uuid::now_v7();
        let event =
            UserRegistered { user_id: id, email: email.into(), name: "Ada".into(), role: "customer".into() };
        self.solo.run.publish_event(&event).await;
        let token = self.solo.mint.token(id, Role::Customer);
        testkit::eventually("the profile exists", || async {
            self.get(id, &token).await.status() == StatusCode::OK
        })
        .await;
        (id, token)
    }

    async fn get(&self, id: Uuid, token: &str) -> reqwest::Response {
        self.client
            .get(self.solo.service.url(&format!("/user/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn patch(&self, id: Uuid, token: &str, body: Value) -> reqwest::Response {
        self.client
            .patch(self.solo.service.url(&format!("/user/{id}")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_becomes_a_profile_its_owner_sees_and_a_stranger_cannot_find() {
    let suite = Suite::start().await;
    let (id, token) = suite.registered("ada@example.com").await;
    let profile: Value = suite.get(id, &token).await.json().await.unwrap();
    assert_eq!(
        (profile["email"].as_str(), profile["role"].as_str()),
        (Some("ada@example.com"), Some("customer"))
    );

    let (_, stranger) = suite.solo.customer();
    assert_eq!(suite.get(id, &stranger).await.status(), StatusCode::NOT_FOUND, "as if it did not exist");
    assert_eq!(suite.get(Uuid::now_v7(), &stranger).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_change_tells_auth_and_a_bad_patch_changes_nothing() {
    let suite = Suite::start().await;
    let (id, token) = suite.registered("grace@example.com").await;
    let updates = suite.solo.run.collector(&[UserUpdated::TYPE]).await;
    let admin = suite.solo.admin();

    let refused = suite.patch(id, &token, json!({"name": "Grace", "phone": "not a phone"})).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unchanged: Value = suite.get(id, &token).await.json().await.unwrap();
    assert_eq!(unchanged["name"], "Ada", "nothing of a refused patch is applied");

    let changed = suite.patch(id, &admin, json!({"email": "hopper@example.com"})).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let published = updates.collect(1).await;
    assert_eq!(published.len(), 1, "{published:?}");
    let event: UserUpdated = published[0].decode().unwrap();
    assert_eq!((event.user_id, event.email.as_str()), (id, "hopper@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_registration_creates_one_profile() {
    let suite = Suite::start().await;
    let id = Uuid::now_v7();
    let event = UserRegistered {
        user_id: id,
        email: "once@example.com".into(),
        name: "Once".into(),
        role: "customer".into(),
    };
    let envelope = suite.solo.run.publish_event(&event).await;
    suite.solo.run.publish(&envelope).await;
    let token = suite.solo.mint.token(id, Role::Customer);
    testkit::eventually("the profile exists", || async {
        suite.get(id, &token).await.status() == StatusCode::OK
    })
    .await;
    let admin = suite.solo.admin();
    let listed: Value = suite
        .client
        .get(suite.solo.service.url("/user?email=once@"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}
