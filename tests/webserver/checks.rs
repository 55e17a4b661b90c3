//! The checks every deployment passes, one per test: what a client of the
//! web server sees when the echo app answers each way
//! (`shared/echo-contract.md`). What differs between servers (the params
//! they send, what they make of a local redirect, how stderr is logged) is
//! stated by each test file in an [`Expect`].

use std::time::Duration;

use tokio::task::JoinSet;

use super::Deployment;
use super::http::{Request, Streaming};

/// What one web server does where servers differ.
pub struct Expect {
    /// Params the app must receive for `GET /anything/path?mode=env&x=1`
    /// sent with the header `X-Echo-Test: yes`. Values may hold the
    /// recipe's placeholders (`{{HTTP_PORT}}`, `{{DOC_ROOT}}`...).
    pub params: &'static [(&'static str, Param)],
    /// What the client gets when the app answers with a local redirect
    /// (`Location: /?mode=json`, no Status, no body).
    pub local_redirect: Outcome,
    /// The line an FCGI_STDERR write leaves in the error log, `{{MSG}}`
    /// standing for the text written.
    pub stderr_line: &'static str,
}

/// What a param must be.
#[derive(Debug, Clone, Copy)]
pub enum Param {
    /// Exactly this value (after placeholders are filled in).
    Is(&'static str),
    /// A value starting with this.
    Prefix(&'static str),
    /// Present, any value.
    Any,
    /// Not sent at all.
    Absent,
}

/// A response as the client sees it.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub status: u16,
    pub location: Option<&'static str>,
    pub body: &'static str,
}

/// Check 1: The query and the CGI params arrive.
pub async fn query_and_params(web: &Deployment, expect: &Expect) {
    let _turn = web.turn().await;
    let request = Request::get("/anything/path?mode=env&x=1").header("X-Echo-Test", "yes");
    let response = web.send(&request).await;
    assert_eq!(
        response.status,
        200,
        "{}: {}",
        web.label,
        response.describe()
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "{}",
        web.label
    );
    let params: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&response.body)
        .unwrap_or_else(|e| {
            panic!(
                "{}: mode=env is not a JSON object ({e}): {}",
                web.label,
                response.text()
            )
        });
    println!("{} sends these params:", web.label);
    for (name, value) in &params {
        println!("  {name}={value}");
    }
    let mut wrong = Vec::new();
    for (name, want) in expect.params {
        let got = params
            .get(*name)
            .map(|v| v.as_str().unwrap_or("<not a string>"));
        let ok = match (*want, got) {
            (Param::Is(value), Some(got)) => got == web.render(value),
            (Param::Prefix(prefix), Some(got)) => got.starts_with(&web.render(prefix)),
            (Param::Any, Some(_)) | (Param::Absent, None) => true,
            _ => false,
        };
        if !ok {
            wrong.push(format!("{name}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}: params differ from what is expected:\n  {}\nall params: {}",
        web.label,
        wrong.join("\n  "),
        response.text()
    );
}

/// Check 1b (httpoxy, CVE-2016-5385): a client's `Proxy:` header never
/// reaches the app as `HTTP_PROXY`, where code that reads it as a proxy
/// setting would send its own requests to the attacker. Apache (2.4.25+)
/// and lighttpd (1.4.41+) drop the header themselves; nginx passes it on,
/// and its recipe's `fastcgi_param HTTP_PROXY "";` stops it (nginx then
/// sends no HTTP_PROXY at all).
pub async fn proxy_header_does_not_reach_the_app(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let request = Request::get("/httpoxy?mode=env")
        .header("Proxy", "http://evil.example:8080")
        .header("X-Echo-Test", "yes");
    let response = web.send(&request).await;
    assert_eq!(
        response.status,
        200,
        "{}: {}",
        web.label,
        response.describe()
    );
    let params: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&response.body)
        .unwrap_or_else(|e| panic!("{}: mode=env is not a JSON object ({e})", web.label));
    // The request's other headers do arrive: the check looks at the right
    // place.
    assert_eq!(
        params.get("HTTP_X_ECHO_TEST").and_then(|v| v.as_str()),
        Some("yes"),
        "{}: {}",
        web.label,
        response.text()
    );
    let proxy = params.get("HTTP_PROXY").and_then(|v| v.as_str());
    println!("{}: HTTP_PROXY is {proxy:?}", web.label);
    assert!(
        proxy.is_none(),
        "{}: the client's Proxy header reached the app as HTTP_PROXY={proxy:?}",
        web.label
    );
    assert!(
        !response.text().contains("evil.example"),
        "{}: the Proxy header's value reached the app: {}",
        web.label,
        response.text()
    );
}

/// Random-looking bytes from a fixed seed (xorshift64).
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Where two byte strings first differ, for failure messages.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(at) => format!("first difference at byte {at}"),
        None => format!("lengths {} and {}", a.len(), b.len()),
    }
}

