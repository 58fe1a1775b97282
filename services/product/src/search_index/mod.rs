//! Full-text search from memory: each replica keeps its own index of the catalogue.
//!
//! InnoDB's FULLTEXT index costs a query of two common words time in proportion to the
//! catalogue, whatever the LIMIT (half a second at a million products). Each replica therefore
//! keeps an inverted index of its own (tantivy, in memory): a search intersects the words' posting
//! lists, skipping through them block by block, scores the matches and keeps the page's top by
//! the same keys as the table's `ORDER BY`. The page itself is then read from the table by id, so
//! what a client sees (stock, price, version) is always the row as it is, and a product deleted a
//! moment ago never shows.
//!
//! How it stays current, and what a replica does meanwhile:
//! - At start it reads every live product (about 10 s per million on two cores) and answers
//!   searches from FULLTEXT until that is done: slower, never wrong.
//! - Then it follows the same change feed as the read cache (`updated_at`, `ix_products_updated`)
//!   every [`follower::FOLLOW_EVERY`], re-reading the products whose version moved and indexing
//!   those whose searched fields did (a reservation changes stock only): a change is found within
//!   about a second, whichever replica made it, with or without RabbitMQ, and within a tenth of a
//!   second through the replica that made it (`POST`, `PUT` and `DELETE` nudge its follower).
//!   Every 30 s it also reads the last 90 s again, for a transaction that committed long after
//!   stamping its change (it waited on locks). Like the read cache, it needs the replicas' clocks
//!   to agree within a second or two.
//! - The rows read for a page are checked against the filters again, so a product moved out of
//!   one a moment ago is dropped (and one of a few extra hits takes its place); one that moved
//!   into it shows once the index has the change. A page continues from its last hit's position
//!   and indexed price, so paging neither skips nor repeats while the index catches up.
//! - Relevance pages by position; past [`DEEPEST_OFFSET`] results it is FULLTEXT's job again
//!   (an index answers the top of a ranking, not its far end, without holding it all).
//! - Should the index itself fail, searches go to FULLTEXT while a new one is built.
//!
//! `PRODUCT_SEARCH_INDEX=false` turns it off: every search goes to FULLTEXT.

mod documents;
mod follower;
mod queries;

use std::sync::{Arc, PoisonError, RwLock};

use anyhow::Context;
use tantivy::IndexReader;
use tokio::sync::Notify;
use uuid::Uuid;

pub(crate) use follower::IndexFollower;

use self::documents::Fields;
use crate::store::products::{After, Search};

/// The deepest position a relevance page may start at and still be answered by the index.
pub(crate) const DEEPEST_OFFSET: u32 = 10_000;
/// Hits asked for beyond a page, to stand in for hits the rows read no longer admit (deleted, or
/// moved out of a filter, since the index last looked): the page stays full and its cursor goes
/// on from the last hit shown.
const STAND_INS: u32 = 5;

/// One replica's search index; `None` when turned off.
#[derive(Clone)]
pub(crate) struct SearchIndex(Option<Arc<Shared>>);

struct Shared {
    /// The index searches read: none until the catalogue has been read in full, and none again
    /// while a failed one is rebuilt.
    current: RwLock<Option<Searching>>,
    /// Rung by this replica's own changes: the follower reads them at once.
    changed: Notify,
}

impl Shared {
    fn publish(&self, index: Option<Searching>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = index;
    }

    fn current(&self) -> Option<Searching> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// One built index, as searches read it.
#[derive(Clone)]
struct Searching {
    reader: IndexReader,
    fields: Fields,
}

/// One hit: the product, and its price as the index holds it, which is where a price-ordered
/// page continues even if the row's price moved since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) id: Uuid,
    pub(crate) price_cents: i64,
}

impl SearchIndex {
    pub(crate) fn new(enabled: bool) -> Self {
        Self(enabled.then(|| Arc::new(Shared { current: RwLock::new(None), changed: Notify::new() })))
    }

    /// This replica changed the catalogue: read the change now rather than at the next poll.
    pub(crate) fn nudge(&self) {
        if let Some(shared) = &self.0 {
            shared.changed.notify_one();
        }
    }

    /// The hits of the page `search` asks for, in its order, and a few more; `None` when the
    /// index cannot answer it (off, being built, no words to find, or a relevance page too deep).
    pub(crate) async fn search(&self, search: &Search<'_>) -> anyhow::Result<Option<Vec<Hit>>> {
        let (Some(shared), Some(text)) = (&self.0, search.text) else {
            return Ok(None);
        };
        let Some(Searching { reader, fields }) = shared.current() else {
            return Ok(None);
        };
        let offset = match search.after {
            Some(After::Offset { offset }) if offset > DEEPEST_OFFSET => return Ok(None),
            Some(After::Offset { offset }) => offset,
            _ => 0,
        };
        let searcher = reader.searcher();
        // Looking the words up in the dictionary is quick; running the query is the work.
        let query = queries::query(&searcher, &fields, text, search).context("the search index failed")?;
        let (sort, after, limit) = (search.sort, search.after, search.limit + STAND_INS);
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
    use crate::{
        domain::{SearchText, Sort},
        store::indexing::Indexable,
    };

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
        let mut indexer = Indexer::new().unwrap();
        indexer.put(products.to_vec()).await.unwrap();
        indexer.commit().await.unwrap();
        index.0.as_ref().unwrap().publish(Some(indexer.searching()));
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

    /// The page's ids, without the stand-ins.
    async fn found(index: &SearchIndex, search: &Search<'_>) -> Vec<Uuid> {
        let hits = index.search(search).await.unwrap().expect("the index answers");
        hits.into_iter().take(search.limit as usize).map(|hit| hit.id).collect()
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
