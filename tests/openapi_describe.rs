//! What `#[fcgi_handler]` fns say about themselves in a router's OpenAPI
//! document: parameters by kind, bodies, responses, doc comments, the
//! `openapi(...)` attribute, and the gaps reported for what the types
//! cannot say.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use fastcgi::handler::from_fn;
use fastcgi::openapi::{Info, JsonSchema, OpenApi};
use fastcgi::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

fn document(router: &Router) -> OpenApi {
    router.openapi(&Info::new("test", "0"))
}

fn operation<'a>(document: &'a OpenApi, method: &str, path: &str) -> &'a Value {
    let operation = &document.as_value()["paths"][path][method];
    assert!(
        operation.is_object(),
        "no {method} {path} in {}",
        document.to_json_pretty()
    );
    operation
}

#[derive(Deserialize, JsonSchema)]
struct PostId {
    user: String,
    post: u32,
}

#[fcgi_handler]
async fn by_struct(Path(id): Path<PostId>) -> String {
    format!("{} {}", id.user, id.post)
}

#[fcgi_handler]
async fn by_tuple(Path((user, post)): Path<(String, u32)>) -> String {
    format!("{user} {post}")
}

#[fcgi_handler]
async fn by_name(params: PathParams) -> String {
    params.get("path").unwrap_or_default().to_owned()
}

#[test]
fn path_parameters_take_their_types_from_path_t_and_their_names_from_the_pattern() {
    let router = Router::new()
        .route("/users/{user}/posts/{post}", get(by_struct))
        .route("/pairs/{user}/{post}", get(by_tuple))
        .route("/files/{*path}", get(by_name));
    let document = document(&router);
    assert!(document.gaps().is_empty(), "{:?}", document.gaps());

    let params = |method, path| operation(&document, method, path)["parameters"].clone();
    let struct_params = params("get", "/users/{user}/posts/{post}");
    assert_eq!(struct_params[0]["name"], "user");
    assert_eq!(struct_params[0]["schema"]["type"], "string");
    assert_eq!(struct_params[1]["name"], "post");
    assert_eq!(struct_params[1]["schema"]["type"], "integer");
    assert_eq!(struct_params[1]["in"], "path");
    assert_eq!(struct_params[1]["required"], true);

    let tuple_params = params("get", "/pairs/{user}/{post}");
    assert_eq!(tuple_params[0]["schema"]["type"], "string");
    assert_eq!(tuple_params[1]["schema"]["type"], "integer");

    // A catch-all is one parameter in OpenAPI's template, a string.
    let catch_all = params("get", "/files/{path}");
    assert_eq!(catch_all[0]["name"], "path");
    assert_eq!(catch_all[0]["schema"]["type"], "string");
    // The named struct was only parameters: no component for it.
    assert!(document.as_value()["components"]["schemas"]["PostId"].is_null());
}

