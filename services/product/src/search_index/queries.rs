//! A search as the index answers it: the words and filters as one query, the order as a sort key.

use std::{collections::BTreeSet, ops::Bound};

use tantivy::{
    DocAddress, Score, Searcher, SegmentReader, Term,
    collector::TopDocs,
    query::{BooleanQuery, ConstScoreQuery, Occur, PhrasePrefixQuery, Query, RangeQuery, TermQuery},
    schema::{Field, IndexRecordOption},
};
use uuid::Uuid;

use super::{
    Hit,
    documents::{Fields, ID_HIGH, ID_LOW, PRICE_CENTS},
};
use crate::{
    domain::{SearchText, Sort},
    store::products::{After, Search},
};

/// Added to the score of the product named exactly as asked: above any sum of word scores.
const EXACT_NAME_SCORE: Score = 1_000_000.0;

/// Longer words a query word may stand for before it is matched as a range of the dictionary.
const MOST_LONGER_WORDS: usize = 64;

/// The query: every word (as a word, scored, or as the start of a longer one), the filters, and
/// the exact name as a bonus.
pub(super) fn query(
    searcher: &Searcher,
    fields: &Fields,
    text: &SearchText,
    search: &Search<'_>,
) -> tantivy::Result<Box<dyn Query>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in text.words() {
        clauses.push((Occur::Must, word_query(searcher, fields, word)?));
    }
    let named = TermQuery::new(fields.exact_name_term(text.phrase()), IndexRecordOption::Basic);
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
    Ok(Box::new(BooleanQuery::new(clauses)))
}

/// One word: the whole word scores by BM25; a longer word it begins only matches (constant score,
/// as a prefix of InnoDB's boolean mode does not rank either). The longer words are looked up in
/// the dictionary first, so the usual query is a plain intersection of posting lists, which skips
/// through them block by block; only a word that begins very many (`abc`) matches a range of it.
fn word_query(searcher: &Searcher, fields: &Fields, word: &str) -> tantivy::Result<Box<dyn Query>> {
    let term = Term::from_field_text(fields.text, word);
    let as_word = Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs));
    let longer: Box<dyn Query> = match longer_words(searcher, fields.text, word)? {
        Some(words) if words.is_empty() => return Ok(as_word),
        Some(words) => Box::new(BooleanQuery::new_multiterms_query(
            words.iter().map(|w| Term::from_field_text(fields.text, w)).collect(),
        )),
        None => {
            // Every word it begins, however many (the query's default stops at 50).
            let mut range = PhrasePrefixQuery::new(vec![term]);
            range.set_max_expansions(u32::MAX);
            Box::new(range)
        }
    };
    Ok(Box::new(BooleanQuery::new(vec![
        (Occur::Should, as_word as Box<dyn Query>),
        (Occur::Should, Box::new(ConstScoreQuery::new(longer, 0.0))),
    ])))
}

/// The words of `field` that begin with `word` and are longer; `None` when there are too many.
fn longer_words(searcher: &Searcher, field: Field, word: &str) -> tantivy::Result<Option<BTreeSet<String>>> {
    let start = word.as_bytes();
    let mut end = start.to_vec();
    // UTF-8 has no 0xFF byte, so raising the last byte bounds every word with this prefix.
    match end.last_mut() {
        Some(last) if *last < u8::MAX => *last += 1,
        _ => return Ok(None),
    }
    let mut words = BTreeSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted.terms().range().ge(start).lt(&end).into_stream()?;
        while stream.advance() {
            // The analyser wrote text, so every key is UTF-8.
            if let Ok(longer) = std::str::from_utf8(stream.key())
                && longer != word
            {
                words.insert(longer.to_owned());
            }
            if words.len() > MOST_LONGER_WORDS {
                return Ok(None);
            }
        }
    }
    Ok(Some(words))
}

/// The order of a search as one key, greatest first: the score (relevance only), then one value
/// (a price, negated when ascending), then the id (inverted when ascending), so every order,
/// ties included, is the one the table's ORDER BY gives.
/// The price rides last, where the id (unique) has already decided: the hit's price as indexed.
type Key = (Score, i64, u64, u64, i64);

fn key(sort: Sort, score: Score, price_cents: i64, id: (u64, u64)) -> Key {
    let (high, low) = id;
    // Saturating: a forged cursor's price may be any i64.
    match sort {
        Sort::Relevance => (score, 0, !high, !low, price_cents),
        Sort::PriceAsc => (0.0, price_cents.saturating_neg(), !high, !low, price_cents),
        Sort::PriceDesc => (0.0, price_cents, high, low, price_cents),
        Sort::Newest => (0.0, 0, high, low, price_cents),
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

/// The hits of a page: `limit` of them from `offset`, in the search's order.
pub(super) fn run(
    searcher: &Searcher,
    query: &dyn Query,
    sort: Sort,
    after: Option<After>,
    offset: usize,
    limit: usize,
) -> tantivy::Result<Vec<Hit>> {
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
        .map(|(_, _, high, low, price_cents)| Hit {
            id: match sort {
                Sort::Relevance | Sort::PriceAsc => Uuid::from_u64_pair(!high, !low),
                Sort::PriceDesc | Sort::Newest => Uuid::from_u64_pair(high, low),
            },
            price_cents,
        })
        .collect())
}
