//! FastCGI protocol codec and tokio server runtime.
//!
//! Applications depend on `fastcgi-rs` (imported as `fastcgi`), which
//! re-exports this crate with the `#[fcgi_handler]` attribute and a prelude;
//! the examples in these docs import from there. Data flows one way through the modules:
//!
//! - [`protocol`]: the sans-io codec: records, name-value pairs, an
//!   incremental decoder that never panics on any input, and an encoder that
//!   frames output.
//! - [`server`]: where the listening socket comes from, the accept loop,
//!   one task per connection, multiplexing, keep-alive, aborts, shutdown.
//! - [`request`]: what arrives for one request: the [`Environ`](request::Environ)
//!   of CGI meta-variables, the body stream, the abort signal.
//! - [`extract`]: how handler arguments are taken from the request.
//! - [`handler`]: the [`Handler`](handler::Handler) trait the server calls.
//! - [`routing`]: a [`Router`](routing::Router) of many handlers, by path and
//!   method, with typed path parameters.
//! - [`log`]: a `tracing` layer that routes a request's log events to its
//!   FCGI_STDERR, into the web server's error log.
//! - [`path`]: joining a client-chosen path onto a directory without leaving it.
//! - [`status`]: the server's metrics as JSON or Prometheus text.
//! - [`response`]: what handlers return ([`IntoResponse`](response::IntoResponse))
//!   and the CGI writer that sends it.
//! - [`client`]: the other side of the protocol, what a web server does:
//!   connections that send requests and read responses, for tools, load
//!   generators and development front ends.
//! - `tower` (feature `tower`): serving any `tower::Service` (an axum
//!   `Router`...) over FastCGI, and tower `Layer`s around routes.
//! - `openapi` (feature `openapi`): an OpenAPI 3.1 document of a
//!   [`Router`](routing::Router), described by its handlers.
//! - [`testing`]: [`TestClient`](testing::TestClient), which drives a handler
//!   through real FastCGI records over an in-memory stream, for handler tests.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod access_log;
mod blocking;
mod body_stream;
mod cgi;
pub mod client;
#[cfg(feature = "dev-http")]
#[cfg_attr(docsrs, doc(cfg(feature = "dev-http")))]
pub mod dev;
mod error;
pub mod extract;
pub mod file;
pub mod handler;
mod io_error;
pub mod log;
#[cfg(feature = "openapi")]
pub mod openapi;
mod output;
pub mod path;
pub mod protocol;
pub mod request;
pub mod response;
pub mod routing;
pub mod server;
mod shutdown;
pub mod status;
pub mod testing;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

pub use error::{Error, ProtocolError};
