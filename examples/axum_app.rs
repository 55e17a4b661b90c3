//! An axum app served over FastCGI: the same `axum::Router` you would give
//! `axum::serve`, given to `from_service` instead. It listens where
//! `Server::from_env()` decides (FCGI_BIND, systemd socket activation, or
//! fd 0), so nginx, Apache or lighttpd can run it like any FastCGI app.
//!
//! ```text
//! FCGI_BIND=127.0.0.1:9000 cargo run --example axum_app
//! # or, without a web server:
//! FCGI_DEV_HTTP=127.0.0.1:8080 cargo run --example axum_app
//! curl localhost:8080/items/7
//! ```
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /items/{id}` | the item as JSON |
//! | `POST /items` | the JSON body, with an id, as 201 |
//! | `GET /hello/{name}` | `hello NAME` |
//! | `GET /stream/ticks?n=N` | N lines, 100 ms apart, each sent as it is made |
//! | `GET /env` | the client's address and the CGI `DOCUMENT_ROOT` |

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Extension, Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use fastcgi::request::RequestParts;
use fastcgi::response::unfold;
use fastcgi::server::Server;
use fastcgi::tower::{RemoteAddr, from_service};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Item {
    #[serde(default)]
    id: u64,
    name: String,
}

async fn show_item(Path(id): Path<u64>) -> Json<Item> {
    Json(Item {
        id,
        name: format!("item {id}"),
    })
}

async fn create_item(Json(mut item): Json<Item>) -> (StatusCode, Json<Item>) {
    item.id = 1000;
    (StatusCode::CREATED, Json(item))
}

async fn hello(Path(name): Path<String>) -> String {
    format!("hello {name}\n")
}

#[derive(Deserialize)]
struct Ticks {
    #[serde(default = "three")]
    n: u32,
}

fn three() -> u32 {
    3
}

/// A body streamed as it is produced: each line leaves for the web server
/// as soon as it is made.
async fn ticks(Query(Ticks { n }): Query<Ticks>) -> axum::body::Body {
    axum::body::Body::from_stream(unfold(0, move |i| async move {
        if i >= n {
            return None;
        }
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let line = Bytes::from(format!("tick {i}\n"));
        Some((Ok::<_, Infallible>(line), i + 1))
    }))
}

/// What FastCGI adds to each request: the client's address and every CGI
/// meta-variable.
async fn env(
    Extension(client): Extension<RemoteAddr>,
    Extension(cgi): Extension<RequestParts>,
) -> String {
    format!(
        "client {} document root {}\n",
        client.ip(),
        cgi.environ().document_root().unwrap_or("-")
    )
}

fn app() -> Router {
    Router::new()
        .route("/items/{id}", get(show_item))
        .route("/items", post(create_item))
        .route("/hello/{name}", get(hello))
        .route("/stream/ticks", get(ticks))
        .route("/env", get(env))
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    Server::from_env()?.serve(from_service(app())).await
}
