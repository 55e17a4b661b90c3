//! The echo example behind lighttpd, configured by
//! `examples/deploy/lighttpd.conf`: lighttpd spawns the app itself
//! (`bin-path`) with its listening unix socket on fd 0, and runs in the
//! foreground (`lighttpd -D -f lighttpd.conf`) from a temp directory.
//!
//! What lighttpd 1.4.69 (Debian 12) does, as these tests pin it:
//! - params: the CGI set, with `fix-root-scriptname` SCRIPT_NAME "" and the
//!   whole path in PATH_INFO; CONTENT_LENGTH "0" on a GET; HTTP_HOST with
//!   the port.
//! - a local redirect (`Location: /path`, no Status) is not followed by
//!   mod_fastcgi (lighttpd's local-redir is mod_cgi's only): the client
//!   gets 302 with that Location and an empty body.
//! - FCGI_STDERR: one error-log line per line the app wrote,
//!   `(mod_fastcgi.c.449) FastCGI-stderr:...`.

mod common;
mod webserver;

use webserver::{Expect, Outcome, Param::*};

/// Sent for `GET /anything/path?mode=env&x=1` with `X-Echo-Test: yes`. The
/// whole set: CONTENT_LENGTH QUERY_STRING REQUEST_URI REDIRECT_STATUS
/// SCRIPT_NAME PATH_INFO PATH_TRANSLATED SCRIPT_FILENAME DOCUMENT_ROOT
/// REQUEST_METHOD SERVER_PROTOCOL SERVER_SOFTWARE GATEWAY_INTERFACE
/// REQUEST_SCHEME SERVER_PORT SERVER_ADDR SERVER_NAME REMOTE_ADDR
/// REMOTE_PORT, then the request headers (HTTP_HOST, HTTP_X_ECHO_TEST...).
const EXPECT: Expect = Expect {
    params: &[
        ("QUERY_STRING", Is("mode=env&x=1")),
        ("REQUEST_METHOD", Is("GET")),
        ("REQUEST_URI", Is("/anything/path?mode=env&x=1")),
        ("SCRIPT_NAME", Is("")),
        ("PATH_INFO", Is("/anything/path")),
        ("PATH_TRANSLATED", Is("{{DOC_ROOT}}/anything/path")),
        ("SCRIPT_FILENAME", Is("{{DOC_ROOT}}/")),
        ("DOCUMENT_ROOT", Is("{{DOC_ROOT}}")),
        // "0", not empty or absent, for a request without a body.
        ("CONTENT_LENGTH", Is("0")),
        ("CONTENT_TYPE", Absent),
        ("SERVER_PROTOCOL", Is("HTTP/1.1")),
        ("GATEWAY_INTERFACE", Is("CGI/1.1")),
        ("REQUEST_SCHEME", Is("http")),
        ("SERVER_SOFTWARE", Prefix("lighttpd/")),
        ("SERVER_ADDR", Is("127.0.0.1")),
        ("SERVER_PORT", Is("{{HTTP_PORT}}")),
        ("SERVER_NAME", Is("127.0.0.1")),
        ("REMOTE_ADDR", Is("127.0.0.1")),
        ("REMOTE_PORT", Any),
        ("REDIRECT_STATUS", Is("200")),
        ("HTTP_HOST", Is("127.0.0.1:{{HTTP_PORT}}")),
        ("HTTP_X_ECHO_TEST", Is("yes")),
        ("HTTPS", Absent),
    ],
    // mod_fastcgi passes a local redirect on to the client as a 302.
    local_redirect: Outcome {
        status: 302,
        location: Some("/?mode=json"),
        body: "",
    },
    stderr_line: "FastCGI-stderr:{{MSG}}",
};

webserver::web_tests!(webserver::servers::lighttpd(), EXPECT);
