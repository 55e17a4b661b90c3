//! Routing: many handlers behind one FastCGI app, by path and method.
//!
//! A [`Router`] is a [`Handler`](crate::handler::Handler) that dispatches
//! each request to the handler of the route its path matches, by method:
//!
//! ```no_run
//! use fastcgi::handler::from_fn;
//! use fastcgi::request::Request;
//! use fastcgi::routing::{Path, Router, get};
//! use fastcgi::extract::FromRequestParts;
//! use fastcgi::server::Server;
//!
//! async fn show_item(request: Request) -> String {
//!     match Path::<u64>::from_request_parts(request.parts()).await {
//!         Ok(Path(id)) => format!("item {id}"),
//!         Err(rejection) => rejection.to_string(),
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), fastcgi::Error> {
//!     let app = Router::new()
//!         .route("/", get(from_fn(|_| async { "home" })))
//!         .route("/items/{id}", get(from_fn(show_item)));
//!     Server::from_env()?.serve(app).await
//! }
//! ```
//!
//! With the `fastcgi` crate, routes take `#[fcgi_handler]` fns, whose
//! arguments take the parameters: `async fn show_item(Path(id): Path<u64>)`.
//!
//! - Patterns: literal segments, `{param}` for one segment,
//!   `{*rest}` for the rest of the path; see [`Router`].
//! - Methods: [`get`], [`post`]... and [`MethodRouter`]; 405 with `Allow`
//!   for the others, HEAD served by GET.
//! - Parameters: [`Path<T>`](Path), typed with serde (400 when a value
//!   does not parse), or [`PathParams`] by name.
//! - Which path is routed: [`PathSource`], `SCRIPT_NAME` + `PATH_INFO` by
//!   default, the path the web server resolved.
//! - Middleware: with the `tower` feature, `Router::layer` wraps routes in
//!   any `tower::Layer` (see the `tower` module).
//!
//! Routing costs about as much as one look-up per path segment: nothing
//! is allocated for a route without parameters (see `benches/routing.rs`).

mod body_limit;
#[cfg(feature = "tower")]
mod layer;
mod method_router;
#[cfg(feature = "openapi")]
mod openapi;
mod pattern;
mod request_path;
mod router;
mod timeout;
mod tree;

pub use crate::extract::{Path, PathParams, PathRejection};
pub use crate::request::path_source::PathSource;
pub use method_router::{
    MethodRouter, any, delete, get, head, on, options, patch, post, put, trace,
};
pub use router::Router;
