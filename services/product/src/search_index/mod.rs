//! Full-text search from memory: each replica keeps its own index of the catalogue.
//!
//! InnoDB's FULLTEXT index scores every product that matches before it returns the best twenty,
//! so a query of two common words costs time in proportion to the catalogue. Each replica
//! therefore keeps an inverted index of its own (tantivy, in memory) that finds the top of a
//! page without scoring the rest (block-max WAND), ordered by the same keys as the table's
//! `ORDER BY`; the page itself is then read from the table by id, so what a client sees (stock,
//! price, version) is always the row as it is, and a product deleted a moment ago never shows.
//!
//! How it stays current, and what a replica does meanwhile:
//! - At start it reads every live product (about 10 s per million on two cores) and answers
//!   searches from FULLTEXT until that is done: slower, never wrong.
//! - Then it follows the same change feed as the read cache (`updated_at`, `ix_products_updated`)
//!   every [`follower::FOLLOW_EVERY`], re-reading the products whose version moved: a change is
//!   found by search within about a second, whichever replica made it, with or without RabbitMQ,
//!   and within milliseconds through the replica that made it (it nudges its follower).
//!   Filters (category, price) are checked again against the rows read, so a price changed a
//!   moment ago never puts a product on the wrong side of a filter.
//! - Relevance pages by position; past [`DEEPEST_OFFSET`] results it is FULLTEXT's job again
//!   (an index answers the top of a ranking, not its far end, without holding it all).
//!
//! `PRODUCT_SEARCH_INDEX=false` turns it off: every search goes to FULLTEXT.

mod documents;
mod follower;
mod queries;

use std::sync::{Arc, OnceLock};

use anyhow::Context;
use tantivy::{Index, IndexReader};
use tokio::sync::Notify;
use uuid::Uuid;

pub(crate) use follower::IndexFollower;

use self::documents::Fields;
use crate::{
    domain::Sort,
    store::products::{After, Search},
};

/// The deepest position a relevance page may start at and still be answered by the index.
pub(crate) const DEEPEST_OFFSET: u32 = 10_000;
/// Hits asked for beyond a keyset page, to stand in for hits the rows read no longer admit
/// (deleted, or moved out of a filter, since the index last looked): the page stays full and its
/// cursor goes on. Relevance pages by position, so there a stand-in would repeat on the next page.
const STAND_INS: u32 = 5;

/// One replica's search index; `None` when turned off.
#[derive(Clone)]
pub(crate) struct SearchIndex(Option<Arc<Shared>>);

struct Shared {
    index: Index,
    fields: Fields,
    /// Set once the catalogue has been read in full; until then the index answers nothing.
    reader: OnceLock<IndexReader>,
    /// Rung by this replica's own changes: the follower reads them at once.
    changed: Notify,
}

impl SearchIndex {
    pub(crate) fn new(enabled: bool) -> Self {
        Self(enabled.then(|| {
            let (index, fields) = Fields::create_index();
            Arc::new(Shared { index, fields, reader: OnceLock::new(), changed: Notify::new() })
        }))
    }

    /// This replica changed the catalogue: read the change now rather than at the next poll.
    pub(crate) fn nudge(&self) {
        if let Some(shared) = &self.0 {
            shared.changed.notify_one();
        }
    }

