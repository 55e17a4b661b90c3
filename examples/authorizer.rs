//! The Authorizer role: the web server asks the app whether a request may
//! proceed. 200 allows it, and each `Variable-NAME` header becomes a
//! variable the web server passes on (lighttpd and Apache's
//! mod_authnz_fcgi set them in the environment of the real handler); any
//! other status denies the request and is sent to the client.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --example authorizer
//! ```

use fastcgi::prelude::*;

/// Allows requests carrying `Authorization: Bearer letmein`.
#[fcgi_handler]
async fn authorizer(http_authorization: Option<String>) -> Response {
    match http_authorization.as_deref() {
        Some("Bearer letmein") => (
            StatusCode::OK,
            [
                ("Variable-AUTH_USER", "alice"),
                ("Variable-AUTH_ROLE", "admin"),
            ],
            (),
        )
            .into_response(),
        _ => (
            StatusCode::UNAUTHORIZED,
            [("WWW-Authenticate", "Bearer")],
            "Unauthorized\n",
        )
            .into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    Server::from_env()?.serve(authorizer).await
}
