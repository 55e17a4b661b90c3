//! Every routing rule and rejection, through real FastCGI records
//! (`TestClient`): patterns and their priority, methods and 405, HEAD,
//! nesting, fallbacks, the path sources and their normalization, and the
//! `Path<T>` / `PathParams` extractors.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use fastcgi::client::{ClientError, ClientResponse};
use fastcgi::prelude::*;
use fastcgi::routing::{PathSource, head, on, options};
use fastcgi::testing::TestClient;
use serde::Deserialize;

#[fcgi_handler]
async fn index() -> &'static str {
    "index"
}

#[fcgi_handler]
async fn show_item(Path(id): Path<u64>) -> String {
    format!("item {id}")
}

#[fcgi_handler]
async fn create_item(Path(id): Path<u64>, body: Text) -> (StatusCode, String) {
    (StatusCode::CREATED, format!("created {id}: {}", body.0))
}

#[fcgi_handler]
async fn new_item_form() -> &'static str {
    "new item form"
}

#[fcgi_handler]
async fn file(Path(path): Path<String>) -> String {
    format!("file {path:?}")
}

#[derive(Deserialize)]
struct PostId {
    user: String,
    post: u32,
}

#[fcgi_handler]
async fn user_post(Path(id): Path<PostId>) -> String {
    format!("post {} by {}", id.post, id.user)
}

#[fcgi_handler]
async fn by_tuple(Path((user, post)): Path<(String, u32)>) -> String {
    format!("tuple {user} {post}")
}

#[fcgi_handler]
async fn by_name(params: PathParams) -> String {
    let all: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
    format!("{} [{}]", params.route(), all.join(","))
}

#[fcgi_handler]
async fn as_map(Path(map): Path<BTreeMap<String, String>>) -> String {
    format!("{map:?}")
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "lowercase")]
enum Color {
    Red,
    Green,
}

#[fcgi_handler]
async fn show_color(Path(color): Path<Color>) -> String {
    format!("{color:?}")
}

#[fcgi_handler]
async fn wrong_arity(Path(_pair): Path<(u64, u64)>) -> &'static str {
    "unreachable"
}

#[fcgi_handler]
async fn wrong_field(Path(_id): Path<PostId>) -> &'static str {
    "unreachable"
}

#[fcgi_handler]
async fn not_routed(Path(_id): Path<u64>) -> &'static str {
    "unreachable"
}

#[fcgi_handler]
async fn custom_404(environ: Environ) -> (StatusCode, String) {
    (
        StatusCode::NOT_FOUND,
        format!(
            "custom 404 for {}",
            environ.get("SCRIPT_NAME").unwrap_or("?")
        ),
    )
}

#[fcgi_handler]
async fn api_version() -> &'static str {
    "api v1"
}

#[fcgi_handler]
async fn api_fallback(params: PathParams, environ: Environ) -> (StatusCode, String) {
    (
        StatusCode::NOT_FOUND,
        format!(
            "api has no {} ({} params)",
            environ.get("SCRIPT_NAME").unwrap_or("?"),
            params.len()
        ),
    )
}

#[fcgi_handler]
async fn tenant_item(Path((tenant, id)): Path<(String, u64)>) -> String {
    format!("tenant {tenant} item {id}")
}

/// A handler that answers `answer`.
fn text(answer: &'static str) -> impl Handler + Clone {
    fastcgi::handler::from_fn(move |_| async move { answer })
}

fn app() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/items/new", get(new_item_form))
        .route("/items/{id}", get(show_item).post(create_item))
        .route("/files/{*path}", get(file))
        .route("/users/{user}/posts/{post}", get(user_post))
        .route("/tuple/{user}/{post}", get(by_tuple))
        .route("/names/{a}/{*rest}", get(by_name))
        .route("/map/{x}/{y}", get(as_map))
        .route("/color/{color}", get(show_color))
        .route("/wrong/arity/{id}", get(wrong_arity))
        .route("/wrong/field/{user}", get(wrong_field))
        .route("/not-routed", get(not_routed))
        .route("/slash/", get(text("with slash")))
        .route("/slash", get(text("without slash")))
}

