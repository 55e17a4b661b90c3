//! Write FastCGI applications for nginx, Apache and lighttpd as annotated
//! async fns, on tokio.
//!
//! This is the crate applications depend on, published as `fastcgi-rs`
//! and imported as `fastcgi`: it re-exports the protocol codec and server
//! runtime of [`fastcgi_core`], the
//! [`#[fcgi_handler]`](macro@fcgi_handler) attribute, and the
//! [`bytes`](https://docs.rs/bytes/1) and [`http`](https://docs.rs/http/1)
//! crates its API uses. The README has the `[dependencies]` block;
//! the tour below goes from a first handler to its tests.
//!
//! # A first handler
//!
//! ```no_run
//! use fastcgi::prelude::*;
//!
//! /// Answers every request with its CGI meta-variables, as JSON.
//! #[fcgi_handler]
//! async fn hello(environ: Environ) -> Json<Environ> {
//!     Json(environ)
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), fastcgi::Error> {
//!     Server::from_env()?.serve(hello).await
//! }
//! ```
//!
//! [`Server::from_env`](server::Server::from_env) listens where the process
//! was told to: systemd socket activation, then `FCGI_BIND`
//! (`127.0.0.1:9000` or `unix:/run/app.sock`), then fd 0 when the web
//! server (or spawn-fcgi) passed a listening socket there. Point nginx at it
//! with `fastcgi_pass 127.0.0.1:9000;` and `include fastcgi_params;`.
//!
//! `#[fcgi_handler]` turns `fn hello` into a unit struct `hello`, the value
//! given to `serve`, which implements [`Handler`](handler::Handler). The fn
//! itself becomes `hello::handle`, unchanged, for tests.
//!
//! # Arguments: by type or by name
//!
//! ```
//! use std::path::PathBuf;
//! use fastcgi::prelude::*;
//!
//! #[derive(serde::Deserialize)]
//! struct Listing {
//!     path: String,
//! }
//!
//! #[fcgi_handler]
//! async fn dir_listing(
//!     document_root: PathBuf,                   // DOCUMENT_ROOT, parsed
//!     http_user_agent: Option<String>,          // HTTP_USER_AGENT, if sent
//!     #[fcgi(name = "HTTP_X_FORWARDED_FOR")]    // another meta-variable
//!     forwarded_for: Option<String>,
//!     Query(listing): Query<Listing>,           // QUERY_STRING, deserialized
//! ) -> Result<String, StatusCode> {
//!     if listing.path.contains("..") {
//!         return Err(StatusCode::FORBIDDEN);
//!     }
//!     Ok(format!("{}/{}", document_root.display(), listing.path))
//! }
//! ```
//!
//! - An argument whose type is an extractor is taken **by type**: the
//!   params-only [`Environ`](request::Environ), [`Query`](extract::Query),
//!   [`State`](extract::State), [`AbortSignal`](request::AbortSignal),
//!   [`RequestParts`](request::RequestParts); or one that consumes the body
//!   or the request: [`Body`](request::Body), [`Bytes`](bytes::Bytes), `Vec<u8>`,
//!   [`Text`](extract::Text), [`Json`](extract::Json),
//!   [`Form`](extract::Form), [`Data`](extract::Data),
//!   [`ResponseWriter`](response::ResponseWriter),
//!   [`Request`](request::Request). Patterns such as `Query(listing)` or
//!   `_` destructure or drop it.
//! - Any other argument is taken **by name**: the CGI meta-variable named
//!   after it, upper-cased (`document_root` reads `DOCUMENT_ROOT`; a raw
//!   identifier's `r#` and leading underscores are dropped, so
//!   `_remote_addr` reads `REMOTE_ADDR`), parsed with `FromStr`. `Option<T>`
//!   makes it optional. `#[fcgi(name = "HTTP_X_FORWARDED_FOR")]` reads
//!   another one.
//! - A missing meta-variable answers 500 and explains itself on
//!   FCGI_STDERR, in the web server's error log; an unparsable one answers
//!   400 when the client chose its value (`HTTP_*`, `QUERY_STRING`...) and
//!   500 otherwise. A failed extractor answers with its rejection (a bad
//!   query 400, a body that is not JSON 415...). The fn is not called.
//!
//! Arguments are taken in order, so put at most one body-consuming
//! extractor, last. Since the fn's name becomes a value, no argument may
//! share it: name handlers after what they do (`show_document_root`).
//!
//! # Return values
//!
//! Anything that implements [`IntoResponse`](response::IntoResponse): text,
//! bytes, `Json<T>`, `Html<T>`, a `StatusCode`, `(StatusCode, T)`, a
//! [`Redirect`](response::Redirect), streams of chunks or NDJSON records,
//! `Result<T, E>` of two of them, `impl IntoResponse`, or a whole
//! [`Response`](response::Response).
//!
//! # Plain fns
//!
//! A fn without `async` runs on tokio's blocking pool, after its arguments
//! are taken: blocking I/O is fine there. It takes the blocking streams,
//! [`BlockingBody`](request::BlockingBody) (`std::io::Read`) and
//! [`BlockingWriter`](response::BlockingWriter) (`std::io::Write`), whose
//! methods block instead of returning futures; `Body` and `ResponseWriter`
//! in a plain fn are a compile error that says so.
//!
//! ```
//! use std::io::Read;
//! use fastcgi::prelude::*;
//!
//! #[fcgi_handler]
//! fn count_bytes(mut body: BlockingBody) -> Result<String, StatusCode> {
//!     let mut buf = Vec::new();
//!     body.read_to_end(&mut buf).map_err(|_| StatusCode::BAD_REQUEST)?;
//!     Ok(buf.len().to_string())
//! }
//! ```
//!
//! # Testing handlers
//!
//! Call the fn itself as `NAME::handle`, or the whole handler, extraction
//! included, with a request built by hand:
//!
//! ```
//! use fastcgi::prelude::*;
//!
//! #[derive(serde::Deserialize, serde::Serialize)]
//! struct Item {
//!     name: String,
//!     n: u32,
//! }
//!
//! #[fcgi_handler]
//! async fn double(Json(mut item): Json<Item>) -> Json<Item> {
//!     item.n *= 2;
//!     Json(item)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // The fn, as written.
//! let Json(item) = double::handle(Json(Item { name: "a".into(), n: 2 })).await;
//! assert_eq!(item.n, 4);
//!
//! // The handler, as the server calls it.
//! let environ: Environ = [("CONTENT_TYPE", "application/json")].into_iter().collect();
//! let request = Request::new(RequestParts::new(environ), Body::from_bytes(r#"{"name":"a","n":21}"#));
//! let response = double.call(request).await;
//! assert_eq!(response.status(), StatusCode::OK);
//! assert_eq!(response.body().as_bytes(), Some(&br#"{"name":"a","n":42}"#[..]));
//!
//! // A request the extractor refuses: the fn is not called.
//! let request = Request::new(RequestParts::new(Environ::default()), Body::from_bytes("{}"));
//! assert_eq!(double.call(request).await.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
//! # }
//! ```
//!
//! To see exactly what the web server would get (CGI headers, body, and
//! the lines written to FCGI_STDERR for its error log), serve the handler
//! to a [`TestClient`](testing::TestClient), which speaks real FastCGI over
//! an in-memory connection:
//!
//! ```
//! use std::path::PathBuf;
//! use fastcgi::prelude::*;
//! use fastcgi::testing::TestClient;
//!
//! #[fcgi_handler]
//! async fn script(script_filename: PathBuf) -> String {
//!     script_filename.display().to_string()
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), fastcgi::client::ClientError> {
//! let client = TestClient::new(script);
//! let response = client.get("/index.php").param("SCRIPT_FILENAME", "/srv/index.php").await?;
//! assert_eq!(response.text(), "/srv/index.php");
//!
//! // Without SCRIPT_FILENAME: a 500, and the reason in the web server's log.
//! let response = client.get("/index.php").await?;
//! assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
//! assert!(response.stderr_text().contains("fastcgi_param SCRIPT_FILENAME"));
//! # Ok(())
//! # }
//! ```
//!
//! # Where next
//!
//! - [`server`]: listening, limits, application state, shutdown.
//! - [`routing`]: many handlers in one app, by path and method, with typed
//!   path parameters.
//! - `tower` (feature `tower`): serving an axum or tower app over FastCGI,
//!   and tower-http middleware around routes.
//! - `openapi` (feature `openapi`): the OpenAPI 3.1 document of a
//!   [`Router`](routing::Router), described by its handlers.
//! - [`extract`]: writing your own extractor, rejections handled by the
//!   handler, body limits; with features, `Multipart` (`multipart`),
//!   `TypedHeader<T>` (`typed-header`) and cookie jars (`cookies`).
//! - [`response`]: streaming, redirects, the low-level writer.
//! - [`path`]: joining a client-chosen path onto a directory safely.
//! - [`file`](mod@file): answering with a file (Range, 304), or letting the web
//!   server send it (`X-Accel-Redirect`, `X-Sendfile`).
//! - [`log`]: routing `tracing` events to the web server's error log.
//! - [`access_log`]: the access and slow-request logs' targets, and the
//!   combined log format.
//! - [`testing`] and [`client`]: driving handlers and servers as a web
//!   server would.
//! - [`protocol`]: the sans-io FastCGI codec underneath.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub use fastcgi_core::{
    Error, ProtocolError, access_log, client, extract, file, handler, log, path, protocol, request,
    response, routing, server, status, testing,
};
pub use fastcgi_macros::fcgi_handler;

