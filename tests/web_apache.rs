//! The echo example behind Apache httpd with mod_proxy_fcgi, configured by
//! `examples/deploy/apache.conf`: the app listens on TCP, httpd runs in the
//! foreground (`apache2 -f apache.conf -DFOREGROUND`) from a temp
//! directory, its workers as www-data.
//!
//! What Apache 2.4 (Debian 12) does, as these tests pin it:
//! - params: the CGI set without PATH_INFO (SCRIPT_NAME is the whole path,
//!   SCRIPT_FILENAME the `proxy:fcgi://` URL), no CONTENT_LENGTH on a GET,
//!   Apache's CONTEXT_* and SERVER_* extras, and httpd's own PATH (and
//!   LD_LIBRARY_PATH, when set) from its environment.
//! - a local redirect (`Location: /path`, no Status) is not followed by
//!   mod_proxy_fcgi, nor turned into a 302: the client gets 200 with that
//!   Location header and an empty body.
//! - FCGI_STDERR: one error-log line per record,
//!   `[proxy_fcgi:error] ... AH01071: Got error '...'`.

mod common;
mod webserver;

use webserver::{Expect, Outcome, Param::*};

/// Sent for `GET /anything/path?mode=env&x=1` with `X-Echo-Test: yes`. The
/// whole set: the request headers (HTTP_HOST, HTTP_X_ECHO_TEST...), PATH
/// (LD_LIBRARY_PATH), SERVER_SIGNATURE SERVER_SOFTWARE SERVER_NAME
/// SERVER_ADDR SERVER_PORT REMOTE_ADDR DOCUMENT_ROOT REQUEST_SCHEME
/// CONTEXT_PREFIX CONTEXT_DOCUMENT_ROOT SERVER_ADMIN SCRIPT_FILENAME
/// REMOTE_PORT GATEWAY_INTERFACE SERVER_PROTOCOL REQUEST_METHOD
/// QUERY_STRING REQUEST_URI SCRIPT_NAME.
const EXPECT: Expect = Expect {
    params: &[
        ("QUERY_STRING", Is("mode=env&x=1")),
        ("REQUEST_METHOD", Is("GET")),
        ("REQUEST_URI", Is("/anything/path?mode=env&x=1")),
        ("SCRIPT_NAME", Is("/anything/path")),
        ("PATH_INFO", Absent),
        (
            "SCRIPT_FILENAME",
            Is("proxy:fcgi://{{APP_ADDR}}/anything/path"),
        ),
        ("DOCUMENT_ROOT", Is("{{DOC_ROOT}}")),
        ("CONTEXT_DOCUMENT_ROOT", Is("{{DOC_ROOT}}")),
        ("CONTEXT_PREFIX", Is("")),
        ("CONTENT_LENGTH", Absent),
        ("CONTENT_TYPE", Absent),
        ("SERVER_PROTOCOL", Is("HTTP/1.1")),
        ("GATEWAY_INTERFACE", Is("CGI/1.1")),
        ("REQUEST_SCHEME", Is("http")),
        ("SERVER_SOFTWARE", Prefix("Apache/2.4")),
        ("SERVER_ADDR", Is("127.0.0.1")),
        ("SERVER_PORT", Is("{{HTTP_PORT}}")),
        // The recipe's ServerName.
        ("SERVER_NAME", Is("127.0.0.1")),
        ("REMOTE_ADDR", Is("127.0.0.1")),
        ("REMOTE_PORT", Any),
        ("REDIRECT_STATUS", Absent),
        ("HTTP_HOST", Is("127.0.0.1:{{HTTP_PORT}}")),
        ("HTTP_X_ECHO_TEST", Is("yes")),
        // httpd's own environment leaks through.
        ("PATH", Any),
        ("HTTPS", Absent),
    ],
    // mod_proxy_fcgi neither follows a local redirect nor makes it a 302:
    // the app's document (no Status: 200) goes out as it is.
    local_redirect: Outcome {
        status: 200,
        location: Some("/?mode=json"),
        body: "",
    },
    stderr_line: "AH01071: Got error '{{MSG}}'",
};

webserver::web_tests!(webserver::servers::apache(), EXPECT);