async fn get_ok(client: &TestClient, uri: &str) -> String {
    let response = client.get(uri).await.unwrap();
    assert_eq!(response.status(), 200, "GET {uri}: {}", response.text());
    response.text().into_owned()
}

#[tokio::test]
async fn static_routes_params_and_catch_all() {
    let client = TestClient::new(app());
    assert_eq!(get_ok(&client, "/").await, "index");
    assert_eq!(get_ok(&client, "/items/42").await, "item 42");
    assert_eq!(get_ok(&client, "/items/new").await, "new item form");
    assert_eq!(
        get_ok(&client, "/files/a/b%20c.txt").await,
        r#"file "a/b c.txt""#
    );
    assert_eq!(get_ok(&client, "/files/a/").await, r#"file "a/""#);
    assert_eq!(get_ok(&client, "/files/").await, r#"file """#);
    assert_eq!(client.get("/files").await.unwrap().status(), 404);
    assert_eq!(get_ok(&client, "/slash/").await, "with slash");
    assert_eq!(get_ok(&client, "/slash").await, "without slash");
}

#[tokio::test]
async fn path_extractor_shapes() {
    let client = TestClient::new(app());
    assert_eq!(get_ok(&client, "/users/ann/posts/7").await, "post 7 by ann");
    assert_eq!(get_ok(&client, "/tuple/bob/8").await, "tuple bob 8");
    assert_eq!(
        get_ok(&client, "/names/x/y/z").await,
        "/names/{a}/{*rest} [a=x,rest=y/z]"
    );
    assert_eq!(get_ok(&client, "/map/1/2").await, r#"{"x": "1", "y": "2"}"#);
    assert_eq!(get_ok(&client, "/color/green").await, "Green");
    let _ = Color::Red;
}

#[tokio::test]
async fn bad_values_are_400_and_say_what_did_not_match() {
    let client = TestClient::new(app());
    let response = client.get("/items/abc").await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text(),
        "Bad Request: the path parameter `id` is \"abc\": not a valid u64: invalid digit found in string\n"
    );
    let response = client.get("/users/ann/posts/-1").await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .contains("`post` is \"-1\": not a valid u32")
    );
    let response = client.get("/color/blue").await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .contains("`color` is \"blue\": unknown variant `blue`"),
        "{}",
        response.text()
    );
    // Not UTF-8 once decoded.
    let response = client.get("/files/%FF").await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().contains("`path` is not valid UTF-8"));
}

#[tokio::test]
async fn types_that_do_not_fit_the_route_are_500_with_the_reason_in_the_log() {
    let client = TestClient::new(app());
    let response = client.get("/wrong/arity/1").await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.text(), "Internal Server Error\n");
    assert!(
        response.stderr_text().contains(
            "does not fit the route `/wrong/arity/{id}`: a tuple of 2 takes 2 parameters, but the route has 1"
        ),
        "{}",
        response.stderr_text()
    );
    let response = client.get("/wrong/field/ann").await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(response.stderr_text().contains("missing field `post`"));
    let response = client.get("/not-routed").await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(
        response
            .stderr_text()
            .contains("Path<T> found no path parameters")
    );
    // Outside any router.
    let response = TestClient::new(not_routed).get("/").await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(
        response
            .stderr_text()
            .contains("serve this handler through a Router")
    );
}

