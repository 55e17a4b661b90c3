//! Framing output into records: free functions that write whole records to
//! any [`BufMut`].
//!
//! Every record's content is padded with zero bytes to a multiple of 8 (the
//! spec recommends it, and it keeps the peer's reads aligned); streams are
//! split into records of at most [`MAX_CONTENT_LEN`] bytes.

use bytes::BufMut;

use super::{
    HEADER_LEN, MAX_CONTENT_LEN, NULL_REQUEST_ID, Params, ProtocolStatus, Record, RecordHeader,
    RecordType, Role, VERSION_1, pair_len,
};

/// The stream record types an application or client writes content on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamType {
    /// `FCGI_PARAMS`: name-value pairs, web server to application.
    Params,
    /// `FCGI_STDIN`: the request body, web server to application.
    Stdin,
    /// `FCGI_STDOUT`: the response, application to web server.
    Stdout,
    /// `FCGI_STDERR`: error output, application to web server.
    Stderr,
    /// `FCGI_DATA`: the Filter role's data file, web server to application.
    Data,
}

impl StreamType {
    /// The record type of this stream.
    #[inline]
    pub fn record_type(self) -> RecordType {
        match self {
            Self::Params => RecordType::Params,
            Self::Stdin => RecordType::Stdin,
            Self::Stdout => RecordType::Stdout,
            Self::Stderr => RecordType::Stderr,
            Self::Data => RecordType::Data,
        }
    }

    /// The stream whose records have this type, `None` for a non-stream type.
    pub fn from_record_type(record_type: RecordType) -> Option<Self> {
        match record_type {
            RecordType::Params => Some(Self::Params),
            RecordType::Stdin => Some(Self::Stdin),
            RecordType::Stdout => Some(Self::Stdout),
            RecordType::Stderr => Some(Self::Stderr),
            RecordType::Data => Some(Self::Data),
            _ => None,
        }
    }
}

/// Number of zero bytes that pad `content_len` bytes of content to a multiple of 8: 0 to 7.
#[inline]
pub const fn padding_for(content_len: usize) -> u8 {
    (content_len.wrapping_neg() & 7) as u8
}

/// The exact number of bytes [`encode_stream`] writes for `content_len` bytes
/// of content, so a caller can reserve once.
pub const fn stream_records_len(content_len: usize) -> usize {
    const FULL_RECORD_LEN: usize =
        HEADER_LEN + MAX_CONTENT_LEN + padding_for(MAX_CONTENT_LEN) as usize;
    let full = content_len / MAX_CONTENT_LEN;
    let rest = content_len % MAX_CONTENT_LEN;
    let last = if rest == 0 {
        0
    } else {
        HEADER_LEN + rest + padding_for(rest) as usize
    };
    full * FULL_RECORD_LEN + last
}

/// Writes `content` on a stream: records of at most 65535 content bytes each,
/// padded. Empty content writes nothing (the end of a stream is
/// [`encode_stream_end`]).
pub fn encode_stream(out: &mut impl BufMut, stream: StreamType, request_id: u16, content: &[u8]) {
    for chunk in content.chunks(MAX_CONTENT_LEN) {
        put_record(out, stream.record_type() as u8, request_id, chunk);
    }
}

/// Writes the empty record that ends a stream.
pub fn encode_stream_end(out: &mut impl BufMut, stream: StreamType, request_id: u16) {
    put_header(out, stream.record_type() as u8, request_id, 0);
}

/// Writes `FCGI_END_REQUEST`: the application has finished the request.
pub fn encode_end_request(
    out: &mut impl BufMut,
    request_id: u16,
    app_status: u32,
    protocol_status: ProtocolStatus,
) {
    put_end_request(out, request_id, app_status, protocol_status as u8);
}

/// Writes `FCGI_BEGIN_REQUEST`: a client (web server) starts a request.
pub fn encode_begin_request(out: &mut impl BufMut, request_id: u16, role: Role, flags: u8) {
    put_begin_request(out, request_id, role as u16, flags);
}

/// Writes `FCGI_ABORT_REQUEST`: a client (web server) aborts a request.
pub fn encode_abort_request(out: &mut impl BufMut, request_id: u16) {
    put_header(out, RecordType::AbortRequest as u8, request_id, 0);
}

/// Writes `FCGI_GET_VALUES` asking for the variables `names` (pairs with empty values).
///
/// See [`encode_get_values_result`] for how the pairs are split into records.
pub fn encode_get_values(out: &mut impl BufMut, names: &[&str]) {
    put_management_pairs(
        out,
        RecordType::GetValues,
        names.iter().map(|name| (name.as_bytes(), &b""[..])),
    );
}

/// Writes `FCGI_GET_VALUES_RESULT` with the variables `pairs`.
///
/// Management records are self-contained, so pairs are packed into as few
/// records as possible without splitting one across records. A pair that alone
/// exceeds 65535 bytes cannot be sent in a management record and is left out,
/// as the spec has the application leave out variables it does not know.
/// Nothing at all (no pairs) writes one empty record.
pub fn encode_get_values_result(out: &mut impl BufMut, pairs: &[(&str, &str)]) {
    put_management_pairs(
        out,
        RecordType::GetValuesResult,
        pairs
            .iter()
            .map(|(name, value)| (name.as_bytes(), value.as_bytes())),
    );
}

