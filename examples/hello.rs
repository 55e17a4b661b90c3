//! The seed's first example: answers every request with its environ as a
//! JSON object.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --example hello
//! ```

use fastcgi::handler::from_fn;
use fastcgi::prelude::*;

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    let hello = from_fn(|request: Request| async move { Json(request.environ().clone()) });
    Server::from_env()?.serve(hello).await
}
