//! The `axum_app` example (an axum Router served with `from_service`)
//! behind nginx, configured by `examples/deploy/nginx.conf`: JSON in and
//! out, path parameters, a body streamed to the client as it is made, and
//! the FastCGI extensions.

mod common;
mod webserver;

use std::time::Duration;

use webserver::http::{Request, Streaming};
use webserver::servers::{self, AppSocket};
use webserver::{App, Deployment};

const AXUM: App = App {
    name: "axum_app",
    probe: "/hello/probe",
    ready_body: b"hello probe\n",
};

async fn deployment() -> Option<&'static Deployment> {
    static CELL: tokio::sync::OnceCell<Option<Deployment>> = tokio::sync::OnceCell::const_new();
    CELL.get_or_init(|| async {
        servers::nginx_with(AppSocket::Unix, AXUM)
            .await
            .unwrap_or_else(|err| panic!("the deployment did not start: {err}"))
    })
    .await
    .as_ref()
}

#[tokio::test]
async fn json_and_path_parameters() {
    let Some(web) = deployment().await else {
        return;
    };
    let _turn = web.turn().await;
    let response = web.get("/items/7").await;
    assert_eq!(response.status, 200, "{}", response.describe());
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.text(), r#"{"id":7,"name":"item 7"}"#);
    let response = web.get("/hello/caf%C3%A9%20cr%C3%A8me").await;
    assert_eq!(response.text(), "hello café crème\n");
    let response = web.get("/items/seven").await;
    assert_eq!(response.status, 400, "{}", response.describe());
    assert_eq!(web.get("/nowhere").await.status, 404);
}

#[tokio::test]
async fn a_json_body_in() {
    let Some(web) = deployment().await else {
        return;
    };
    let _turn = web.turn().await;
    let request =
        Request::post("/items", br#"{"name":"new"}"#).header("Content-Type", "application/json");
    let response = web.send(&request).await;
    assert_eq!(response.status, 201, "{}", response.describe());
    assert_eq!(response.text(), r#"{"id":1000,"name":"new"}"#);
    let request = Request::post("/items", b"not json").header("Content-Type", "text/plain");
    let response = web.send(&request).await;
    assert_eq!(response.status, 415, "{}", response.describe());
}

#[tokio::test]
async fn a_streamed_body_reaches_the_client_as_it_is_made() {
    let Some(web) = deployment().await else {
        return;
    };
    let _turn = web.turn().await;
    let request = Request::get("/stream/ticks?n=4");
    let pieces = tokio::time::timeout(Duration::from_secs(20), async {
        let mut stream = Streaming::start(web.http, &request).await?;
        assert_eq!(stream.status, 200);
        stream.pieces().await
    })
    .await
    .expect("the stream did not end within 20 s")
    .unwrap_or_else(|e| panic!("reading the stream failed: {e}\n{}", web.diagnostics()));
    let text: Vec<u8> = pieces.iter().flat_map(|p| p.data.clone()).collect();
    assert_eq!(
        String::from_utf8_lossy(&text),
        "tick 0\ntick 1\ntick 2\ntick 3\n"
    );
    let first = pieces
        .iter()
        .find(|p| !p.data.is_empty())
        .map(|p| p.at)
        .unwrap_or_default();
    let last = pieces.last().map(|p| p.at).unwrap_or_default();
    println!("axum through nginx: first tick after {first:?}, last after {last:?}");
    assert!(
        first + Duration::from_millis(200) < last,
        "the ticks came together ({first:?}, {last:?}): the body was buffered"
    );
}

#[tokio::test]
async fn fastcgi_extensions_reach_axum_handlers() {
    let Some(web) = deployment().await else {
        return;
    };
    let _turn = web.turn().await;
    let response = web.get("/env").await;
    assert_eq!(response.status, 200, "{}", response.describe());
    assert_eq!(
        response.text(),
        web.render("client 127.0.0.1 document root {{DOC_ROOT}}\n")
    );
}
