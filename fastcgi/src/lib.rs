//! Write FastCGI applications for nginx, Apache and lighttpd as annotated
//! async fns, on tokio.
//!
//! This is the crate users depend on: it re-exports the protocol codec and
//! server runtime of [`fastcgi_core`] and the `#[fcgi_handler]` attribute.

pub use fastcgi_core::{
    Error, ProtocolError, extract, handler, protocol, request, response, server,
};

/// Everything a typical application uses.
pub mod prelude {
    pub use fastcgi_core::extract::{Data, Form, Json, Query, State, Text};
    pub use fastcgi_core::handler::Handler;
    pub use fastcgi_core::request::{AbortSignal, Body, Environ, Request, RequestParts};
    pub use fastcgi_core::response::{
        Html, IntoResponse, Ndjson, Redirect, Response, ResponseWriter, StatusCode, StreamBody,
        TryNdjson,
    };
    pub use fastcgi_core::server::Server;
}
