//! List pages as the API fixes them: `?limit=` (default 20, at most 100) and an opaque `?cursor=`.
//!
//! Lists in id order page by keyset: the cursor is the last id of the previous page, so a page is
//! one index range scan however deep the client has paged, and rows inserted meanwhile are neither
//! skipped nor repeated. Every cursor names the list it was made for ([`ListKey`]).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::AppError;

/// Rows per page when the client does not say.
pub const DEFAULT_LIMIT: u32 = 20;
/// The most rows one page may hold.
pub const MAX_LIMIT: u32 = 100;

/// The page size asked for, checked against the limits.
pub fn limit(asked: Option<u32>) -> Result<u32, AppError> {
    let limit = asked.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(AppError::invalid("limit", format!("must be from 1 to {MAX_LIMIT}")))
    }
}

/// The list a cursor belongs to: the endpoint and every parameter that shapes the list (filters,
/// sort), but not the page itself. A cursor carries a digest of it, so a cursor of one list is
/// refused by every other (422) instead of silently continuing somewhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListKey(String);

impl ListKey {
    /// The key of the list `name` (e.g. `"order.list"`) with these parameters, in a fixed order;
    /// an absent parameter is `None`.
    pub fn new(name: &str, parameters: &[Option<&str>]) -> Self {
        let mut canonical = name.to_owned();
        for parameter in parameters {
            // A length prefix keeps ("ab", "c") and ("a", "bc") apart.
            match parameter {
                Some(value) => canonical.push_str(&format!("|{}:{value}", value.len())),
                None => canonical.push_str("|-"),
            }
        }
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
        Self(URL_SAFE_NO_PAD.encode(&digest.as_ref()[..12]))
    }
}

/// What a cursor carries: its list, and where the next page starts.
#[derive(Serialize, Deserialize)]
struct Envelope<P> {
    list: String,
    after: P,
}

/// The cursor of `list` that continues after `position`: opaque to clients.
pub fn encode<P: Serialize>(list: &ListKey, position: &P) -> Result<String, AppError> {
    let envelope = Envelope { list: list.0.clone(), after: position };
    let json = serde_json::to_vec(&envelope).map_err(anyhow::Error::from)?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// Where a cursor of `list` continues; a 422 for a cursor this service did not issue or issued
/// for another list.
pub fn decode<P: DeserializeOwned>(list: &ListKey, cursor: &str) -> Result<P, AppError> {
    let refused = || AppError::invalid("cursor", "is not a cursor of this list");
    let json = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refused())?;
    let envelope: Envelope<P> = serde_json::from_slice(&json).map_err(|_| refused())?;
    if envelope.list == list.0 { Ok(envelope.after) } else { Err(refused()) }
}

/// The cursor of `list` that continues after `id`.
pub fn encode_id(list: &ListKey, id: Uuid) -> Result<String, AppError> {
    encode(list, &IdPosition { id })
}

/// The id a cursor of `list` continues after; a 422 otherwise.
pub fn decode_id(list: &ListKey, cursor: &str) -> Result<Uuid, AppError> {
    decode::<IdPosition>(list, cursor).map(|after| after.id)
}

/// One page a client asked for: its list, its size and where it starts. It owns the keyset rule
/// that a page is fetched with one row more than it holds, the extra row telling whether another
/// page follows, and the cursor that continues there.
pub struct PageRequest<P> {
    list: ListKey,
    limit: u32,
    after: Option<P>,
}

