//! The CGI format (RFC 3875) as bytes and values, with no I/O: what a
//! response's header block looks like, how a response head is parsed back,
//! and how HTTP requests map onto CGI meta-variables.
//!
//! It sits beside [`protocol`](crate::protocol) and below everything that
//! does I/O: the response writer, the server, the client, the development
//! front and the tower bridge all use it, and it imports none of them.

mod document;
mod header_block;
mod meta_vars;
mod response_head;
mod uri;

pub(crate) use document::{
    INTERNAL_ERROR_BODY, INTERNAL_ERROR_CONTENT_TYPE, INTERNAL_ERROR_DOCUMENT, encode_document,
};
pub use header_block::LocalRedirect;
pub(crate) use header_block::encode_header_block;
pub(crate) use meta_vars::{HeaderVariable, header_variable};
#[cfg(feature = "tower")]
pub(crate) use meta_vars::{OWN_VARIABLES, variable_header};
pub use response_head::MAX_HEADER_BLOCK_LEN;
pub use response_head::ResponseHead;
pub(crate) use response_head::{HeadError, HeadParser};
#[cfg(feature = "tower")]
pub(crate) use uri::percent_encode;
pub(crate) use uri::{percent_decode, uri_path};