/// The `bytes` crate, which request and response bodies are made of
/// ([`Bytes`](bytes::Bytes)): the version this crate uses, so an
/// application needs no dependency of its own.
pub use bytes;
/// The `http` crate: [`StatusCode`](http::StatusCode), header names such as
/// [`http::header::LOCATION`], `http::Request` and `http::Response` for
/// tower services; the version this crate uses.
pub use http;

#[cfg(feature = "dev-http")]
#[cfg_attr(docsrs, doc(cfg(feature = "dev-http")))]
pub use fastcgi_core::dev;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use fastcgi_core::tower;

#[cfg(feature = "openapi")]
pub use fastcgi_core::openapi;

/// README.md's Rust snippets, run as doc-tests so the README cannot drift
/// from the API. Only `rustdoc --test` sees it (`cfg(doctest)`): it is not
/// part of the crate, and the README stays out of the rendered docs.
///
/// `README.md` here is a link to the workspace's README, and the package
/// carries it at the same place. Its tower and OpenAPI sections need the
/// `tower` and `openapi` features, its tour the `multipart`, `typed-header`
/// and `cookies` features: `cargo test --workspace` switches them all on
/// (the examples package enables them); `cargo test -p fastcgi-rs --doc`
/// without them skips the README and so checks that the crate's own
/// doc-tests expand `#[fcgi_handler]` without `openapi`; a packaged copy
/// runs these with
/// `cargo test --features tower,openapi,multipart,typed-header,cookies`.
#[cfg(all(
    doctest,
    feature = "tower",
    feature = "openapi",
    feature = "multipart",
    feature = "typed-header",
    feature = "cookies"
))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Everything a typical application uses: `use fastcgi::prelude::*;`.
pub mod prelude {
    pub use bytes::Bytes;
    pub use fastcgi_core::extract::{Data, Form, Json, Query, State, Text};
    pub use fastcgi_core::handler::Handler;
    pub use fastcgi_core::request::{
        AbortSignal, BlockingBody, Body, Environ, Request, RequestParts,
    };
    pub use fastcgi_core::response::{
        BlockingWriter, Html, IntoResponse, Ndjson, Redirect, Response, ResponseWriter, StatusCode,
        Stderr, StreamBody, TryNdjson,
    };
    pub use fastcgi_core::routing::{
        MethodRouter, Path, PathParams, Router, any, delete, get, patch, post, put,
    };
    pub use fastcgi_core::server::Server;
    #[cfg(feature = "tower")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
    pub use fastcgi_core::tower::Extension;
    pub use fastcgi_macros::fcgi_handler;
}

#[doc(hidden)]
pub mod __private {
    //! What `#[fcgi_handler]` expands to; not a public API. The expansion
    //! reaches everything through here, so the public modules can move
    //! without breaking it.

    pub use fastcgi_core::extract::__private::*;
    pub use fastcgi_core::handler::Handler;
    // The handler's description of itself (feature `openapi`; stand-ins
    // that do nothing without it).
    pub use fastcgi_core::handler::__describe as describe;
    pub use fastcgi_core::handler::{DescribeFn, Operation};
    pub use fastcgi_core::request::Request;
    pub use fastcgi_core::response::Response;
}