/// Check 2: A 20 MiB request body comes back byte for byte.
pub async fn large_body_round_trip(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let body = noise(20 * 1024 * 1024);
    let request = Request::post("/upload?mode=body", &body)
        .header("Content-Type", "application/octet-stream");
    let response = web.send_within(&request, Duration::from_secs(60)).await;
    assert_eq!(
        response.status,
        200,
        "{}: {}",
        web.label,
        response.describe()
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream"),
        "{}",
        web.label
    );
    assert!(
        response.body == body,
        "{}: the 20 MiB body came back changed: {} bytes back, {}",
        web.label,
        response.body.len(),
        first_difference(&response.body, &body)
    );
}

/// Check 3: A 5 MB response arrives whole: byte i is i % 251.
pub async fn large_response(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let response = web.get("/?mode=bytes&n=5000000").await;
    assert_eq!(
        response.status,
        200,
        "{}: {}",
        web.label,
        response.describe()
    );
    let expected: Vec<u8> = (0..5_000_000u64).map(|i| (i % 251) as u8).collect();
    assert!(
        response.body == expected,
        "{}: the 5 MB response is wrong: {} bytes, {}",
        web.label,
        response.body.len(),
        first_difference(&response.body, &expected)
    );
}

/// Check 4: The app's status reaches the client.
pub async fn status_passes_through(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    for code in [404u16, 418] {
        let response = web.get(&format!("/?mode=status&code={code}")).await;
        assert_eq!(
            response.status,
            code,
            "{}: {}",
            web.label,
            response.describe()
        );
        assert_eq!(response.text(), format!("status {code}\n"), "{}", web.label);
    }
}

/// Check 5: A client redirect is a 302 with the Location; a local redirect does
/// what this server does with one (`Expect::local_redirect`).
pub async fn redirects(web: &Deployment, expect: &Expect) {
    let _turn = web.turn().await;
    let response = web.get("/?mode=redirect&to=https://example.com/x").await;
    assert_eq!(
        response.status,
        302,
        "{}: {}",
        web.label,
        response.describe()
    );
    assert_eq!(
        response.header("location"),
        Some("https://example.com/x"),
        "{}: {}",
        web.label,
        response.describe()
    );

    let response = web.get("/?mode=redirect&to=/?mode=json").await;
    let want = expect.local_redirect;
    let got = (
        response.status,
        response.header("location"),
        response.text(),
    );
    assert_eq!(
        got,
        (want.status, want.location, want.body.to_owned()),
        "{}: a local redirect to /?mode=json: {}",
        web.label,
        response.describe()
    );
}

/// Splits timed pieces into lines, each with the time its end arrived.
fn timed_lines(pieces: &[super::http::Piece]) -> Vec<(Duration, String)> {
    let mut lines = Vec::new();
    let mut current = Vec::new();
    for piece in pieces {
        for &byte in &piece.data {
            if byte == b'\n' {
                lines.push((piece.at, String::from_utf8_lossy(&current).into_owned()));
                current.clear();
            } else {
                current.push(byte);
            }
        }
    }
    if !current.is_empty() {
        let at = pieces.last().map(|p| p.at).unwrap_or_default();
        lines.push((at, String::from_utf8_lossy(&current).into_owned()));
    }
    lines
}

/// Check 6: Streamed output reaches the client as it is written, not at the end.
pub async fn streamed_output_arrives_early(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let request = Request::get("/stream/?mode=stream&n=5&ms=300");
    let lines = tokio::time::timeout(Duration::from_secs(20), async {
        let mut stream = Streaming::start(web.http, &request).await?;
        assert_eq!(stream.status, 200, "{}", web.label);
        let pieces = stream.pieces().await?;
        std::io::Result::Ok(timed_lines(&pieces))
    })
    .await
    .unwrap_or_else(|_| panic!("{}: the stream did not end within 20 s", web.label))
    .unwrap_or_else(|e| {
        panic!(
            "{}: reading the stream failed: {e}\n{}",
            web.label,
            web.diagnostics()
        )
    });
    let texts: Vec<&str> = lines.iter().map(|(_, text)| text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "{\"i\":0}",
            "{\"i\":1}",
            "{\"i\":2}",
            "{\"i\":3}",
            "{\"i\":4}"
        ],
        "{}",
        web.label
    );
    let (first, last) = (lines[0].0, lines[4].0);
    println!(
        "{}: first line after {first:?}, last after {last:?}",
        web.label
    );
    assert!(
        first < Duration::from_millis(600),
        "{}: the first line came only after {first:?} (last after {last:?}): the response was buffered",
        web.label
    );
    assert!(
        last >= Duration::from_millis(1200),
        "{}: the whole stream took {last:?}, less than its 4 pauses of 300 ms",
        web.label
    );
    assert!(
        last - first >= Duration::from_millis(900),
        "{}: the lines came together ({first:?} .. {last:?}), not 300 ms apart",
        web.label
    );
}

