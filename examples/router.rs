//! Many endpoints in one app: `#[fcgi_handler]` fns behind a `Router`,
//! with path parameters, a nested router with its own fallback, a custom
//! 404, and tower-http middleware around every route.
//!
//! ```text
//! FCGI_BIND=127.0.0.1:9000 cargo run --example router
//! # or, without a web server:
//! FCGI_DEV_HTTP=127.0.0.1:8080 cargo run --example router
//! curl localhost:8080/items/42
//! ```
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /` | a text index |
//! | `GET /items/{id}` | the item as JSON (400 when `id` is not a number) |
//! | `POST /items/{id}` | 201, echoing the body |
//! | `GET /files/{*path}` | the rest of the path, decoded |
//! | `GET /api/version` | `{"version":"1"}` |
//! | `GET /api/users/{user}/posts/{post}` | the post's ids |
//! | anything else under `/api` | 404 as JSON, from the nested router's fallback |
//! | anything else | 404 from the app's fallback |
//! | a wrong method | 405 with `Allow` |
//!
//! Every answer carries `X-App: router-example`, and a handler running
//! longer than 10 s is cut short with 408.

use std::time::Duration;

use fastcgi::prelude::*;
use fastcgi::routing::PathSource;
use http::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

#[derive(Serialize)]
struct Item {
    id: u64,
    name: String,
}

#[fcgi_handler]
async fn index() -> &'static str {
    "router example: /items/{id}, /files/{*path}, /api/version, /api/users/{user}/posts/{post}\n"
}

#[fcgi_handler]
async fn show_item(Path(id): Path<u64>) -> Json<Item> {
    Json(Item {
        id,
        name: format!("item {id}"),
    })
}

#[fcgi_handler]
async fn create_item(Path(id): Path<u64>, Text(body): Text) -> (StatusCode, String) {
    (StatusCode::CREATED, format!("created item {id}: {body}\n"))
}

#[fcgi_handler]
async fn show_file(Path(path): Path<String>) -> String {
    format!("file {path}\n")
}

#[fcgi_handler]
async fn api_version() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "version": "1" }))
}

#[derive(Deserialize)]
struct PostId {
    user: String,
    post: u32,
}

#[fcgi_handler]
async fn user_post(Path(id): Path<PostId>) -> String {
    format!("post {} by {}\n", id.post, id.user)
}

/// The nested API's own 404: JSON, like the rest of the API.
#[fcgi_handler]
async fn api_not_found(
    script_name: String,
    path_info: Option<String>,
) -> (StatusCode, Json<serde_json::Value>) {
    let path = format!("{script_name}{}", path_info.unwrap_or_default());
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({ "error": "no such API endpoint", "path": path })),
    )
}

/// Everything no route matches.
#[fcgi_handler]
async fn not_found(request_uri: String) -> (StatusCode, String) {
    (
        StatusCode::NOT_FOUND,
        format!("nothing at {request_uri}; try / for the index\n"),
    )
}

fn app() -> Router {
    let api = Router::new()
        .route("/version", get(api_version))
        .route("/users/{user}/posts/{post}", get(user_post))
        .fallback(api_not_found);
    Router::new()
        .route("/", get(index))
        .route("/items/{id}", get(show_item).post(create_item))
        .route("/files/{*path}", get(show_file))
        .nest("/api", api)
        .fallback(not_found)
        // The path the web server resolved: SCRIPT_NAME + PATH_INFO (the
        // default, spelled out).
        .path_source(PathSource::ScriptNameAndPathInfo)
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(10),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-app"),
            HeaderValue::from_static("router-example"),
        ))
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    Server::from_env()?.serve(app()).await
}
