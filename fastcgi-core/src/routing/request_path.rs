//! The path the router matches, cut into segments the way the web servers
//! normalize it.

use std::fmt;

/// Segments kept inline before spilling to the heap: paths deeper than
/// this are rare, and cost one allocation.
const INLINE: usize = 16;

/// A normalized path as its segments: `/items/3/` is `["items", "3", ""]`,
/// `/` is `[""]`.
pub(crate) struct Segments<'a> {
    inline: [&'a [u8]; INLINE],
    len: usize,
    heap: Vec<&'a [u8]>,
}

impl<'a> Segments<'a> {
    /// Cuts a decoded path into segments, normalizing it as nginx, lighttpd
    /// and Apache do: repeated slashes merged, `.` dropped, `..` removing
    /// the segment before it (never going above the root), a trailing
    /// slash kept (and implied after a final `.` or `..`).
    pub(crate) fn normalize(path: &'a [u8]) -> Self {
        let mut segments = Segments {
            inline: [&[]; INLINE],
            len: 0,
            heap: Vec::new(),
        };
        let rest = path.strip_prefix(b"/").unwrap_or(path);
        let mut parts = rest.split(|b| *b == b'/').peekable();
        let mut ends_in_dot = false;
        while let Some(part) = parts.next() {
            let last = parts.peek().is_none();
            match part {
                b"." => ends_in_dot = true,
                b".." => {
                    segments.pop();
                    ends_in_dot = true;
                }
                b"" if !last => {}
                _ => {
                    segments.push(part);
                    ends_in_dot = false;
                }
            }
        }
        if ends_in_dot || segments.is_empty() {
            segments.push(b"");
        }
        segments
    }

    fn push(&mut self, segment: &'a [u8]) {
        if self.len < INLINE {
            self.inline[self.len] = segment;
        } else {
            if self.len == INLINE {
                self.heap.extend_from_slice(&self.inline);
            }
            self.heap.push(segment);
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        if self.len == 0 {
            return;
        }
        self.len -= 1;
        if self.len >= INLINE {
            self.heap.pop();
            if self.len == INLINE {
                // Back to the inline items, which the heap only repeated.
                self.heap.clear();
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The segments, in order.
    pub(crate) fn as_slice(&self) -> &[&'a [u8]] {
        if self.len <= INLINE {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }
}

impl fmt::Display for Segments<'_> {
    /// The normalized path, as text (invalid UTF-8 replaced).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in self.as_slice() {
            write!(f, "/{}", String::from_utf8_lossy(segment))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgi::{percent_decode, uri_path};

    fn normalized(path: &str) -> String {
        Segments::normalize(path.as_bytes()).to_string()
    }

    #[test]
    fn normalizes_like_the_web_servers() {
        // What nginx, lighttpd and Apache made of these in SCRIPT_NAME or
        // PATH_INFO (tests/web_routing.rs checks it against them).
        assert_eq!(normalized("/x/../items/../y"), "/y");
        assert_eq!(normalized("//items//1/"), "/items/1/");
        assert_eq!(normalized("/"), "/");
        assert_eq!(normalized(""), "/");
        assert_eq!(normalized("/a/.."), "/");
        assert_eq!(normalized("/a/b/."), "/a/b/");
        assert_eq!(normalized("/../../etc/passwd"), "/etc/passwd");
        assert_eq!(normalized("/a/./b"), "/a/b");
        assert_eq!(normalized("/a..b/.c"), "/a..b/.c");
    }

    #[test]
    fn deep_paths_spill_to_the_heap_and_back() {
        let deep: String = (0..40).map(|i| format!("/s{i}")).collect();
        let segments = Segments::normalize(deep.as_bytes());
        assert_eq!(segments.as_slice().len(), 40);
        assert_eq!(segments.to_string(), deep);
        let up = format!("{deep}{}", "/..".repeat(30));
        assert_eq!(normalized(&up), "/s0/s1/s2/s3/s4/s5/s6/s7/s8/s9/");
        let all_up = format!("{deep}{}", "/..".repeat(45));
        assert_eq!(normalized(&all_up), "/");
    }

    #[test]
    fn request_uri_path_is_decoded_before_normalizing() {
        let decode = |uri: &str| {
            let path = percent_decode(uri_path(uri.as_bytes())).into_owned();
            Segments::normalize(&path).to_string()
        };
        assert_eq!(decode("/items/a%20b/c%2Fd?x=1"), "/items/a b/c/d");
        assert_eq!(decode("/x/../items/%2e%2e/y"), "/y");
        assert_eq!(decode("/files/a%25b#frag"), "/files/a%b");
        assert_eq!(decode("http://example.com/a/b?q"), "/a/b");
        assert_eq!(decode("http://example.com"), "/");
        assert_eq!(decode("/bad%zz%4"), "/bad%zz%4");
    }
}