/// Writes `FCGI_UNKNOWN_TYPE`: the application does not understand the
/// management record of type `record_type`.
pub fn encode_unknown_type(out: &mut impl BufMut, record_type: u8) {
    put_header(out, RecordType::UnknownType as u8, NULL_REQUEST_ID, 8);
    out.put_slice(&[record_type, 0, 0, 0, 0, 0, 0, 0]);
}

/// Writes the pairs of `params` as `FCGI_PARAMS` records of at most 65535 bytes
/// each (a pair may straddle records), padded. The empty record that ends the
/// stream is not included: add [`encode_stream_end`].
///
/// [`Params`] keeps its pairs in the wire format, so this copies them as
/// they are, one slice per record.
pub fn encode_params(out: &mut impl BufMut, request_id: u16, params: &Params) {
    for chunk in params.as_wire_bytes().chunks(MAX_CONTENT_LEN) {
        put_record(out, RecordType::Params as u8, request_id, chunk);
    }
}

/// Writes any [`Record`], as the decoder would read it back.
///
/// Stream content (including that of [`Record::Unknown`], `GetValues` and
/// `GetValuesResult`) longer than 65535 bytes cannot fit one record; it is
/// split into several, which decode as several records. Empty content writes
/// one empty record, the end of the stream.
pub fn encode_record(out: &mut impl BufMut, record: &Record) {
    match record {
        Record::BeginRequest {
            request_id,
            role,
            flags,
        } => put_begin_request(out, *request_id, *role, *flags),
        Record::AbortRequest { request_id } => encode_abort_request(out, *request_id),
        Record::EndRequest {
            request_id,
            app_status,
            protocol_status,
        } => put_end_request(out, *request_id, *app_status, *protocol_status),
        Record::UnknownType { record_type } => encode_unknown_type(out, *record_type),
        Record::Params { content, .. }
        | Record::Stdin { content, .. }
        | Record::Stdout { content, .. }
        | Record::Stderr { content, .. }
        | Record::Data { content, .. }
        | Record::GetValues { content }
        | Record::GetValuesResult { content }
        | Record::Unknown { content, .. } => {
            let (record_type, request_id) = (record.record_type(), record.request_id());
            if content.is_empty() {
                put_header(out, record_type, request_id, 0);
            }
            for chunk in content.chunks(MAX_CONTENT_LEN) {
                put_record(out, record_type, request_id, chunk);
            }
        }
    }
}

/// Writes a header for `content_len` bytes of content and its padding length.
#[inline]
fn put_header(out: &mut impl BufMut, record_type: u8, request_id: u16, content_len: u16) {
    let header = RecordHeader {
        version: VERSION_1,
        record_type,
        request_id,
        content_length: content_len,
        padding_length: padding_for(usize::from(content_len)),
    };
    out.put_slice(&header.encode());
}

/// Writes one record: header, content (at most 65535 bytes) and padding.
#[inline]
fn put_record(out: &mut impl BufMut, record_type: u8, request_id: u16, content: &[u8]) {
    debug_assert!(content.len() <= MAX_CONTENT_LEN);
    let content_len = u16::try_from(content.len()).unwrap_or(u16::MAX);
    let content = content.get(..usize::from(content_len)).unwrap_or(content);
    put_header(out, record_type, request_id, content_len);
    out.put_slice(content);
    out.put_bytes(0, usize::from(padding_for(content.len())));
}

/// `FCGI_BEGIN_REQUEST` with a raw role.
fn put_begin_request(out: &mut impl BufMut, request_id: u16, role: u16, flags: u8) {
    put_header(out, RecordType::BeginRequest as u8, request_id, 8);
    let [role_hi, role_lo] = role.to_be_bytes();
    out.put_slice(&[role_hi, role_lo, flags, 0, 0, 0, 0, 0]);
}

/// `FCGI_END_REQUEST` with a raw protocol status.
fn put_end_request(out: &mut impl BufMut, request_id: u16, app_status: u32, protocol_status: u8) {
    put_header(out, RecordType::EndRequest as u8, request_id, 8);
    let [s0, s1, s2, s3] = app_status.to_be_bytes();
    out.put_slice(&[s0, s1, s2, s3, protocol_status, 0, 0, 0]);
}

/// Management records of pairs, none split across records; pairs over 65535 bytes are dropped.
fn put_management_pairs<'a>(
    out: &mut impl BufMut,
    record_type: RecordType,
    pairs: impl Iterator<Item = (&'a [u8], &'a [u8])> + Clone,
) {
    let fitting = pairs.filter(|(name, value)| pair_len(name, value) <= MAX_CONTENT_LEN);
    let mut records_left = fitting.clone();
    let mut wrote_any = false;
    loop {
        // Measure the next record's pairs, then write them.
        let mut batch = records_left.clone();
        let mut content_len = 0;
        let mut count = 0;
        for (name, value) in batch.by_ref() {
            let len = pair_len(name, value);
            if content_len + len > MAX_CONTENT_LEN {
                break;
            }
            content_len += len;
            count += 1;
        }
        if count == 0 && wrote_any {
            return;
        }
        let content_len_u16 = u16::try_from(content_len).unwrap_or(u16::MAX);
        put_header(out, record_type as u8, NULL_REQUEST_ID, content_len_u16);
        for (name, value) in records_left.by_ref().take(count) {
            super::encode_pair(out, name, value);
        }
        out.put_bytes(0, usize::from(padding_for(content_len)));
        wrote_any = true;
    }
}
