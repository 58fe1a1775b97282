//! `POST /product/import`: NDJSON, applied as it arrives, line by line numbered in the answer.

use events::{Event, ProductsImported};
use product::ProductService;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use testkit::Solo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn import(solo: &Solo, token: &str, body: String) -> reqwest::Response {
    let request = Client::new().post(solo.service.url("/product/import")).bearer_auth(token);
    request.header("content-type", "application/x-ndjson").body(body).send().await.unwrap()
}

fn line(sku: &str, price_cents: i64) -> String {
    json!({"sku": sku, "name": format!("Lamp {sku}"), "description": "Walnut.", "price_cents": price_cents, "stock": 3, "category": "lighting"})
        .to_string()
}

/// Found by search (which follows the catalogue within a second), read as it is now.
async fn product_by_sku(solo: &Solo, sku: &str) -> Value {
    let url = solo.service.url(&format!("/product?q={sku}"));
    testkit::eventually_some(&format!("search finds {sku}"), || async {
        let page: Value = Client::new().get(&url).send().await.unwrap().json().await.unwrap();
        page["items"].as_array().unwrap().iter().find(|p| p["sku"] == sku).cloned()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_creates_updates_and_names_each_rejected_line_by_number() {
    let solo = Solo::start::<ProductService>(&[]).await;
    let imported = solo.run.collector(&[ProductsImported::TYPE]).await;
    let admin = solo.admin();

    let first = [line("LAMP-1", 1000), line("LAMP-2", 2000)].join("\n");
    let answer: Value = import(&solo, &admin, first).await.json().await.unwrap();
    assert_eq!((answer["created"].as_u64(), answer["updated"].as_u64()), (Some(2), Some(0)), "{answer}");
    let before = product_by_sku(&solo, "LAMP-2").await;

    let long =
        format!("{{\"sku\": \"LONG-1\", \"name\": \"x\", \"description\": \"{}\"}}", "d".repeat(70_000));
    let second = [
        line("LAMP-1", 1000),              // 1: unchanged
        line("LAMP-2", 2500),              // 2: a new price
        String::new(),                     // 3: blank, skipped
        line("LAMP-3", -5),                // 4: a negative price
        "{\"sku\": \"LAMP-4\"".to_owned(), // 5: not JSON
        long,                              // 6: over the line limit
        line("lamp-5", 500),               // 7: created (sku upper-cased)
        line("LAMP-5", 600),               // 8: the same sku again: updates it
    ]
    .join("\r\n");
    let response = import(&solo, &admin, second).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        [&answer["created"], &answer["updated"], &answer["unchanged"], &answer["rejected"]],
        [&json!(1), &json!(2), &json!(1), &json!(3)],
        "{answer}"
    );
    let rejected: Vec<(u64, Option<&str>)> = answer["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["errors"][0]["field"].as_str()))
        .collect();
    assert_eq!(rejected, [(4, Some("price_cents")), (5, None), (6, None)]);
    assert!(
        answer["rejections"][2]["errors"][0]["message"].as_str().unwrap().contains("longer than 65536 bytes")
    );

    let after = product_by_sku(&solo, "LAMP-2").await;
    assert_eq!(after["price_cents"], 2500);
    assert_eq!(after["version"].as_i64().unwrap(), before["version"].as_i64().unwrap() + 1, "as PUT does");
    assert_eq!(product_by_sku(&solo, "LAMP-5").await["price_cents"], 600);

    let batches = imported.collect(3).await;
    let announced: Vec<Vec<(String, i64)>> = batches
        .iter()
        .map(|e| {
            let batch: ProductsImported = e.decode().unwrap();
            batch.products.into_iter().map(|p| (p.sku, p.version)).collect()
        })
        .collect();
    assert_eq!(
        announced,
        [
            vec![("LAMP-1".to_owned(), 1), ("LAMP-2".to_owned(), 1)],
            vec![("LAMP-2".to_owned(), 2), ("LAMP-5".to_owned(), 1)],
            vec![("LAMP-5".to_owned(), 2)],
        ],
        "one event per batch, the unchanged line in none"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_for_admins_in_ndjson_under_its_size_limit() {
    let solo = Solo::start::<ProductService>(&[("PRODUCT_IMPORT_MAX_BYTES", "2000")]).await;
    let (_, customer) = solo.customer();
    let response = import(&solo, &customer, line("LAMP-1", 1000)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let admin = solo.admin();
    let as_json =
        Client::new().post(solo.service.url("/product/import")).bearer_auth(&admin).json(&json!({}));
    let response = as_json.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.headers()["content-type"], "application/problem+json");

    // Refused from its declared length, before a byte of it is sent.
    let address = solo.service.url("").trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut raw = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /product/import HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {admin}\r\n\
         content-type: application/x-ndjson\r\ncontent-length: 2001\r\nconnection: close\r\n\r\n"
    );
    raw.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    let read = raw.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("nothing was read"), "{answer}");

    // Sent without a length, it is cut where it passes the limit; the lines whole before it stay.
    let mut raw = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /product/import HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {admin}\r\n\
         content-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    raw.write_all(head.as_bytes()).await.unwrap();
    for n in 0..30 {
        let chunk = format!("{}\n", line(&format!("LAMP-{n}"), 1000));
        if raw.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = raw.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = raw.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("applied before that: 1"), "the lines before the limit are applied: {answer}");
    assert_eq!(product_by_sku(&solo, "LAMP-0").await["price_cents"], 1000);
}
