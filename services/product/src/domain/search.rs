use std::str::FromStr;

/// Words to find, made safe for a FULLTEXT boolean-mode query in which every word is required
/// (`+word*`: all words, each also as a prefix). Only letters and digits survive, so no operator,
/// quote, parenthesis or backslash of the client's reaches MySQL; words shorter than InnoDB's
/// token size or on its stopword list are dropped (required, they would match nothing); the
/// length is capped (a huge query costs seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchText {
    /// The words, lowercased, in the order sent.
    words: Vec<String>,
    /// The boolean-mode query: `+word*` for each.
    query: String,
    /// The words as sent, spaced once: a product named exactly so ranks first.
    phrase: String,
}

/// Longest query accepted as sent.
pub(crate) const MAX_QUERY_CHARS: usize = 500;
/// Most words searched for.
const MAX_WORDS: usize = 8;
/// InnoDB indexes no token shorter than this (`innodb_ft_min_token_size`).
const MIN_WORD_CHARS: usize = 3;
/// InnoDB's default stopwords of three letters or more.
const STOPWORDS: [&str; 20] = [
    "about", "and", "are", "com", "for", "from", "how", "that", "the", "this", "was", "what", "when",
    "where", "who", "will", "with", "und", "www", "you",
];

impl SearchText {
    pub(crate) fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err("must be at most 500 characters");
        }
        let words: Vec<String> = raw
            .split(|c: char| !c.is_alphanumeric())
            // Character by character, as the index's analyser lowercases (a word's final Σ stays σ).
            .map(|w| w.chars().flat_map(char::to_lowercase).collect::<String>())
            .filter(|w| w.chars().count() >= MIN_WORD_CHARS && !STOPWORDS.contains(&w.as_str()))
            .take(MAX_WORDS)
            .collect();
        if words.is_empty() {
            return Err("must contain a word of three or more letters or digits");
        }
        let query = words.iter().map(|w| format!("+{w}*")).collect::<Vec<_>>().join(" ");
        let phrase = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(Self { words, query, phrase })
    }

    /// The words to find, each required, each also as the start of a longer word.
    pub(crate) fn words(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(String::as_str)
    }

    /// The boolean-mode query.
    pub(crate) fn as_str(&self) -> &str {
        &self.query
    }

    /// The query as a name (compared as the column's collation compares: case aside).
    pub(crate) fn phrase(&self) -> &str {
        &self.phrase
    }
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sort {
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

impl FromStr for Sort {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "relevance" => Ok(Self::Relevance),
            "price_asc" => Ok(Self::PriceAsc),
            "price_desc" => Ok(Self::PriceDesc),
            "newest" => Ok(Self::Newest),
            _ => Err("must be relevance, price_asc, price_desc or newest"),
        }
    }
}

impl Sort {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Relevance => "relevance",
            Self::PriceAsc => "price_asc",
            Self::PriceDesc => "price_desc",
            Self::Newest => "newest",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_required_and_nothing_else_of_the_client_survives() {
        let text = SearchText::parse(r#"+mug -"blue*" (tea) @home c++ 100% \x 'or' 1=1"#).unwrap();
        assert_eq!(text.as_str(), "+mug* +blue* +tea* +home* +100*");
    }

    #[test]
    fn non_ascii_words_survive() {
        assert_eq!(SearchText::parse("Kaffeebecher größe").unwrap().as_str(), "+kaffeebecher* +größe*");
        // Lowercased as the index lowercases what it holds: no final-sigma rule.
        assert_eq!(SearchText::parse("ΛΥΧΝΟΣ").unwrap().words().collect::<Vec<_>>(), ["λυχνοσ"]);
    }

    #[test]
    fn nothing_searchable_or_too_long_is_refused() {
        assert!(SearchText::parse("*** ++ --").is_err());
        assert!(SearchText::parse("a an to the").is_err());
        assert!(SearchText::parse(&"a".repeat(501)).is_err());
        assert_eq!(SearchText::parse(&"abc ".repeat(100)).unwrap().as_str().matches('+').count(), 8);
    }
}
