//! The echo example behind nginx, configured by `examples/deploy/nginx.conf`:
//! once with the app on TCP, once on a unix socket. nginx runs in the
//! foreground (`daemon off; master_process off;`) from a temp directory.
//!
//! What nginx 1.22 (Debian 12) does, as these tests pin it:
//! - params: the stock `/etc/nginx/fastcgi_params` plus SCRIPT_FILENAME and
//!   every request header as HTTP_*; no PATH_INFO (the recipe does not
//!   split one off). Debian's fastcgi_params sets HTTP_HOST to `$host`,
//!   which drops the port.
//! - a local redirect (`Location: /path`, no Status) is not followed:
//!   nginx answers the client 302 with that Location.
//! - FCGI_STDERR: one error-log line per record,
//!   `FastCGI sent in stderr: "..."` at level error.

mod common;
mod webserver;

use webserver::servers::AppSocket;
use webserver::{Expect, Outcome, Param::*};

/// Sent for `GET /anything/path?mode=env&x=1` with `X-Echo-Test: yes`. The
/// whole set: QUERY_STRING REQUEST_METHOD CONTENT_TYPE CONTENT_LENGTH
/// SCRIPT_NAME REQUEST_URI DOCUMENT_URI DOCUMENT_ROOT SERVER_PROTOCOL
/// REQUEST_SCHEME GATEWAY_INTERFACE SERVER_SOFTWARE REMOTE_ADDR REMOTE_PORT
/// REMOTE_USER SERVER_ADDR SERVER_PORT SERVER_NAME REDIRECT_STATUS HTTP_HOST
/// SCRIPT_FILENAME, then the request headers (HTTP_X_ECHO_TEST...).
const EXPECT: Expect = Expect {
    params: &[
        ("QUERY_STRING", Is("mode=env&x=1")),
        ("REQUEST_METHOD", Is("GET")),
        ("REQUEST_URI", Is("/anything/path?mode=env&x=1")),
        ("DOCUMENT_URI", Is("/anything/path")),
        ("SCRIPT_NAME", Is("/anything/path")),
        ("SCRIPT_FILENAME", Is("{{DOC_ROOT}}/anything/path")),
        ("DOCUMENT_ROOT", Is("{{DOC_ROOT}}")),
        ("PATH_INFO", Absent),
        // Empty, not absent, for a request without a body.
        ("CONTENT_LENGTH", Is("")),
        ("CONTENT_TYPE", Is("")),
        ("SERVER_PROTOCOL", Is("HTTP/1.1")),
        ("GATEWAY_INTERFACE", Is("CGI/1.1")),
        ("REQUEST_SCHEME", Is("http")),
        ("SERVER_SOFTWARE", Prefix("nginx/")),
        ("SERVER_ADDR", Is("127.0.0.1")),
        ("SERVER_PORT", Is("{{HTTP_PORT}}")),
        ("SERVER_NAME", Is("")),
        ("REMOTE_ADDR", Is("127.0.0.1")),
        ("REMOTE_PORT", Any),
        ("REDIRECT_STATUS", Is("200")),
        // `$host` in Debian's fastcgi_params (no port); `$http_host` elsewhere.
        ("HTTP_HOST", Prefix("127.0.0.1")),
        ("HTTP_X_ECHO_TEST", Is("yes")),
        ("HTTPS", Absent),
    ],
    // nginx does no CGI local redirects: the client gets them as 302.
    local_redirect: Outcome {
        status: 302,
        location: Some("/?mode=json"),
        body: "",
    },
    stderr_line: r#"FastCGI sent in stderr: "{{MSG}}""#,
};

/// The app listens on 127.0.0.1 (FCGI_BIND=127.0.0.1:PORT).
mod tcp {
    use super::*;

    webserver::web_tests!(webserver::servers::nginx(AppSocket::Tcp), EXPECT);
}

/// The app listens on a unix socket (FCGI_BIND=unix:RUN_DIR/echo.sock).
mod unix {
    use super::*;

    webserver::web_tests!(webserver::servers::nginx(AppSocket::Unix), EXPECT);
}