#[tokio::test]
async fn no_route_is_404_naming_the_path() {
    let client = TestClient::new(app());
    let response = client.get("/nope/a%20b?x=1").await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.text(),
        "Not Found: no route matches the path /nope/a b\n"
    );
    // `{id}` takes no empty segment; `/items/` is not `/items/{id}`.
    assert_eq!(client.get("/items/").await.unwrap().status(), 404);
    assert_eq!(client.get("/items/1/2").await.unwrap().status(), 404);
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let client = TestClient::new(app());
    let response = client.method("DELETE", "/items/3").await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.header("allow"), Some("GET, HEAD, POST"));
    assert_eq!(
        response.text(),
        "Method Not Allowed: /items/3 accepts GET, HEAD, POST, not DELETE\n"
    );
    let response = client.post("/", "text/plain", "x").await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.header("allow"), Some("GET, HEAD"));
    // The method is checked after the path: a bad value in a route that
    // does not take the method is still 405.
    let response = client.method("PUT", "/items/abc").await.unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn post_with_body_and_params() {
    let client = TestClient::new(app());
    let response = client
        .post("/items/9", "text/plain", "a new item")
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.text(), "created 9: a new item");
}

#[tokio::test]
async fn head_is_served_by_get_without_the_body() {
    let client = TestClient::new(app());
    let response = client.method("HEAD", "/items/5").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "");
    assert_eq!(response.header("content-length"), Some("6"));
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    // An explicit HEAD handler wins.
    let own = Router::new().route(
        "/x",
        get(index).head(fastcgi::handler::from_fn(|_| async {
            (StatusCode::NO_CONTENT, ())
        })),
    );
    let response = TestClient::new(own).method("HEAD", "/x").await.unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn any_other_methods_and_merged_routes() {
    let propfind = http::Method::from_bytes(b"PROPFIND").unwrap();
    let router = Router::new()
        .route("/dav", on(propfind.clone(), text("props")))
        .route("/dav", options(text("options")))
        .route("/all", any(text("any")).get(text("get")))
        .route("/head-only", head(text("head")));
    let client = TestClient::new(router);
    assert_eq!(
        client.method("PROPFIND", "/dav").await.unwrap().text(),
        "props"
    );
    assert_eq!(
        client.method("OPTIONS", "/dav").await.unwrap().text(),
        "options"
    );
    let response = client.get("/dav").await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.header("allow"), Some("OPTIONS, PROPFIND"));
    assert_eq!(client.get("/all").await.unwrap().text(), "get");
    assert_eq!(client.method("BREW", "/all").await.unwrap().text(), "any");
    assert_eq!(client.get("/head-only").await.unwrap().status(), 405);
    assert_eq!(
        client.get("/head-only").await.unwrap().header("allow"),
        Some("HEAD")
    );
}

#[tokio::test]
async fn priority_literal_then_param_then_catch_all_with_backtracking() {
    let router = Router::new()
        .route("/a/b/c", get(text("literal")))
        .route("/a/{x}/d", get(text("param")))
        .route("/a/{*rest}", get(text("catch-all a")))
        .route("/{*rest}", get(text("catch-all root")));
    let client = TestClient::new(router);
    assert_eq!(get_ok(&client, "/a/b/c").await, "literal");
    // `b` matches literally, `d` does not follow it: back to `{x}`.
    assert_eq!(get_ok(&client, "/a/b/d").await, "param");
    assert_eq!(get_ok(&client, "/a/b/e").await, "catch-all a");
    assert_eq!(get_ok(&client, "/z").await, "catch-all root");
    assert_eq!(get_ok(&client, "/").await, "catch-all root");
}

