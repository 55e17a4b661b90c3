//! Cookie jars (feature `cookies`, on the `cookie` crate): the request's
//! cookies in, `Set-Cookie` for what the handler changed out; signed and
//! private jars under a [`Key`] registered as application state.

use std::convert::Infallible;

use cookie::{Cookie, Key};
use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderValue};

use super::FromRequestParts;
use crate::request::RequestParts;
use crate::response::{IntoResponse, InvalidHeader, Response, ResponseHeaders, internal_error};

/// The request's cookies (`HTTP_COOKIE`), and the changes to send back.
///
/// Return it with the response (`(jar, body)`) so that what was added or
/// removed goes out as `Set-Cookie` headers.
///
/// ```
/// use fastcgi::extract::CookieJar;
/// use fastcgi::extract::cookie::Cookie;
/// use fastcgi::prelude::*;
///
/// #[fcgi_handler]
/// async fn visit(jar: CookieJar) -> (CookieJar, String) {
///     let visits: u32 = jar.get("visits").and_then(|c| c.value().parse().ok()).unwrap_or(0);
///     let jar = jar.add(Cookie::new("visits", (visits + 1).to_string()));
///     (jar, format!("visit {}", visits + 1))
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    jar: cookie::CookieJar,
}

/// The cookies the request sent: `name=value` pairs separated by `;`.
fn request_jar(parts: &RequestParts) -> cookie::CookieJar {
    let mut jar = cookie::CookieJar::new();
    if let Some(header) = parts.environ().get("HTTP_COOKIE") {
        for cookie in Cookie::split_parse_encoded(header.to_owned()).flatten() {
            jar.add_original(cookie);
        }
    }
    jar
}

impl FromRequestParts for CookieJar {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, Infallible> {
        Ok(CookieJar {
            jar: request_jar(parts),
        })
    }
}

impl CookieJar {
    /// The cookie named `name`.
    pub fn get(&self, name: &str) -> Option<&Cookie<'static>> {
        self.jar.get(name)
    }

    /// Adds (or replaces) a cookie: sent as `Set-Cookie`.
    // `add` as in the cookie crate and axum-extra, not `std::ops::Add`.
    #[allow(clippy::should_implement_trait)]
    #[must_use = "the jar with the cookie must be returned with the response"]
    pub fn add(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        self.jar.add(cookie);
        self
    }

    /// Removes a cookie: sent as an expired `Set-Cookie`.
    #[must_use = "the jar without the cookie must be returned with the response"]
    pub fn remove(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        self.jar.remove(cookie);
        self
    }

    /// Every cookie, as sent and as changed.
    pub fn iter(&self) -> impl Iterator<Item = &Cookie<'static>> {
        self.jar.iter()
    }
}

/// `Set-Cookie` for every change of `jar`.
fn apply_delta(jar: &cookie::CookieJar, headers: &mut HeaderMap) -> Result<(), InvalidHeader> {
    for cookie in jar.delta() {
        let value = HeaderValue::from_str(&cookie.encoded().to_string())
            .map_err(|_| InvalidHeader::new(SET_COOKIE.as_str()))?;
        headers.append(SET_COOKIE, value);
    }
    Ok(())
}

impl ResponseHeaders for CookieJar {
    fn apply(self, headers: &mut HeaderMap) -> Result<(), InvalidHeader> {
        apply_delta(&self.jar, headers)
    }
}

impl IntoResponse for CookieJar {
    fn into_response(self) -> Response {
        (self, ()).into_response()
    }
}

/// The request has no key for a signed or private jar: the application's
/// mistake, 500, saying how to register one.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "a SignedCookieJar or PrivateCookieJar needs a `fastcgi::extract::cookie::Key`: register one with `Server::with_state(Key::from(secret))` (a secret of at least 64 bytes, the same on every process)"
)]
pub struct MissingCookieKey;

impl IntoResponse for MissingCookieKey {
    fn into_response(self) -> Response {
        internal_error(&self)
    }
}

fn key(parts: &RequestParts) -> Result<Key, MissingCookieKey> {
    parts.state::<Key>().cloned().ok_or(MissingCookieKey)
}

macro_rules! keyed_jar {
    ($(#[$doc:meta])* $name:ident, $view:ident, $view_mut:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            jar: cookie::CookieJar,
            key: Key,
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // Never the key.
                f.debug_struct(stringify!($name)).field("jar", &self.jar).finish()
            }
        }

        impl FromRequestParts for $name {
            type Rejection = MissingCookieKey;

            async fn from_request_parts(parts: &RequestParts) -> Result<Self, MissingCookieKey> {
                Ok($name {
                    jar: request_jar(parts),
                    key: key(parts)?,
                })
            }
        }

        impl $name {
            /// The cookie named `name`, if it is present and authentic
            /// (its value as the application set it).
            pub fn get(&self, name: &str) -> Option<Cookie<'static>> {
                self.jar.$view(&self.key).get(name)
            }

            /// Adds (or replaces) a cookie: sent as `Set-Cookie`.
            #[allow(clippy::should_implement_trait)]
            #[must_use = "the jar with the cookie must be returned with the response"]
            pub fn add(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
                self.jar.$view_mut(&self.key).add(cookie);
                self
            }

            /// Removes a cookie: sent as an expired `Set-Cookie`.
            #[must_use = "the jar without the cookie must be returned with the response"]
            pub fn remove(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
                self.jar.$view_mut(&self.key).remove(cookie);
                self
            }
        }

        impl ResponseHeaders for $name {
            fn apply(self, headers: &mut HeaderMap) -> Result<(), InvalidHeader> {
                apply_delta(&self.jar, headers)
            }
        }

        impl IntoResponse for $name {
            fn into_response(self) -> Response {
                (self, ()).into_response()
            }
        }
    };
}

keyed_jar!(
    /// Cookies signed with the application's [`Key`]: the client can read
    /// them but not forge them; a cookie whose signature does not verify
    /// is not there. Register the key with `Server::with_state(key)`.
    ///
    /// ```
    /// use fastcgi::extract::SignedCookieJar;
    /// use fastcgi::extract::cookie::Cookie;
    /// use fastcgi::prelude::*;
    ///
    /// #[fcgi_handler]
    /// async fn login(jar: SignedCookieJar) -> (SignedCookieJar, &'static str) {
    ///     (jar.add(Cookie::new("user", "ann")), "welcome")
    /// }
    /// ```
    SignedCookieJar,
    signed,
    signed_mut
);

keyed_jar!(
    /// Cookies encrypted with the application's [`Key`]: the client can
    /// neither read nor forge them. Register the key with
    /// `Server::with_state(key)`.
    PrivateCookieJar,
    private,
    private_mut
);
