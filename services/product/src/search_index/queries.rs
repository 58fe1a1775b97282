//! A search as the index answers it: the words and filters as one query, the order as a sort key.

use std::ops::Bound;

use tantivy::{
    DocAddress, Score, Searcher, SegmentReader, Term,
    collector::TopDocs,
    query::{BooleanQuery, ConstScoreQuery, Occur, PhrasePrefixQuery, Query, RangeQuery, TermQuery},
    schema::IndexRecordOption,
};
use uuid::Uuid;

use super::documents::{Fields, ID_HIGH, ID_LOW, PRICE_CENTS, exact_name};
use crate::{
    domain::{SearchText, Sort},
    store::products::{After, Search},
};

/// Added to the score of the product named exactly as asked: above any sum of word scores.
const EXACT_NAME_SCORE: Score = 1_000_000.0;

/// The query: every word (as a word, scored, or as the start of a longer one), the filters, and
/// the exact name as a bonus.
pub(super) fn query(fields: &Fields, text: &SearchText, search: &Search<'_>) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in text.words() {
        let term = Term::from_field_text(fields.text, word);
        // The whole word scores by BM25; a longer word it begins only matches (constant score,
        // as a prefix of InnoDB's boolean mode does not rank either).
        let as_word = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
        let as_start = ConstScoreQuery::new(Box::new(PhrasePrefixQuery::new(vec![term])), 0.0);
        clauses.push((
            Occur::Must,
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, Box::new(as_word) as Box<dyn Query>),
                (Occur::Should, Box::new(as_start)),
            ])),
        ));
    }
    let named = TermQuery::new(
        Term::from_field_text(fields.exact_name, &exact_name(text.phrase())),
        IndexRecordOption::Basic,
    );
    clauses.push((Occur::Should, Box::new(ConstScoreQuery::new(Box::new(named), EXACT_NAME_SCORE))));
    if let Some(category) = search.category {
        let term = Term::from_field_text(fields.category, category);
        clauses.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
    }
    let (mut min, mut max) = (search.min_price_cents, search.max_price_cents);
    // A price cursor also narrows the prices left to look at.
    match (search.sort, search.after) {
        (Sort::PriceAsc, Some(After::Price { price_cents, .. })) => min = min.max(Some(price_cents)),
        (Sort::PriceDesc, Some(After::Price { price_cents, .. })) => {
            max = Some(max.map_or(price_cents, |m| m.min(price_cents)));
        }
        _ => {}
    }
    if min.is_some() || max.is_some() {
        let bound = |price: Option<i64>| {
            price.map_or(Bound::Unbounded, |p| Bound::Included(Term::from_field_i64(fields.price_cents, p)))
        };
        clauses.push((Occur::Must, Box::new(RangeQuery::new(bound(min), bound(max)))));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// The order of a search as one key, greatest first: the score (relevance only), then one value
/// (a price, negated when ascending), then the id (inverted when ascending), so every order,
/// ties included, is the one the table's ORDER BY gives.
type Key = (Score, i64, u64, u64);

fn key(sort: Sort, score: Score, price_cents: i64, id: (u64, u64)) -> Key {
    let (high, low) = id;
    match sort {
        Sort::Relevance => (score, 0, !high, !low),
        Sort::PriceAsc => (0.0, -price_cents, !high, !low),
        Sort::PriceDesc => (0.0, price_cents, high, low),
        Sort::Newest => (0.0, 0, high, low),
    }
}

/// The key of a keyset cursor's row: what comes after it has a smaller key.
fn cursor_key(sort: Sort, after: Option<After>) -> Option<Key> {
    match after? {
        After::Price { price_cents, id } => Some(key(sort, 0.0, price_cents, id.as_u64_pair())),
        After::Id { id } => Some(key(sort, 0.0, 0, id.as_u64_pair())),
        After::Offset { .. } => None,
    }
}

/// The ids of a page: `limit` hits from `offset`, in the search's order.
pub(super) fn run(
    searcher: &Searcher,
    query: &dyn Query,
    sort: Sort,
    after: Option<After>,
    offset: usize,
    limit: usize,
) -> tantivy::Result<Vec<Uuid>> {
    let cursor = cursor_key(sort, after);
    let collector =
        TopDocs::with_limit(limit).and_offset(offset).tweak_score(move |segment: &SegmentReader| {
            let columns = segment.fast_fields();
            // The schema declares all three as fast fields of these types; a missing column reads as
            // zeros, which only a corrupt index could produce.
            let high = columns.u64(ID_HIGH).map(|c| c.first_or_default_col(0));
            let low = columns.u64(ID_LOW).map(|c| c.first_or_default_col(0));
            let price = columns.i64(PRICE_CENTS).map(|c| c.first_or_default_col(0));
            let (high, low, price) = (high.ok(), low.ok(), price.ok());
            move |doc, score| {
                let id =
                    (high.as_ref().map_or(0, |c| c.get_val(doc)), low.as_ref().map_or(0, |c| c.get_val(doc)));
                let key = key(sort, score, price.as_ref().map_or(0, |c| c.get_val(doc)), id);
                // At or before the cursor: ranked below everything, and dropped below.
                cursor.is_none_or(|cursor| key < cursor).then_some(key)
            }
        });
    let hits: Vec<(Option<Key>, DocAddress)> = searcher.search(query, &collector)?;
    Ok(hits
        .into_iter()
        .filter_map(|(key, _)| key)
        .map(|(_, _, high, low)| match sort {
            Sort::Relevance | Sort::PriceAsc => Uuid::from_u64_pair(!high, !low),
            Sort::PriceDesc | Sort::Newest => Uuid::from_u64_pair(high, low),
        })
        .collect())
}
