//! How a product is written into the index: which fields, analysed how.

use std::hash::{DefaultHasher, Hash, Hasher};

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
    /// The id's bytes: what a change deletes the old document by.
    pub(super) id: Field,
    /// The id's two halves ([`ID_HIGH`], [`ID_LOW`]), to read the id of a hit and to order by it.
    pub(super) id_high: Field,
    pub(super) id_low: Field,
    /// Name and description as one text, as `MATCH(name, description)` reads them.
    pub(super) text: Field,
    /// A hash of the whole name, lowercased and spaced once ([`exact_name`]): a query naming a
    /// product exactly finds it first. Eight bytes a product where the names would take their
    /// length; two names of one hash would both come first, once in billions of catalogues.
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
            id: schema.add_bytes_field("id", INDEXED),
            id_high: schema.add_u64_field(ID_HIGH, FAST),
            id_low: schema.add_u64_field(ID_LOW, FAST),
            text: schema.add_text_field("text", text_options),
            exact_name: schema.add_u64_field("exact_name", INDEXED),
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
        Term::from_field_bytes(self.id, id.as_bytes())
    }

    pub(super) fn exact_name_term(&self, name: &str) -> Term {
        Term::from_field_u64(self.exact_name, exact_name(name))
    }

    pub(super) fn document(&self, product: &Indexable) -> TantivyDocument {
        let (high, low) = product.id.as_u64_pair();
        let mut document = TantivyDocument::new();
        document.add_bytes(self.id, product.id.as_bytes());
        document.add_u64(self.id_high, high);
        document.add_u64(self.id_low, low);
        document.add_text(self.text, &product.name);
        document.add_text(self.text, &product.description);
        document.add_u64(self.exact_name, exact_name(&product.name));
        document.add_text(self.category, &product.category);
        document.add_i64(self.price_cents, product.price_cents);
        document
    }
}

/// A name as compared with a query: lowercased, spaced once, hashed. The index lives and dies
/// with the process, so the hash need only agree with itself within it.
fn exact_name(name: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().hash(&mut hasher);
    hasher.finish()
}