#[tokio::test]
async fn nested_routers_and_fallbacks() {
    let api = Router::new()
        .route("/", get(text("api root")))
        .route("/version", get(api_version))
        .fallback(api_fallback);
    let tenants = Router::new().route("/items/{id}", get(tenant_item));
    let router = Router::new()
        .route("/", get(index))
        .nest("/api", api)
        .nest("/t/{tenant}", tenants)
        .fallback(custom_404);
    let client = TestClient::new(router);
    assert_eq!(get_ok(&client, "/api").await, "api root");
    assert_eq!(get_ok(&client, "/api/version").await, "api v1");
    assert_eq!(
        get_ok(&client, "/t/acme/items/3").await,
        "tenant acme item 3"
    );
    let response = client.get("/api/nope/deeper").await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.text(), "api has no /api/nope/deeper (0 params)");
    // The nested router without a fallback gets the outer one.
    let response = client.get("/t/acme/other").await.unwrap();
    assert_eq!(response.text(), "custom 404 for /t/acme/other");
    let response = client.get("/elsewhere").await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.text(), "custom 404 for /elsewhere");
    // `/api/` is not the nested `/`.
    assert_eq!(
        client.get("/api/").await.unwrap().text(),
        "api has no /api/ (0 params)"
    );
}

#[tokio::test]
async fn merged_routers() {
    let users = Router::new().route("/users", get(text("users")));
    let router = Router::new()
        .route("/", get(index))
        .merge(users)
        .merge(Router::new().fallback(custom_404));
    let client = TestClient::new(router);
    assert_eq!(get_ok(&client, "/users").await, "users");
    assert_eq!(client.get("/x").await.unwrap().text(), "custom 404 for /x");
}

#[tokio::test]
async fn the_path_is_normalized_as_the_web_servers_do() {
    let client = TestClient::new(app());
    // What a web server would pass as SCRIPT_NAME if it did not normalize.
    for raw in ["/x/../items/7", "//items//7", "/items/./7", "/items/7/."] {
        let response = client.get("/").param("SCRIPT_NAME", raw).await.unwrap();
        let expected = if raw.ends_with('.') { 404 } else { 200 };
        assert_eq!(response.status(), expected, "{raw}: {}", response.text());
    }
    let response = client
        .get("/")
        .param("SCRIPT_NAME", "/items/7/.")
        .await
        .unwrap();
    assert_eq!(
        response.text(),
        "Not Found: no route matches the path /items/7/\n"
    );
    let response = client
        .get("/")
        .param("SCRIPT_NAME", "/../../items/7")
        .await
        .unwrap();
    assert_eq!(response.text(), "item 7");
}

#[tokio::test]
async fn path_sources() {
    // lighttpd with fix-root-scriptname: SCRIPT_NAME "" and the path in PATH_INFO.
    let client = TestClient::new(app());
    let lighttpd = client
        .get("/ignored")
        .param("SCRIPT_NAME", "")
        .param("PATH_INFO", "/items/11")
        .await
        .unwrap();
    assert_eq!(lighttpd.text(), "item 11");
    // A script-name mount: SCRIPT_NAME /app.fcgi, PATH_INFO the rest.
    async fn mounted(client: &TestClient) -> Result<ClientResponse, ClientError> {
        client
            .get("/app.fcgi/items/12")
            .param("SCRIPT_NAME", "/app.fcgi")
            .param("PATH_INFO", "/items/12")
            .send()
            .await
    }
    assert_eq!(mounted(&client).await.unwrap().status(), 404);
    let by_info = TestClient::new(app().path_source(PathSource::PathInfo));
    assert_eq!(mounted(&by_info).await.unwrap().text(), "item 12");
    let nested = TestClient::new(Router::new().nest("/app.fcgi", app()));
    assert_eq!(mounted(&nested).await.unwrap().text(), "item 12");

    // REQUEST_URI: the client's path, before the web server's rewrite.
    async fn rewritten(client: &TestClient) -> Result<ClientResponse, ClientError> {
        client
            .get("/old/items/13?x=1")
            .param("SCRIPT_NAME", "/items/14")
            .send()
            .await
    }
    assert_eq!(rewritten(&client).await.unwrap().text(), "item 14");
    let by_uri = TestClient::new(
        Router::new()
            .route("/old/items/{id}", get(show_item))
            .path_source(PathSource::RequestUri),
    );
    assert_eq!(rewritten(&by_uri).await.unwrap().text(), "item 13");
    let by_param = TestClient::new(app().path_source(PathSource::Param("DOCUMENT_URI")));
    assert_eq!(get_ok(&by_param, "/items/15").await, "item 15");
}

