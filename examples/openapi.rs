//! A small JSON API that documents itself: its OpenAPI 3.1 document comes
//! from the handlers (their arguments, return types and doc comments), is
//! served at `/openapi.json`, and nothing about a route is written twice.
//!
//! ```text
//! FCGI_DEV_HTTP=127.0.0.1:8080 cargo run --example openapi
//! curl localhost:8080/openapi.json       # or open localhost:8080/docs
//! curl -X POST localhost:8080/items -H 'content-type: application/json' -d '{"name":"pen","tags":["office"]}'
//! curl 'localhost:8080/items?tag=office&limit=10'
//!
//! cargo run --example openapi -- --print   # the document, then exit
//! ```
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /items?tag=&limit=` | the items, filtered |
//! | `POST /items` (JSON) | 201 and the new item; 422 for an empty name |
//! | `GET /items/{id}` | the item, or 404 |
//! | `DELETE /items/{id}` | 204, with `X-Api-Key: secret`; 401 without, 404 |
//! | `GET /health` | `ok` |
//! | `GET /openapi.json` | the document |
//! | `GET /docs` | the document in a browser (its viewer loads from a CDN) |

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use fastcgi::openapi::{Info, JsonSchema, Operation, OperationOutput};
use fastcgi::prelude::*;
use serde::{Deserialize, Serialize};

/// An item of the catalogue.
#[derive(Clone, Serialize, JsonSchema)]
struct Item {
    /// Chosen by the server.
    id: u64,
    name: String,
    tags: Vec<String>,
}

/// What a client sends to create an item.
#[derive(Deserialize, JsonSchema)]
struct NewItem {
    /// Not empty.
    name: String,
    #[serde(default)]
    tags: Vec<String>,
}

/// Filters of the item list.
#[derive(Deserialize, JsonSchema)]
struct ListFilter {
    /// Only items with this tag.
    tag: Option<String>,
    /// At most this many items.
    limit: Option<usize>,
}

/// What every error of the API answers with.
#[derive(Serialize, JsonSchema)]
struct ErrorBody {
    error: String,
}

/// The API's errors, each a status and an [`ErrorBody`].
enum ApiError {
    NotFound(u64),
    Unauthorized,
    Invalid(&'static str),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = match self {
            ApiError::NotFound(id) => (StatusCode::NOT_FOUND, format!("no item {id}")),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "send X-Api-Key".to_owned()),
            ApiError::Invalid(why) => (StatusCode::UNPROCESSABLE_ENTITY, why.to_owned()),
        };
        (status, Json(ErrorBody { error })).into_response()
    }
}

/// The one thing written by hand: which statuses the error type answers
/// with, since its `IntoResponse` impl chooses them at run time.
impl OperationOutput for ApiError {
    fn describe(operation: &mut Operation<'_>) {
        for (status, why) in [
            (StatusCode::NOT_FOUND, "No such item"),
            (StatusCode::UNAUTHORIZED, "No or a wrong X-Api-Key"),
            (StatusCode::UNPROCESSABLE_ENTITY, "The item is not valid"),
        ] {
            let schema = operation.output_schema::<ErrorBody>();
            operation.response_content(status, Some(why), "application/json", Some(schema));
        }
    }
}

/// The catalogue, shared by every request.
#[derive(Clone, Default)]
pub(crate) struct Store(Arc<Mutex<BTreeMap<u64, Item>>>);

impl Store {
    fn items(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Item>> {
        // A panic while holding the lock leaves the map itself intact.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// List the items.
///
/// Newest last; `tag` keeps the items that have it.
#[fcgi_handler]
async fn list_items(
    State(store): State<Store>,
    Query(filter): Query<ListFilter>,
) -> Json<Vec<Item>> {
    let items = store.items();
    let matching = items
        .values()
        .filter(|item| {
            filter
                .tag
                .as_ref()
                .is_none_or(|tag| item.tags.contains(tag))
        })
        .take(filter.limit.unwrap_or(usize::MAX))
        .cloned()
        .collect();
    Json(matching)
}

/// Create an item.
#[fcgi_handler(openapi(status = 201))]
async fn create_item(
    State(store): State<Store>,
    Json(new): Json<NewItem>,
) -> Result<(StatusCode, Json<Item>), ApiError> {
    if new.name.trim().is_empty() {
        return Err(ApiError::Invalid("the name is empty"));
    }
    let mut items = store.items();
    let id = items.keys().next_back().map_or(1, |last| last + 1);
    let item = Item {
        id,
        name: new.name,
        tags: new.tags,
    };
    items.insert(id, item.clone());
    Ok((StatusCode::CREATED, Json(item)))
}

/// Show one item.
#[fcgi_handler]
async fn show_item(
    State(store): State<Store>,
    Path(id): Path<u64>,
) -> Result<Json<Item>, ApiError> {
    store
        .items()
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(ApiError::NotFound(id))
}

/// Delete an item.
///
/// Needs the header `X-Api-Key: secret`.
#[fcgi_handler(openapi(status = 204))]
async fn delete_item(
    State(store): State<Store>,
    Path(id): Path<u64>,
    http_x_api_key: Option<String>,
) -> Result<StatusCode, ApiError> {
    if http_x_api_key.as_deref() != Some("secret") {
        return Err(ApiError::Unauthorized);
    }
    match store.items().remove(&id) {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::NotFound(id)),
    }
}

/// Whether the app is up.
#[fcgi_handler]
async fn health() -> &'static str {
    "ok"
}

/// The API's routes.
pub(crate) fn routes() -> Router {
    Router::new()
        .route("/items", get(list_items).post(create_item))
        .route("/items/{id}", get(show_item).delete(delete_item))
        .route("/health", get(health))
}

/// The document's title and version.
pub(crate) fn info() -> Info {
    Info::new("Items", "1.0").description("A catalogue of items: the fastcgi-rs OpenAPI example.")
}

/// The app: the routes, their document at `/openapi.json`, and a page
/// that shows it at `/docs`.
pub(crate) fn app() -> Router {
    routes()
        .openapi_route("/openapi.json", info())
        .openapi_viewer("/docs", "openapi.json")
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    if std::env::args().skip(1).any(|arg| arg == "--print") {
        println!("{}", routes().openapi(&info()).to_json_pretty());
        return Ok(());
    }
    Server::from_env()?
        .with_state(Store::default())
        .serve(app())
        .await
}
