//! The response side: what a handler returns and how it is written.
//!
//! A handler returns anything that implements [`IntoResponse`]; the server
//! turns it into a CGI document (RFC 3875 §6.2.1: `Status:`, headers, body)
//! or a redirect (§6.2.2–6.2.4) on the request's FCGI_STDOUT. For full
//! control, take a [`ResponseWriter`] and write by hand.

mod blocking_writer;
mod body;
mod html;
mod into_response;
mod redirect;
mod sse;
mod stderr;
mod stream;
mod unfold;
mod writer;

pub use crate::cgi::LocalRedirect;
pub use blocking_writer::BlockingWriter;
pub use body::{BoxError, ResponseBody};
pub use html::Html;
pub use into_response::{IntoResponse, InvalidHeader, ResponseHeaders};
pub use redirect::{InvalidRedirect, Redirect};
pub use sse::{Event, Sse};
pub use stderr::Stderr;
pub use stream::{Ndjson, StreamBody, TryNdjson};
pub use unfold::{Unfold, unfold};
pub use writer::ResponseWriter;

pub(crate) use into_response::{ServerLog, internal_error};

/// A response: an [`http::Response`] whose body is a [`ResponseBody`].
///
/// Build one with [`http::Response::builder`] for full control, or from any
/// [`IntoResponse`] value.
pub type Response<B = ResponseBody> = http::Response<B>;

pub use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
