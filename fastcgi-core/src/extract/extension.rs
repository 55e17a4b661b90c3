//! Values middleware passes to handlers: [`Extension<T>`], and the peer's
//! address, [`RemoteAddr`].

use std::net::SocketAddr;
use std::ops::Deref;

use super::FromRequestParts;
use crate::request::RequestParts;
use crate::response::{IntoResponse, Response, internal_error};

/// A value a middleware put in the request's extensions (the
/// authenticated user, a request id...), taken by a handler behind it:
/// from [`RequestParts::extensions`]. Application state registered with
/// `Server::with_state` is found here too, when the request has no value
/// of that type of its own.
///
/// ```
/// use fastcgi::tower::Extension;
///
/// #[derive(Clone)]
/// struct User(String);
///
/// // Behind a layer that inserts a `User` into the request's extensions.
/// async fn whoami(Extension(user): Extension<User>) -> String {
///     user.0
/// }
/// ```
///
/// When no layer inserted a `T`, the request is answered 500 and the
/// reason goes to FCGI_STDERR: the code is at fault, not the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extension<T>(pub T);

impl<T> Deref for Extension<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone + Send + Sync + 'static> FromRequestParts for Extension<T> {
    type Rejection = MissingExtension;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, MissingExtension> {
        // This request's own value wins over the application's: a layer
        // may stand in for the state (a per-request database handle).
        parts
            .extensions()
            .get::<T>()
            .or_else(|| parts.state::<T>())
            .cloned()
            .map(Extension)
            .ok_or(MissingExtension {
                type_name: std::any::type_name::<T>(),
            })
    }
}

/// An [`Extension<T>`] that no middleware inserted: answered with 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no request extension of type `{type_name}`: add the layer that inserts it in front of this route (`Router::layer`), or register it with `Server::with_state`"
)]
pub struct MissingExtension {
    type_name: &'static str,
}

impl IntoResponse for MissingExtension {
    fn into_response(self) -> Response {
        internal_error(&self)
    }
}

/// The web server's client, from `REMOTE_ADDR` and `REMOTE_PORT` (port 0
/// when not sent): in the extensions of every request
/// [`from_service`](crate::tower::from_service) passes on, where axum's
/// `Extension<RemoteAddr>` takes it (it stands in for `ConnectInfo`, since
/// the connection is the web server's, not the client's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RemoteAddr(pub SocketAddr);

impl std::fmt::Display for RemoteAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Deref for RemoteAddr {
    type Target = SocketAddr;

    fn deref(&self) -> &SocketAddr {
        &self.0
    }
}
