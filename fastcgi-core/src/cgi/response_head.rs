//! Parsing the CGI header block (RFC 3875 §6) at the start of
//! `FCGI_STDOUT`: `Name: value` lines, then an empty line.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};

/// The longest header block accepted before its ending empty line (nginx's
/// `fastcgi_buffer_size` is 4 or 8 KiB; this is generous).
pub const MAX_HEADER_BLOCK_LEN: usize = 64 * 1024;

/// What is wrong with a header block; the client adds the request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadError {
    /// Not a valid block (RFC 3875 §6): the reason.
    Malformed(String),
    /// The block did not end within `limit` bytes.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

/// The parsed CGI header block of a response (RFC 3875 §6): status,
/// headers, and whether it is a local redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) local_redirect: bool,
}

impl ResponseHead {
    /// The status: from the `Status:` line; without one, 302 for a
    /// client redirect (a `Location` URL) and 200 otherwise, local
    /// redirects included (they have no status of their own: see
    /// [`local_redirect`](Self::local_redirect)).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers (names lower-cased; the CGI `Status` line is
    /// not among them).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// For a CGI local redirect (a `Location` path and no `Status`), the
    /// path the web server would serve in its place.
    pub fn local_redirect(&self) -> Option<&str> {
        if !self.local_redirect {
            return None;
        }
        self.headers
            .get(header::LOCATION)
            .and_then(|location| location.to_str().ok())
    }
}

/// Parses a header block incrementally, as `FCGI_STDOUT` chunks arrive.
/// Each complete line is checked at once, so a body sent without a header
/// block fails at its first line rather than at the limit.
#[derive(Debug)]
pub(crate) struct HeadParser {
    /// Bytes of an unfinished block (empty while every chunk so far ended
    /// exactly at a line end).
    buf: BytesMut,
    /// Start of the first unparsed line in `buf`.
    line_start: usize,
    status: Option<StatusCode>,
    headers: HeaderMap,
}

enum Scan {
    /// The block ends just before this offset (after its empty line).
    End(usize),
    /// More bytes are needed; the unfinished line starts at this offset.
    More(usize),
}

impl HeadParser {
    pub(crate) fn new() -> Self {
        Self {
            buf: BytesMut::new(),
            line_start: 0,
            status: None,
            headers: HeaderMap::new(),
        }
    }

    /// Takes the next `FCGI_STDOUT` chunk. Once the block is complete,
    /// returns the head and the body bytes that followed it in the chunk
    /// (a zero-copy slice when the block was in one chunk).
    pub(crate) fn push(
        &mut self,
        chunk: Bytes,
    ) -> Result<Option<(ResponseHead, Bytes)>, HeadError> {
        if self.buf.is_empty() {
            match self.scan(&chunk, 0)? {
                Scan::End(end) => return Ok(Some((self.finish(), chunk.slice(end..)))),
                Scan::More(line_start) => {
                    self.check_len(chunk.len())?;
                    self.buf.extend_from_slice(&chunk);
                    self.line_start = line_start;
                    return Ok(None);
                }
            }
        }
        self.check_len(self.buf.len() + chunk.len())?;
        self.buf.extend_from_slice(&chunk);
        let buf = std::mem::take(&mut self.buf);
        let scan = self.scan(&buf, self.line_start);
        self.buf = buf;
        match scan? {
            Scan::End(end) => {
                let body = self.buf.split_off(end).freeze();
                self.buf.clear();
                Ok(Some((self.finish(), body)))
            }
            Scan::More(line_start) => {
                self.line_start = line_start;
                Ok(None)
            }
        }
    }

    /// Whether any of the block has arrived.
    pub(crate) fn has_input(&self) -> bool {
        !self.buf.is_empty() || self.status.is_some() || !self.headers.is_empty()
    }

    /// `FCGI_STDOUT` ended before the block did.
    pub(crate) fn unterminated(&self) -> HeadError {
        let reason = if self.buf.is_empty() && self.headers.is_empty() && self.status.is_none() {
            "the application sent no output on FCGI_STDOUT, not even a header block \
             (a CGI response needs at least a Content-Type, Location or Status line, then an empty line)"
                .to_owned()
        } else {
            "FCGI_STDOUT ended before the empty line that ends the header block".to_owned()
        };
        HeadError::Malformed(reason)
    }

    fn check_len(&self, len: usize) -> Result<(), HeadError> {
        if len > MAX_HEADER_BLOCK_LEN {
            return Err(HeadError::TooLarge {
                limit: MAX_HEADER_BLOCK_LEN,
            });
        }
        Ok(())
    }

    fn scan(&mut self, buf: &[u8], from: usize) -> Result<Scan, HeadError> {
        let mut start = from;
        while let Some(newline) = buf
            .get(start..)
            .and_then(|rest| memchr::memchr(b'\n', rest))
        {
            let line = buf.get(start..start + newline).unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            start += newline + 1;
            if line.is_empty() {
                return Ok(Scan::End(start));
            }
            self.parse_line(line)?;
        }
        Ok(Scan::More(start))
    }

    fn malformed(&self, reason: String) -> HeadError {
        HeadError::Malformed(reason)
    }

