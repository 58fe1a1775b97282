//! Extractors whose rejections are problem+json, with the statuses of the API contract: for JSON
//! bodies, malformed or mistyped 400, an unknown field 422, not JSON 415, too large 413; for
//! paths and query strings, 400.
//!
//! Every message is ours and names the field or parameter at fault. None repeats the value the
//! client sent or a parser's own words: those can carry whatever an attacker put in them (into
//! logs, dashboards, a support page) and tell how the service is built.

use axum::{
    body::Bytes,
    extract::{
        FromRequest, FromRequestParts, Request,
        path::ErrorKind,
        rejection::{JsonRejection, PathRejection},
    },
    http::{HeaderMap, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::error::Category;

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
        decode_json(&body).map(Json)
    }
}

/// A JSON body into `T`, with errors that name the field at fault.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(body_error)?;
    deserializer.end().map_err(|_| AppError::BadRequest("the body goes on after its JSON object".into()))?;
    Ok(value)
}

fn body_error(error: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = error.path().to_string();
    let error = error.into_inner();
    match error.classify() {
        Category::Syntax | Category::Eof => AppError::BadRequest(format!(
            "the body is not valid JSON (line {}, column {})",
            error.line(),
            error.column()
        )),
        Category::Io => AppError::BadRequest("the body could not be read".into()),
        Category::Data => {
            let message = error.to_string();
            if let Some(field) = quoted_after(&message, "unknown field `") {
                // Refused, never ignored: a field the client thinks it set must not pass silently.
                let field =
                    if path == "." || path.ends_with(field) { path.clone() } else { field.to_owned() };
                return AppError::invalid(client_name(&field), "is not a field of this request");
            }
            if let Some(field) = quoted_after(&message, "missing field `") {
                return AppError::BadRequest(format!("`{}` is required", client_name(&joined(&path, field))));
            }
            if path == "." {
                AppError::BadRequest("the body does not have the fields and types of this request".into())
            } else {
                AppError::BadRequest(format!("`{}` has the wrong type or value", client_name(&path)))
            }
        }
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
            _ => AppError::BadRequest("the body is not valid JSON".into()),
        }
    }
}

/// The text between `prefix` and the next backtick in a serde message.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    Some(&rest[..rest.find('`')?])
}

/// `field` under `path` ("." is the top level).
fn joined(path: &str, field: &str) -> String {
    if path == "." || path.is_empty() { field.to_owned() } else { format!("{path}.{field}") }
}

/// A field or parameter name as the client sent it, fit to be shown back: a name a request can
/// have (letters, digits, `_ . [ ]`, at most 64 characters); anything else is not repeated.
fn client_name(name: &str) -> String {
    let plain = name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'[' | b']'));
    if plain { name.to_owned() } else { "(a field with an unusual name)".to_owned() }
}

/// Path parameters, 400 problem+json when they do not parse (a malformed id, say).
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        let PathRejection::FailedToDeserializePathParams(error) = rejection else {
            return AppError::BadRequest("the path is malformed".into());
        };
        // The keys are the route's own parameter names.
        match error.kind() {
            ErrorKind::ParseErrorAtKey { key, .. }
            | ErrorKind::InvalidUtf8InPathParam { key }
            | ErrorKind::DeserializeError { key, .. } => {
                AppError::BadRequest(format!("the path parameter `{key}` is malformed"))
            }
            _ => AppError::BadRequest("the path is malformed".into()),
        }
    }
}

/// A query string, 400 problem+json naming the parameter when it does not parse.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        decode_query(parts.uri.query().unwrap_or_default()).map(Query)
    }
}

fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        let detail = if let Some(name) = quoted_after(&message, "unknown field `") {
            format!("`{}` is not a parameter of this request", client_name(name))
        } else if let Some(name) = quoted_after(&message, "missing field `") {
            format!("the query parameter `{name}` is required")
        } else if path == "." {
            "the query string is malformed".to_owned()
        } else {
            format!("the query parameter `{}` is malformed", client_name(&path))
        };
        AppError::BadRequest(detail)
    })
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

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        product_id: uuid::Uuid,
        quantity: u32,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Order {
        items: Vec<Line>,
    }

    fn detail(error: AppError) -> (u16, String, Vec<String>) {
        let problem = error.problem();
        (
            problem.status,
            problem.detail.unwrap_or_default(),
            problem.errors.into_iter().map(|e| e.field).collect(),
        )
    }

    #[test]
    fn body_errors_name_the_field_without_repeating_the_value() {
        let wrong_type = r#"{"items": [{"product_id": "' OR 1=1 --", "quantity": 1}]}"#;
        let (status, text, _) = detail(decode_json::<Order>(wrong_type.as_bytes()).unwrap_err());
        assert_eq!(status, 400);
        assert_eq!(text, "`items[0].product_id` has the wrong type or value");

        let missing = r#"{"items": [{"product_id": "0192f1c2-7a4e-7d3b-9c1a-5e6f7a8b9c0d"}]}"#;
        let (_, text, _) = detail(decode_json::<Order>(missing.as_bytes()).unwrap_err());
        assert_eq!(text, "`items[0].quantity` is required");

        let (_, text, _) = detail(decode_json::<Order>(b"{\"items\": [").unwrap_err());
        assert!(text.starts_with("the body is not valid JSON"), "{text}");

        let (status, _, fields) =
            detail(decode_json::<Order>(br#"{"items": [], "role": "admin"}"#).unwrap_err());
        assert_eq!((status, fields), (422, vec!["role".to_owned()]));
        let nested =
            r#"{"items": [{"product_id": "0192f1c2-7a4e-7d3b-9c1a-5e6f7a8b9c0d", "quantity": 1, "zip": 1}]}"#;
        let (_, _, fields) = detail(decode_json::<Order>(nested.as_bytes()).unwrap_err());
        assert_eq!(fields, ["items[0].zip"]);
        let (_, _, fields) = detail(decode_json::<Order>(br#"{"<script>": 1}"#).unwrap_err());
        assert_eq!(fields, ["(a field with an unusual name)"]);
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Page {
        limit: Option<u32>,
        id: Option<uuid::Uuid>,
    }

    #[test]
    fn query_errors_name_the_parameter_without_repeating_the_value() {
        let error =
            decode_query::<Page>("id=1%27%20AND%20EXTRACTVALUE(1,CONCAT(0x7e,version()))").unwrap_err();
        assert_eq!(detail(error).1, "the query parameter `id` is malformed");
        assert_eq!(
            detail(decode_query::<Page>("limit=ten").unwrap_err()).1,
            "the query parameter `limit` is malformed"
        );
        assert_eq!(
            detail(decode_query::<Page>("sort=price").unwrap_err()).1,
            "`sort` is not a parameter of this request"
        );
        let probing = decode_query::<Page>("%3Cscript%3E=1").unwrap_err();
        assert!(!detail(probing).1.contains("script"));
        assert!(decode_query::<Page>("limit=10").is_ok());
    }
}
