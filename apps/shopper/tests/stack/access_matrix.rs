//! Every endpoint of every service, for every kind of caller: anonymous, the owner of the
//! resource, another customer, an admin. The rows are checked against the services' own OpenAPI
//! documents, so an endpoint added without a row here fails this test.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{PASSWORD, Stack},
    orders::{new_product, place, settled},
};

#[derive(Clone, Copy, Debug)]
enum Service {
    Auth,
    User,
    Product,
    Order,
}

/// What one row acts on: a customer (the owner), their order, a product.
struct Fixture {
    email: String,
    owner: String,
    token: String,
    refresh: String,
    order: String,
    product: String,
}

async fn fixture(stack: &Stack, admin: &str, n: usize) -> Fixture {
    let email = format!("owner{n}@shop.example");
    let (owner, _) = stack.customer(&email).await;
    let session: Value = stack.try_login(&email, PASSWORD).await.json().await.unwrap();
    let token = session["access_token"].as_str().unwrap().to_owned();
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();
    let product = new_product(stack, admin, &format!("MATRIX-{n}"), 100, 500).await;
    // Carts hold what the order service's copy of the catalogue knows: wait for the product there.
    let line = format!("/cart/items/{product}");
    stack
        .eventually("the order service knows the product", || async {
            let put = stack.order_call(Method::PUT, &line, Some(admin), Some(json!({"quantity": 1}))).await;
            put.status() == StatusCode::OK
        })
        .await;
    stack.order_call(Method::DELETE, &line, Some(admin), None).await;
    let (_, order) = place(stack, &token, &[(product, 1)]).await;
    let order = order["id"].as_str().unwrap().to_owned();
    settled(stack, &token, &order).await;
    Fixture { email, owner, token, refresh, order, product: product.to_string() }
}

/// One endpoint: where, what to send, and the status each caller gets, in the order
/// anonymous, owner, other customer, admin. `fresh`: the call changes or consumes its fixture,
/// so each caller gets a new one.
struct Row {
    service: Service,
    method: Method,
    path: &'static str,
    body: fn(&Fixture, usize) -> Option<Value>,
    expect: [u16; 4],
    fresh: bool,
}

fn none(_: &Fixture, _: usize) -> Option<Value> {
    None
}

fn rows() -> Vec<Row> {
    use Method as M;
    use Service::*;
    let row = |service, method, path, body, expect, fresh| Row { service, method, path, body, expect, fresh };
    vec![
        row(
            Auth,
            M::POST,
            "/auth/register",
            |_, n| {
                Some(
                    json!({"email": format!("new{n}@shop.example"), "password": PASSWORD, "name": "New Customer"}),
                )
            },
            [201, 201, 201, 201],
            false,
        ),
        row(
            Auth,
            M::POST,
            "/auth/login",
            |f, _| Some(json!({"email": f.email, "password": PASSWORD})),
            [200, 200, 200, 200],
            false,
        ),
        row(
            Auth,
            M::POST,
            "/auth/refresh",
            |f, _| Some(json!({"refresh_token": f.refresh})),
            [200, 200, 200, 200],
            true,
        ),
        row(
            Auth,
            M::POST,
            "/auth/logout",
            |f, _| Some(json!({"refresh_token": f.refresh})),
            [204, 204, 204, 204],
            true,
        ),
        row(Auth, M::GET, "/auth/me", none, [401, 200, 200, 200], false),
        row(Auth, M::GET, "/.well-known/jwks.json", none, [200, 200, 200, 200], false),
        row(User, M::GET, "/user", none, [401, 403, 403, 200], false),
        row(User, M::GET, "/user/{owner}", none, [401, 200, 404, 200], false),
        row(
            User,
            M::PATCH,
            "/user/{owner}",
            |_, _| Some(json!({"name": "Renamed Customer"})),
            [401, 200, 404, 200],
            true,
        ),
        row(User, M::DELETE, "/user/{owner}", none, [401, 204, 404, 204], true),
        row(
            Product,
            M::POST,
            "/product",
            |_, n| {
                Some(
                    json!({"sku": format!("NEW-{n}"), "name": "New", "description": "New item", "price_cents": 100, "stock": 1, "category": "test"}),
                )
            },
            [401, 403, 403, 201],
            false,
        ),
        row(Product, M::GET, "/product", none, [200, 200, 200, 200], false),
        row(Product, M::GET, "/product/{product}", none, [200, 200, 200, 200], false),
        row(
            Product,
            M::PUT,
            "/product/{product}",
            |f, _| {
                Some(
                    json!({"sku": format!("PUT-{}", &f.product[..8]), "name": "Changed", "description": "Changed item", "price_cents": 200, "stock": 5, "category": "test"}),
                )
            },
            [401, 403, 403, 200],
            true,
        ),
        row(Product, M::DELETE, "/product/{product}", none, [401, 403, 403, 204], true),
        // Sent as JSON, which the import refuses once the caller may import: the access rule is
        // what this row checks (an import itself, in the product service's own suite).
        row(Product, M::POST, "/product/import", |_, _| Some(json!({})), [401, 403, 403, 415], false),
        row(
            Order,
            M::POST,
            "/order",
            |f, _| Some(json!({"items": [{"product_id": f.product, "quantity": 1}]})),
            [401, 201, 201, 201],
            false,
        ),
        row(Order, M::GET, "/order", none, [401, 403, 403, 200], false),
        row(Order, M::GET, "/order/{order}", none, [401, 200, 404, 200], false),
        row(
            Order,
            M::PUT,
            "/order/{order}",
            |_, _| Some(json!({"status": "cancelled"})),
            [401, 200, 404, 200],
            true,
        ),
        row(Order, M::GET, "/order/user/{owner}", none, [401, 200, 404, 200], false),
        // Every caller has a cart of their own: there is no one else's to reach.
        row(Order, M::GET, "/cart", none, [401, 200, 200, 200], false),
        row(
            Order,
            M::PUT,
            "/cart/items/{product}",
            |_, _| Some(json!({"quantity": 1})),
            [401, 200, 200, 200],
            false,
        ),
        row(Order, M::DELETE, "/cart/items/{product}", none, [401, 200, 200, 200], false),
        row(Order, M::DELETE, "/cart", none, [401, 204, 204, 204], false),
        // Emptied by the row above: a checkout of an empty cart is refused for everyone alike.
        row(Order, M::POST, "/cart/checkout", none, [401, 422, 422, 422], false),
        // Without a payment provider there is no webhook, whoever calls.
        row(Order, M::POST, "/payments/stripe/webhook", none, [404, 404, 404, 404], false),
    ]
}

