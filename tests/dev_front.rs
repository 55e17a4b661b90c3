//! The development HTTP front (`FCGI_DEV_HTTP`): HTTP in, real FastCGI over
//! a real socket to the app, out again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{ChildGuard, example_path, free_port};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn start(example: &str, root: &str) -> (ChildGuard, String) {
    let http = format!("127.0.0.1:{}", free_port());
    // FastCGI on a unix socket of its own: on a TCP port 0 it could take
    // the HTTP port another test just picked (and that app then fails to
    // bind it).
    let fcgi = common::temp_dir(&format!("dev-front-{example}")).join("app.sock");
    let child = Command::new(example_path(example))
        .env("FCGI_DEV_HTTP", &http)
        .env("FCGI_DEV_ROOT", root)
        .env("FCGI_BIND", format!("unix:{}", fcgi.display()))
        .env_remove("LISTEN_FDS")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (ChildGuard(child), http)
}

/// One HTTP/1.0 exchange: status code, head, body.
async fn http(addr: &str, request: &[u8]) -> (u16, String, Vec<u8>) {
    let mut last = None;
    for _ in 0..200 {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(mut stream) => {
                stream.write_all(request).await.unwrap();
                let mut raw = Vec::new();
                tokio::time::timeout(common::LIMIT, stream.read_to_end(&mut raw))
                    .await
                    .unwrap()
                    .unwrap();
                let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
                let head = String::from_utf8_lossy(&raw[..end]).into_owned();
                let code = head[9..12].parse().unwrap();
                return (code, head, raw[end + 4..].to_vec());
            }
            Err(err) => last = Some(err),
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nothing answered HTTP on {addr}: {last:?}");
}

#[tokio::test]
async fn dir_listing_answers_http_through_fastcgi() {
    let root = common::temp_dir("dev-front-root");
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(root.join("docs/readme.txt"), "hi").unwrap();
    let (_app, addr) = start("dir_listing", root.to_str().unwrap());
    let (code, head, body) = http(&addr, b"GET /?path=docs HTTP/1.0\r\n\r\n").await;
    assert_eq!(code, 200, "{head}");
    assert!(
        head.to_ascii_lowercase().contains("application/x-ndjson"),
        "{head}"
    );
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains(r#""name":"readme.txt","type":"file","size":2"#),
        "{text}"
    );
    let (code, _, _) = http(&addr, b"GET /?path=.. HTTP/1.0\r\n\r\n").await;
    assert_eq!(code, 404);
    std::fs::remove_dir_all(root).unwrap();
}

#[tokio::test]
async fn bodies_stream_both_ways_and_local_redirects_are_followed() {
    let (_app, addr) = start("echo", "/");
    let body: Vec<u8> = (0..1_000_000u32).map(|i| (i % 249) as u8).collect();
    let mut request = format!(
        "POST /?mode=body HTTP/1.0\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let (code, _, echoed) = http(&addr, &request).await;
    assert_eq!(code, 200);
    assert!(echoed == body, "the body came back different");

    // A local redirect is served by the front itself, like a web server.
    let (code, _, json) = http(
        &addr,
        b"GET /?mode=redirect&to=/%3Fmode%3Djson HTTP/1.0\r\n\r\n",
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(json, br#"{"name":"echo","n":3,"tags":["a","b"]}"#);

    // A client redirect is passed on.
    let (code, head, _) = http(
        &addr,
        b"GET /?mode=redirect&to=https://example.com/ HTTP/1.0\r\n\r\n",
    )
    .await;
    assert_eq!(code, 302);
    assert!(
        head.to_ascii_lowercase()
            .contains("location: https://example.com/")
    );

    // Headers arrive as HTTP_* params.
    let (_, _, env) = http(&addr, b"GET /?mode=env HTTP/1.0\r\nX-Trace: abc\r\n\r\n").await;
    let env: serde_json::Value = serde_json::from_slice(&env).unwrap();
    assert_eq!(env["HTTP_X_TRACE"], "abc");
    assert_eq!(env["REQUEST_METHOD"], "GET");

    // Except `Proxy` (httpoxy, CVE-2016-5385): as HTTP_PROXY, code that
    // reads it as its proxy setting would send its requests to the client's
    // choice of host.
    let (_, _, env) = http(
        &addr,
        b"GET /?mode=env HTTP/1.0\r\nProxy: http://evil.example\r\nX-Trace: abc\r\n\r\n",
    )
    .await;
    let env: serde_json::Value = serde_json::from_slice(&env).unwrap();
    assert_eq!(env["HTTP_X_TRACE"], "abc");
    assert!(env.get("HTTP_PROXY").is_none(), "{env}");
}
