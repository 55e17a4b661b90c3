//! A CGI document (RFC 3875 §6.2) framed as FCGI_STDOUT records, and the
//! one canned 500 document the server sends when it has nothing better.

use bytes::{BufMut, BytesMut};

use super::encode_header_block;
use crate::protocol::{
    HEADER_LEN, RecordHeader, RecordType, StreamType, VERSION_1, encode_stream, padding_for,
};

/// The body of the server's own 500 responses.
pub(crate) const INTERNAL_ERROR_BODY: &str = "Internal Server Error\n";

/// The content type of [`INTERNAL_ERROR_BODY`].
pub(crate) const INTERNAL_ERROR_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// The whole 500 document, header block and body, for when no response can
/// be built (a handler panicked): the same bytes the writer produces for a
/// response of [`INTERNAL_ERROR_BODY`] (a test checks it).
pub(crate) const INTERNAL_ERROR_DOCUMENT: &[u8] = b"Status: 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 22\r\n\r\nInternal Server Error\n";

/// Frames the CGI header block of `parts` and `body` as FCGI_STDOUT,
/// encoding the block straight into `out` (no intermediate buffer, no
/// copy): one record when both fit in one, which is every small response.
pub(crate) fn encode_document(
    out: &mut BytesMut,
    request_id: u16,
    parts: &http::response::Parts,
    len: Option<u64>,
    local: bool,
    body: &[u8],
) {
    let start = out.len();
    // Room for the whole document and the END_REQUEST after it, at once: a
    // new connection's buffer would otherwise grow several times while the
    // header lines go in.
    out.reserve(HEADER_LEN + 64 + 48 * parts.headers.len() + body.len() + 7 + 2 * HEADER_LEN);
    // The record header, filled in once the content length is known.
    out.put_bytes(0, HEADER_LEN);
    encode_header_block(out, parts.status, &parts.headers, len, local);
    let content_len = out.len() - start - HEADER_LEN + body.len();
    if let Ok(content_length) = u16::try_from(content_len) {
        out.put_slice(body);
        let padding_length = padding_for(content_len);
        out.put_bytes(0, usize::from(padding_length));
        let header = RecordHeader {
            version: VERSION_1,
            record_type: RecordType::Stdout as u8,
            request_id,
            content_length,
            padding_length,
        };
        out[start..start + HEADER_LEN].copy_from_slice(&header.encode());
    } else {
        // Over one record together (a huge header block, or one with a
        // body near 64 KiB): frame them apart, as records of their own.
        let block = out[start + HEADER_LEN..].to_vec();
        out.truncate(start);
        encode_stream(out, StreamType::Stdout, request_id, &block);
        encode_stream(out, StreamType::Stdout, request_id, body);
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue, StatusCode, header};

    use super::*;

    #[test]
    fn canned_500_is_what_the_writer_makes_of_an_internal_error() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(INTERNAL_ERROR_CONTENT_TYPE),
        );
        let mut out = BytesMut::new();
        let len = INTERNAL_ERROR_BODY.len() as u64;
        encode_header_block(
            &mut out,
            StatusCode::INTERNAL_SERVER_ERROR,
            &headers,
            Some(len),
            false,
        );
        out.put_slice(INTERNAL_ERROR_BODY.as_bytes());
        assert_eq!(&out[..], INTERNAL_ERROR_DOCUMENT);
    }

    #[test]
    fn a_small_document_is_one_record() {
        let (parts, ()) = http::Response::new(()).into_parts();
        let mut out = BytesMut::new();
        encode_document(&mut out, 7, &parts, Some(2), false, b"hi");
        let mut bytes = [0; HEADER_LEN];
        bytes.copy_from_slice(&out[..HEADER_LEN]);
        let header = RecordHeader::parse(&bytes);
        assert_eq!(header.record_type, RecordType::Stdout as u8);
        assert_eq!(header.request_id, 7);
        let content = usize::from(header.content_length);
        assert_eq!(
            out.len(),
            HEADER_LEN + content + usize::from(header.padding_length)
        );
        assert!(out[HEADER_LEN..HEADER_LEN + content].ends_with(b"\r\n\r\nhi"));
    }
}
