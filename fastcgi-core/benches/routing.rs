//! What routing adds to a request: a [`Router`] of 20 routes (literal,
//! `{param}`, `{*catch_all}`, nested) in front of a handler that does
//! nothing, against the same handler called directly, for requests with
//! the params nginx sends. The difference is the routing cost: resolving
//! the path, matching it, choosing the method, and for routes with
//! parameters capturing them for `Path<T>`.
//!
//! Each request is built outside the measured part, and each handler
//! future completes on its first poll, so no runtime is involved.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fastcgi_core::handler::{Handler, from_fn};
use fastcgi_core::request::{Body, Environ, Request, RequestParts};
use fastcgi_core::response::Response;
use fastcgi_core::routing::{Router, get, post};

/// Polls a future that is ready at once.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the benchmarked handler is not ready at once"),
    }
}

/// The params nginx sends for `GET {path}` (as the codec benchmark).
fn request(method: &str, path: &str) -> Request {
    let uri = format!("{path}?id=42");
    let environ: Environ = [
        ("QUERY_STRING", "id=42"),
        ("REQUEST_METHOD", method),
        ("CONTENT_TYPE", ""),
        ("CONTENT_LENGTH", ""),
        ("SCRIPT_NAME", path),
        ("REQUEST_URI", uri.as_str()),
        ("DOCUMENT_URI", path),
        ("DOCUMENT_ROOT", "/var/www/html"),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REQUEST_SCHEME", "https"),
        ("HTTPS", "on"),
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("SERVER_SOFTWARE", "nginx/1.26.2"),
        ("REMOTE_ADDR", "203.0.113.7"),
        ("REMOTE_PORT", "51234"),
        ("SERVER_ADDR", "192.0.2.10"),
        ("SERVER_PORT", "443"),
        ("SERVER_NAME", "example.com"),
        ("REDIRECT_STATUS", "200"),
        ("SCRIPT_FILENAME", "/var/www/html/index.php"),
        ("HTTP_HOST", "example.com"),
        (
            "HTTP_USER_AGENT",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0)",
        ),
        ("HTTP_ACCEPT", "text/html,application/xhtml+xml"),
    ]
    .into_iter()
    .collect();
    Request::new(RequestParts::new(environ), Body::empty())
}

/// 20 routes, as a small API might have.
fn router<H: Handler + Clone>(handler: H) -> Router {
    let api = Router::new()
        .route("/version", get(handler.clone()))
        .route("/users", get(handler.clone()).post(handler.clone()))
        .route("/users/{user}", get(handler.clone()))
        .route("/users/{user}/posts", get(handler.clone()))
        .route("/users/{user}/posts/{post}", get(handler.clone()))
        .route("/search", get(handler.clone()));
    Router::new()
        .route("/", get(handler.clone()))
        .route("/about", get(handler.clone()))
        .route("/contact", get(handler.clone()).post(handler.clone()))
        .route("/login", get(handler.clone()).post(handler.clone()))
        .route("/logout", post(handler.clone()))
        .route("/items", get(handler.clone()).post(handler.clone()))
        .route("/items/new", get(handler.clone()))
        .route("/items/{id}", get(handler.clone()).post(handler.clone()))
        .route("/items/{id}/edit", get(handler.clone()))
        .route("/files/{*path}", get(handler.clone()))
        .route("/static/{*path}", get(handler.clone()))
        .route("/feed.xml", get(handler.clone()))
        .route("/sitemap.xml", get(handler.clone()))
        .route("/healthz", get(handler.clone()))
        .nest("/api", api)
}

fn routing(c: &mut Criterion) {
    let handler = from_fn(|_request: Request| async {});
    let app = router(handler);
    let mut group = c.benchmark_group("routing");
    let mut case = |name: &str, method: &'static str, path: &'static str, routed: bool| {
        group.bench_function(name, |b| {
            b.iter_batched(
                || request(method, path),
                |request| -> Response {
                    if routed {
                        ready(app.call(black_box(request)))
                    } else {
                        ready(handler.call(black_box(request)))
                    }
                },
                BatchSize::PerIteration,
            );
        });
    };
    case("direct_handler_no_router", "GET", "/healthz", false);
    case("literal_route", "GET", "/healthz", true);
    case("nested_literal_route", "GET", "/api/search", true);
    case("param_route", "GET", "/items/42", true);
    case("two_params_nested", "GET", "/api/users/ann/posts/9", true);
    case("catch_all", "GET", "/static/css/site/main.css", true);
    case("no_route_404", "GET", "/nowhere/at/all", true);
    case("wrong_method_405", "DELETE", "/items/42", true);
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = routing
}
criterion_main!(benches);
