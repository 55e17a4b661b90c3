//! The extractors behind features, over real FastCGI records: `Multipart`
//! (`multipart`), `TypedHeader<T>` (`typed-header`) and the cookie jars
//! (`cookies`).

use fastcgi::client::ClientError;
use fastcgi::extract::cookie::{Cookie, Key};
use fastcgi::extract::headers::{Authorization, UserAgent, authorization::Bearer};
use fastcgi::extract::{
    BodyLimit, CookieJar, Multipart, MultipartError, PrivateCookieJar, SignedCookieJar, TypedHeader,
};
use fastcgi::prelude::*;
use fastcgi::testing::TestClient;

const BOUNDARY: &str = "XyZ";

fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(file) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

#[fcgi_handler]
async fn upload(mut form: Multipart) -> Result<String, MultipartError> {
    form.set_field_limit(64 * 1024);
    let mut out = String::new();
    while let Some(mut field) = form.next_field().await? {
        let name = field.name().unwrap_or("?").to_owned();
        let file = field.file_name().map(str::to_owned);
        let mut len = 0;
        while let Some(chunk) = field.chunk().await? {
            len += chunk.len();
        }
        out += &format!("{name} {file:?} {len}\n");
    }
    Ok(out)
}

#[tokio::test]
async fn multipart_streams_fields_under_limits() -> Result<(), ClientError> {
    let app = Router::new()
        .route("/", post(upload))
        .route("/big", post(upload).body_limit(BodyLimit::max(512 * 1024)));
    let client = TestClient::new(app);
    let body = form(&[
        ("title", None, b"hello"),
        ("file", Some("a.bin"), &[7u8; 40_000]),
    ]);
    let response = client.post("/", &multipart_type(), body).await?;
    assert_eq!(
        response.text(),
        "title None 5\nfile Some(\"a.bin\") 40000\n"
    );

    // One field over the per-field limit: 413, naming the field and limit.
    let body = form(&[("file", Some("b.bin"), &[7u8; 70_000])]);
    let response = client.post("/big", &multipart_type(), body).await?;
    assert_eq!(response.status(), 413);
    assert!(
        response
            .text()
            .contains("field `file` is larger than the limit of 64 KiB"),
        "{}",
        response.text()
    );

    // The whole body over the route's limit (each field fits): 413 naming
    // the route's limit.
    let small = [5u8; 60_000];
    let fields: Vec<(&str, Option<&str>, &[u8])> =
        (0..10).map(|_| ("part", None, &small[..])).collect();
    let response = client
        .post("/big", &multipart_type(), form(&fields))
        .await?;
    assert_eq!(response.status(), 413);
    assert!(
        response
            .text()
            .contains("limit of 512 KiB, set by the application for this route"),
        "{}",
        response.text()
    );

    // Not multipart: 415; no boundary: 400.
    assert_eq!(client.post("/", "text/plain", "x").await?.status(), 415);
    assert_eq!(
        client.post("/", "multipart/form-data", "x").await?.status(),
        400
    );
    // A body cut short: 400 with multer's reason.
    let response = client
        .post(
            "/",
            &multipart_type(),
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc"),
        )
        .await?;
    assert_eq!(response.status(), 400, "{}", response.text());
    Ok(())
}

#[fcgi_handler]
async fn whoami(
    TypedHeader(agent): TypedHeader<UserAgent>,
    token: Option<TypedHeader<Authorization<Bearer>>>,
) -> String {
    let token = token.map(|TypedHeader(auth)| auth.token().to_owned());
    format!("{} {token:?}", agent.as_str())
}

#[tokio::test]
async fn typed_headers_decode_or_answer_400() -> Result<(), ClientError> {
    let client = TestClient::new(whoami);
    let response = client
        .get("/")
        .header("User-Agent", "curl/8")
        .header("Authorization", "Bearer abc")
        .await?;
    assert_eq!(response.text(), "curl/8 Some(\"abc\")");
    let response = client.get("/").header("User-Agent", "curl/8").await?;
    assert_eq!(response.text(), "curl/8 None");
    let missing = client.get("/").await?;
    assert_eq!(missing.status(), 400);
    assert!(
        missing.text().contains("no `user-agent` header"),
        "{}",
        missing.text()
    );
    Ok(())
}

#[fcgi_handler]
async fn count_visits(jar: CookieJar) -> (CookieJar, String) {
    let visits: u32 = jar
        .get("visits")
        .and_then(|cookie| cookie.value().parse().ok())
        .unwrap_or(0);
    let jar = jar.add(Cookie::new("visits", (visits + 1).to_string()));
    (jar, format!("visit {}", visits + 1))
}

#[tokio::test]
async fn cookie_jar_reads_cookies_and_sets_changes() -> Result<(), ClientError> {
    let client = TestClient::new(count_visits);
    let first = client.get("/").await?;
    assert_eq!(first.text(), "visit 1");
    assert_eq!(first.header("set-cookie"), Some("visits=1"));
    let again = client
        .get("/")
        .header("Cookie", "theme=dark; visits=4")
        .await?;
    assert_eq!(again.text(), "visit 5");
    assert_eq!(again.header("set-cookie"), Some("visits=5"));
    Ok(())
}

#[fcgi_handler]
async fn signed(
    jar: SignedCookieJar,
    private: PrivateCookieJar,
) -> (SignedCookieJar, (PrivateCookieJar, String)) {
    let seen = format!(
        "{:?} {:?}",
        jar.get("user").map(|c| c.value().to_owned()),
        private.get("secret").map(|c| c.value().to_owned())
    );
    (
        jar.add(Cookie::new("user", "ann")),
        (private.add(Cookie::new("secret", "42")), seen),
    )
}

#[tokio::test]
async fn signed_and_private_jars_round_trip_and_refuse_forgeries() -> Result<(), ClientError> {
    let key = Key::from(&[7u8; 64]);
    let client = TestClient::with_server(Server::new().with_state(key), signed);
    let first = client.get("/").await?;
    assert_eq!(first.text(), "None None");
    let cookies: Vec<String> = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(
        !cookies.iter().any(|c| c.contains("42")),
        "private value in clear: {cookies:?}"
    );
    // Sent back, both verify.
    let back = client
        .get("/")
        .header("Cookie", &cookies.join("; "))
        .await?;
    assert_eq!(back.text(), "Some(\"ann\") Some(\"42\")");
    // A forged value does not.
    let forged = client.get("/").header("Cookie", "user=admin").await?;
    assert_eq!(forged.text(), "None None");
    // Without a key: the application's mistake, 500, saying how to fix it.
    let keyless = TestClient::new(signed).get("/").await?;
    assert_eq!(keyless.status(), 500);
    assert!(
        keyless
            .stderr_text()
            .contains("Server::with_state(Key::from"),
        "{}",
        keyless.stderr_text()
    );
    Ok(())
}
