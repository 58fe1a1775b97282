//! Pieces every service's OpenAPI document shares, and the routes that serve it: the document
//! itself at `/openapi.json` and a page that reads it, Swagger UI, at `/docs/`.

use axum::{Router, routing::get};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::http::Json;
use utoipa::{
    Modify,
    openapi::{
        ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder,
        path::{Operation, ParameterIn},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

/// Declares the `bearer` security scheme (a JWT from auth) that protected operations name.
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
        let scheme = SecurityScheme::Http(
            HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
        );
        openapi.components.get_or_insert_default().add_security_scheme("bearer", scheme);
    }
}

/// Documents, on every operation, the answers the shared HTTP stack gives whatever the handler:
/// a malformed request (400), a body over the limit (413) or not JSON (415), a field or parameter
/// breaking a rule (422), a missing or invalid token where one is required (401), and a
/// dependency down or a request too slow (503). Handlers document only their own answers.
pub struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        let secured_by_default = openapi.security.as_ref().is_some_and(|s| !s.is_empty());
        for item in openapi.paths.paths.values_mut() {
            let operations =
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                add_shared(operation, secured_by_default);
            }
        }
    }
}

/// A service's finished document: its routes' operations with the shared answers added. (Run on
/// the merged document: a `modifiers(...)` on the `OpenApi` derive runs before routes are added.)
pub fn finish(mut openapi: OpenApi) -> OpenApi {
    SharedResponses.modify(&mut openapi);
    openapi
}

/// A service's router: its annotated routes with `state`, and the finished document they make
/// served by [`document_routes`], so the document can never describe other routes than those served.
pub fn router<S: Clone + Send + Sync + 'static>(api: OpenApiRouter<S>, state: S) -> Router {
    let (router, openapi) = api.split_for_parts();
    router.with_state(state).merge(document_routes(finish(openapi)))
}

/// `openapi` at `/openapi.json`, and at `/docs/` the page people read it with. The page's assets
/// are built into the binary, so it works offline, and it asks nothing of any other host: no
/// validator badge (which would send the document to validator.swagger.io).
pub fn document_routes(openapi: OpenApi) -> Router {
    let page = SwaggerUi::new("/docs").config(Config::new(["/openapi.json"]).validator_url("none"));
    Router::new().route("/openapi.json", get(move || async move { Json(openapi) })).merge(page)
}

fn add_shared(operation: &mut Operation, secured_by_default: bool) {
    let has_body = operation.request_body.is_some();
    let has_inputs = has_body
        || operation.parameters.iter().flatten().any(|p| match p {
            RefOr::T(p) => matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header),
            RefOr::Ref(_) => true,
        });
    let secured = match &operation.security {
        Some(requirements) => !requirements.is_empty(),
        None => secured_by_default,
    };
    let shared = [
        ("400", true, "Malformed request: unreadable JSON, a wrong type, a bad path or query parameter"),
        ("401", secured, "No valid access token"),
        ("413", has_body, "The body is over 1 MiB"),
        ("415", has_body, "The body is not application/json"),
        ("422", has_inputs, "A field, parameter or header breaks a rule; `errors` names each"),
        ("503", true, "A dependency is down or the request took too long"),
    ];
    for (status, applies, description) in shared {
        if applies && !operation.responses.responses.contains_key(status) {
            operation.responses.responses.insert(status.to_owned(), problem(description));
        }
    }
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    RefOr::T(
        ResponseBuilder::new().description(description).content("application/problem+json", content).build(),
    )
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi as _;

    use super::*;

    #[utoipa::path(post, path = "/thing", request_body = String, responses((status = 201, description = "Made")))]
    #[allow(dead_code)]
    fn make() {}

    #[utoipa::path(get, path = "/thing/{id}", params(("id" = String, Path)), responses((status = 200, description = "Found")))]
    #[allow(dead_code)]
    fn find() {}

    #[derive(utoipa::OpenApi)]
    #[openapi(paths(make, find), security(("bearer" = [])))]
    struct Doc;

    fn statuses(doc: &OpenApi, path: &str) -> Vec<String> {
        let item = &doc.paths.paths[path];
        let operation = item.post.as_ref().or(item.get.as_ref()).unwrap();
        operation.responses.responses.keys().cloned().collect()
    }

    #[test]
    fn every_operation_documents_the_answers_of_the_shared_stack() {
        let doc = finish(Doc::openapi());
        assert_eq!(statuses(&doc, "/thing"), ["201", "400", "401", "413", "415", "422", "503"]);
        assert_eq!(statuses(&doc, "/thing/{id}"), ["200", "400", "401", "503"]);
    }
}
