//! simple-fastcgi's first example: answers every request with its environ (the
//! CGI meta-variables the web server sent) as a JSON object.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --example hello
//! ```

use fastcgi::prelude::*;

/// Every request gets its own params back, as JSON.
#[fcgi_handler]
async fn hello(environ: Environ) -> Json<Environ> {
    Json(environ)
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    Server::from_env()?.serve(hello).await
}
