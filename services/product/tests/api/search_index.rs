//! Search from each replica's own index: it finds what the table's FULLTEXT index finds, pages in
//! the same orders, and follows changes made through another replica.

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use product::ProductService;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use testkit::{Solo, Spawned};

/// Every id a search finds, page by page through its cursors.
async fn every_page(client: &Client, replica: &Spawned, query: &str) -> Vec<String> {
    let (mut ids, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let mut path = format!("/product?{query}&limit=7");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let response = client.get(replica.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let page: Value = response.json().await.unwrap();
        ids.extend(page["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

fn catalogue() -> String {
    let woods = ["walnut", "oak", "walnuts"];
    let things = ["lamp", "desk", "lampshade"];
    (0..45)
        .map(|i| {
            let name = format!("{} {} {i}", woods[i % 3], things[(i / 3) % 3]);
            let category = ["lighting", "office"][i % 2];
            json!({"sku": format!("ITEM-{i}"), "name": name, "description": format!("A {name}, oiled."),
                   "price_cents": 100 + (i % 5) * 100, "stock": 3, "category": category})
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_finds_and_orders_what_the_table_does_and_follows_another_replicas_changes() {
    let indexed = Solo::start::<ProductService>(&[]).await;
    let jwks = indexed.mint.jwks_url();
    let table = indexed
        .run
        .spawn_with::<ProductService>(&[("AUTH_JWKS_URL", jwks.as_str()), ("PRODUCT_SEARCH_INDEX", "false")])
        .await;
    let (client, admin) = (Client::new(), indexed.admin());
    let import = client.post(table.url("/product/import")).bearer_auth(&admin);
    let sent = import.header("content-type", "application/x-ndjson").body(catalogue()).send().await.unwrap();
    assert_eq!(sent.json::<Value>().await.unwrap()["created"], 45);

    let expected: HashSet<String> = every_page(&client, &table, "q=walnut").await.into_iter().collect();
    assert_eq!(expected.len(), 30, "walnut and walnuts");
    testkit::eventually("the other replica's index holds the import", || async {
        every_page(&client, &indexed.service, "q=walnut").await.into_iter().collect::<HashSet<_>>()
            == expected
    })
    .await;

    for words in
        ["walnut+lamp", "oak", "lamp&category=office", "walnut&min_price_cents=200&max_price_cents=400"]
    {
        for sort in ["price_asc", "price_desc", "newest"] {
            let query = format!("q={words}&sort={sort}");
            let from_table = every_page(&client, &table, &query).await;
            assert!(!from_table.is_empty(), "{query}");
            assert_eq!(every_page(&client, &indexed.service, &query).await, from_table, "{query}");
        }
        // Relevance is scored differently by each (BM25 here, InnoDB's own there): the same products.
        let query = format!("q={words}");
        let from_table: HashSet<String> = every_page(&client, &table, &query).await.into_iter().collect();
        let from_index = every_page(&client, &indexed.service, &query).await;
        assert_eq!(from_index.len(), from_table.len(), "{query}: each once");
        assert_eq!(from_index.into_iter().collect::<HashSet<_>>(), from_table, "{query}");
    }

    // A change through the other replica: found by its new words within about a second, no longer
    // by its old ones; its price filter is checked against the row as it is now.
    let item = every_page(&client, &table, "q=oak+desk&sort=newest").await[0].clone();
    let renamed = json!({"sku": "RENAMED-1", "name": "Zebrawood desk", "description": "Striped.", "price_cents": 9900, "stock": 3, "category": "office"});
    let path = format!("/product/{item}");
    let put = client.put(table.url(&path)).bearer_auth(&admin).json(&renamed).send().await.unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let changed_at = Instant::now();
    let found_within = testkit::eventually_some("the index finds the new name", || async {
        (every_page(&client, &indexed.service, "q=zebrawood").await == [item.clone()])
            .then(|| changed_at.elapsed())
    })
    .await;
    assert!(found_within < Duration::from_secs(2), "found after {found_within:?}");
    let cheap_oak = every_page(&client, &indexed.service, "q=oak&max_price_cents=500").await;
    assert!(!cheap_oak.contains(&item), "neither by its old words nor at its old price");

    // Withdrawn through the other replica: out of this one's results at once.
    let delete = client.delete(table.url(&path)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    assert!(every_page(&client, &indexed.service, "q=zebrawood").await.is_empty());
}