/// One page of a list, and the cursor of the next one when there is one.
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Continues after the last item; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<P: Serialize + DeserializeOwned> PageRequest<P> {
    /// The page of `list` holding `limit` rows (checked with [`limit`]) after `cursor`; a 422 for
    /// a cursor of another list.
    pub fn new(list: ListKey, limit: u32, cursor: Option<&str>) -> Result<Self, AppError> {
        let after = cursor.map(|cursor| decode(&list, cursor)).transpose()?;
        Ok(Self { list, limit, after })
    }

    /// A page whose position a caller decoded itself (to report every bad parameter at once).
    pub fn at(list: ListKey, limit: u32, after: Option<P>) -> Self {
        Self { list, limit, after }
    }

    /// Where the page starts; `None` for the first page.
    pub fn after(&self) -> Option<&P> {
        self.after.as_ref()
    }

    /// The rows to fetch: one more than the page holds.
    pub fn fetch(&self) -> u32 {
        self.limit + 1
    }

    /// The rows the page holds.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Cuts `rows`, fetched with [`PageRequest::fetch`], to the page; if the extra row shows that
    /// another page follows, its cursor continues after `position` of the page's last row.
    pub fn page<T>(&self, rows: Vec<T>, position: impl FnOnce(&T) -> P) -> Result<Page<T>, AppError> {
        self.page_unless_last(rows, false, position)
    }

    /// The same, where the caller may know of more rows than it kept (`more`: some fetched rows
    /// were dropped after fetching, and what was fetched was not the end).
    pub fn page_unless_last<T>(
        &self,
        mut rows: Vec<T>,
        more: bool,
        position: impl FnOnce(&T) -> P,
    ) -> Result<Page<T>, AppError> {
        let more = more || rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = match rows.last() {
            Some(last) if more => Some(encode(&self.list, &position(last))?),
            _ => None,
        };
        Ok(Page { items: rows, next_cursor })
    }
}

/// A list in id order: its cursors carry the last id of the page before.
pub type IdPageRequest = PageRequest<IdPosition>;

/// The position in a list in id order (the cursor format every id-ordered list has used).
#[derive(Serialize, Deserialize)]
pub struct IdPosition {
    id: Uuid,
}

impl PageRequest<IdPosition> {
    /// The id the page starts after (or before, in a newest-first list).
    pub fn after_id(&self) -> Option<Uuid> {
        self.after.as_ref().map(|after| after.id)
    }

    /// [`PageRequest::page`] for rows with ids.
    pub fn page_by_id<T>(&self, rows: Vec<T>, id: impl FnOnce(&T) -> Uuid) -> Result<Page<T>, AppError> {
        self.page(rows, |row| IdPosition { id: id(row) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_foreign_ones_are_refused() {
        let list = ListKey::new("order.list", &[None, Some("shipped")]);
        let id = Uuid::now_v7();
        assert_eq!(decode_id(&list, &encode_id(&list, id).unwrap()).unwrap(), id);
        for foreign in ["", "not a cursor", "AAAA", "%%%", &URL_SAFE_NO_PAD.encode(id.as_bytes())] {
            assert!(decode_id(&list, foreign).is_err(), "{foreign:?} accepted");
        }
    }

    #[test]
    fn a_cursor_of_another_list_or_filter_is_refused() {
        let id = Uuid::now_v7();
        let shipped = ListKey::new("order.list", &[None, Some("shipped")]);
        let cursor = encode_id(&shipped, id).unwrap();
        for other in [
            ListKey::new("order.list", &[None, Some("pending")]),
            ListKey::new("order.list", &[None, None]),
            ListKey::new("user.list", &[None, Some("shipped")]),
        ] {
            let refused = decode_id(&other, &cursor).unwrap_err();
            assert_eq!(refused.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
        }
        assert_ne!(ListKey::new("l", &[Some("ab"), Some("c")]), ListKey::new("l", &[Some("a"), Some("bc")]));
    }

    #[test]
    fn limits_outside_1_to_100_are_refused() {
        assert_eq!(limit(None).unwrap(), 20);
        assert_eq!(limit(Some(100)).unwrap(), 100);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
    }

    #[test]
    fn a_page_is_fetched_with_one_extra_row_and_names_a_next_cursor_only_when_it_came() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let list = ListKey::new("test", &[]);
        let first = IdPageRequest::new(list.clone(), 2, None).unwrap();
        assert_eq!((first.fetch(), first.after_id()), (3, None));
        let page = first.page_by_id(ids.clone(), |id| *id).unwrap();
        assert_eq!(page.items, ids[..2]);
        let cursor = page.next_cursor.unwrap();
        assert_eq!(cursor, encode_id(&list, ids[1]).unwrap());
        assert_eq!(IdPageRequest::new(list.clone(), 2, Some(&cursor)).unwrap().after_id(), Some(ids[1]));
        let last = first.page_by_id(ids[..2].to_vec(), |id| *id).unwrap();
        assert_eq!((last.items.len(), last.next_cursor), (2, None));
    }
}
