//! The sans-io FastCGI codec: record framing and the name-value pair format
//! of the [FastCGI 1.0 specification], with no I/O and no async runtime.
//!
//! Bytes flow one way through this module:
//!
//! - [`RecordDecoder`] buffers the bytes a web server sends and yields whole
//!   [`Record`]s; stream content is a zero-copy [`Bytes`](https://docs.rs/bytes/1/bytes/struct.Bytes.html) slice
//!   of its buffer. It never panics and never allocates more than one record
//!   on behalf of the peer, whatever the input.
//! - [`ParamsDecoder`] turns the content of a request's `FCGI_PARAMS` records
//!   into [`Params`] (a pair may be split across records at any byte), within
//!   the [`ProtocolLimits`].
//! - The `encode_*` functions frame output into whole records on any
//!   [`BufMut`](https://docs.rs/bytes/1/bytes/buf/trait.BufMut.html): streams are split at 65535 bytes and every
//!   record is padded to a multiple of 8 bytes.
//!
//! Everything that can go wrong on the wire is a [`ProtocolError`] that says
//! what was wrong, where, and what probably caused it.
//!
//! # Example
//!
//! Decode the request a web server sends, then encode the response:
//!
//! ```
//! use bytes::BytesMut;
//! use fastcgi::protocol::{
//!     self, ParamsDecoder, ProtocolLimits, ProtocolStatus, Record, RecordDecoder, Role,
//!     StreamType, FCGI_KEEP_CONN,
//! };
//!
//! // What the web server sends (built with the encoder for brevity).
//! let mut wire = BytesMut::new();
//! protocol::encode_begin_request(&mut wire, 1, Role::Responder, FCGI_KEEP_CONN);
//! let params = [("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", "/hello")].into_iter().collect();
//! protocol::encode_params(&mut wire, 1, &params);
//! protocol::encode_stream_end(&mut wire, StreamType::Params, 1);
//! protocol::encode_stream_end(&mut wire, StreamType::Stdin, 1);
//!
//! // The application side: feed bytes, take records.
//! let mut decoder = RecordDecoder::new();
//! decoder.feed(&wire);
//! let mut params = ParamsDecoder::new(ProtocolLimits::default());
//! let mut request = None;
//! while let Some(record) = decoder.next_record()? {
//!     match record {
//!         Record::BeginRequest { request_id, role, flags } => {
//!             assert_eq!(Role::from_u16(role), Some(Role::Responder));
//!             assert_eq!(flags & FCGI_KEEP_CONN, FCGI_KEEP_CONN);
//!             request = Some(request_id);
//!         }
//!         Record::Params { content, .. } if !content.is_empty() => params.push(&content)?,
//!         Record::Params { .. } => {
//!             let params = std::mem::replace(&mut params, ParamsDecoder::new(ProtocolLimits::default()))
//!                 .finish()?;
//!             assert_eq!(params.get("SCRIPT_NAME"), Some("/hello"));
//!         }
//!         Record::Stdin { content, .. } => assert!(content.is_empty()),
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//!
//! // The response: a CGI document on FCGI_STDOUT, its end, then FCGI_END_REQUEST.
//! let request_id = request.unwrap_or_default();
//! let mut out = BytesMut::new();
//! protocol::encode_stream(&mut out, StreamType::Stdout, request_id, b"Content-Type: text/plain\r\n\r\nHi");
//! protocol::encode_stream_end(&mut out, StreamType::Stdout, request_id);
//! protocol::encode_end_request(&mut out, request_id, 0, ProtocolStatus::RequestComplete);
//! assert_eq!(out.len() % 8, 0);
//! # Ok::<(), fastcgi::protocol::ProtocolError>(())
//! ```
//!
//! [FastCGI 1.0 specification]: https://fastcgi-archives.github.io/FastCGI_Specification.html

mod decoder;
mod encoder;
mod error;
mod header;
mod limits;
mod management;
mod pairs;
mod params;
mod protocol_status;
mod record;
mod record_type;
mod role;

pub use decoder::RecordDecoder;
pub use encoder::{
    StreamType, encode_abort_request, encode_begin_request, encode_end_request, encode_get_values,
    encode_get_values_result, encode_params, encode_record, encode_stream, encode_stream_end,
    encode_unknown_type, padding_for, stream_records_len,
};
pub use error::ProtocolError;
pub use header::{HEADER_LEN, MAX_CONTENT_LEN, NULL_REQUEST_ID, RecordHeader, VERSION_1};
pub use limits::ProtocolLimits;
pub use management::{FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS};
pub use pairs::{ParamsDecoder, decode_pairs, encode_pair, pair_len};
pub use params::{Iter, Params};
pub use protocol_status::ProtocolStatus;
pub use record::Record;
pub use record_type::RecordType;
pub use role::{FCGI_KEEP_CONN, Role};
