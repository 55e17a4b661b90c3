//! The smallest useful app, and the one every figure in BENCHMARKS.md
//! measures: "Hello, World!" as text/plain, for any request.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --release --example plaintext
//! ```
//!
//! It answers
//!
//! ```text
//! Status: 200 OK
//! Content-Type: text/plain; charset=utf-8
//! Content-Length: 13
//!
//! Hello, World!
//! ```

use fastcgi::prelude::*;

/// Every request gets the same greeting.
#[fcgi_handler]
async fn plaintext() -> &'static str {
    "Hello, World!"
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    Server::from_env()?.serve(plaintext).await
}
