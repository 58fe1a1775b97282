//! Extractors whose rejections are problem+json, with the statuses of the API contract: for JSON
//! bodies, malformed or mistyped 400, an unknown field 422, not JSON 415, too large 413; for
//! paths and query strings, 400.

use axum::{
    body::Bytes,
    extract::{
        FromRequest, FromRequestParts, Request,
        rejection::{JsonRejection, PathRejection, QueryRejection},
    },
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::AppError;

/// JSON in (with contract-conformant rejections) and JSON out.
///
/// Every request body of the API is a JSON object. serde would also read a struct from an array
/// of its fields in order (`[null, null]`), which no client means; such bodies are refused (400).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(AppError::UnsupportedMediaType);
        }
        let body = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest(rejection.body_text())
            }
        })?;
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(AppError::BadRequest("the body must be a JSON object".into()));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&body)?;
        Ok(Json(value))
    }
}

/// `application/json`, or any `application/…+json`, as axum's own extractor accepts.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            JsonRejection::BytesRejection(e) if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::PayloadTooLarge
            }
            // serde's message names the field and position, never server internals.
            JsonRejection::JsonDataError(e) => match unknown_field(&e.body_text()) {
                // Refused, never ignored: a field the client thinks it set must not pass silently.
                Some(field) => AppError::invalid(field, "is not a field of this request"),
                None => AppError::BadRequest(e.body_text()),
            },
            JsonRejection::JsonSyntaxError(e) => AppError::BadRequest(e.body_text()),
            other => AppError::BadRequest(other.body_text()),
        }
    }
}

/// The field serde's `deny_unknown_fields` complained about, if that was the complaint.
fn unknown_field(message: &str) -> Option<String> {
    let rest = &message[message.find("unknown field `")? + "unknown field `".len()..];
    let name = &rest[..rest.find('`')?];
    // serde_path_to_error puts the field's full path before the message ("address.zip: …").
    let path = message.split(": ").nth(1).filter(|p| !p.starts_with("unknown field")).map(str::trim);
    Some(match path {
        Some(path) if path != "." && !path.is_empty() => path.to_owned(),
        _ => name.to_owned(),
    })
}

/// Path parameters, 400 problem+json when they do not parse (a malformed id, say).
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::BadRequest(rejection.body_text())
    }
}

/// A query string, 400 problem+json when it does not parse.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::BadRequest(rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_recognised() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[tokio::test]
    async fn bodies_must_be_json_objects() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Change {
            name: Option<String>,
            phone: Option<String>,
        }
        let request = |body: &'static str| {
            Request::builder().header(header::CONTENT_TYPE, "application/json").body(body.into()).unwrap()
        };
        let refused = Json::<Change>::from_request(request("[null, null]"), &()).await.unwrap_err();
        assert_eq!(refused.status(), http::StatusCode::BAD_REQUEST);
        assert!(Json::<Change>::from_request(request(" {\"name\": \"Ada\"}"), &()).await.is_ok());
        let untyped = Request::builder().body(axum::body::Body::from("{}")).unwrap();
        let refused = Json::<Change>::from_request(untyped, &()).await.unwrap_err();
        assert_eq!(refused.status(), http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[tokio::test]
    async fn deeply_nested_json_is_a_400_not_a_crash() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Anything {
            a: serde_json::Value,
        }
        let deep = format!("{{\"a\": {}1{}}}", "[".repeat(5000), "]".repeat(5000));
        let request =
            Request::builder().header(header::CONTENT_TYPE, "application/json").body(deep.into()).unwrap();
        let refused = Json::<Anything>::from_request(request, &()).await.unwrap_err();
        assert_eq!(refused.status(), http::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn an_unknown_field_is_named_with_its_path() {
        let top = "Failed to deserialize the JSON body into the target type: unknown field `role2`, expected one of `name` at line 1 column 9";
        assert_eq!(unknown_field(top).as_deref(), Some("role2"));
        let with_path = "Failed to deserialize the JSON body into the target type: role: unknown field `role`, expected one of `email` at line 1 column 70";
        assert_eq!(unknown_field(with_path).as_deref(), Some("role"));
        let nested = "Failed to deserialize the JSON body into the target type: address.zip: unknown field `zip`, expected `line1` at line 1 column 20";
        assert_eq!(unknown_field(nested).as_deref(), Some("address.zip"));
        assert_eq!(unknown_field("missing field `email` at line 1 column 2"), None);
    }
}
