//! What comes back for a request: raw events as they arrive, the parsed
//! head, and the whole [`ClientResponse`].

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

pub use crate::cgi::ResponseHead;
use crate::protocol::ProtocolStatus;

/// The `FCGI_END_REQUEST` of a request: how the application finished it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndRequest {
    /// The application's exit status (0 from this crate's server).
    pub app_status: u32,
    /// How the request ended at the protocol level.
    pub protocol_status: ProtocolStatus,
}

/// One thing the application sent for a request, in arrival order.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), fastcgi::client::ClientError> {
/// use fastcgi::client::ResponseEvent;
/// use fastcgi::handler::from_fn;
/// use fastcgi::protocol::ProtocolStatus;
/// use fastcgi::testing::TestClient;
///
/// let client = TestClient::new(from_fn(|_| async { "hi" }));
/// let mut stream = client.get("/").start().await?;
/// let mut stdout = Vec::new();
/// while let Some(event) = stream.next_event().await? {
///     match event {
///         ResponseEvent::Stdout(bytes) => stdout.extend_from_slice(&bytes),
///         ResponseEvent::Stderr(bytes) => eprintln!("app: {}", String::from_utf8_lossy(&bytes)),
///         ResponseEvent::End(end) => assert_eq!(end.protocol_status, ProtocolStatus::RequestComplete),
///     }
/// }
/// // Raw FCGI_STDOUT: the CGI header block, then the body.
/// assert!(stdout.starts_with(b"Status: 200 OK\r\n"));
/// assert!(stdout.ends_with(b"\r\n\r\nhi"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseEvent {
    /// A piece of `FCGI_STDOUT` (never empty: end-of-stream records are
    /// not reported).
    Stdout(Bytes),
    /// A piece of `FCGI_STDERR` (never empty).
    Stderr(Bytes),
    /// `FCGI_END_REQUEST`: the request is over; nothing follows.
    End(EndRequest),
}

/// A whole response: the parsed CGI head, the body, the separate
/// `FCGI_STDERR` output, and the `FCGI_END_REQUEST` statuses.
///
/// ```
/// # async fn run() -> Result<(), fastcgi::client::ClientError> {
/// use fastcgi::handler::from_fn;
/// use fastcgi::testing::TestClient;
///
/// let client = TestClient::new(from_fn(|_| async { "hello" }));
/// let response = client.get("/").send().await?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.header("content-type"), Some("text/plain; charset=utf-8"));
/// assert_eq!(response.text(), "hello");
/// assert_eq!(response.stderr_text(), "");
/// assert_eq!(response.app_status(), 0);
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run()).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientResponse {
    pub(crate) request_id: u16,
    pub(crate) head: ResponseHead,
    pub(crate) body: Bytes,
    pub(crate) stderr: Bytes,
    pub(crate) end: EndRequest,
}

impl ClientResponse {
    /// The status (see [`ResponseHead::status`]). `http::StatusCode`
    /// compares with integers: `assert_eq!(response.status(), 404)`.
    pub fn status(&self) -> StatusCode {
        self.head.status
    }

    /// The response headers (names lower-cased; no CGI `Status`).
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The first value of header `name`, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    }

    /// The parsed head.
    pub fn head(&self) -> &ResponseHead {
        &self.head
    }

    /// For a CGI local redirect, the path the web server would serve
    /// instead (see [`ResponseHead::local_redirect`]).
    pub fn local_redirect(&self) -> Option<&str> {
        self.head.local_redirect()
    }

    /// The body: `FCGI_STDOUT` after the header block.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced by U+FFFD).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    ///
    /// When the body is not JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// Everything the application wrote on `FCGI_STDERR` (what a web server
    /// puts in its error log).
    pub fn stderr(&self) -> &Bytes {
        &self.stderr
    }

    /// [`stderr`](Self::stderr) as text (invalid UTF-8 replaced by U+FFFD).
    pub fn stderr_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.stderr)
    }

    /// The application status of `FCGI_END_REQUEST`.
    pub fn app_status(&self) -> u32 {
        self.end.app_status
    }

    /// The protocol status of `FCGI_END_REQUEST` (a response that has a
    /// CGI document normally ends with `RequestComplete`; refusals without
    /// output are reported as [`ClientError::Rejected`](super::ClientError::Rejected)).
    pub fn protocol_status(&self) -> ProtocolStatus {
        self.end.protocol_status
    }

    /// The whole `FCGI_END_REQUEST`.
    pub fn end_request(&self) -> EndRequest {
        self.end
    }

    /// The request id the response came on.
    pub fn request_id(&self) -> u16 {
        self.request_id
    }

    /// The body, consuming the response.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// An HTTP response with this status, headers and body: what a web
    /// server would send on. A local redirect keeps its `Location` and
    /// status 200; the web server would serve that path instead.
    pub fn into_http(self) -> http::Response<Bytes> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = self.head.status;
        *response.headers_mut() = self.head.headers;
        response
    }
}