/// Every operation a service documents, as (method, path template with `{…}` names erased).
fn documented() -> BTreeSet<(String, String)> {
    let documents = [auth::openapi(), user::openapi(), product::openapi(), order::openapi()];
    let mut operations = BTreeSet::new();
    for document in documents {
        let json = serde_json::to_value(&document).unwrap();
        for (path, item) in json["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                operations.insert((method.to_uppercase(), erase(path)));
            }
        }
    }
    operations
}

fn erase(path: &str) -> String {
    path.split('/').map(|part| if part.starts_with('{') { "{}" } else { part }).collect::<Vec<_>>().join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_each_kind_of_caller_as_the_access_rules_say() {
    let rows = rows();
    let covered: BTreeSet<(String, String)> =
        rows.iter().map(|r| (r.method.as_str().to_owned(), erase(r.path))).collect();
    assert_eq!(covered, documented(), "the matrix and the services' documented endpoints differ");

    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let (_, other) = stack.customer("other@shop.example").await;
    let mut n = 0;
    let shared = fixture(&stack, &admin, n).await;
    let callers = ["anonymous", "owner", "other customer", "admin"];
    for row in &rows {
        for (caller, expected) in callers.iter().zip(row.expect) {
            n += 1;
            let own;
            let f = if row.fresh {
                own = fixture(&stack, &admin, n).await;
                &own
            } else {
                &shared
            };
            let token = match *caller {
                "anonymous" => None,
                "owner" => Some(f.token.as_str()),
                "other customer" => Some(other.as_str()),
                _ => Some(admin.as_str()),
            };
            let path = row
                .path
                .replace("{owner}", &f.owner)
                .replace("{order}", &f.order)
                .replace("{product}", &f.product);
            let base = match row.service {
                Service::Auth => &stack.auth,
                Service::User => &stack.user,
                Service::Product => &stack.product,
                Service::Order => &stack.order,
            };
            let mut request = stack.client.request(row.method.clone(), format!("{base}{path}"));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = (row.body)(f, n) {
                request = request.json(&body);
            }
            let status = request.send().await.unwrap().status();
            // A new order answers 201 once settled, 202 if the saga takes longer than the wait.
            let status = if status == StatusCode::ACCEPTED { StatusCode::CREATED } else { status };
            assert_eq!(
                status.as_u16(),
                expected,
                "{:?} {} {} as {caller}",
                row.service,
                row.method,
                row.path
            );
        }
    }
}

/// Every parameter but a path's is optional and documented where clients send it, so generated
/// clients and fuzzers do not send list filters as path segments or as required values.
#[test]
fn list_parameters_are_documented_as_optional_query_parameters() {
    for document in [auth::openapi(), user::openapi(), product::openapi(), order::openapi()] {
        let json = serde_json::to_value(&document).unwrap();
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let name = parameter["name"].as_str().unwrap();
                    let place = parameter["in"].as_str().unwrap();
                    let required = parameter["required"].as_bool().unwrap_or(false);
                    let in_path = path.contains(&format!("{{{name}}}"));
                    let expected = if in_path { ("path", true) } else { (place, false) };
                    assert_eq!((place, required), expected, "{method} {path}: {name}");
                    assert!(in_path || place != "path", "{method} {path}: {name} is not in the path");
                }
            }
        }
    }
}
