//! What can be wrong with the bytes a peer sends.

use super::RecordType;

/// A violation of the FastCGI protocol by the peer.
///
/// The decoders return the record- and pair-level variants; the connection
/// level ones ([`DuplicateBeginRequest`](Self::DuplicateBeginRequest),
/// [`UnexpectedRecord`](Self::UnexpectedRecord), [`StreamAfterEnd`](Self::StreamAfterEnd))
/// are for the server, which tracks requests. Every one of them means the
/// byte stream cannot be trusted any more: close the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A record header's version byte is not 1.
    #[error(
        "unsupported FastCGI version {version} (0x{version:02x}) in a record header, only version 1 exists{hint}",
        hint = version_hint(version)
    )]
    UnsupportedVersion {
        /// The version byte received.
        version: u8,
    },

    /// A record whose body has a fixed size has another content length.
    #[error(
        "{record_type} record for request {request_id} has content length {actual}, but its body is exactly {expected} bytes: \
         the peer is not a conforming FastCGI implementation or the byte stream is out of sync"
    )]
    InvalidContentLength {
        /// The record's type.
        record_type: RecordType,
        /// The record's request id.
        request_id: u16,
        /// The size the spec fixes for this record's body.
        expected: u16,
        /// The content length in the record header.
        actual: u16,
    },

    /// A record that belongs to a request has request id 0, which is reserved
    /// for management records.
    #[error(
        "{record_type} record with request id 0: id 0 is reserved for management records \
         (FCGI_GET_VALUES and friends), requests are numbered from 1; the peer is not a conforming FastCGI implementation"
    )]
    NullRequestId {
        /// The record's type.
        record_type: RecordType,
    },

    /// A management record has a request id other than 0.
    #[error(
        "{record_type} is a management record, so its request id must be 0, not {request_id}; \
         the peer is not a conforming FastCGI implementation"
    )]
    NonNullManagementId {
        /// The record's type.
        record_type: RecordType,
        /// The request id received.
        request_id: u16,
    },

    /// A stream of name-value pairs ended in the middle of a pair.
    #[error(
        "name-value pair stream ended inside a pair, at least {missing} more byte(s) were expected: \
         the peer sent an incomplete FCGI_PARAMS or FCGI_GET_VALUES body"
    )]
    TruncatedPair {
        /// The fewest bytes that would have completed the pair.
        missing: usize,
    },

    /// A name-value pair is longer than [`ProtocolLimits::max_pair_len`](super::ProtocolLimits::max_pair_len).
    #[error(
        "a name-value pair of {len} bytes exceeds the limit of {limit} bytes per pair \
         (raise ProtocolLimits::max_pair_len if the web server really sends such long headers or URLs)"
    )]
    PairTooLarge {
        /// The pair's name plus value length, as its length prefixes claim
        /// (only the name's when that alone is over the limit).
        len: usize,
        /// The limit in force.
        limit: usize,
    },

    /// The name-value pairs of one request are longer than
    /// [`ProtocolLimits::max_params_len`](super::ProtocolLimits::max_params_len).
    #[error(
        "the name-value pairs of one request take at least {len} bytes, over the limit of {limit} bytes \
         (raise ProtocolLimits::max_params_len if the web server really sends that many headers)"
    )]
    ParamsTooLarge {
        /// The bytes received or announced so far, length prefixes included.
        len: usize,
        /// The limit in force.
        limit: usize,
    },

    /// A second `FCGI_BEGIN_REQUEST` for a request id that is still active on the connection.
    #[error(
        "FCGI_BEGIN_REQUEST for request {request_id}, which is already active on this connection: \
         a web server must not reuse a request id before the application ended the request"
    )]
    DuplicateBeginRequest {
        /// The reused request id.
        request_id: u16,
    },

    /// A record that has no place where it came: for a request the
    /// receiver never began (a client receiving a response it did not ask
    /// for), or of a type only the other side sends (an application
    /// receiving FCGI_STDOUT).
    #[error(
        "{record_type} record for request {request_id}, which has no place here: \
         either that request was never begun on this connection, or only the other side sends {record_type}"
    )]
    UnexpectedRecord {
        /// The record's type.
        record_type: RecordType,
        /// The record's request id.
        request_id: u16,
    },

    /// A stream record after that stream's empty end-of-stream record.
    #[error(
        "{record_type} record for request {request_id} after the end of that stream \
         (the peer already sent the empty {record_type} record that closes it)"
    )]
    StreamAfterEnd {
        /// The record's type.
        record_type: RecordType,
        /// The record's request id.
        request_id: u16,
    },
}

/// A guess at who sent a record starting with this (non-1) version byte.
fn version_hint(version: &u8) -> &'static str {
    match version {
        b'A'..=b'Z' => {
            ": is the peer speaking FastCGI? This looks like an HTTP request ('GET ...'): \
             an HTTP client or proxy is connected to the FastCGI port; point it at the web server \
             (nginx fastcgi_pass, Apache proxy:fcgi://), not at the application"
        }
        0x16 => {
            ": is the peer speaking FastCGI? This looks like a TLS handshake: \
             FastCGI is not encrypted, the web server must connect in plain text"
        }
        0 => {
            ": the byte stream is out of sync (a previous record's length was wrong) \
             or the peer is not speaking FastCGI"
        }
        _ => ": is the peer speaking FastCGI?",
    }
}
