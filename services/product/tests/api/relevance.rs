//! Relevance: a product's exact name finds that product first, however often other products
//! repeat its words.

use product::ProductService;
use reqwest::Client;
use serde_json::{Value, json};
use testkit::Solo;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searching_a_products_exact_name_finds_it_first() {
    let solo = Solo::start::<ProductService>(&[]).await;
    let wordy = "walnut ".repeat(40);
    let lines = [
        json!({"sku": "WORDY-1", "name": "Desk lamp", "description": format!("Walnut desk lamp, {wordy}"), "price_cents": 100, "stock": 1, "category": "lighting"}),
        json!({"sku": "WORDY-2", "name": "Walnut lamp for a desk", "description": format!("desk lamp {wordy}"), "price_cents": 100, "stock": 1, "category": "lighting"}),
        json!({"sku": "EXACT-1", "name": "Walnut desk lamp", "description": "Oiled.", "price_cents": 100, "stock": 1, "category": "lighting"}),
    ];
    let body: Vec<String> = lines.iter().map(Value::to_string).collect();
    let import = Client::new().post(solo.service.url("/product/import")).bearer_auth(solo.admin());
    let sent = import.header("content-type", "application/x-ndjson").body(body.join("\n"));
    let answer: Value = sent.send().await.unwrap().json().await.unwrap();
    assert_eq!(answer["created"], 3, "{answer}");

    for query in ["walnut desk lamp", "Walnut  Desk Lamp"] {
        let url = solo.service.url(&format!("/product?q={}", query.replace(' ', "+")));
        // Search follows the catalogue within a second.
        let page: Value = testkit::eventually_some("search finds all three", || async {
            let page: Value = Client::new().get(&url).send().await.unwrap().json().await.unwrap();
            (page["items"].as_array().unwrap().len() == 3).then_some(page)
        })
        .await;
        let skus: Vec<&str> =
            page["items"].as_array().unwrap().iter().map(|p| p["sku"].as_str().unwrap()).collect();
        assert_eq!(skus[0], "EXACT-1", "the exact name first for {query:?}: {skus:?}");
    }
}
