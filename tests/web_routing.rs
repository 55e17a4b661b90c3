//! The `router` example behind nginx, lighttpd and Apache, each configured
//! by its recipe in `examples/deploy/`: the same requests must reach the
//! same routes with the same answers behind all three, although they split
//! the path differently (nginx and Apache send it in SCRIPT_NAME, lighttpd
//! in PATH_INFO; see `PathSource`), and the web servers' own normalization
//! (percent-decoding, dot segments, repeated slashes) must agree with the
//! router's.

mod common;
mod webserver;

use webserver::http::Request;
use webserver::servers::{self, AppSocket};
use webserver::{App, Deployment};

const ROUTER: App = App {
    name: "router",
    probe: "/api/version",
    ready_body: br#"{"version":"1"}"#,
};

/// The three deployments, started once for the file, side by side.
async fn deployments() -> &'static [Deployment] {
    static CELL: tokio::sync::OnceCell<Vec<Deployment>> = tokio::sync::OnceCell::const_new();
    CELL.get_or_init(|| async {
        let (nginx, lighttpd, apache) = tokio::join!(
            servers::nginx_with(AppSocket::Tcp, ROUTER),
            servers::lighttpd_with(ROUTER),
            servers::apache_with(ROUTER),
        );
        [nginx, lighttpd, apache]
            .into_iter()
            .filter_map(|started| {
                started.unwrap_or_else(|err| panic!("a deployment did not start: {err}"))
            })
            .collect()
    })
    .await
}

/// What a request must get.
struct Expected<'a> {
    status: u16,
    body: Body<'a>,
    allow: Option<&'a str>,
}

enum Body<'a> {
    Is(&'a str),
    StartsWith(&'a str),
    Empty,
}

/// Sends `request` through every web server and checks each answer, and
/// that the router's `X-App` layer ran.
async fn same_everywhere(request: Request<'_>, expected: Expected<'_>) {
    let deployments = deployments().await;
    for web in deployments {
        let _turn = web.turn().await;
        let response = web.send(&request).await;
        let what = format!(
            "{}: {} {}\n{}",
            web.label,
            request.method,
            request.target,
            response.describe()
        );
        assert_eq!(response.status, expected.status, "{what}");
        let text = response.text();
        match expected.body {
            Body::Is(body) => assert_eq!(text, body, "{what}"),
            Body::StartsWith(start) => assert!(text.starts_with(start), "{what}"),
            Body::Empty => assert_eq!(text, "", "{what}"),
        }
        assert_eq!(response.header("x-app"), Some("router-example"), "{what}");
        if let Some(allow) = expected.allow {
            assert_eq!(response.header("allow"), Some(allow), "{what}");
        }
    }
    println!(
        "{} {}: the same answer behind {} web servers",
        request.method,
        request.target,
        deployments.len()
    );
}

fn ok(body: Body<'_>) -> Expected<'_> {
    Expected {
        status: 200,
        body,
        allow: None,
    }
}

#[tokio::test]
async fn literal_routes_and_the_index() {
    same_everywhere(Request::get("/"), ok(Body::StartsWith("router example:"))).await;
    same_everywhere(
        Request::get("/api/version"),
        ok(Body::Is(r#"{"version":"1"}"#)),
    )
    .await;
}

#[tokio::test]
async fn path_parameters_typed_and_by_struct() {
    same_everywhere(
        Request::get("/items/42?x=1"),
        ok(Body::Is(r#"{"id":42,"name":"item 42"}"#)),
    )
    .await;
    same_everywhere(
        Request::get("/api/users/ann/posts/9"),
        ok(Body::Is("post 9 by ann\n")),
    )
    .await;
    same_everywhere(
        Request::get("/items/abc"),
        Expected {
            status: 400,
            body: Body::Is(
                "Bad Request: the path parameter `id` is \"abc\": not a valid u64: invalid digit found in string\n",
            ),
            allow: None,
        },
    )
    .await;
}

#[tokio::test]
async fn catch_all_takes_the_decoded_rest() {
    same_everywhere(
        Request::get("/files/docs/a%20b.txt"),
        ok(Body::Is("file docs/a b.txt\n")),
    )
    .await;
    same_everywhere(
        Request::get("/files/caf%C3%A9/"),
        ok(Body::Is("file café/\n")),
    )
    .await;
}

#[tokio::test]
async fn methods_post_405_and_head() {
    same_everywhere(
        Request::post("/items/7", b"hello").header("Content-Type", "text/plain"),
        Expected {
            status: 201,
            body: Body::Is("created item 7: hello\n"),
            allow: None,
        },
    )
    .await;
    let mut delete = Request::get("/items/7");
    delete.method = "DELETE";
    same_everywhere(
        delete,
        Expected {
            status: 405,
            body: Body::Is("Method Not Allowed: /items/7 accepts GET, HEAD, POST, not DELETE\n"),
            allow: Some("GET, HEAD, POST"),
        },
    )
    .await;
    let mut head = Request::get("/items/7");
    head.method = "HEAD";
    same_everywhere(head, ok(Body::Empty)).await;
}

#[tokio::test]
async fn fallbacks_nested_and_global() {
    same_everywhere(
        Request::get("/api/nope"),
        Expected {
            status: 404,
            body: Body::Is(r#"{"error":"no such API endpoint","path":"/api/nope"}"#),
            allow: None,
        },
    )
    .await;
    same_everywhere(
        Request::get("/nowhere?x=1"),
        Expected {
            status: 404,
            body: Body::Is("nothing at /nowhere?x=1; try / for the index\n"),
            allow: None,
        },
    )
    .await;
}

#[tokio::test]
async fn the_web_servers_normalize_the_path_as_the_router_expects() {
    for target in [
        "/x/../items/5",
        "//items//5",
        "/items/./5",
        "/items/%35",
        "/api/../items/5",
        "/x/%2e%2e/items/5",
    ] {
        same_everywhere(
            Request::get(target),
            ok(Body::Is(r#"{"id":5,"name":"item 5"}"#)),
        )
        .await;
    }
    same_everywhere(
        Request::get("/files/a/./b/../c//d"),
        ok(Body::Is("file a/c/d\n")),
    )
    .await;
}
