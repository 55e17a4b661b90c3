//! The fn's own attributes survive the expansion, and the expansion adds no
//! warning of its own (this file denies them all).

#![deny(warnings, missing_docs, unused, deprecated)]

use fastcgi::prelude::*;

fn request(environ: &[(&str, &str)]) -> Request {
    let environ: Environ = environ.iter().copied().collect();
    Request::new(RequestParts::new(environ), Body::empty())
}

/// Lint levels apply to the body.
#[fcgi_handler]
#[allow(clippy::needless_return)]
pub async fn lint_levels() -> &'static str {
    return "ok";
}

/// `#[expect]` is checked once, on the fn.
#[fcgi_handler]
#[expect(unused_variables, reason = "the argument is only extracted")]
pub async fn expectation(server_name: String) -> &'static str {
    "ok"
}

/// Deprecated handlers warn where they are used, not where they are made.
#[fcgi_handler]
#[deprecated = "use `lint_levels`"]
pub async fn old() -> &'static str {
    "old"
}

/// Compiled out entirely.
#[fcgi_handler]
#[cfg(not(test))]
pub async fn gone() -> DoesNotExist {}

/// Compiled in.
#[fcgi_handler]
#[cfg(test)]
pub async fn kept() -> &'static str {
    "kept"
}

/// Inherent attributes such as `#[inline]` stay on the fn only.
#[fcgi_handler]
#[inline]
#[must_use]
pub fn inline_sync() -> &'static str {
    "inline"
}

/// Arguments whose names shadow the generated code's locals.
#[fcgi_handler]
pub async fn shadowing(
    #[fcgi(name = "REQUEST")] request: String,
    #[fcgi(name = "VALUE")] value: String,
    #[fcgi(name = "RESPONSE")] response: String,
) -> String {
    format!("{request} {value} {response}")
}

#[tokio::test]
async fn attributes_are_kept_and_nothing_warns() {
    assert_eq!(lint_levels::handle().await, "ok");
    assert_eq!(
        expectation
            .call(request(&[("SERVER_NAME", "x")]))
            .await
            .status(),
        200
    );
    #[allow(deprecated)]
    let response = old.call(request(&[])).await;
    assert_eq!(response.status(), 200);
    assert_eq!(kept.call(request(&[])).await.status(), 200);
    assert_eq!(inline_sync::handle(), "inline");
    let response = shadowing
        .call(request(&[
            ("REQUEST", "a"),
            ("VALUE", "b"),
            ("RESPONSE", "c"),
        ]))
        .await;
    assert_eq!(response.body().as_bytes(), Some(&b"a b c"[..]));
}
