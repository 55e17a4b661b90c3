//! Which path of a request the router matches, and that path cut into
//! segments the way the web servers normalize it.

use std::borrow::Cow;
use std::fmt;

use crate::cgi::{percent_decode, uri_path};
use crate::request::Environ;

/// Which path of a request the [`Router`](super::Router) matches its routes
/// against. Web servers split the path they pass differently, so the choice
/// is explicit; set it with [`Router::path_source`](super::Router::path_source).
///
/// Whatever the source, the router then normalizes the path as nginx,
/// lighttpd and Apache do: percent-decoded, `.` and `..` segments resolved
/// (encoded ones too), repeated slashes merged; a trailing slash is kept.
///
/// What the three servers send for `GET /items/a%20b?x=1`, configured as
/// in `examples/deploy/` (every path to the app):
///
/// | | `SCRIPT_NAME` | `PATH_INFO` | `REQUEST_URI` |
/// |---|---|---|---|
/// | nginx (`fastcgi_params`) | `/items/a b` | not sent | `/items/a%20b?x=1` |
/// | lighttpd (`fix-root-scriptname`) | empty | `/items/a b` | `/items/a%20b?x=1` |
/// | Apache (`mod_proxy_fcgi`) | `/items/a b` | not sent | `/items/a%20b?x=1` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PathSource {
    /// `SCRIPT_NAME` followed by `PATH_INFO`, either of which may be absent
    /// or empty (the default).
    ///
    /// This is the path the web server itself resolved, decoded and
    /// normalized, and matched its own `location`s and access rules
    /// against, so the app's routes never disagree with them. It follows
    /// the web server's internal rewrites (nginx `rewrite ... last`,
    /// `try_files`), and it is the whole path however the server splits
    /// it: nginx and Apache put it all in `SCRIPT_NAME`, lighttpd with
    /// `fix-root-scriptname` all in `PATH_INFO`, a server that splits at a
    /// script name (`/app.fcgi/items/3`) across both.
    ///
    /// Not for IIS, which repeats the path in both; use
    /// [`RequestUri`](Self::RequestUri) there.
    #[default]
    ScriptNameAndPathInfo,
    /// The path part of `REQUEST_URI`: the path exactly as the client sent
    /// it, before any rewrite, then percent-decoded and normalized like
    /// the others.
    ///
    /// Every server sends it with the same value, however it splits
    /// `SCRIPT_NAME`; but it does not follow the web server's internal
    /// rewrites: behind `rewrite ^/old/(.*)$ /new/$1 last;` the app still
    /// sees `/old/...`.
    RequestUri,
    /// `PATH_INFO` alone: for an app mounted under a script name
    /// (`SCRIPT_NAME=/app.fcgi`, `PATH_INFO=/items/3`), or under a prefix
    /// lighttpd puts in `SCRIPT_NAME`. An absent or empty `PATH_INFO` is
    /// `/`.
    PathInfo,
    /// Another meta-variable that holds a decoded path, such as nginx's
    /// `DOCUMENT_URI` or one the web server's configuration sets.
    Param(&'static str),
}

impl PathSource {
    /// The path this source names in `environ`, percent-decoded, before
    /// normalization.
    pub(crate) fn path<'a>(self, environ: &'a Environ) -> Result<Cow<'a, [u8]>, MissingPath> {
        match self {
            PathSource::ScriptNameAndPathInfo => {
                // One pass over the params for both (PATH_INFO is usually
                // absent, so a look-up of its own would read them all).
                let (mut script, mut info) = (None, None);
                for (name, value) in environ.iter() {
                    match name {
                        b"SCRIPT_NAME" if script.is_none() => script = Some(value),
                        b"PATH_INFO" if info.is_none() => info = Some(value),
                        _ => {}
                    }
                }
                match (script, info) {
                    (None, None) => Err(MissingPath(self)),
                    (Some(one), None | Some(b"")) | (None | Some(b""), Some(one)) => {
                        Ok(Cow::Borrowed(one))
                    }
                    (Some(script), Some(info)) => Ok(Cow::Owned([script, info].concat())),
                }
            }
            PathSource::RequestUri => {
                let uri = environ.get_bytes("REQUEST_URI").ok_or(MissingPath(self))?;
                Ok(percent_decode(uri_path(uri)))
            }
            PathSource::PathInfo => match environ.get_bytes("PATH_INFO") {
                None | Some(b"") => Ok(Cow::Borrowed(b"/")),
                Some(info) => Ok(Cow::Borrowed(info)),
            },
            PathSource::Param(name) => environ
                .get_bytes(name)
                .map(Cow::Borrowed)
                .ok_or(MissingPath(self)),
        }
    }
}

/// The web server did not send the meta-variable(s) a [`PathSource`]
/// reads: a configuration problem, answered with 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MissingPath(pub(crate) PathSource);

impl fmt::Display for MissingPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            PathSource::ScriptNameAndPathInfo => f.write_str(
                "the router cannot route this request: the web server sent neither SCRIPT_NAME nor PATH_INFO; add `fastcgi_param SCRIPT_NAME $fastcgi_script_name;` to nginx's configuration (`include fastcgi_params;` has it), or route on REQUEST_URI with `Router::path_source(PathSource::RequestUri)`",
            ),
            PathSource::RequestUri => f.write_str(
                "the router cannot route this request: the web server sent no REQUEST_URI; add `fastcgi_param REQUEST_URI $request_uri;` to nginx's configuration, or route on SCRIPT_NAME and PATH_INFO with `Router::path_source(PathSource::ScriptNameAndPathInfo)`",
            ),
            PathSource::PathInfo => f.write_str("PATH_INFO is always available"),
            PathSource::Param(name) => write!(
                f,
                "the router cannot route this request: it routes on {name} (`Router::path_source`), which the web server did not send; add it to the web server's FastCGI params or choose another PathSource"
            ),
        }
    }
}

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

    #[test]
    fn sources_read_their_variables() {
        let environ: Environ = [
            ("SCRIPT_NAME", "/app.fcgi"),
            ("PATH_INFO", "/items/3"),
            ("REQUEST_URI", "/app.fcgi/items/%33?x"),
            ("DOCUMENT_URI", "/doc"),
        ]
        .into_iter()
        .collect();
        let path = |source: PathSource| source.path(&environ).map(|p| p.into_owned());
        assert_eq!(
            path(PathSource::ScriptNameAndPathInfo).unwrap(),
            b"/app.fcgi/items/3"
        );
        assert_eq!(path(PathSource::RequestUri).unwrap(), b"/app.fcgi/items/3");
        assert_eq!(path(PathSource::PathInfo).unwrap(), b"/items/3");
        assert_eq!(path(PathSource::Param("DOCUMENT_URI")).unwrap(), b"/doc");
        assert!(path(PathSource::Param("NOPE")).is_err());

        let lighttpd: Environ = [("SCRIPT_NAME", ""), ("PATH_INFO", "/a")]
            .into_iter()
            .collect();
        assert_eq!(
            PathSource::ScriptNameAndPathInfo.path(&lighttpd).unwrap(),
            &b"/a"[..]
        );
        let empty = Environ::default();
        let err = PathSource::ScriptNameAndPathInfo.path(&empty).unwrap_err();
        assert!(err.to_string().contains("PathSource::RequestUri"));
        assert_eq!(PathSource::PathInfo.path(&empty).unwrap(), &b"/"[..]);
    }
}