/// Search the items.
///
/// Every field is optional.
#[derive(Deserialize, JsonSchema)]
struct Search {
    /// Words to look for.
    q: String,
    page: Option<u32>,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct Note {
    text: String,
    #[serde(default)]
    likes: u32,
}

/// Search the notes.
///
/// Full text, newest first.
#[fcgi_handler(openapi(tag = "notes", operation_id = "searchNotes"))]
async fn search_notes(
    Query(search): Query<Search>,
    http_x_request_id: Option<String>,
    #[fcgi(name = "HTTP_X_TENANT")] tenant: String,
    _document_root: std::path::PathBuf,
) -> Json<Vec<Note>> {
    let _ = (search.q, search.page, http_x_request_id, tenant);
    Json(Vec::new())
}

#[fcgi_handler(openapi(status = 201, response(status = 409, description = "The note exists")))]
async fn add_note(Json(note): Json<Note>) -> (StatusCode, Json<Note>) {
    (StatusCode::CREATED, Json(note))
}

#[fcgi_handler]
async fn note_form(Form(note): Form<Note>) -> Result<Html<String>, StatusCode> {
    Ok(Html(note.text))
}

#[fcgi_handler]
async fn go_home() -> Redirect {
    Redirect::to("https://example.com/")
}

#[fcgi_handler]
async fn free_query(Query(params): Query<HashMap<String, String>>) -> Text {
    Text(params.len().to_string())
}

#[test]
fn queries_headers_bodies_and_responses_come_from_the_types() {
    let router = Router::new()
        .route("/notes", get(search_notes).post(add_note))
        .route("/notes/form", post(note_form))
        .route("/home", get(go_home))
        .route("/free", get(free_query));
    let document = document(&router);
    assert!(document.gaps().is_empty(), "{:?}", document.gaps());

    let search = operation(&document, "get", "/notes");
    assert_eq!(search["summary"], "Search the notes.");
    assert_eq!(search["description"], "Full text, newest first.");
    assert_eq!(search["operationId"], "searchNotes");
    assert_eq!(search["tags"], json!(["notes"]));
    let params = search["parameters"].as_array().unwrap();
    let find = |name: &str| params.iter().find(|p| p["name"] == name).cloned();
    let q = find("q").unwrap();
    assert_eq!(
        (q["in"].as_str(), q["required"].as_bool()),
        (Some("query"), Some(true))
    );
    assert_eq!(q["description"], "Words to look for.");
    assert_eq!(find("page").unwrap()["required"], false);
    assert_eq!(find("X-Request-Id").unwrap()["in"], "header");
    assert_eq!(find("X-Request-Id").unwrap()["required"], false);
    assert_eq!(find("X-Tenant").unwrap()["required"], true);
    // DOCUMENT_ROOT comes from the web server, not the client.
    assert_eq!(params.len(), 4, "{params:?}");
    assert_eq!(
        search["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"],
        "#/components/schemas/NoteOutput"
    );
    assert_eq!(
        search["responses"]["400"]["content"]["text/plain; charset=utf-8"]["schema"]["type"],
        "string"
    );

    let add = operation(&document, "post", "/notes");
    assert_eq!(add["operationId"], "add_note");
    assert_eq!(add["requestBody"]["required"], true);
    assert_eq!(
        add["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Note"
    );
    // `status = 201` moved the run-time status there.
    assert_eq!(
        add["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NoteOutput"
    );
    assert!(add["responses"]["default"].is_null());
    assert_eq!(add["responses"]["409"]["description"], "The note exists");
    for rejection in ["400", "413", "415", "422"] {
        assert!(
            add["responses"][rejection].is_object(),
            "{rejection} missing"
        );
    }

    // serde reads `likes` as optional (`default`) but always writes it:
    // the two contracts differ, so both schemas are there.
    let schemas = &document.as_value()["components"]["schemas"];
    assert_eq!(schemas["Note"]["required"], json!(["text"]));
    assert_eq!(schemas["NoteOutput"]["required"], json!(["text", "likes"]));
    assert!(schemas["Search"].is_null());

    let form = operation(&document, "post", "/notes/form");
    assert!(form["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert!(form["responses"]["200"]["content"]["text/html; charset=utf-8"].is_object());
    assert!(form["responses"]["default"].is_object());

    let home = operation(&document, "get", "/home");
    assert!(home["responses"]["3XX"]["headers"]["Location"].is_object());

    let free = operation(&document, "get", "/free");
    assert_eq!(free["parameters"][0]["style"], "form");
    assert_eq!(free["parameters"][0]["schema"]["type"], "object");
}

/// Takes a key from a header, without saying so in the document.
struct ApiKey;

impl fastcgi::extract::FromRequestParts for ApiKey {
    type Rejection = StatusCode;

    async fn from_request_parts(_: &RequestParts) -> Result<Self, StatusCode> {
        Ok(ApiKey)
    }
}

#[fcgi_handler]
async fn guarded(_key: ApiKey) -> &'static str {
    "in"
}

#[fcgi_handler]
async fn opaque() -> impl IntoResponse {
    "?"
}

#[fcgi_handler]
async fn by_hand() -> Response {
    "?".into_response()
}

#[test]
fn what_the_types_cannot_say_is_reported() {
    let router = Router::new()
        .route("/guarded", get(guarded))
        .route("/opaque", get(opaque))
        .route("/by-hand", get(by_hand))
        .route("/closure", get(from_fn(|_| async { "closure" })))
        .route("/any", any(opaque));
    let document = document(&router);
    let gaps: Vec<String> = document.gaps().iter().map(ToString::to_string).collect();
    let expect = [
        "GET /guarded: the argument type `ApiKey` does not describe what it reads: implement `OperationInput` for it",
        "GET /opaque: returns `impl IntoResponse`: an `impl Trait` type cannot describe its responses; name the type",
        "GET /by-hand: returns a `crate::response::Response`",
        "GET /closure: its handler does not describe itself",
        "* /any: served for any method (`any`)",
    ];
    assert_eq!(gaps.len(), expect.len(), "{gaps:#?}");
    for (gap, expected) in gaps.iter().zip(expect) {
        assert!(
            gap.starts_with(expected),
            "{gap}\ndoes not start with\n{expected}"
        );
    }
    // The document says it too, on the operation.
    let described = operation(&document, "get", "/guarded");
    assert_eq!(described["x-undescribed"].as_array().unwrap().len(), 1);
    // Routes served for any method are left out.
    assert!(document.as_value()["paths"]["/any"].is_null());
}

#[fcgi_handler]
async fn layered(Path(id): Path<u64>) -> Json<u64> {
    Json(id)
}

#[test]
fn a_tower_layer_keeps_the_description_of_the_handler_it_wraps() {
    let router = Router::new().route("/n/{id}", get(layered)).layer(
        tower_http::set_header::SetResponseHeaderLayer::overriding(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        ),
    );
    let document = document(&router);
    assert!(document.gaps().is_empty(), "{:?}", document.gaps());
    let operation = operation(&document, "get", "/n/{id}");
    assert_eq!(operation["parameters"][0]["schema"]["type"], "integer");
    assert!(operation["responses"]["200"].is_object());
}

#[test]
fn nested_routes_are_documented_under_their_prefix() {
    let api = Router::new().route("/n/{id}", get(layered));
    let router = Router::new().nest("/api/{version}", api);
    let document = document(&router);
    let operation = operation(&document, "get", "/api/{version}/n/{id}");
    let names: Vec<&str> = operation["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["version", "id"]);
    // `Path<u64>` has one value for two parameters: said, not guessed.
    let gaps: Vec<&str> = document
        .gaps()
        .iter()
        .map(|gap| gap.what.as_str())
        .collect();
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert!(
        gaps[0].contains("`version`") && gaps[1].contains("`id`"),
        "{gaps:?}"
    );
}