/// A token no other run writes.
fn unique_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("echo-stderr-{}-{nanos}", std::process::id())
}

/// Check 7: What the app writes to FCGI_STDERR lands in the server's error log.
pub async fn stderr_reaches_error_log(web: &Deployment, expect: &Expect) {
    let _turn = web.turn().await;
    let token = unique_token();
    let response = web.get(&format!("/?mode=stderr&msg={token}")).await;
    assert_eq!(
        response.status,
        200,
        "{}: {}",
        web.label,
        response.describe()
    );
    assert_eq!(response.text(), "ok", "{}", web.label);
    let line = expect.stderr_line.replace("{{MSG}}", &token);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let log = std::fs::read_to_string(&web.error_log).unwrap_or_default();
        if log.contains(&line) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}: no `{line}` in {} within 5 s\n{}",
            web.label,
            web.error_log.display(),
            web.diagnostics()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Check 8: A handler that panics gives a 500, and the app serves the next request.
pub async fn panic_gives_500_then_serves(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let response = web.get("/?mode=panic").await;
    assert_eq!(
        response.status,
        500,
        "{}: {}",
        web.label,
        response.describe()
    );
    let response = web.get("/?mode=json").await;
    assert_eq!(
        response.status,
        200,
        "{}: {}",
        web.label,
        response.describe()
    );
    assert_eq!(
        response.text(),
        r#"{"name":"echo","n":3,"tags":["a","b"]}"#,
        "{}",
        web.label
    );
}

/// Check 9: 200 requests at once all succeed.
pub async fn concurrent_requests(web: &'static Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let mut requests = JoinSet::new();
    for i in 0..200 {
        requests.spawn(async move {
            let target = format!("/concurrent/{i}?mode=sleep&ms=50");
            let response = web.send(&Request::get(&target)).await;
            (i, response)
        });
    }
    let mut failed = Vec::new();
    while let Some(done) = requests.join_next().await {
        let (i, response) =
            done.unwrap_or_else(|e| panic!("{}: a request task failed: {e}", web.label));
        if response.status != 200 || response.text() != "slept 50" {
            failed.push(format!("#{i}: {}", response.describe()));
        }
    }
    assert!(
        failed.is_empty(),
        "{}: {} of 200 concurrent requests failed:\n{}\n{}",
        web.label,
        failed.len(),
        failed.join("\n"),
        web.diagnostics()
    );
}

/// Check 10: A client that goes away in the middle of a stream leaves the app
/// serving.
pub async fn client_disconnect_mid_stream(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let request = Request::get("/stream/?mode=stream&n=100&ms=50");
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut stream = Streaming::start(web.http, &request).await?;
        assert_eq!(stream.status, 200, "{}", web.label);
        let mut seen = Vec::new();
        while seen.iter().filter(|&&b| b == b'\n').count() < 2 {
            match stream.next_piece().await? {
                Some(piece) => seen.extend_from_slice(&piece.data),
                None => panic!("{}: the stream ended after {seen:?}", web.label),
            }
        }
        assert!(
            seen.starts_with(b"{\"i\":0}\n{\"i\":1}\n"),
            "{}: {seen:?}",
            web.label
        );
        drop(stream);
        std::io::Result::Ok(())
    })
    .await
    .unwrap_or_else(|_| panic!("{}: two lines did not come within 10 s", web.label))
    .unwrap_or_else(|e| panic!("{}: reading the stream failed: {e}", web.label));

    let response = web.get("/?mode=json").await;
    assert_eq!(
        response.status,
        200,
        "{}: {}",
        web.label,
        response.describe()
    );
    assert_eq!(
        response.text(),
        r#"{"name":"echo","n":3,"tags":["a","b"]}"#,
        "{}",
        web.label
    );
    let response = web.get("/stream/?mode=stream&n=3&ms=10").await;
    assert_eq!(
        response.status,
        200,
        "{}: {}",
        web.label,
        response.describe()
    );
    assert_eq!(
        response.text(),
        "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n",
        "{}",
        web.label
    );
}
