//! List pages as the API fixes them: `?limit=` (default 20, at most 100) and an opaque `?cursor=`.
//!
//! Lists in id order page by keyset: the cursor is the last id of the previous page, so a page is
//! one index range scan however deep the client has paged, and rows inserted meanwhile are neither
//! skipped nor repeated.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
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

/// The cursor that continues after `id`: opaque to clients.
pub fn encode_id(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// The id a cursor continues after; a 422 for anything this service did not issue.
pub fn decode_id(cursor: &str) -> Result<Uuid, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this service issued"))
}

/// Cuts `rows`, fetched with one row more than `limit`, to the page, and returns the cursor of the
/// next page if that extra row shows there is one.
pub fn page<T>(mut rows: Vec<T>, limit: u32, id: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<String>) {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(|row| encode_id(id(row))) } else { None };
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_foreign_ones_are_refused() {
        let id = Uuid::now_v7();
        assert_eq!(decode_id(&encode_id(id)).unwrap(), id);
        for foreign in ["", "not a cursor", "AAAA", "%%%"] {
            assert!(decode_id(foreign).is_err(), "{foreign:?} accepted");
        }
    }

    #[test]
    fn limits_outside_1_to_100_are_refused() {
        assert_eq!(limit(None).unwrap(), 20);
        assert_eq!(limit(Some(100)).unwrap(), 100);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
    }

    #[test]
    fn a_page_names_a_next_cursor_only_when_more_rows_follow() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let (rows, next) = page(ids.clone(), 2, |id| *id);
        assert_eq!(rows, ids[..2]);
        assert_eq!(next, Some(encode_id(ids[1])));
        let (rows, next) = page(ids[..2].to_vec(), 2, |id| *id);
        assert_eq!(rows.len(), 2);
        assert_eq!(next, None);
    }
}