    fn parse_line(&mut self, line: &[u8]) -> Result<(), HeadError> {
        let shown = || String::from_utf8_lossy(line.get(..80).unwrap_or(line)).into_owned();
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            return Err(self.malformed(format!(
                "the line {:?} starts with whitespace (continuation lines are not allowed)",
                shown()
            )));
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            return Err(self.malformed(format!(
                "the line {:?} is not `Name: value` (did the application write its body without a header block?)",
                shown()
            )));
        };
        let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
        let name = HeaderName::from_bytes(name).map_err(|_| {
            self.malformed(format!("invalid header name in the line {:?}", shown()))
        })?;
        if name.as_str() == "status" {
            if self.status.is_some() {
                return Err(self.malformed("two Status lines".to_owned()));
            }
            self.status = Some(parse_status(value).ok_or_else(|| {
                self.malformed(format!(
                    "invalid Status line {:?}: it must be a three-digit code from 100 to 999, optionally followed by a reason phrase",
                    shown()
                ))
            })?);
            return Ok(());
        }
        let value = HeaderValue::from_bytes(value).map_err(|_| {
            self.malformed(format!("invalid header value in the line {:?}", shown()))
        })?;
        self.headers.append(name, value);
        Ok(())
    }

    /// The head of a complete block, with the CGI rules for a missing
    /// `Status`: a local redirect for a `Location` path, 302 for a
    /// `Location` URL, else 200.
    fn finish(&mut self) -> ResponseHead {
        let headers = std::mem::take(&mut self.headers);
        let location = headers.get(header::LOCATION).map(HeaderValue::as_bytes);
        let local = location.is_some_and(is_local_path);
        let (status, local_redirect) = match (self.status, location) {
            (Some(status), _) => (status, false),
            (None, Some(_)) if local => (StatusCode::OK, true),
            (None, Some(_)) => (StatusCode::FOUND, false),
            (None, None) => (StatusCode::OK, false),
        };
        ResponseHead {
            status,
            headers,
            local_redirect,
        }
    }
}

/// A local redirect's `Location`: a path (`/x`), not a network path (`//host/x`).
fn is_local_path(location: &[u8]) -> bool {
    location.first() == Some(&b'/') && location.get(1) != Some(&b'/')
}

fn trim(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

fn parse_status(value: &[u8]) -> Option<StatusCode> {
    let code = value.get(..3)?;
    match value.get(3) {
        None | Some(b' ' | b'\t') => {}
        Some(_) => return None,
    }
    StatusCode::from_bytes(code).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&'static str]) -> Result<Option<(ResponseHead, Bytes)>, HeadError> {
        let mut parser = HeadParser::new();
        for chunk in chunks {
            if let Some(done) = parser.push(Bytes::from_static(chunk.as_bytes()))? {
                return Ok(Some(done));
            }
        }
        Ok(None)
    }

    #[test]
    fn status_headers_and_body_in_one_chunk() -> Result<(), HeadError> {
        let Some((head, body)) = parse_chunks(&[
            "Status: 404 Not Found\r\nContent-Type: text/plain\r\nX-A:  1 \r\n\r\nbody",
        ])?
        else {
            panic!("incomplete");
        };
        assert_eq!(head.status(), 404);
        assert_eq!(head.headers()["content-type"], "text/plain");
        assert_eq!(head.headers()["x-a"], "1");
        assert!(!head.headers().contains_key("status"));
        assert_eq!(body, "body");
        Ok(())
    }

    #[test]
    fn block_split_anywhere_and_bare_newlines() -> Result<(), HeadError> {
        let Some((head, body)) = parse_chunks(&["Content-Ty", "pe: a/b\n", "\n", "rest"])? else {
            panic!("incomplete");
        };
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()["content-type"], "a/b");
        assert_eq!(body, "");
        let Some((_, body)) = parse_chunks(&["Status: 201\r", "\n\r", "\nxy"])? else {
            panic!("incomplete");
        };
        assert_eq!(body, "xy");
        Ok(())
    }

    #[test]
    fn redirects_without_status() -> Result<(), HeadError> {
        let (local, _) =
            parse_chunks(&["Location: /next?a=1\r\n\r\n"])?.unwrap_or_else(|| panic!());
        assert_eq!(local.status(), 200);
        assert_eq!(local.local_redirect(), Some("/next?a=1"));
        let (client, _) =
            parse_chunks(&["Location: https://example.com/\r\n\r\n"])?.unwrap_or_else(|| panic!());
        assert_eq!(client.status(), 302);
        assert_eq!(client.local_redirect(), None);
        let (network, _) =
            parse_chunks(&["Location: //host/x\r\n\r\n"])?.unwrap_or_else(|| panic!());
        assert_eq!(network.status(), 302);
        let (with_status, _) =
            parse_chunks(&["Status: 301\r\nLocation: /moved\r\n\r\n"])?.unwrap_or_else(|| panic!());
        assert_eq!(with_status.status(), 301);
        assert_eq!(with_status.local_redirect(), None);
        Ok(())
    }

    #[test]
    fn malformed_blocks_are_errors() {
        for bad in [
            "just a body\n",
            "Status: abc\r\n\r\n",
            "Status: 20\r\n\r\n",
            "Status: 2000\r\n\r\n",
            "Status: 200\r\nStatus: 201\r\n\r\n",
            "X: 1\r\n continued\r\n\r\n",
            "Bad Name: 1\r\n\r\n",
            "X: a\x01b\r\n\r\n",
        ] {
            assert!(
                matches!(parse_chunks(&[bad]), Err(HeadError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_block_that_never_ends_hits_the_limit() {
        let mut parser = HeadParser::new();
        let line = Bytes::from(format!("X-Long: {}\r\n", "a".repeat(1000)));
        let mut result = Ok(None);
        for _ in 0..100 {
            result = parser.push(line.clone());
            if result.is_err() {
                break;
            }
        }
        assert!(matches!(result, Err(HeadError::TooLarge { .. })));
        let unfinished = HeadParser::new();
        assert!(matches!(unfinished.unterminated(), HeadError::Malformed(_)));
    }
}
