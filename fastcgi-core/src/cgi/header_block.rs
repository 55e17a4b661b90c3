//! The CGI response header block (RFC 3875 §6): `Status:` with its reason
//! phrase, the response headers, and the blank line.

use bytes::{BufMut, BytesMut};
use http::{HeaderMap, StatusCode, header};

/// Marks a [`Response`](crate::response::Response) as a CGI *local* redirect (RFC 3875
/// §6.2.2): only its `Location` header is sent, no status, and the web
/// server serves that path itself as if the client had asked for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalRedirect;

/// The content type sent when a response with a body names none: CGI
/// requires one for every document response.
pub(crate) const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Appends the header block of a response to `out`.
pub(crate) fn encode_header_block(
    out: &mut BytesMut,
    status: StatusCode,
    headers: &HeaderMap,
    body_len: Option<u64>,
    local_redirect: bool,
) {
    if local_redirect {
        if let Some(location) = headers.get(header::LOCATION) {
            put_header(out, "Location", location.as_bytes());
        }
        out.put_slice(b"\r\n");
        return;
    }
    if status == StatusCode::OK {
        out.put_slice(b"Status: 200 OK\r\n");
    } else {
        out.put_slice(b"Status: ");
        out.put_slice(status.as_str().as_bytes());
        out.put_u8(b' ');
        out.put_slice(reason_phrase(status).as_bytes());
        out.put_slice(b"\r\n");
    }
    // Which headers are there, noted while writing them: three hash
    // lookups afterwards cost more than the whole loop for a small map.
    let (mut is_redirect, mut has_type, mut has_length) = (false, false, false);
    for (name, value) in headers {
        is_redirect |= name == header::LOCATION;
        has_type |= name == header::CONTENT_TYPE;
        has_length |= name == header::CONTENT_LENGTH;
        put_header(out, display_name(name), value.as_bytes());
    }
    let has_body = body_len != Some(0);
    if has_body && !is_redirect && !has_type {
        put_header(out, "Content-Type", DEFAULT_CONTENT_TYPE.as_bytes());
    }
    if let Some(len) = body_len
        && !has_length
        && (len > 0 || !is_redirect)
    {
        let mut digits = itoa_buf(len);
        put_header(out, "Content-Length", digits.as_bytes_mut());
    }
    out.put_slice(b"\r\n");
}

/// The conventional spelling of common header names: `HeaderMap` keeps
/// names lower-case, and nginx and lighttpd pass names on as written.
/// Other names go out lower-case, which HTTP treats the same.
fn display_name(name: &http::HeaderName) -> &str {
    use http::header as h;
    let known = [
        (h::CONTENT_TYPE, "Content-Type"),
        (h::CONTENT_LENGTH, "Content-Length"),
        (h::LOCATION, "Location"),
        (h::SET_COOKIE, "Set-Cookie"),
        (h::CACHE_CONTROL, "Cache-Control"),
        (h::CONTENT_DISPOSITION, "Content-Disposition"),
        (h::CONTENT_ENCODING, "Content-Encoding"),
        (h::ETAG, "ETag"),
        (h::LAST_MODIFIED, "Last-Modified"),
        (h::EXPIRES, "Expires"),
        (h::VARY, "Vary"),
        (h::WWW_AUTHENTICATE, "WWW-Authenticate"),
        (h::ALLOW, "Allow"),
    ];
    known
        .iter()
        .find(|(known, _)| known == name)
        .map_or(name.as_str(), |(_, display)| display)
}

/// The reason phrase of `status`, or a generic one for codes that have none.
pub(crate) fn reason_phrase(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or(match status.as_u16() {
        100..=199 => "Informational",
        200..=299 => "Success",
        300..=399 => "Redirection",
        400..=499 => "Client Error",
        _ => "Server Error",
    })
}

fn put_header(out: &mut BytesMut, name: &str, value: &[u8]) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value);
    out.put_slice(b"\r\n");
}

struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    fn as_bytes_mut(&mut self) -> &[u8] {
        &self.buf[self.start..]
    }
}

fn itoa_buf(mut n: u64) -> Digits {
    let mut buf = [0u8; 20];
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    Digits { buf, start }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(status: u16, headers: &[(&str, &str)], len: Option<u64>, local: bool) -> String {
        let mut map = HeaderMap::new();
        for (n, v) in headers {
            map.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let mut out = BytesMut::new();
        encode_header_block(
            &mut out,
            StatusCode::from_u16(status).unwrap(),
            &map,
            len,
            local,
        );
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn document_gets_reason_type_and_length() {
        assert_eq!(
            block(200, &[("content-type", "text/plain")], Some(13), false),
            "Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
        );
        assert_eq!(
            block(418, &[], Some(2), false),
            "Status: 418 I'm a teapot\r\nContent-Type: application/octet-stream\r\nContent-Length: 2\r\n\r\n"
        );
    }

    #[test]
    fn empty_body_has_no_content_type_and_unknown_codes_get_a_reason() {
        assert_eq!(
            block(599, &[], Some(0), false),
            "Status: 599 Server Error\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(
            block(204, &[], None, false),
            "Status: 204 No Content\r\nContent-Type: application/octet-stream\r\n\r\n"
        );
    }

    #[test]
    fn redirects() {
        assert_eq!(
            block(302, &[("location", "https://e.x/")], Some(0), false),
            "Status: 302 Found\r\nLocation: https://e.x/\r\n\r\n"
        );
        assert_eq!(
            block(200, &[("location", "/other")], Some(0), true),
            "Location: /other\r\n\r\n"
        );
    }

    #[test]
    fn digits() {
        assert_eq!(itoa_buf(0).as_bytes_mut(), b"0");
        assert_eq!(itoa_buf(u64::MAX).as_bytes_mut(), b"18446744073709551615");
    }
}
