//! Every extractor, taken over real FastCGI records: what a handler gets
//! when the request fits, and the response its rejection gives when it
//! does not (400 or 415 for the client's fault, 413 for a body over the
//! limit, 500 with the reason on FCGI_STDERR for the application's or the
//! web server's).

use fastcgi::client::ClientResponse;
use fastcgi::extract::{DEFAULT_BODY_LIMIT, FromRequest, FromRequestParts, Text};
use fastcgi::handler::{Handler, from_fn};
use fastcgi::prelude::*;
use fastcgi::protocol::Role;
use fastcgi::response::Stderr;
use fastcgi::testing::TestClient;
use serde::Deserialize;

fn assert_rejected(response: &ClientResponse, status: u16, says: &str) {
    assert_eq!(response.status(), status, "{}", response.text());
    let text = format!("{}{}", response.text(), response.stderr_text());
    assert!(text.contains(says), "{says:?} not in {text:?}");
}

// --- From the params (FCGI_PARAMS) -----------------------------------------

#[fcgi_handler]
async fn take_environ(environ: Environ) -> String {
    environ.get("HTTP_X_TRACE").unwrap_or("none").to_owned()
}

#[tokio::test]
async fn environ_holds_every_param() -> Result<(), fastcgi::client::ClientError> {
    let client = TestClient::new(take_environ);
    let response = client.get("/").header("X-Trace", "abc").await?;
    assert_eq!(response.text(), "abc");
    Ok(())
}

#[fcgi_handler]
async fn take_parts(parts: RequestParts, abort: AbortSignal) -> String {
    format!(
        "{:?} {} {}",
        parts.role(),
        parts.environ().query_string(),
        abort.is_aborted()
    )
}

#[tokio::test]
async fn request_parts_and_abort_signal() -> Result<(), fastcgi::client::ClientError> {
    let response = TestClient::new(take_parts).get("/?q=1").await?;
    assert_eq!(response.text(), "Responder q=1 false");
    Ok(())
}

#[fcgi_handler]
async fn take_logs(stderr: Stderr) -> &'static str {
    let _ = stderr.write("cache miss\n").await;
    "ok"
}

#[tokio::test]
async fn stderr_writes_on_fcgi_stderr() -> Result<(), fastcgi::client::ClientError> {
    let response = TestClient::new(take_logs).get("/").await?;
    assert_eq!(response.text(), "ok");
    assert_eq!(response.stderr_text(), "cache miss\n");
    Ok(())
}

#[derive(Deserialize)]
struct Page {
    page: u32,
}

#[fcgi_handler]
async fn take_query(Query(page): Query<Page>) -> String {
    format!("page {}", page.page)
}

#[tokio::test]
async fn query_parses_or_answers_400() -> Result<(), fastcgi::client::ClientError> {
    let client = TestClient::new(take_query);
    assert_eq!(client.get("/?page=3").await?.text(), "page 3");
    // The field at fault is named, as axum does.
    assert_rejected(
        &client.get("/?page=three").await?,
        400,
        "invalid query string: page: invalid digit found in string",
    );
    assert_rejected(&client.get("/").await?, 400, "missing field `page`");
    Ok(())
}

#[derive(Clone)]
struct Greeting(&'static str);

#[fcgi_handler]
async fn take_state(State(greeting): State<Greeting>) -> &'static str {
    greeting.0
}

#[tokio::test]
async fn state_is_shared_or_a_500_that_says_how_to_register_it()
-> Result<(), fastcgi::client::ClientError> {
    let with = TestClient::with_server(Server::new().with_state(Greeting("hello")), take_state);
    assert_eq!(with.get("/").await?.text(), "hello");
    let without = TestClient::new(take_state).get("/").await?;
    assert_rejected(&without, 500, "Server::with_state");
    Ok(())
}

#[fcgi_handler]
async fn take_item(Path((user, id)): Path<(String, u32)>, params: PathParams) -> String {
    format!("{user} {id} {}", params.route())
}

#[tokio::test]
async fn path_parameters_parse_or_answer_400_or_500() -> Result<(), fastcgi::client::ClientError> {
    let routed = TestClient::new(Router::new().route("/users/{user}/items/{id}", get(take_item)));
    let response = routed.get("/users/ann/items/7").await?;
    assert_eq!(response.text(), "ann 7 /users/{user}/items/{id}");
    // The client's bad value: 400.
    assert_rejected(&routed.get("/users/ann/items/seven").await?, 400, "seven");
    // Not behind a router: the application's mistake, 500.
    let unrouted = TestClient::new(take_item).get("/users/ann/items/7").await?;
    assert_eq!(unrouted.status(), 500);
    Ok(())
}

#[derive(Clone)]
struct RequestId(u32);

#[fcgi_handler]
async fn take_extension(Extension(id): Extension<RequestId>) -> String {
    format!("request {}", id.0)
}

