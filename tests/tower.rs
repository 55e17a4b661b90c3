//! tower and axum over FastCGI (feature `tower`), through real FastCGI
//! records (`TestClient`): an axum app served with `from_service`, any
//! tower service, and tower-http middleware layered on a `Router`.

#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::extract::{Path as AxumPath, Query as AxumQuery};
use axum::response::IntoResponse as _;
use bytes::Bytes;
use fastcgi::handler::from_fn;
use fastcgi::prelude::{
    Body, Extension, Path, PathParams, Request, Response, ResponseWriter, Router, Server,
    StatusCode, fcgi_handler, get, post,
};
use fastcgi::request::RequestParts;
use fastcgi::response::unfold;
use fastcgi::testing::TestClient;
use fastcgi::tower::{RemoteAddr, from_service, into_service};
use http::{HeaderName, HeaderValue};
use tower::ServiceExt;
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(serde::Serialize, serde::Deserialize)]
struct Item {
    id: u64,
    name: String,
}

/// A small axum app: JSON, a path parameter, a query, a streamed
/// response, an echoed body, and the FastCGI extensions.
fn axum_app() -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/items/{id}",
            get(|AxumPath(id): AxumPath<u64>| async move {
                axum::Json(Item {
                    id,
                    name: format!("item {id}"),
                })
            }),
        )
        .route(
            "/hello/{name}",
            get(|AxumPath(name): AxumPath<String>| async move { format!("hello {name}") }),
        )
        .route(
            "/query",
            get(
                |AxumQuery(q): AxumQuery<std::collections::HashMap<String, String>>| async move {
                    format!("{:?}", q.get("q"))
                },
            ),
        )
        .route(
            "/echo",
            post(
                |headers: http::HeaderMap, body: axum::body::Bytes| async move {
                    let kind = headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_owned();
                    format!("{kind} {} {}", body.len(), String::from_utf8_lossy(&body))
                },
            ),
        )
        .route(
            "/stream",
            get(|| async {
                axum::body::Body::from_stream(unfold(0u32, |i| async move {
                    if i == 3 {
                        return None;
                    }
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(150)).await;
                    }
                    Some((
                        Ok::<_, Infallible>(Bytes::from(format!("chunk {i}\n"))),
                        i + 1,
                    ))
                }))
            }),
        )
        .route(
            "/whoami",
            get(
                |axum::Extension(addr): axum::Extension<RemoteAddr>,
                 axum::Extension(parts): axum::Extension<RequestParts>,
                 headers: http::HeaderMap,
                 uri: http::Uri,
                 version: http::Version| async move {
                    format!(
                        "{addr} {} {} {uri} {version:?}",
                        parts.environ().document_root().unwrap_or("-"),
                        headers
                            .get("user-agent")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-"),
                    )
                },
            ),
        )
        .route(
            "/teapot",
            get(|| async {
                (
                    http::StatusCode::IM_A_TEAPOT,
                    [("x-tea", "green")],
                    "short and stout",
                )
                    .into_response()
            }),
        )
}

