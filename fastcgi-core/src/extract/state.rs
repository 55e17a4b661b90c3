//! `State<T>`: application state shared by every request.

use std::ops::Deref;

use super::FromRequestParts;
use crate::request::RequestParts;
use crate::response::{IntoResponse, Response, internal_error};

/// Application state registered with `Server::with_state(value)`
/// (simple-fastcgi's `server` member): database pools, configuration,
/// counters. Each request gets a clone, so wrap large or mutable state in
/// an `Arc`.
/// A value for one request (what a middleware inserted) is not state: take
/// it from [`RequestParts::extensions`], or with the `tower` feature as an
/// `Extension<T>`.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use fastcgi::extract::State;
///
/// #[derive(Clone, Default)]
/// struct Counter(Arc<AtomicU64>);
///
/// async fn hits(State(counter): State<Counter>) -> String {
///     counter.0.fetch_add(1, Ordering::Relaxed).to_string()
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct State<T>(pub T);

impl<T> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone + Send + Sync + 'static> FromRequestParts for State<T> {
    type Rejection = MissingState;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, MissingState> {
        parts.state::<T>().cloned().map(State).ok_or(MissingState {
            type_name: std::any::type_name::<T>(),
        })
    }
}

/// A `State<T>` whose `T` was never registered: answered with 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no application state of type `{type_name}`: register it with `Server::with_state(value)` before serving"
)]
pub struct MissingState {
    type_name: &'static str,
}

impl IntoResponse for MissingState {
    fn into_response(self) -> Response {
        internal_error(&self)
    }
}
