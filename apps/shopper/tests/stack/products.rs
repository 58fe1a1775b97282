use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::Stack;

fn mug(sku: &str) -> Value {
    json!({"sku": sku, "name": "Enamel mug", "description": "A sturdy enamel mug for camp coffee.", "price_cents": 1250, "currency": "USD", "stock": 40, "category": "kitchen"})
}

async fn create(stack: &Stack, admin: &str, body: Value) -> Value {
    let response = stack.product_call(Method::POST, "/product", Some(admin), Some(body)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_reads_replaces_and_deletes_a_product() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let response = stack.product_call(Method::POST, "/product", Some(&admin), Some(mug("mug-001"))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let product: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/product/{}", product["id"].as_str().unwrap()));
    assert_eq!(product["sku"], "MUG-001");
    assert_eq!(etag, "\"1\"");

    let read = stack.product_call(Method::GET, &location, None, None).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers()["etag"], etag.as_str());

    let mut replacement = mug("mug-001");
    replacement["price_cents"] = json!(1500);
    let replaced = stack.product_call(Method::PUT, &location, Some(&admin), Some(replacement)).await;
    assert_eq!(replaced.status(), StatusCode::OK);
    assert_eq!(replaced.headers()["etag"], "\"2\"");
    assert_eq!(replaced.json::<Value>().await.unwrap()["price_cents"], 1500);

    assert_eq!(
        stack.product_call(Method::DELETE, &location, Some(&admin), None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(stack.product_call(Method::GET, &location, None, None).await.status(), StatusCode::NOT_FOUND);
    let search: Value =
        stack.product_call(Method::GET, "/product?q=enamel", None, None).await.json().await.unwrap();
    assert!(search["items"].as_array().unwrap().is_empty(), "a deleted product is gone from search");
}

/// Method, path, token, body, the status it must get.
type Case<'a> = (Method, &'a str, Option<&'a str>, Option<Value>, StatusCode);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_change_the_catalogue_and_anyone_reads_it() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let (_, customer) = stack.customer("ada@example.com").await;
    let product = create(&stack, &admin, mug("mug-001")).await;
    let path = format!("/product/{}", product["id"].as_str().unwrap());
    let cases: [Case; 8] = [
        (Method::POST, "/product", None, Some(mug("mug-002")), StatusCode::UNAUTHORIZED),
        (Method::POST, "/product", Some(&customer), Some(mug("mug-002")), StatusCode::FORBIDDEN),
        (Method::PUT, &path, None, Some(mug("mug-001")), StatusCode::UNAUTHORIZED),
        (Method::PUT, &path, Some(&customer), Some(mug("mug-001")), StatusCode::FORBIDDEN),
        (Method::DELETE, &path, None, None, StatusCode::UNAUTHORIZED),
        (Method::DELETE, &path, Some(&customer), None, StatusCode::FORBIDDEN),
        (Method::GET, &path, None, None, StatusCode::OK),
        (Method::GET, "/product", None, None, StatusCode::OK),
    ];
    for (method, path, token, body, expected) in cases {
        let status = stack.product_call(method.clone(), path, token, body).await.status();
        assert_eq!(
            status,
            expected,
            "{method} {path} with {}",
            if token.is_some() { "a customer" } else { "no token" }
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_products_get_422_by_field_and_a_taken_sku_409() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    create(&stack, &admin, mug("mug-001")).await;
    let taken = stack.product_call(Method::POST, "/product", Some(&admin), Some(mug("MUG-001"))).await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let bad = json!({"sku": "mug 1", "name": "", "description": "x", "price_cents": -1, "currency": "ZZZ", "stock": -2, "category": "Kitchen & Bath"});
    let response = stack.product_call(Method::POST, "/product", Some(&admin), Some(bad)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = response.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["sku", "name", "price_cents", "currency", "stock", "category"]);
    let mut extra = mug("mug-003");
    extra["discount"] = json!(10);
    let response = stack.product_call(Method::POST, "/product", Some(&admin), Some(extra)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etags_answer_304_when_unchanged_and_412_when_stale() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let product = create(&stack, &admin, mug("mug-001")).await;
    let path = format!("/product/{}", product["id"].as_str().unwrap());
    let unchanged = stack
        .client
        .get(format!("{}{path}", stack.product))
        .header("if-none-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);

    let put = |etag: &'static str| {
        let request =
            stack.client.put(format!("{}{path}", stack.product)).bearer_auth(&admin).header("if-match", etag);
        request.json(&mug("mug-001")).send()
    };
    assert_eq!(put("\"1\"").await.unwrap().status(), StatusCode::OK);
    let stale = put("\"1\"").await.unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.headers()["content-type"], "application/problem+json");
    let changed = stack
        .client
        .get(format!("{}{path}", stack.product))
        .header("if-none-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_words_filters_sorts_and_pages_through_everything_once() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let mut mugs = HashSet::new();
    for i in 0..12 {
        let body = json!({"sku": format!("MUG-{i:02}"), "name": format!("Enamel mug {i}"), "description": "Camp coffee mug", "price_cents": 1000 + (i % 4) * 100, "stock": 5, "category": "kitchen"});
        mugs.insert(create(&stack, &admin, body).await["id"].as_str().unwrap().to_owned());
    }
    let lamp = json!({"sku": "LAMP-1", "name": "Desk lamp", "description": "Warm light for reading", "price_cents": 4500, "stock": 3, "category": "office"});
    create(&stack, &admin, lamp).await;

    let stack = &stack;
    let get = |path: String| async move {
        let response = stack.product_call(Method::GET, &path, None, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json::<Value>().await.unwrap()
    };
    // Search follows the catalogue within a second.
    let found = testkit::eventually_some("search finds the lamp and every mug", || async {
        let mugs = get("/product?q=coffee&limit=100".into()).await["items"].as_array().unwrap().len();
        let found = get("/product?q=reading".into()).await;
        (mugs == 12 && !found["items"].as_array().unwrap().is_empty()).then_some(found)
    })
    .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["sku"], "LAMP-1");
    assert_eq!(get("/product?category=office".into()).await["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        get("/product?min_price_cents=1200&max_price_cents=1300".into()).await["items"]
            .as_array()
            .unwrap()
            .len(),
        6
    );

    for sort in ["price_asc", "price_desc", "newest", "relevance"] {
        let mut seen = Vec::new();
        let mut prices = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/product?q=coffee&sort={sort}&limit=5");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = get(path).await;
            for item in page["items"].as_array().unwrap() {
                seen.push(item["id"].as_str().unwrap().to_owned());
                prices.push(item["price_cents"].as_i64().unwrap());
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 12, "{sort}: every mug once");
        assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), mugs, "{sort}");
        match sort {
            "price_asc" => assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}"),
            "price_desc" => assert!(prices.windows(2).all(|w| w[0] >= w[1]), "{prices:?}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_search_text_gets_a_200_or_a_422_never_a_500() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    create(&stack, &admin, mug("mug-001")).await;
    let long = "mug ".repeat(150);
    let nested = "(".repeat(64);
    let hostile = [
        "'",
        "\"",
        "%",
        "_",
        "\\",
        "*",
        "+mug -mug",
        "mug*",
        "@mug",
        "\"unterminated",
        "c++",
        "ada@example.com",
        "' OR 1=1 --",
        "%27%20OR%201%3D1",
        "größe",
        "マグカップ",
        "🍵",
        &nested,
        &long,
        "   ",
    ];
    for q in hostile {
        let url = reqwest::Url::parse_with_params(&format!("{}/product", stack.product), [("q", q)]).unwrap();
        let status = stack.client.get(url).send().await.unwrap().status();
        assert!(status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY, "{q:?}: {status}");
    }
    for bad in [
        "/product?sort=name",
        "/product?limit=0",
        "/product?limit=101",
        "/product?min_price_cents=-1",
        "/product?cursor=zzz",
        "/product?min_price_cents=5&max_price_cents=1",
    ] {
        let status = stack.product_call(Method::GET, bad, None, None).await.status();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_returns_the_first_product_and_creates_no_second() {
    let stack = Stack::start().await;
    let admin = stack.admin().await;
    let post = |key: &'static str, body: Value| {
        let (stack, admin) = (&stack, admin.clone());
        async move {
            let response = stack
                .client
                .post(format!("{}/product", stack.product))
                .bearer_auth(admin)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };

    let answers = futures_util::future::join_all((0..4).map(|_| post("new-mug-1", mug("KEY-1")))).await;
    let first = answers[0].1["id"].clone();
    for (status, product) in &answers {
        assert_eq!((*status, &product["id"]), (StatusCode::CREATED, &first), "{product}");
    }
    let (status, problem) = post("new-mug-1", mug("KEY-2")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    let (status, _) = post("has a space", mug("KEY-3")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Search follows the catalogue in the order of its changes: once a product made after all of
    // the above is found, so is whatever they made.
    let teapot = json!({"sku": "TEA-1", "name": "Teapot", "description": "Cast iron.", "price_cents": 3000, "stock": 1, "category": "kitchen"});
    create(&stack, &admin, teapot).await;
    testkit::eventually("search finds the product made last", || async {
        let page: Value =
            stack.product_call(Method::GET, "/product?q=teapot", None, None).await.json().await.unwrap();
        !page["items"].as_array().unwrap().is_empty()
    })
    .await;
    let page: Value =
        stack.product_call(Method::GET, "/product?q=mug&limit=100", None, None).await.json().await.unwrap();
    let skus: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|p| p["sku"].as_str().unwrap()).collect();
    assert_eq!(skus, ["KEY-1"], "one product for one key, none for a refused one");
}
