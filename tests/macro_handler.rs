//! What `#[fcgi_handler]` generates, seen from outside: requests built by
//! hand go through `Handler::call`, and the responses are checked; the
//! annotated fns stay callable as `NAME::handle`.

use std::net::IpAddr;
use std::path::PathBuf;

use fastcgi::prelude::*;
use fastcgi::testing::TestClient;
use serde::{Deserialize, Serialize};

fn request(environ: &[(&str, &str)], body: &'static str) -> Request {
    let environ: Environ = environ.iter().copied().collect();
    Request::new(RequestParts::new(environ), Body::from_bytes(body))
}

fn text(response: &Response) -> &str {
    let bytes = response.body().as_bytes().expect("a full body");
    std::str::from_utf8(bytes).expect("a UTF-8 body")
}

// --- By name: CGI meta-variables ----------------------------------------

/// The document root, read by name.
#[fcgi_handler]
async fn show_root(document_root: PathBuf) -> String {
    document_root.display().to_string()
}

#[tokio::test]
async fn meta_variable_is_read_by_the_argument_name() {
    let response = show_root
        .call(request(&[("DOCUMENT_ROOT", "/srv/www")], ""))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(text(&response), "/srv/www");
}

#[tokio::test]
async fn missing_meta_variable_is_a_server_error() {
    let response = show_root.call(request(&[], "")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// A client-controlled and a server-set meta-variable, both parsed.
#[fcgi_handler]
async fn parsed(http_x_count: Option<u32>, remote_addr: Option<IpAddr>) -> String {
    format!("{http_x_count:?} {remote_addr:?}")
}

#[tokio::test]
async fn unparsable_meta_variable_is_400_from_the_client_and_500_from_the_server() {
    let ok = parsed
        .call(request(
            &[("HTTP_X_COUNT", "3"), ("REMOTE_ADDR", "10.0.0.1")],
            "",
        ))
        .await;
    assert_eq!(text(&ok), "Some(3) Some(10.0.0.1)");

    let client = parsed.call(request(&[("HTTP_X_COUNT", "x")], "")).await;
    assert_eq!(client.status(), StatusCode::BAD_REQUEST);
    assert!(text(&client).contains("HTTP_X_COUNT"), "{}", text(&client));

    let server = parsed
        .call(request(&[("REMOTE_ADDR", "not-an-ip")], ""))
        .await;
    assert_eq!(server.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// Optional meta-variables.
#[fcgi_handler]
async fn optional(content_length: Option<u64>, http_user_agent: Option<String>) -> String {
    format!("{content_length:?} {http_user_agent:?}")
}

#[tokio::test]
async fn optional_meta_variable_is_none_when_absent_or_empty() {
    let response = optional.call(request(&[("CONTENT_LENGTH", "")], "")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(text(&response), "None None");

    let response = optional
        .call(request(
            &[("CONTENT_LENGTH", "12"), ("HTTP_USER_AGENT", "curl")],
            "",
        ))
        .await;
    assert_eq!(text(&response), "Some(12) Some(\"curl\")");
}

/// Renamed and raw-identifier arguments.
#[fcgi_handler]
async fn renamed(
    #[fcgi(name = "HTTP_X_FORWARDED_FOR")] forwarded_for: Option<String>,
    r#type: String,
) -> String {
    format!("{forwarded_for:?} {type}", type = r#type)
}

#[tokio::test]
async fn fcgi_name_reads_another_meta_variable_and_raw_identifiers_lose_their_prefix() {
    let response = renamed
        .call(request(
            &[
                ("HTTP_X_FORWARDED_FOR", "192.0.2.7"),
                ("FORWARDED_FOR", "wrong"),
                ("TYPE", "dir"),
            ],
            "",
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(text(&response), "Some(\"192.0.2.7\") dir");
}

// --- By type: extractors ------------------------------------------------

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Listing {
    path: String,
    #[serde(default)]
    hidden: bool,
}

/// A destructured query, and a `Result` with an error status.
#[fcgi_handler]
async fn list(Query(listing): Query<Listing>) -> Result<impl IntoResponse, StatusCode> {
    if listing.path.contains("..") {
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(Json(listing))
}

#[tokio::test]
async fn query_is_deserialized_and_a_bad_one_is_400() {
    let response = list
        .call(request(&[("QUERY_STRING", "path=docs&hidden=true")], ""))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(text(&response), r#"{"path":"docs","hidden":true}"#);

    let response = list
        .call(request(&[("QUERY_STRING", "hidden=maybe")], ""))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let response = list
        .call(request(&[("QUERY_STRING", "path=../etc")], ""))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Item {
    name: String,
    n: u32,
}

/// A JSON body in, JSON out.
#[fcgi_handler]
async fn double(Json(mut item): Json<Item>) -> Json<Item> {
    item.n *= 2;
    Json(item)
}

#[tokio::test]
async fn json_body_is_deserialized_and_bad_ones_are_415_or_400() {
    let json = ("CONTENT_TYPE", "application/json");
    let response = double
        .call(request(&[json], r#"{"name":"a","n":21}"#))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(text(&response), r#"{"name":"a","n":42}"#);

    let response = double
        .call(request(&[("CONTENT_TYPE", "text/plain")], "{}"))
        .await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // JSON that does not fit the type: 422, as in axum.
    let response = double.call(request(&[json], r#"{"name":"a"}"#)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Parts first, then the whole request, last since it takes the body.
#[fcgi_handler]
async fn whole(environ: Environ, _: AbortSignal, request: Request) -> String {
    format!(
        "{} {}",
        request.environ().request_method().unwrap_or("-"),
        environ.len()
    )
}

#[tokio::test]
async fn request_and_parts_extractors_combine() {
    let response = whole.call(request(&[("REQUEST_METHOD", "GET")], "")).await;
    assert_eq!(text(&response), "GET 1");
}

/// No arguments, no return value.
#[fcgi_handler]
async fn nothing() {}

#[tokio::test]
async fn unit_return_is_an_empty_200() {
    let response = nothing.call(request(&[], "")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(text(&response), "");
}

// --- Plain fns -----------------------------------------------------------

/// A plain fn: runs on the blocking pool.
#[fcgi_handler]
fn store(script_name: String, Json(item): Json<Item>) -> (StatusCode, String) {
    (StatusCode::CREATED, format!("{script_name}/{}", item.name))
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_fn_handler_runs() {
    let response = store
        .call(request(
            &[
                ("CONTENT_TYPE", "application/json"),
                ("SCRIPT_NAME", "/items"),
            ],
            r#"{"name":"b","n":1}"#,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(text(&response), "/items/b");

    // Extraction still answers before the fn runs.
    let response = store
        .call(request(
            &[
                ("CONTENT_TYPE", "application/json"),
                ("SCRIPT_NAME", "/items"),
            ],
            "{}",
        ))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// A plain fn reads the body with `std::io::Read`.
#[fcgi_handler]
fn count_bytes(mut body: BlockingBody) -> Result<String, StatusCode> {
    use std::io::Read;
    let mut buf = Vec::new();
    body.read_to_end(&mut buf)
        .map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok(buf.len().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_fn_reads_the_body_with_std_io() {
    let response = count_bytes.call(request(&[], "hello")).await;
    assert_eq!(text(&response), "5");
}

/// Always panics.
#[fcgi_handler]
fn explode() -> &'static str {
    panic!("boom")
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_fn_panic_propagates_out_of_call() {
    let joined = tokio::spawn(async { explode.call(request(&[], "")).await }).await;
    let error = joined.expect_err("the panic reaches the caller of `call`");
    assert!(error.is_panic());
    let payload = error.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
}

// --- Through the server ---------------------------------------------------

/// Reads a meta-variable that the test client does not send by default.
#[fcgi_handler]
async fn script(script_filename: PathBuf) -> String {
    script_filename.display().to_string()
}

#[tokio::test]
async fn through_the_server_a_missing_meta_variable_is_explained_on_stderr() {
    let client = TestClient::new(script);
    let response = client
        .get("/x")
        .param("SCRIPT_FILENAME", "/srv/x.php")
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text(), "/srv/x.php");

    let response = client.get("/x").await.expect("a response");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let stderr = response.stderr_text();
    assert!(stderr.contains("fastcgi_param SCRIPT_FILENAME"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn through_the_server_a_panicking_plain_fn_answers_500() {
    let client = TestClient::new(explode);
    let response = client.get("/").await.expect("a response");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

// --- The generated items -------------------------------------------------

#[tokio::test]
async fn annotated_fns_stay_callable_as_handle() {
    assert_eq!(show_root::handle(PathBuf::from("/srv")).await, "/srv");
    let item = Item {
        name: "c".to_owned(),
        n: 2,
    };
    assert_eq!(double::handle(Json(item)).await.0.n, 4);
    let (status, body) = store::handle(
        "/x".to_owned(),
        Json(Item {
            name: "d".to_owned(),
            n: 0,
        }),
    );
    assert_eq!((status, body.as_str()), (StatusCode::CREATED, "/x/d"));
}

#[test]
fn handler_value_is_a_copyable_unit_struct() {
    fn assert_handler<H: Handler + Copy + Default + std::fmt::Debug>(handler: H) -> String {
        format!("{handler:?}")
    }
    assert_eq!(assert_handler(show_root), "show_root");
    assert_eq!(assert_handler(store), "store");
}

#[tokio::test]
async fn handlers_can_be_declared_inside_a_fn() {
    #[fcgi_handler]
    async fn local(server_name: String) -> String {
        server_name
    }
    let response = local.call(request(&[("SERVER_NAME", "a")], "")).await;
    assert_eq!(text(&response), "a");
}

mod nested {
    use fastcgi::prelude::*;

    /// Visibility follows the fn's; the crate path can be given.
    #[fcgi_handler(crate = "::fastcgi")]
    pub(crate) async fn visible(query_string: String) -> String {
        query_string
    }
}

#[tokio::test]
async fn visibility_and_crate_path_are_kept() {
    let response = nested::visible
        .call(request(&[("QUERY_STRING", "a=1")], ""))
        .await;
    assert_eq!(text(&response), "a=1");
    assert_eq!(nested::visible::handle("b".to_owned()).await, "b");
}
