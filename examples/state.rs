//! Shared application state (simple-fastcgi's `server` member): every request
//! sees the same counter.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --example state
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use fastcgi::prelude::*;
use serde::Serialize;

/// Cloned into each request, so the counter itself lives in an `Arc`.
#[derive(Clone, Default)]
struct Hits(Arc<AtomicU64>);

#[derive(Serialize)]
struct Count {
    hits: u64,
}

/// Counts requests.
#[fcgi_handler]
async fn count(State(hits): State<Hits>) -> Json<Count> {
    Json(Count {
        hits: hits.0.fetch_add(1, Ordering::Relaxed) + 1,
    })
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    Server::from_env()?
        .with_state(Hits::default())
        .serve(count)
        .await
}
