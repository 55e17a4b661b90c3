//! `BodyLimit`: how large a body the buffering extractors (`Bytes`,
//! `Text`, `Json`, `Form`) read whole, and who set it, so that a 413 can
//! say where to change it.

use crate::request::RequestParts;

/// The limit on a body that an extractor buffers whole (`Bytes`,
/// `Vec<u8>`, `Text`, `Json`, `Form`): larger bodies get 413 without the
/// handler running. A [`Body`](crate::request::Body) argument streams the
/// body and is not limited.
///
/// It is [`DEFAULT_BODY_LIMIT`](super::DEFAULT_BODY_LIMIT) (2 MiB) unless
/// set, from the widest to the narrowest (the narrowest wins):
///
/// - for the whole server: `Server::body_limit(BodyLimit::max(..))`;
/// - for a router's routes: [`Router::body_limit`](crate::routing::Router::body_limit);
/// - for one route or method: [`MethodRouter::body_limit`](crate::routing::MethodRouter::body_limit).
///
/// [`BodyLimit::unlimited`] lifts the limit, for uploads the handler
/// trusts (or buffers with its own bound).
///
/// ```
/// use fastcgi::extract::{BodyLimit, Json};
/// use fastcgi::handler::from_fn;
/// use fastcgi::routing::{Router, post};
///
/// let app = Router::new()
///     .route("/notes", post(from_fn(|_| async { "small JSON" })))
///     .route(
///         "/upload",
///         post(from_fn(|_| async { "large" })).body_limit(BodyLimit::max(64 * 1024 * 1024)),
///     );
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit {
    bytes: Option<usize>,
    set_by: SetBy,
}

/// Where the limit in force was set: what a 413 tells to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetBy {
    Default,
    Server,
    Route,
}

/// The server-wide limit, stored with the application state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerBodyLimit(pub(crate) BodyLimit);

/// A route's limit, stored in the request's extensions on the way to the
/// handler.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RouteBodyLimit(pub(crate) BodyLimit);

impl BodyLimit {
    /// At most `bytes` bytes.
    pub const fn max(bytes: usize) -> Self {
        Self {
            bytes: Some(bytes),
            set_by: SetBy::Default,
        }
    }

    /// No limit: the extractors buffer whatever arrives.
    pub const fn unlimited() -> Self {
        Self {
            bytes: None,
            set_by: SetBy::Default,
        }
    }

    /// The limit in bytes; `None` when unlimited.
    pub const fn bytes(&self) -> Option<usize> {
        self.bytes
    }

    /// The limit in force for a request: its route's, else the server's,
    /// else [`DEFAULT_BODY_LIMIT`](super::DEFAULT_BODY_LIMIT).
    pub fn in_force(parts: &RequestParts) -> Self {
        if let Some(RouteBodyLimit(limit)) = parts.extensions().get::<RouteBodyLimit>() {
            return Self {
                set_by: SetBy::Route,
                ..*limit
            };
        }
        if let Some(ServerBodyLimit(limit)) = parts.state::<ServerBodyLimit>() {
            return Self {
                set_by: SetBy::Server,
                ..*limit
            };
        }
        Self::max(super::DEFAULT_BODY_LIMIT)
    }

    /// How to change this limit, for the 413's message.
    pub(crate) fn advice(&self) -> &'static str {
        match self.set_by {
            SetBy::Default => {
                "fastcgi-rs's default; the application raises it with `Server::body_limit`, or for some routes with `body_limit` on their `Router` or `MethodRouter`"
            }
            SetBy::Server => {
                "set by the application with `Server::body_limit`; raise it there, or for some routes with `body_limit` on their `Router` or `MethodRouter`"
            }
            SetBy::Route => {
                "set by the application for this route with `body_limit` on its `Router` or `MethodRouter`; raise it there"
            }
        }
    }
}

/// `bytes` for people: `2 MiB`, `1.5 KiB`, `100 bytes`.
pub(crate) fn human_size(bytes: usize) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(100), "100 bytes");
        assert_eq!(human_size(2 * 1024 * 1024), "2 MiB");
        assert_eq!(human_size(1536), "1.5 KiB");
    }
}