#[tokio::test]
async fn axum_json_and_path_parameters() {
    let client = TestClient::new(from_service(axum_app()));
    let response = client.get("/items/42").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let item: Item = response.json().unwrap();
    assert_eq!((item.id, item.name.as_str()), (42, "item 42"));
    // A full body's length is known: it goes out as Content-Length.
    assert_eq!(
        response.header("content-length"),
        Some(response.body().len().to_string().as_str())
    );
    // axum decodes the raw REQUEST_URI itself.
    let response = client.get("/hello/caf%C3%A9%20au%20lait").await.unwrap();
    assert_eq!(response.text(), "hello café au lait");
    let response = client.get("/query?q=a%20b&x=1").await.unwrap();
    assert_eq!(response.text(), r#"Some("a b")"#);
    let response = client.get("/items/x").await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(client.get("/nowhere").await.unwrap().status(), 404);
    let response = client.method("DELETE", "/items/1").await.unwrap();
    assert_eq!(response.status(), 405);
    let response = client.get("/teapot").await.unwrap();
    assert_eq!(response.status(), 418);
    assert_eq!(response.header("x-tea"), Some("green"));
    assert_eq!(response.text(), "short and stout");
}

#[tokio::test]
async fn request_headers_body_and_extensions_reach_the_service() {
    let client = TestClient::new(from_service(axum_app()));
    let response = client
        .post("/echo", "text/x-note", "hello body")
        .await
        .unwrap();
    assert_eq!(response.text(), "text/x-note 10 hello body");
    let big = "x".repeat(1024 * 1024);
    let response = client
        .post("/echo", "text/plain", big.clone())
        .await
        .unwrap();
    assert!(response.text().starts_with("text/plain 1048576 xxx"));
    let response = client
        .get("/whoami?a=1")
        .header("User-Agent", "tests/1.0")
        .param("REMOTE_ADDR", "203.0.113.9")
        .param("REMOTE_PORT", "4567")
        .param("DOCUMENT_ROOT", "/srv/www")
        .param("SERVER_PROTOCOL", "HTTP/1.0")
        .await
        .unwrap();
    assert_eq!(
        response.text(),
        "203.0.113.9:4567 /srv/www tests/1.0 /whoami?a=1 HTTP/1.0"
    );
}

#[tokio::test]
async fn a_streamed_body_arrives_chunk_by_chunk() {
    let client = TestClient::new(from_service(axum_app()));
    let started = Instant::now();
    let mut stream = client.get("/stream").start().await.unwrap();
    let mut arrivals = Vec::new();
    while let Some(chunk) = stream.next_chunk().await.unwrap() {
        arrivals.push((started.elapsed(), chunk));
    }
    let text: Vec<u8> = arrivals.iter().flat_map(|(_, c)| c.to_vec()).collect();
    assert_eq!(text, b"chunk 0\nchunk 1\nchunk 2\n");
    assert!(arrivals.len() >= 3, "{arrivals:?}");
    // The first chunk did not wait for the last.
    assert!(
        arrivals[0].0 + Duration::from_millis(250) < arrivals[arrivals.len() - 1].0,
        "{arrivals:?}"
    );
    assert!(
        stream
            .head()
            .await
            .unwrap()
            .headers()
            .get("content-length")
            .is_none()
    );
}

#[tokio::test]
async fn a_service_that_fails_gets_500_with_its_error_in_the_log() {
    let failing = tower::service_fn(|_request: http::Request<Body>| async {
        Err::<http::Response<String>, _>(std::io::Error::other("the database is down"))
    });
    let client = TestClient::new(from_service(failing));
    let response = client.get("/").await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(
        response
            .stderr_text()
            .contains("the service failed instead of answering: the database is down"),
        "{}",
        response.stderr_text()
    );
}

#[tokio::test]
async fn a_service_sees_the_request_as_a_proxy_passes_it() {
    let inspect = tower::service_fn(|request: http::Request<Body>| async move {
        let headers: Vec<String> = request
            .headers()
            .iter()
            .map(|(n, v)| format!("{n}={}", v.to_str().unwrap_or("?")))
            .collect();
        Ok::<_, Infallible>(http::Response::new(format!(
            "{} {} {}",
            request.method(),
            request.uri(),
            headers.join(";")
        )))
    });
    let client = TestClient::new(from_service(inspect));
    let response = client
        .method("PATCH", "/a%2Fb/../c?x=%41")
        .header("X-Thing", "1")
        .await
        .unwrap();
    assert_eq!(
        response.text(),
        "PATCH /a%2Fb/../c?x=%41 host=localhost;x-thing=1"
    );
    // With the path the web server resolved instead.
    let inspect_cgi = tower::service_fn(|request: http::Request<Body>| async move {
        Ok::<_, Infallible>(http::Response::new(request.uri().to_string()))
    });
    let client = TestClient::new(
        from_service(inspect_cgi).path_source(fastcgi::routing::PathSource::ScriptNameAndPathInfo),
    );
    let response = client
        .get("/ignored?x=1")
        .param("SCRIPT_NAME", "/a b/%")
        .await
        .unwrap();
    assert_eq!(response.text(), "/a%20b/%25?x=1");
    // No REQUEST_METHOD: the web server's configuration is at fault.
    let response = client
        .send(fastcgi::client::ClientRequest::from_params(
            [("REQUEST_URI", "/")].into_iter().collect(),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert!(response.stderr_text().contains("no REQUEST_METHOD"));
}

#[fcgi_handler]
async fn show_item(Path(id): Path<u64>) -> String {
    format!("item {id}")
}

#[fcgi_handler]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

#[fcgi_handler]
async fn count_body(body: Bytes) -> String {
    format!("{} bytes", body.len())
}

#[derive(Clone, Debug)]
struct User(&'static str);

#[fcgi_handler]
async fn whoami(Extension(user): Extension<User>, params: PathParams) -> String {
    format!("{} ({} params)", user.0, params.len())
}

#[fcgi_handler]
async fn hand_written(mut out: ResponseWriter) -> std::io::Result<()> {
    out.send_response(StatusCode::OK, "text/plain", "by hand", &[], true)
        .await
}

fn header_layer(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

#[tokio::test]
async fn layers_wrap_routes_fallback_and_405() {
    let router = Router::new()
        .route("/items/{id}", get(show_item))
        .route("/by-hand", get(hand_written))
        .layer(header_layer("x-layer", "outer"));
    let client = TestClient::new(router);
    let response = client.get("/items/7").await.unwrap();
    assert_eq!(response.text(), "item 7");
    assert_eq!(response.header("x-layer"), Some("outer"));
    let response = client.get("/nowhere").await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.header("x-layer"), Some("outer"));
    assert_eq!(
        response.text(),
        "Not Found: no route matches the path /nowhere\n"
    );
    let response = client.method("DELETE", "/items/7").await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.header("allow"), Some("GET, HEAD"));
    assert_eq!(response.header("x-layer"), Some("outer"));
    // The writer still reaches a handler behind a layer.
    let response = client.get("/by-hand").await.unwrap();
    assert_eq!(response.text(), "by hand");
    // HEAD through the layer.
    let response = client.method("HEAD", "/items/7").await.unwrap();
    assert_eq!(
        (response.text().as_ref(), response.header("content-length")),
        ("", Some("6"))
    );
}

#[tokio::test]
async fn route_layers_leave_the_fallback_alone_and_later_layers_wrap_earlier_ones() {
    let router = Router::new()
        .route("/a", get(from_fn(|_| async { "a" })))
        .route_layer(header_layer("x-auth", "checked"))
        .layer(header_layer("x-order", "first"))
        .layer(header_layer("x-order", "second"))
        .route("/late", get(from_fn(|_| async { "late" })));
    let client = TestClient::new(router);
    let response = client.get("/a").await.unwrap();
    assert_eq!(response.header("x-auth"), Some("checked"));
    // The last layer is outermost: its header is set last.
    assert_eq!(response.header("x-order"), Some("second"));
    let response = client.get("/missing").await.unwrap();
    assert_eq!(response.header("x-auth"), None);
    assert_eq!(response.header("x-order"), Some("second"));
    // Added after the layers: not wrapped.
    let response = client.get("/late").await.unwrap();
    assert_eq!(response.header("x-order"), None);
}

#[tokio::test]
async fn tower_http_timeout() {
    let router = Router::new().route("/slow", get(slow)).layer(
        tower_http::timeout::TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(100),
        ),
    );
    let client = TestClient::new(router);
    let started = Instant::now();
    let response = client.get("/slow").await.unwrap();
    assert_eq!(response.status(), 408);
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn layers_that_change_the_body_types() {
    // RequestBodyLimit wraps the request body, Trace the response body.
    let router = Router::new()
        .route("/count", post(count_body))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1000))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let client = TestClient::new(router);
    let response = client
        .post("/count", "text/plain", "y".repeat(900))
        .await
        .unwrap();
    assert_eq!(response.text(), "900 bytes");
    let response = client
        .post("/count", "text/plain", "y".repeat(2000))
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn extensions_a_layer_inserts_reach_the_handler() {
    let insert_user = tower::util::MapRequestLayer::new(|mut request: http::Request<Body>| {
        request.extensions_mut().insert(User("ann"));
        request
    });
    let router = Router::new()
        .route("/me/{x}", get(whoami))
        .route("/nobody", get(whoami))
        .route_layer(insert_user)
        .route("/unlayered", get(whoami));
    let client = TestClient::new(router);
    assert_eq!(client.get("/me/1").await.unwrap().text(), "ann (1 params)");
    assert_eq!(
        client.get("/nobody").await.unwrap().text(),
        "ann (0 params)"
    );
    let response = client.get("/unlayered").await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(
        response
            .stderr_text()
            .contains("no request extension of type `tower::User`"),
        "{}",
        response.stderr_text()
    );
}

#[fcgi_handler]
async fn who(parts: RequestParts, Extension(user): Extension<User>) -> String {
    let own = parts.extensions().get::<User>().map_or("none", |u| u.0);
    let shared = parts.state::<User>().map_or("none", |u| u.0);
    format!("{} own={own} shared={shared}", user.0)
}

#[tokio::test]
async fn a_layers_extension_is_the_requests_own_and_wins_over_state() {
    let insert_user = tower::util::MapRequestLayer::new(|mut request: http::Request<Body>| {
        request.extensions_mut().insert(User("ann"));
        request
    });
    let router = Router::new()
        .route("/layered/{x}", get(who))
        .route_layer(insert_user)
        .route("/plain", get(who));
    let client = TestClient::with_server(Server::new().with_state(User("state")), router);
    assert_eq!(
        client.get("/layered/1").await.unwrap().text(),
        "ann own=ann shared=state"
    );
    // What the layer inserted stayed with that request.
    assert_eq!(
        client.get("/plain").await.unwrap().text(),
        "state own=none shared=state"
    );
}

#[tokio::test]
async fn path_params_travel_to_a_service_in_the_requests_extensions() {
    let service = tower::service_fn(|request: http::Request<Body>| async move {
        let id = request
            .extensions()
            .get::<PathParams>()
            .and_then(|params| params.get("id"))
            .unwrap_or("none")
            .to_owned();
        Ok::<_, Infallible>(http::Response::new(format!("id {id}")))
    });
    let router = Router::new().route_service("/svc/{id}", service);
    let client = TestClient::new(router);
    assert_eq!(client.get("/svc/42").await.unwrap().text(), "id 42");
}

#[tokio::test]
async fn method_router_layers() {
    let router = Router::new().route(
        "/x",
        get(from_fn(|_| async { "get" }))
            .layer(header_layer("x-get", "1"))
            .post(from_fn(|_| async { "post" })),
    );
    let client = TestClient::new(router);
    assert_eq!(client.get("/x").await.unwrap().header("x-get"), Some("1"));
    let posted = client.post("/x", "text/plain", "").await.unwrap();
    assert_eq!(
        (posted.text().as_ref(), posted.header("x-get")),
        ("post", None)
    );
    let denied = client.method("PUT", "/x").await.unwrap();
    assert_eq!(
        (denied.status().as_u16(), denied.header("x-get")),
        (405, Some("1"))
    );
}

#[tokio::test]
async fn an_axum_app_behind_a_route_and_a_router_inside_tower() {
    let router = Router::new()
        .route("/", get(from_fn(|_| async { "fastcgi root" })))
        .route_service("/items/{id}", axum_app());
    let client = TestClient::new(router);
    assert_eq!(client.get("/").await.unwrap().text(), "fastcgi root");
    let item: Item = client.get("/items/3").await.unwrap().json().unwrap();
    assert_eq!(item.id, 3);

    // A handler as a tower service, called with a plain http::Request.
    let service = into_service(Router::new().route(
        "/p/{id}",
        get(from_fn(|request: Request| async move {
            let env = request.environ();
            format!(
                "{} {} {} {}",
                env.request_method().unwrap_or("-"),
                env.get("SCRIPT_NAME").unwrap_or("-"),
                env.query_string(),
                env.get("HTTP_X_A").unwrap_or("-")
            )
        })),
    ));
    let request = http::Request::builder()
        .uri("/p/a%20b?q=1")
        .header("x-a", "yes")
        .body(String::from("ignored"))
        .unwrap();
    let response: Response = service.oneshot(request).await.unwrap();
    let body = response.into_body();
    let text = axum::body::to_bytes(axum::body::Body::new(body), 1000)
        .await
        .unwrap();
    assert_eq!(text, "GET /p/a b q=1 yes");
}