#[tokio::test]
async fn extension_comes_from_the_request_or_the_state_or_is_a_500()
-> Result<(), fastcgi::client::ClientError> {
    // A handler wrapping another passes a per-request value.
    let wrapped = from_fn(|mut request: Request| async move {
        request.extensions_mut().insert(RequestId(7));
        take_extension.call(request).await
    });
    assert_eq!(TestClient::new(wrapped).get("/").await?.text(), "request 7");
    let from_state =
        TestClient::with_server(Server::new().with_state(RequestId(1)), take_extension);
    assert_eq!(from_state.get("/").await?.text(), "request 1");
    let missing = TestClient::new(take_extension).get("/").await?;
    assert_rejected(&missing, 500, "no request extension of type");
    Ok(())
}

#[fcgi_handler]
async fn take_by_name(http_x_count: u32, remote_addr: std::net::IpAddr) -> String {
    format!("{http_x_count} from {remote_addr}")
}

#[fcgi_handler]
async fn take_redirect_status(#[fcgi(name = "SSL_PROTOCOL")] tls: String) -> String {
    tls
}

#[tokio::test]
async fn meta_variables_by_name_parse_or_answer_400_or_500()
-> Result<(), fastcgi::client::ClientError> {
    let client = TestClient::new(take_by_name);
    let ok = client.get("/").header("X-Count", "3").await?;
    assert_eq!(ok.text(), "3 from 127.0.0.1");
    // The client sent a bad header: 400.
    assert_rejected(
        &client.get("/").header("X-Count", "three").await?,
        400,
        "HTTP_X_COUNT",
    );
    // The web server sent a bad or no REMOTE_ADDR: 500.
    let bad_server = client
        .get("/")
        .header("X-Count", "3")
        .param("REMOTE_ADDR", "nowhere")
        .await?;
    assert_rejected(&bad_server, 500, "REMOTE_ADDR");
    // A required header the client did not send: 400, naming the header.
    assert_rejected(
        &client.get("/").await?,
        400,
        "no `X-Count` header (HTTP_X_COUNT)",
    );
    // A required variable only the web server sets is a configuration
    // matter (make the argument an Option to accept its absence): 500.
    let no_redirect_status = TestClient::new(take_redirect_status).get("/").await?;
    assert_rejected(&no_redirect_status, 500, "fastcgi_param SSL_PROTOCOL");
    Ok(())
}

// --- From the body (FCGI_STDIN, FCGI_DATA) ---------------------------------

#[fcgi_handler]
async fn take_stream(mut body: Body) -> String {
    let mut total = 0;
    while let Ok(Some(chunk)) = body.chunk().await {
        total += chunk.len();
    }
    format!("{total} bytes")
}

#[tokio::test]
async fn body_streams_the_request_body() -> Result<(), fastcgi::client::ClientError> {
    let response = TestClient::new(take_stream)
        .post("/", "application/octet-stream", vec![1u8; 200_000])
        .await?;
    assert_eq!(response.text(), "200000 bytes");
    Ok(())
}

#[tokio::test]
async fn a_stream_taken_twice_is_a_500() {
    let mut request = Request::new(RequestParts::new(Environ::default()), Body::empty());
    let _first = request.take_body();
    let body = Body::from_request(&mut request).await.expect_err("taken");
    assert_eq!(body.what(), "body");
    assert_eq!(body.into_response().status(), 500);
    let _writer = ResponseWriter::from_request(&mut request).await;
    let writer = ResponseWriter::from_request(&mut request)
        .await
        .expect_err("taken");
    assert_eq!(writer.into_response().status(), 500);
}

#[fcgi_handler]
async fn take_bytes(body: bytes::Bytes) -> String {
    format!("{} bytes", body.len())
}

#[fcgi_handler]
async fn take_vec(body: Vec<u8>) -> String {
    format!("{} bytes", body.len())
}

#[tokio::test]
async fn buffered_bodies_or_413_over_the_limit() -> Result<(), fastcgi::client::ClientError> {
    for client in [TestClient::new(take_bytes), TestClient::new(take_vec)] {
        let fits = client
            .post("/", "application/octet-stream", vec![0u8; 1000])
            .await?;
        assert_eq!(fits.text(), "1000 bytes");
        let over = client
            .post(
                "/",
                "application/octet-stream",
                vec![0u8; DEFAULT_BODY_LIMIT + 1],
            )
            .await?;
        assert_rejected(&over, 413, "Payload Too Large");
    }
    Ok(())
}

#[fcgi_handler]
async fn take_text(Text(text): Text) -> String {
    text.to_uppercase()
}

#[tokio::test]
async fn text_is_utf8_or_400() -> Result<(), fastcgi::client::ClientError> {
    let client = TestClient::new(take_text);
    assert_eq!(client.post("/", "text/plain", "hi").await?.text(), "HI");
    let bad = client.post("/", "text/plain", vec![0xff, 0xfe]).await?;
    assert_rejected(&bad, 400, "not valid UTF-8");
    Ok(())
}