    /// The ids of the page `search` asks for, in its order (a few more for keyset orders); `None`
    /// when the index cannot answer it (off, still being built, no words to find, or a relevance page too deep).
    pub(crate) async fn search(&self, search: &Search<'_>) -> anyhow::Result<Option<Vec<Uuid>>> {
        let (Some(shared), Some(text)) = (&self.0, search.text) else {
            return Ok(None);
        };
        let Some(reader) = shared.reader.get() else {
            return Ok(None);
        };
        let offset = match search.after {
            Some(After::Offset { offset }) if offset > DEEPEST_OFFSET => return Ok(None),
            Some(After::Offset { offset }) => offset,
            _ => 0,
        };
        let searcher = reader.searcher();
        // Looking the words up in the dictionary is quick; running the query is the work.
        let query =
            queries::query(&searcher, &shared.fields, text, search).context("the search index failed")?;
        let (sort, after) = (search.sort, search.after);
        let limit = match sort {
            Sort::Relevance => search.limit,
            Sort::PriceAsc | Sort::PriceDesc | Sort::Newest => search.limit + STAND_INS,
        };
        // A search is CPU work of a millisecond or two: off the threads that serve requests.
        let ids = tokio::task::spawn_blocking(move || {
            queries::run(&searcher, query.as_ref(), sort, after, offset as usize, limit as usize)
        })
        .await
        .context("the search task failed")?
        .context("the search index failed")?;
        Ok(Some(ids))
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::{follower::Indexer, *};
    use crate::{domain::SearchText, store::indexing::Indexable};

    fn product(name: &str, category: &str, price_cents: i64) -> Indexable {
        Indexable {
            id: Uuid::now_v7(),
            name: name.into(),
            description: format!("{name}, made to last."),
            category: category.into(),
            price_cents,
            version: 1,
            live: true,
        }
    }

    async fn indexed(products: &[Indexable]) -> (SearchIndex, Indexer) {
        let index = SearchIndex::new(true);
        let shared = index.0.clone().unwrap();
        let mut indexer = Indexer::new(&shared).unwrap();
        indexer.put(products.to_vec()).await.unwrap();
        indexer.commit().await.unwrap();
        assert!(shared.reader.set(indexer.reader.clone()).is_ok());
        (index, indexer)
    }

    fn search<'a>(text: &'a SearchText, sort: Sort, after: Option<After>, limit: u32) -> Search<'a> {
        Search {
            text: Some(text),
            category: None,
            min_price_cents: None,
            max_price_cents: None,
            sort,
            after,
            limit,
        }
    }

    async fn found(index: &SearchIndex, search: &Search<'_>) -> Vec<Uuid> {
        index.search(search).await.unwrap().expect("the index answers")
    }

    #[tokio::test]
    async fn every_word_is_required_and_each_also_finds_longer_words_it_begins() {
        let catalogue = [
            product("Walnut lamp", "lighting", 100),
            product("Walnuts and lampshades", "lighting", 100),
            product("Walnut desk", "office", 100),
            product("Oak lamp", "lighting", 100),
        ];
        let (index, _) = indexed(&catalogue).await;
        let text = SearchText::parse("walnut LAMP").unwrap();
        let mut ids = found(&index, &search(&text, Sort::Relevance, None, 10)).await;
        ids.sort();
        assert_eq!(ids, [catalogue[0].id, catalogue[1].id]);
    }

    #[tokio::test]
    async fn a_word_that_begins_very_many_longer_ones_still_finds_them_all() {
        let catalogue: Vec<Indexable> =
            (0..100).map(|i| product(&format!("Abc{i:03} lamp"), "lighting", 100)).collect();
        let (index, _) = indexed(&catalogue).await;
        let text = SearchText::parse("abc lamp").unwrap();
        assert_eq!(found(&index, &search(&text, Sort::Newest, None, 100)).await.len(), 100);
        let text = SearchText::parse("abc042").unwrap();
        assert_eq!(found(&index, &search(&text, Sort::Newest, None, 100)).await, [catalogue[42].id]);
    }

    #[tokio::test]
    async fn the_exact_name_comes_first_then_whole_words_before_longer_ones() {
        let mut wordy = product("Desk lamp", "lighting", 100);
        wordy.description = "walnut desk lamp ".repeat(20);
        let catalogue = [
            wordy,
            product("Walnuts desks lamps", "lighting", 100),
            product("Walnut  Desk lamp", "lighting", 100),
        ];
        let (index, _) = indexed(&catalogue).await;
        let text = SearchText::parse("walnut desk lamp").unwrap();
        let ids = found(&index, &search(&text, Sort::Relevance, None, 10)).await;
        assert_eq!(ids, [catalogue[2].id, catalogue[0].id, catalogue[1].id]);
    }

    #[tokio::test]
    async fn every_order_and_its_cursor_page_through_every_match_once_as_the_table_orders_them() {
        // Prices with ties, so the id decides among equals as the table's ORDER BY does.
        let catalogue: Vec<Indexable> =
            (0..23).map(|i| product(&format!("Enamel mug {i}"), "kitchen", 1000 + (i % 4) * 100)).collect();
        let (index, _) = indexed(&catalogue).await;
        let text = SearchText::parse("mug").unwrap();
        let mut by_price: Vec<&Indexable> = catalogue.iter().collect();
        by_price.sort_by_key(|p| (p.price_cents, p.id));
        let ascending: Vec<Uuid> = by_price.iter().map(|p| p.id).collect();
        by_price.sort_by_key(|p| std::cmp::Reverse((p.price_cents, p.id)));
        let descending: Vec<Uuid> = by_price.iter().map(|p| p.id).collect();
        let mut ids: Vec<Uuid> = catalogue.iter().map(|p| p.id).collect();
        ids.sort();
        let oldest_first = ids.clone();
        ids.reverse();
        let newest_first = ids;

        let price_of = |id: Uuid| catalogue.iter().find(|p| p.id == id).unwrap().price_cents;
        for (sort, expected) in [
            (Sort::PriceAsc, ascending),
            (Sort::PriceDesc, descending),
            (Sort::Newest, newest_first),
            (Sort::Relevance, oldest_first),
        ] {
            let (mut seen, mut after) = (Vec::<Uuid>::new(), None);
            loop {
                let page = found(&index, &search(&text, sort, after, 5)).await;
                let Some(&last) = page.last() else { break };
                seen.extend(&page);
                after = Some(match sort {
                    Sort::PriceAsc | Sort::PriceDesc => {
                        After::Price { price_cents: price_of(last), id: last }
                    }
                    Sort::Newest => After::Id { id: last },
                    Sort::Relevance => After::Offset { offset: seen.len() as u32 },
                });
            }
            assert_eq!(seen, expected, "{sort:?}");
        }
    }

    #[tokio::test]
    async fn category_and_prices_narrow_what_is_found() {
        let catalogue = [
            product("Walnut lamp", "lighting", 100),
            product("Walnut lamp large", "lighting", 900),
            product("Walnut lamp outdoor", "outdoor", 500),
        ];
        let (index, _) = indexed(&catalogue).await;
        let text = SearchText::parse("walnut lamp").unwrap();
        let mut lighting = search(&text, Sort::PriceAsc, None, 10);
        lighting.category = Some("lighting");
        assert_eq!(found(&index, &lighting).await, [catalogue[0].id, catalogue[1].id]);
        lighting.min_price_cents = Some(101);
        assert_eq!(found(&index, &lighting).await, [catalogue[1].id]);
        let mut cheap = search(&text, Sort::PriceDesc, None, 10);
        cheap.max_price_cents = Some(500);
        assert_eq!(found(&index, &cheap).await, [catalogue[2].id, catalogue[0].id]);
    }

    #[tokio::test]
    async fn a_changed_product_is_found_as_it_is_now_and_a_deleted_one_not_at_all() {
        let catalogue = [product("Walnut lamp", "lighting", 100), product("Oak lamp", "lighting", 100)];
        let (index, mut indexer) = indexed(&catalogue).await;
        let mut renamed = catalogue[0].clone();
        renamed.name = "Cherry lamp".into();
        renamed.description = "Oiled.".into();
        renamed.version = 2;
        let mut deleted = catalogue[1].clone();
        deleted.live = false;
        deleted.version = 2;
        indexer.put(vec![renamed, deleted]).await.unwrap();
        indexer.commit().await.unwrap();
        for (words, expected) in [("walnut", vec![]), ("cherry", vec![catalogue[0].id]), ("oak", vec![])] {
            let text = SearchText::parse(words).unwrap();
            assert_eq!(found(&index, &search(&text, Sort::Relevance, None, 10)).await, expected, "{words}");
        }
    }

    #[tokio::test]
    async fn what_the_index_cannot_answer_is_left_to_the_table() {
        let text = SearchText::parse("lamp").unwrap();
        let unbuilt = SearchIndex::new(true);
        assert_eq!(unbuilt.search(&search(&text, Sort::Relevance, None, 10)).await.unwrap(), None);
        assert_eq!(
            SearchIndex::new(false).search(&search(&text, Sort::Relevance, None, 10)).await.unwrap(),
            None
        );
        let (index, _) = indexed(&[product("Walnut lamp", "lighting", 100)]).await;
        let deep = search(&text, Sort::Relevance, Some(After::Offset { offset: DEEPEST_OFFSET + 1 }), 10);
        assert_eq!(index.search(&deep).await.unwrap(), None);
        let mut browse = search(&text, Sort::Newest, None, 10);
        browse.text = None;
        assert_eq!(index.search(&browse).await.unwrap(), None, "no words: the table's own order");
    }
}
