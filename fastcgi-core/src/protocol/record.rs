//! A decoded record: header fields and body in one value.

use bytes::Bytes;

use super::{NULL_REQUEST_ID, RecordType};

/// One decoded record.
///
/// Stream content is a zero-copy [`Bytes`] slice of the decoder's buffer; an
/// empty stream record (empty `content`) ends its stream. Padding is gone.
/// Fields the spec marks reserved are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// `FCGI_BEGIN_REQUEST`: a new request.
    BeginRequest {
        /// The id of the new request (never 0).
        request_id: u16,
        /// The raw role: see [`Role::from_u16`](super::Role::from_u16). An
        /// unknown role is not a protocol error; the application answers it with
        /// [`ProtocolStatus::UnknownRole`](super::ProtocolStatus::UnknownRole).
        role: u16,
        /// The flags; [`FCGI_KEEP_CONN`](super::FCGI_KEEP_CONN) is the only one defined.
        flags: u8,
    },
    /// `FCGI_ABORT_REQUEST`: the web server gives up on a request.
    AbortRequest {
        /// The aborted request.
        request_id: u16,
    },
    /// `FCGI_END_REQUEST`: the application has finished a request.
    EndRequest {
        /// The finished request.
        request_id: u16,
        /// The application's exit status (what a CGI program would `exit` with).
        app_status: u32,
        /// The raw protocol status: see [`ProtocolStatus::from_u8`](super::ProtocolStatus::from_u8).
        protocol_status: u8,
    },
    /// `FCGI_PARAMS`: a piece of the request's name-value pairs; feed it to a
    /// [`ParamsDecoder`](super::ParamsDecoder). Empty content ends the stream.
    Params {
        /// The request.
        request_id: u16,
        /// Raw name-value pair bytes; a pair may continue in the next record.
        content: Bytes,
    },
    /// `FCGI_STDIN`: a piece of the request body. Empty content ends the body.
    Stdin {
        /// The request.
        request_id: u16,
        /// The body bytes.
        content: Bytes,
    },
    /// `FCGI_STDOUT`: a piece of the response. Empty content ends it.
    Stdout {
        /// The request.
        request_id: u16,
        /// The response bytes.
        content: Bytes,
    },
    /// `FCGI_STDERR`: a piece of error output. Empty content ends it.
    Stderr {
        /// The request.
        request_id: u16,
        /// The error output bytes.
        content: Bytes,
    },
    /// `FCGI_DATA`: a piece of the Filter role's data file. Empty content ends it.
    Data {
        /// The request.
        request_id: u16,
        /// The data bytes.
        content: Bytes,
    },
    /// `FCGI_GET_VALUES`: a query for application variables (management record).
    GetValues {
        /// Name-value pairs whose values are empty; decode with
        /// [`decode_pairs`](super::decode_pairs).
        content: Bytes,
    },
    /// `FCGI_GET_VALUES_RESULT`: the answer to `FCGI_GET_VALUES` (management record).
    GetValuesResult {
        /// Name-value pairs; decode with [`decode_pairs`](super::decode_pairs).
        content: Bytes,
    },
    /// `FCGI_UNKNOWN_TYPE`: the peer did not understand a management record.
    UnknownType {
        /// The type of the record it did not understand.
        record_type: u8,
    },
    /// A record whose type this crate does not know. When its request id is 0
    /// (a management record) the application answers with `FCGI_UNKNOWN_TYPE`.
    Unknown {
        /// The raw record type.
        record_type: u8,
        /// The raw request id.
        request_id: u16,
        /// The content, uninterpreted.
        content: Bytes,
    },
}

impl Record {
    /// The record's request id: 0 ([`NULL_REQUEST_ID`]) for management records.
    pub fn request_id(&self) -> u16 {
        match self {
            Self::BeginRequest { request_id, .. }
            | Self::AbortRequest { request_id }
            | Self::EndRequest { request_id, .. }
            | Self::Params { request_id, .. }
            | Self::Stdin { request_id, .. }
            | Self::Stdout { request_id, .. }
            | Self::Stderr { request_id, .. }
            | Self::Data { request_id, .. }
            | Self::Unknown { request_id, .. } => *request_id,
            Self::GetValues { .. } | Self::GetValuesResult { .. } | Self::UnknownType { .. } => {
                NULL_REQUEST_ID
            }
        }
    }

    /// The record's raw type byte, as it is on the wire.
    pub fn record_type(&self) -> u8 {
        let known = match self {
            Self::BeginRequest { .. } => RecordType::BeginRequest,
            Self::AbortRequest { .. } => RecordType::AbortRequest,
            Self::EndRequest { .. } => RecordType::EndRequest,
            Self::Params { .. } => RecordType::Params,
            Self::Stdin { .. } => RecordType::Stdin,
            Self::Stdout { .. } => RecordType::Stdout,
            Self::Stderr { .. } => RecordType::Stderr,
            Self::Data { .. } => RecordType::Data,
            Self::GetValues { .. } => RecordType::GetValues,
            Self::GetValuesResult { .. } => RecordType::GetValuesResult,
            Self::UnknownType { .. } => RecordType::UnknownType,
            Self::Unknown { record_type, .. } => return *record_type,
        };
        known as u8
    }

    /// The content of a stream record (`FCGI_PARAMS`, `FCGI_STDIN`, `FCGI_STDOUT`,
    /// `FCGI_STDERR`, `FCGI_DATA`), `None` for other records.
    pub fn stream_content(&self) -> Option<&Bytes> {
        match self {
            Self::Params { content, .. }
            | Self::Stdin { content, .. }
            | Self::Stdout { content, .. }
            | Self::Stderr { content, .. }
            | Self::Data { content, .. } => Some(content),
            _ => None,
        }
    }

    /// Whether this is an empty stream record, which ends its stream.
    pub fn is_end_of_stream(&self) -> bool {
        self.stream_content().is_some_and(Bytes::is_empty)
    }
}
