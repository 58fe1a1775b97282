//! How a product is written into the index: which fields, analysed how.

use tantivy::{
    Index, TantivyDocument, Term,
    schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions},
    tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer},
};
use uuid::Uuid;

use crate::store::indexing::Indexable;

/// The analyser of the searched text: words split where a character is neither a letter nor a
/// digit, and lowercased, which is how [`crate::domain::SearchText`] splits a query (and how
/// InnoDB's FULLTEXT parser splits, so both ways of searching find the same products).
const WORDS: &str = "words";
/// InnoDB's longest token (`innodb_ft_max_token_size`); longer runs are not words.
const LONGEST_WORD_BYTES: usize = 84 * 4;

/// The fast fields' names, as the sort reads them.
pub(super) const ID_HIGH: &str = "id_high";
pub(super) const ID_LOW: &str = "id_low";
pub(super) const PRICE_CENTS: &str = "price_cents";

/// The index's fields.
#[derive(Clone, Copy)]
pub(super) struct Fields {
    /// The id as text: what a change deletes the old document by.
    pub(super) id: Field,
    /// The id's two halves ([`ID_HIGH`], [`ID_LOW`]), to read the id of a hit and to order by it.
    pub(super) id_high: Field,
    pub(super) id_low: Field,
    /// Name and description as one text, as `MATCH(name, description)` reads them.
    pub(super) text: Field,
    /// The whole name, lowercased and spaced once: a query naming a product exactly finds it first.
    pub(super) exact_name: Field,
    pub(super) category: Field,
    pub(super) price_cents: Field,
}

impl Fields {
    /// A new, empty index in memory, and its fields.
    pub(super) fn create_index() -> (Index, Self) {
        let mut schema = Schema::builder();
        // Frequencies score words (BM25); no positions: no phrase is ever searched.
        let text_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(WORDS).set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Self {
            id: schema.add_text_field("id", STRING),
            id_high: schema.add_u64_field(ID_HIGH, FAST),
            id_low: schema.add_u64_field(ID_LOW, FAST),
            text: schema.add_text_field("text", text_options),
            exact_name: schema.add_text_field("exact_name", STRING),
            category: schema.add_text_field("category", STRING),
            price_cents: schema.add_i64_field(PRICE_CENTS, INDEXED | FAST),
        };
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(
            WORDS,
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(LONGEST_WORD_BYTES))
                .filter(LowerCaser)
                .build(),
        );
        (index, fields)
    }

    pub(super) fn id_term(&self, id: Uuid) -> Term {
        Term::from_field_text(self.id, &id.simple().to_string())
    }

    pub(super) fn document(&self, product: &Indexable) -> TantivyDocument {
        let (high, low) = product.id.as_u64_pair();
        let mut document = TantivyDocument::new();
        document.add_text(self.id, product.id.simple().to_string());
        document.add_u64(self.id_high, high);
        document.add_u64(self.id_low, low);
        document.add_text(self.text, &product.name);
        document.add_text(self.text, &product.description);
        document.add_text(self.exact_name, exact_name(&product.name));
        document.add_text(self.category, &product.category);
        document.add_i64(self.price_cents, product.price_cents);
        document
    }
}

/// A name as compared with a query: lowercased, spaced once.
pub(super) fn exact_name(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}
