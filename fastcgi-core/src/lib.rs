//! FastCGI protocol codec and tokio server runtime.
//!
//! Most users depend on the `fastcgi` crate, which re-exports this one with
//! the `#[fcgi_handler]` attribute. Data flows one way through the modules:
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
//! - [`response`]: what handlers return ([`IntoResponse`](response::IntoResponse))
//!   and the CGI writer that sends it.

mod blocking;
mod error;
pub mod extract;
pub mod handler;
pub mod protocol;
pub mod request;
pub mod response;
pub mod server;

pub use error::{Error, ProtocolError};
