use std::str::FromStr;

/// Words to find, made safe for a FULLTEXT natural-language query: only letters, digits and
/// single spaces survive, so no operator, quote, wildcard or backslash reaches MySQL, and the
/// length is capped (a huge query costs seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchText(String);

/// Longest query accepted as sent.
pub(crate) const MAX_QUERY_CHARS: usize = 500;
/// What is kept of it.
const MAX_SEARCH_CHARS: usize = 200;

impl SearchText {
    pub(crate) fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err("must be at most 500 characters");
        }
        let words: Vec<String> =
            raw.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect();
        let mut text = words.join(" ");
        if text.is_empty() {
            return Err("must contain a letter or a digit");
        }
        if text.chars().count() > MAX_SEARCH_CHARS {
            text = text.chars().take(MAX_SEARCH_CHARS).collect();
        }
        Ok(Self(text))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
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
    fn operators_quotes_and_wildcards_become_spaces() {
        let text = SearchText::parse(r#"+mug -"blue*" (tea) @home c++ 100% \x 'or' 1=1"#).unwrap();
        assert_eq!(text.as_str(), "mug blue tea home c 100 x or 1 1");
    }

    #[test]
    fn non_ascii_words_survive() {
        assert_eq!(SearchText::parse("Kaffeebecher größe").unwrap().as_str(), "Kaffeebecher größe");
    }

    #[test]
    fn nothing_searchable_or_too_long_is_refused() {
        assert!(SearchText::parse("*** ++ --").is_err());
        assert!(SearchText::parse(&"a".repeat(501)).is_err());
        assert_eq!(SearchText::parse(&"ab ".repeat(160)).unwrap().as_str().chars().count(), 200);
    }
}
