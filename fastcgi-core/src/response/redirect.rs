//! Redirects, as CGI defines them (RFC 3875 §6.2.2–6.2.4).

use http::{HeaderValue, StatusCode, header};

use super::{IntoResponse, Response, ResponseBody};
use crate::cgi::LocalRedirect;

/// A redirect.
///
/// - [`Redirect::to`] with a local path (`/next`) is a CGI *local
///   redirect*: only `Location` is sent and the web server serves that path
///   itself, the client never sees a redirect. With an absolute URL it is a
///   *client redirect* with status 302.
/// - [`Redirect::permanent`] (308), [`Redirect::temporary`] (307),
///   [`Redirect::see_other`] (303), [`Redirect::found`] (302) and
///   [`Redirect::moved_permanently`] (301) always send a client redirect
///   with that status, for a path or a URL.
///
/// What web servers make of a local redirect varies, as the end-to-end
/// tests record: nginx (1.22) and lighttpd (1.4) send the client a 302 to
/// the path; Apache's mod_proxy_fcgi (2.4) sends 200 with an empty body.
/// When the *client* should go to a path, use [`Redirect::found`] or
/// [`Redirect::see_other`], which work the same behind every server.
///
/// A target containing CR, LF, NUL or other control characters is refused
/// (it would let a client split the response): the `try_*` constructors
/// return [`InvalidRedirect`], the others turn into a 500 response with the
/// reason on FCGI_STDERR.
///
/// ```
/// use fastcgi::response::{IntoResponse, Redirect};
/// let client = Redirect::to("https://example.com/").into_response();
/// assert_eq!(client.status(), 302);
/// assert_eq!(client.headers()["location"], "https://example.com/");
/// assert!(Redirect::try_to("/a\r\nSet-Cookie: x=1").is_err());
/// ```
#[derive(Debug)]
#[must_use = "a redirect does nothing until it is returned from a handler"]
pub struct Redirect {
    target: Result<HeaderValue, InvalidRedirect>,
    kind: Kind,
    /// Content type and body of a client redirect's document.
    body: Option<(&'static str, ResponseBody)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Local for a path, 302 for a URL.
    Auto,
    Client(StatusCode),
}

/// A redirect target that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid redirect target {target:?}: it must be a path or URL without control characters (CR, LF, NUL...), and not empty"
)]
pub struct InvalidRedirect {
    target: String,
}

fn check(target: &str) -> Result<HeaderValue, InvalidRedirect> {
    let invalid = || InvalidRedirect {
        target: target.to_owned(),
    };
    if target.is_empty() || target.bytes().any(|b| b.is_ascii_control()) {
        return Err(invalid());
    }
    HeaderValue::from_str(target).map_err(|_| invalid())
}

impl Redirect {
    fn new(target: &str, kind: Kind) -> Self {
        Self {
            target: check(target),
            kind,
            body: None,
        }
    }

    /// A local redirect for a path starting with `/` (not `//`), a 302
    /// client redirect otherwise.
    pub fn to(target: &str) -> Self {
        Self::new(target, Kind::Auto)
    }

    /// Like [`to`](Self::to), but reports an invalid target now.
    pub fn try_to(target: &str) -> Result<Self, InvalidRedirect> {
        let redirect = Self::to(target);
        redirect.target.clone().map(|_| redirect)
    }

    /// A client redirect with status 301 Moved Permanently.
    pub fn moved_permanently(target: &str) -> Self {
        Self::new(target, Kind::Client(StatusCode::MOVED_PERMANENTLY))
    }

    /// A client redirect with status 302 Found, even for a local path.
    pub fn found(target: &str) -> Self {
        Self::new(target, Kind::Client(StatusCode::FOUND))
    }

    /// A client redirect with status 303 See Other (after a POST).
    pub fn see_other(target: &str) -> Self {
        Self::new(target, Kind::Client(StatusCode::SEE_OTHER))
    }

    /// A client redirect with status 307 Temporary Redirect.
    pub fn temporary(target: &str) -> Self {
        Self::new(target, Kind::Client(StatusCode::TEMPORARY_REDIRECT))
    }

    /// A client redirect with status 308 Permanent Redirect.
    pub fn permanent(target: &str) -> Self {
        Self::new(target, Kind::Client(StatusCode::PERMANENT_REDIRECT))
    }

    /// A client redirect with a document (RFC 3875 §6.2.4), e.g. a short
    /// HTML page with a link for clients that do not follow redirects.
    /// A local redirect cannot carry a body, so this makes it a 302.
    pub fn with_body(mut self, content_type: &'static str, body: impl Into<ResponseBody>) -> Self {
        if self.kind == Kind::Auto {
            self.kind = Kind::Client(StatusCode::FOUND);
        }
        self.body = Some((content_type, body.into()));
        self
    }

    /// Whether this is a local redirect (served by the web server itself).
    pub fn is_local(&self) -> bool {
        self.kind == Kind::Auto && matches!(&self.target, Ok(t) if is_local_path(t.as_bytes()))
    }
}

fn is_local_path(target: &[u8]) -> bool {
    target.first() == Some(&b'/') && target.get(1) != Some(&b'/')
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        let local = self.is_local();
        let target = match self.target {
            Ok(target) => target,
            Err(err) => return super::internal_error(&err),
        };
        let mut response = Response::new(ResponseBody::empty());
        if let Some((content_type, body)) = self.body {
            *response.body_mut() = body;
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        response.headers_mut().insert(header::LOCATION, target);
        if local {
            response.extensions_mut().insert(LocalRedirect);
        } else {
            *response.status_mut() = match self.kind {
                Kind::Client(status) => status,
                Kind::Auto => StatusCode::FOUND,
            };
        }
        response
    }
}