#[derive(Deserialize, serde::Serialize)]
struct Login {
    user: String,
}

#[fcgi_handler]
async fn take_json(Json(login): Json<Login>) -> String {
    format!("hello {}", login.user)
}

#[tokio::test]
async fn json_parses_or_answers_415_400_422_or_413() -> Result<(), fastcgi::client::ClientError> {
    let client = TestClient::new(take_json);
    let ok = client
        .post("/", "application/json", r#"{"user":"ann"}"#)
        .await?;
    assert_eq!(ok.text(), "hello ann");
    let suffix = client
        .post(
            "/",
            "application/vnd.api+json; charset=utf-8",
            r#"{"user":"bo"}"#,
        )
        .await?;
    assert_eq!(suffix.text(), "hello bo");
    assert_rejected(
        &client.post("/", "text/plain", r#"{"user":"ann"}"#).await?,
        415,
        "application/json",
    );
    // JSON of the wrong shape: 422 (as in axum).
    assert_rejected(
        &client
            .post("/", "application/json", r#"{"name":1}"#)
            .await?,
        422,
        "missing field `user`",
    );
    // Not JSON at all: 400, with where it breaks.
    assert_rejected(
        &client.post("/", "application/json", "{\"user\":").await?,
        400,
        "not valid JSON: EOF while parsing a value at line 1 column 8",
    );
    let over = client
        .post("/", "application/json", vec![b' '; DEFAULT_BODY_LIMIT + 1])
        .await?;
    assert_rejected(&over, 413, "Payload Too Large");
    Ok(())
}

#[fcgi_handler]
async fn take_form(Form(login): Form<Login>) -> String {
    format!("hello {}", login.user)
}

#[tokio::test]
async fn form_parses_or_answers_415_422_or_413() -> Result<(), fastcgi::client::ClientError> {
    let client = TestClient::new(take_form);
    let ok = client
        .post("/", "application/x-www-form-urlencoded", "user=ann+lee")
        .await?;
    assert_eq!(ok.text(), "hello ann lee");
    let with_charset = client
        .post(
            "/",
            "Application/X-WWW-Form-Urlencoded; charset=utf-8",
            "user=bo",
        )
        .await?;
    assert_eq!(with_charset.text(), "hello bo");
    assert_rejected(
        &client.post("/", "application/json", "user=ann").await?,
        415,
        "application/x-www-form-urlencoded",
    );
    assert_rejected(
        &client
            .post("/", "application/x-www-form-urlencoded", "name=ann")
            .await?,
        422,
        "invalid form body: missing field `user`",
    );
    let over = client
        .post(
            "/",
            "application/x-www-form-urlencoded",
            vec![b'a'; DEFAULT_BODY_LIMIT + 1],
        )
        .await?;
    assert_rejected(&over, 413, "Payload Too Large");
    Ok(())
}

#[fcgi_handler]
async fn take_filter(Data(data): Data) -> String {
    match data.to_bytes(1024).await {
        Ok(bytes) => format!("{} data bytes", bytes.len()),
        Err(err) => err.to_string(),
    }
}

#[tokio::test]
async fn data_is_the_filter_roles_file() -> Result<(), fastcgi::client::ClientError> {
    let client = TestClient::new(take_filter);
    let response = client.get("/").role(Role::Filter).data("12345").await?;
    assert_eq!(response.text(), "5 data bytes");
    // Not a filter: an empty stream.
    assert_eq!(client.get("/").await?.text(), "0 data bytes");
    Ok(())
}

#[fcgi_handler]
async fn take_hand_written(mut out: ResponseWriter) -> std::io::Result<()> {
    out.send_response(StatusCode::CREATED, "text/plain", "made", &[], true)
        .await
}

#[tokio::test]
async fn response_writer_writes_the_response_by_hand() -> Result<(), fastcgi::client::ClientError> {
    let response = TestClient::new(take_hand_written).get("/").await?;
    assert_eq!(response.status(), 201);
    assert_eq!(response.text(), "made");
    Ok(())
}

#[fcgi_handler]
async fn take_whole(request: Request) -> String {
    request
        .environ()
        .get("REQUEST_METHOD")
        .unwrap_or("?")
        .to_owned()
}

#[tokio::test]
async fn request_is_the_whole_request() -> Result<(), fastcgi::client::ClientError> {
    let response = TestClient::new(take_whole).method("PUT", "/").await?;
    assert_eq!(response.text(), "PUT");
    Ok(())
}

#[tokio::test]
async fn parts_extractors_run_on_parts_alone() {
    // Any number of them, in any order, without touching the body.
    let environ: Environ = [("QUERY_STRING", "page=2")].into_iter().collect();
    let parts = RequestParts::new(environ);
    let Query(page) = Query::<Page>::from_request_parts(&parts)
        .await
        .unwrap_or_else(|_| panic!("a valid query"));
    let again = Environ::from_request_parts(&parts).await;
    assert_eq!(page.page, 2);
    assert!(again.is_ok());
}
