//! Rejections handled by the handler (`Option<T>`, `Result<T, Rejection>`)
//! and the limits on buffered bodies, over real FastCGI records: what the
//! handler sees, and what the client is told.

use fastcgi::client::ClientError;
use fastcgi::extract::{
    BodyLimit, BodyRejection, DEFAULT_BODY_LIMIT, FormRejection, JsonRejection, MetaVarRejection,
    QueryRejection,
};
use fastcgi::prelude::*;
use fastcgi::testing::TestClient;
use serde::Deserialize;

#[derive(Deserialize)]
struct NewNote {
    #[allow(dead_code)]
    title: String,
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
struct Tag {
    #[allow(dead_code)]
    name: String,
    weight: u8,
}

/// Answers its rejections as JSON, as an API would.
#[fcgi_handler]
async fn create(note: Result<Json<NewNote>, JsonRejection>) -> (StatusCode, String) {
    match note {
        Ok(Json(note)) => (
            StatusCode::CREATED,
            format!(
                "{} tags, weight {}",
                note.tags.len(),
                note.tags.iter().map(|t| u32::from(t.weight)).sum::<u32>()
            ),
        ),
        Err(JsonRejection::Data { path, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{{\"field\":\"{path}\"}}"),
        ),
        Err(JsonRejection::Syntax { source }) => (
            StatusCode::BAD_REQUEST,
            format!(
                "{{\"line\":{},\"column\":{}}}",
                source.line(),
                source.column()
            ),
        ),
        Err(JsonRejection::Body(BodyRejection::TooLarge { limit })) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{{\"limit\":{}}}", limit.bytes().unwrap_or(0)),
        ),
        Err(other) => (
            other.status(),
            format!("{{\"error\":{:?}}}", other.to_string()),
        ),
    }
}

#[tokio::test]
async fn a_json_rejection_keeps_its_cause() -> Result<(), ClientError> {
    let client = TestClient::new(create);
    let ok = client
        .post(
            "/",
            "application/json",
            r#"{"title":"a","tags":[{"name":"x","weight":2}]}"#,
        )
        .await?;
    assert_eq!(ok.status(), 201);
    assert_eq!(ok.text(), "1 tags, weight 2");
    // A data error names the path to the field at fault.
    let data = client
        .post(
            "/",
            "application/json",
            r#"{"title":"a","tags":[{"name":"x","weight":2},{"name":"y","weight":300}]}"#,
        )
        .await?;
    assert_eq!(data.status(), 422);
    assert_eq!(data.text(), r#"{"field":"tags[1].weight"}"#);
    // A syntax error gives its line and column.
    let syntax = client
        .post("/", "application/json", "{\n  \"title\": \"a\",\n  oops\n}")
        .await?;
    assert_eq!(syntax.status(), 400);
    assert_eq!(syntax.text(), r#"{"line":3,"column":3}"#);
    // A body over the limit is still "too large, with this limit" through
    // the handler's own match, not "could not read the body".
    let large = client
        .post("/", "application/json", vec![b' '; 3 * 1024 * 1024])
        .await?;
    assert_eq!(large.status(), 413);
    assert_eq!(large.text(), format!("{{\"limit\":{DEFAULT_BODY_LIMIT}}}"));
    let wrong_type = client.post("/", "text/plain", "{}").await?;
    assert_eq!(wrong_type.status(), 415);
    assert!(
        wrong_type.text().contains("application/json"),
        "{}",
        wrong_type.text()
    );
    Ok(())
}

#[tokio::test]
async fn the_default_json_answer_names_the_field() -> Result<(), ClientError> {
    #[fcgi_handler]
    async fn strict(Json(note): Json<NewNote>) -> String {
        note.tags.len().to_string()
    }
    let response = TestClient::new(strict)
        .post(
            "/",
            "application/json",
            r#"{"title":"a","tags":[{"name":"x","weight":-1}]}"#,
        )
        .await?;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .starts_with("Unprocessable Entity: tags[0].weight: invalid value: integer `-1`"),
        "{}",
        response.text()
    );
    Ok(())
}

#[derive(Deserialize)]
struct Sum {
    a: u32,
    b: u32,
}

#[fcgi_handler]
async fn add(
    sum: Result<Query<Sum>, QueryRejection>,
    http_x_scale: Option<u32>,
    remote_user: Result<String, MetaVarRejection>,
) -> String {
    let scale = http_x_scale.unwrap_or(1);
    let user = remote_user.unwrap_or_else(|err| format!("anonymous ({})", err.name()));
    match sum {
        Ok(Query(sum)) => format!("{} for {user}", (sum.a + sum.b) * scale),
        Err(err) => format!("field {:?}: {err}", err.field()),
    }
}

#[tokio::test]
async fn query_and_meta_variable_rejections_are_values() -> Result<(), ClientError> {
    let client = TestClient::new(add);
    assert_eq!(
        client.get("/?a=1&b=2").await?.text(),
        "3 for anonymous (REMOTE_USER)"
    );
    let scaled = client
        .get("/?a=1&b=2")
        .header("X-Scale", "10")
        .param("REMOTE_USER", "ann")
        .await?;
    assert_eq!(scaled.text(), "30 for ann");
    assert_eq!(
        client.get("/?a=1&b=x").await?.text(),
        "field Some(\"b\"): invalid query string: b: invalid digit found in string"
    );
    Ok(())
}

#[fcgi_handler]
async fn maybe(page: Option<Query<Sum>>, body: Option<Form<Sum>>) -> String {
    format!(
        "{:?} {:?}",
        page.map(|Query(s)| s.a + s.b),
        body.map(|Form(s)| s.a * s.b)
    )
}

#[tokio::test]
async fn option_is_none_instead_of_the_rejection() -> Result<(), ClientError> {
    let client = TestClient::new(maybe);
    let both = client
        .post("/?a=1&b=2", "application/x-www-form-urlencoded", "a=3&b=4")
        .await?;
    assert_eq!(both.text(), "Some(3) Some(12)");
    let neither = client.post("/?a=1", "application/json", "{}").await?;
    assert_eq!(neither.status(), 200);
    assert_eq!(neither.text(), "None None");
    Ok(())
}

#[fcgi_handler]
async fn form_reason(form: Result<Form<Sum>, FormRejection>) -> String {
    match form {
        Ok(Form(sum)) => (sum.a + sum.b).to_string(),
        Err(FormRejection::Invalid(err)) => format!("{:?}", err.field()),
        Err(other) => other.to_string(),
    }
}

#[tokio::test]
async fn form_errors_name_the_field() -> Result<(), ClientError> {
    let client = TestClient::new(form_reason);
    let response = client
        .post("/", "application/x-www-form-urlencoded", "a=1&b=-2")
        .await?;
    assert_eq!(response.text(), "Some(\"b\")");
    Ok(())
}

// --- Body limits ------------------------------------------------------------

#[fcgi_handler]
async fn size(body: Bytes) -> String {
    format!("{} bytes", body.len())
}

fn post_bytes<'a>(
    client: &'a TestClient,
    path: &str,
    len: usize,
) -> fastcgi::testing::TestRequest<'a> {
    client.post(path, "application/octet-stream", vec![b'x'; len])
}

#[tokio::test]
async fn the_default_413_says_how_to_raise_the_limit() -> Result<(), ClientError> {
    let client = TestClient::new(size);
    let response = post_bytes(&client, "/", DEFAULT_BODY_LIMIT + 1).await?;
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.text(),
        "Payload Too Large: the request body is larger than the limit of 2 MiB (2097152 bytes), \
         fastcgi-rs's default; the application raises it with `Server::body_limit`, or for some \
         routes with `body_limit` on their `Router` or `MethodRouter`\n"
    );
    Ok(())
}

#[tokio::test]
async fn the_server_sets_the_limit_for_every_request() -> Result<(), ClientError> {
    let server = Server::new().body_limit(BodyLimit::max(4 * 1024 * 1024));
    let client = TestClient::with_server(server, size);
    // What the default refused, the server's limit allows...
    let fits = post_bytes(&client, "/", 3 * 1024 * 1024).await?;
    assert_eq!(fits.text(), "3145728 bytes");
    // ...up to its own limit, which the 413 names, with where it is set.
    let over = post_bytes(&client, "/", 4 * 1024 * 1024 + 1).await?;
    assert_eq!(over.status(), 413);
    assert!(
        over.text().contains(
            "limit of 4 MiB (4194304 bytes), set by the application with `Server::body_limit`"
        ),
        "{}",
        over.text()
    );
    Ok(())
}

#[tokio::test]
async fn routers_and_routes_override_the_server() -> Result<(), ClientError> {
    let uploads = Router::new()
        .route(
            "/uploads/big",
            post(size).body_limit(BodyLimit::unlimited()),
        )
        .route("/uploads/small", post(size))
        .body_limit(BodyLimit::max(1024));
    let app = Router::new()
        .route("/tiny", post(size).body_limit(BodyLimit::max(10)))
        .route("/plain", post(size))
        .merge(uploads);
    let server = Server::new().body_limit(BodyLimit::max(100));
    let client = TestClient::with_server(server, app);

    // The server's limit where nothing narrower is set.
    assert_eq!(
        post_bytes(&client, "/plain", 100).await?.text(),
        "100 bytes"
    );
    assert_eq!(post_bytes(&client, "/plain", 101).await?.status(), 413);
    // A route's own limit.
    assert_eq!(post_bytes(&client, "/tiny", 10).await?.text(), "10 bytes");
    let tiny = post_bytes(&client, "/tiny", 11).await?;
    assert_eq!(tiny.status(), 413);
    assert!(
        tiny.text()
            .contains("limit of 10 bytes, set by the application for this route"),
        "{}",
        tiny.text()
    );
    // The router's limit over its routes, and a route's inside it.
    assert_eq!(
        post_bytes(&client, "/uploads/small", 1024).await?.text(),
        "1024 bytes"
    );
    assert_eq!(
        post_bytes(&client, "/uploads/small", 1025).await?.status(),
        413
    );
    // No limit at all: more than the default 2 MiB.
    let big = post_bytes(&client, "/uploads/big", DEFAULT_BODY_LIMIT + 1).await?;
    assert_eq!(big.text(), format!("{} bytes", DEFAULT_BODY_LIMIT + 1));
    Ok(())
}
