//! Why a body could not be taken, keeping the cause: what the buffering
//! extractors (`Bytes`, `Text`, `Json`, `Form`) and the stream extractors
//! (`Body`, `ResponseWriter`) reject with.

use std::fmt;

use http::StatusCode;

use super::BodyLimit;
use super::limit::human_size;
use crate::request::BodyError;
use crate::response::{IntoResponse, Response, internal_error};

/// Why the body could not be read whole.
#[derive(Debug)]
#[non_exhaustive]
pub enum BodyRejection {
    /// Larger than the limit in force ([`BodyLimit`]): 413, naming the
    /// limit and where the application sets it.
    TooLarge {
        /// The limit in force.
        limit: BodyLimit,
    },
    /// The web server aborted the request before the body ended (usually
    /// the client went away): 400.
    Aborted,
    /// No more of the body arrived within the server's body timeout: 408.
    TimedOut {
        /// The body timeout in force.
        timeout: std::time::Duration,
    },
    /// Another argument took the body already: 500 (a handler takes at most
    /// one, which `#[fcgi_handler]` checks at compile time).
    AlreadyTaken,
    /// Reading the body failed otherwise: 500, with the cause.
    Read(BodyError),
}

impl BodyRejection {
    pub(crate) fn from_body_error(err: BodyError, limit: BodyLimit) -> Self {
        match err {
            BodyError::TooLarge { .. } => BodyRejection::TooLarge { limit },
            BodyError::Aborted => BodyRejection::Aborted,
            BodyError::TimedOut { timeout } => BodyRejection::TimedOut { timeout },
            BodyError::AlreadyTaken => BodyRejection::AlreadyTaken,
            // Any other way a read fails (`BodyError` grows) keeps its cause.
            #[allow(unreachable_patterns)]
            other => BodyRejection::Read(other),
        }
    }

    /// The status this rejection answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            BodyRejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyRejection::Aborted => StatusCode::BAD_REQUEST,
            BodyRejection::TimedOut { .. } => StatusCode::REQUEST_TIMEOUT,
            BodyRejection::AlreadyTaken | BodyRejection::Read(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl fmt::Display for BodyRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyRejection::TooLarge { limit } => match limit.bytes() {
                Some(bytes) if bytes < 1024 => write!(
                    f,
                    "the request body is larger than the limit of {bytes} bytes, {}",
                    limit.advice()
                ),
                Some(bytes) => write!(
                    f,
                    "the request body is larger than the limit of {} ({bytes} bytes), {}",
                    human_size(bytes),
                    limit.advice()
                ),
                // Only a body over `usize::MAX`, which no buffer holds.
                None => f.write_str("the request body is too large to hold in memory"),
            },
            BodyRejection::Aborted => f.write_str(
                "the request was aborted before its body ended (the web server sent FCGI_ABORT_REQUEST or closed the connection, usually because the client went away)",
            ),
            BodyRejection::TimedOut { timeout } => write!(
                f,
                "no more of the request body arrived for {timeout:?}, the server's body timeout"
            ),
            BodyRejection::AlreadyTaken => f.write_str(
                "the request body was already taken by another argument: a handler reads the body once, in its last argument",
            ),
            BodyRejection::Read(err) => write!(f, "could not read the request body: {err}"),
        }
    }
}

impl std::error::Error for BodyRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BodyRejection::Read(err) => Some(err),
            _ => None,
        }
    }
}

impl IntoResponse for BodyRejection {
    fn into_response(self) -> Response {
        match self.status() {
            StatusCode::INTERNAL_SERVER_ERROR => internal_error(&self),
            status => (status, format!("{}: {self}\n", reason(status))).into_response(),
        }
    }
}

/// A stream of the request (its body, its response writer) that another
/// argument took already: 500, since it is the handler's own mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlreadyTaken {
    what: &'static str,
}

impl AlreadyTaken {
    pub(crate) fn new(what: &'static str) -> Self {
        Self { what }
    }

    /// What was taken: `"body"`, `"response writer"`.
    pub fn what(&self) -> &'static str {
        self.what
    }
}

impl fmt::Display for AlreadyTaken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the request's {} was already taken by another handler argument: only one argument can take it",
            self.what
        )
    }
}

impl std::error::Error for AlreadyTaken {}

impl IntoResponse for AlreadyTaken {
    fn into_response(self) -> Response {
        internal_error(&self)
    }
}

/// The reason phrase that starts a rejection's text body.
pub(crate) fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}