#[tokio::test]
async fn missing_path_variables_are_500_saying_what_to_configure() {
    let client = TestClient::new(app());
    let request = fastcgi::client::ClientRequest::from_params(
        [("REQUEST_METHOD", "GET")].into_iter().collect(),
    );
    let response: ClientResponse = client.send(request).await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(
        response
            .stderr_text()
            .contains("sent neither SCRIPT_NAME nor PATH_INFO"),
        "{}",
        response.stderr_text()
    );
    let by_uri = TestClient::new(app().path_source(PathSource::RequestUri));
    let response = by_uri
        .send(fastcgi::client::ClientRequest::from_params(
            [("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", "/")]
                .into_iter()
                .collect(),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert!(response.stderr_text().contains("no REQUEST_URI"));
}

#[tokio::test]
async fn a_method_router_alone_serves_any_path() {
    let client = TestClient::new(get(index).post(text("posted")));
    assert_eq!(get_ok(&client, "/whatever").await, "index");
    let response = client.method("PUT", "/whatever").await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.header("allow"), Some("GET, HEAD, POST"));
}

#[tokio::test]
async fn state_and_path_together() {
    #[derive(Clone)]
    struct Prefix(&'static str);

    #[fcgi_handler]
    async fn prefixed(State(prefix): State<Prefix>, Path(id): Path<u32>) -> String {
        format!("{}{id}", prefix.0)
    }

    let router = Router::new().route("/p/{id}", get(prefixed));
    let client = TestClient::with_server(Server::new().with_state(Prefix("#")), router);
    assert_eq!(get_ok(&client, "/p/5").await, "#5");
}

#[tokio::test]
async fn path_params_are_the_requests_own_not_application_state() {
    #[derive(Clone)]
    struct Prefix(&'static str);

    /// What this request carries, and where.
    #[fcgi_handler]
    async fn report(parts: RequestParts, State(prefix): State<Prefix>) -> String {
        let own = parts
            .extensions()
            .get::<PathParams>()
            .map_or("none", |p| p.route());
        let shared = parts.state::<PathParams>().map_or("none", |p| p.route());
        format!("{}own={own} shared={shared}", prefix.0)
    }

    let router = Router::new()
        .route("/items/{id}", get(report))
        .route("/plain", get(report));
    let client = TestClient::with_server(Server::new().with_state(Prefix("#")), router);
    assert_eq!(
        get_ok(&client, "/items/7").await,
        "#own=/items/{id} shared=none"
    );
    // The next request on the same server starts from the state alone.
    assert_eq!(get_ok(&client, "/plain").await, "#own=none shared=none");
}

macro_rules! panics_with {
    ($name:ident, $message:literal, $build:expr) => {
        #[test]
        #[should_panic(expected = $message)]
        fn $name() {
            let _ = $build;
        }
    };
}

panics_with!(
    same_paths_under_other_names,
    "the routes `/items/{id}` and `/items/{name}` match the same paths",
    Router::new()
        .route("/items/{id}", get(index))
        .route("/items/{name}", post(index))
);
panics_with!(
    a_method_routed_twice,
    "`GET` is routed twice on `/x`",
    Router::new()
        .route("/x", get(index))
        .route("/x", get(index))
);
panics_with!(
    a_pattern_without_slash,
    "the route `items` must start with `/`",
    Router::new().route("items", get(index))
);
panics_with!(
    old_parameter_syntax,
    "parameters are written `{id}`",
    Router::new().route("/items/:id", get(index))
);
panics_with!(
    nesting_at_the_root,
    "use `Router::merge`",
    Router::new().nest("/", Router::new())
);
panics_with!(
    two_fallbacks_merged,
    "both merged routers have a fallback",
    Router::new()
        .fallback(index)
        .merge(Router::new().fallback(index))
);
