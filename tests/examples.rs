//! Each example, started as its own process on a unix socket and driven by
//! raw FastCGI records.

mod common;

use std::time::Duration;

use common::ExampleApp;
use fastcgi::protocol::{self, Record, Role, StreamType};

#[tokio::test]
async fn hello_answers_with_its_environ() {
    let app = ExampleApp::start("hello", &[]).await;
    let response = app
        .get(&[("REQUEST_METHOD", "GET"), ("query_string", "a=1")], b"")
        .await;
    let (head, body) = response.split();
    assert!(head.starts_with("Status: 200 OK"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["REQUEST_METHOD"], "GET");
    // Names are upper-cased, like the seed's environ.
    assert_eq!(json["QUERY_STRING"], "a=1");
}

#[tokio::test]
async fn dir_listing_streams_entries_and_never_leaves_the_root() {
    let app = ExampleApp::start("dir_listing", &[]).await;
    let base = common::temp_dir("dir-listing-tree");
    let root = base.join("root");
    std::fs::create_dir_all(root.join("sub/inner")).unwrap();
    std::fs::write(root.join("sub/file.txt"), "12345").unwrap();
    std::fs::create_dir_all(base.join("outside")).unwrap();
    std::fs::write(base.join("outside/secret"), "x").unwrap();
    std::os::unix::fs::symlink(base.join("outside"), root.join("sub/escape")).unwrap();
    let root_str = root.display().to_string();

    let list = |query: String| {
        let root = root_str.clone();
        let app = &app;
        async move {
            app.get(
                &[
                    ("DOCUMENT_ROOT", root.as_str()),
                    ("QUERY_STRING", query.as_str()),
                ],
                b"",
            )
            .await
        }
    };
    let response = list("path=sub".into()).await;
    let (head, body) = response.split();
    assert!(head.contains("application/x-ndjson"), "{head}");
    let mut records: Vec<serde_json::Value> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    records.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    // `escape` points outside the root: listed as the directory it is (the
    // seed lists it too), but it cannot be entered.
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["escape", "file.txt", "inner"]);
    assert_eq!(records[1]["type"], "file");
    assert_eq!(records[1]["size"], 5);
    assert!(records[1]["mtime"].as_u64().unwrap() > 1_600_000_000_000);
    assert_eq!(records[2]["type"], "dir");

    for bad in [
        "path=..",
        "path=sub/../..",
        "path=a/../../etc",
        "path=%2e%2e",
        "path=sub%2f..%2f..",
        "path=/etc",
        "path=sub/escape",
        "path=missing",
    ] {
        let response = list(bad.to_owned()).await;
        assert_eq!(response.status_line(), "Status: 404 Not Found", "{bad}");
    }
    // No DOCUMENT_ROOT at all: the web server's fault, so 500 and a line
    // in its error log.
    let response = app.get(&[("QUERY_STRING", "path=sub")], b"").await;
    assert_eq!(response.status_line(), "Status: 500 Internal Server Error");
    assert!(String::from_utf8_lossy(&response.stderr).contains("DOCUMENT_ROOT"));
    std::fs::remove_dir_all(base).unwrap();
}

#[tokio::test]
async fn sync_hello_reads_and_writes_with_std_io() {
    let app = ExampleApp::start("sync_hello", &[]).await;
    let response = app
        .get(&[("REQUEST_METHOD", "POST")], b"twelve bytes")
        .await;
    let text = response.text();
    assert!(text.starts_with("Status: 200 OK"), "{text}");
    assert!(text.contains("blocking handler: POST"), "{text}");
    assert!(text.contains("you sent 12 bytes"), "{text}");
    // The blocking `write_err` reached the web server's error log.
    assert!(
        String::from_utf8_lossy(&response.stderr).contains("sync_hello answered"),
        "{:?}",
        response.stderr
    );
}

#[tokio::test]
async fn authorizer_allows_with_variables_and_denies_otherwise() {
    let app = ExampleApp::start("authorizer", &[]).await;
    let mut peer = app.connect().await;
    peer.begin(
        1,
        Role::Authorizer,
        true,
        &[("HTTP_AUTHORIZATION", "Bearer letmein")],
    )
    .await;
    peer.stdin(1, b"").await;
    let allowed = peer.response(1).await;
    let (head, _) = allowed.split();
    assert!(head.starts_with("Status: 200 OK"), "{head}");
    assert!(head.contains("variable-auth_user: alice"), "{head}");
    peer.begin(2, Role::Authorizer, true, &[]).await;
    peer.stdin(2, b"").await;
    let denied = peer.response(2).await;
    assert_eq!(denied.status_line(), "Status: 401 Unauthorized");
}

#[tokio::test]
async fn filter_transforms_the_data_stream() {
    let app = ExampleApp::start("filter", &[]).await;
    let mut peer = app.connect().await;
    peer.begin(1, Role::Filter, true, &[("FCGI_DATA_LENGTH", "11")])
        .await;
    let mut out = bytes::BytesMut::new();
    protocol::encode_stream_end(&mut out, StreamType::Stdin, 1);
    protocol::encode_stream(&mut out, StreamType::Data, 1, b"hello world");
    protocol::encode_stream_end(&mut out, StreamType::Data, 1);
    peer.send(&out).await;
    assert_eq!(peer.response(1).await.body(), b"HELLO WORLD");
}

#[tokio::test]
async fn filter_streams_as_the_data_arrives_and_keeps_characters_whole() {
    let app = ExampleApp::start("filter", &[]).await;
    let mut peer = app.connect().await;
    peer.begin(1, Role::Filter, true, &[]).await;
    let mut out = bytes::BytesMut::new();
    protocol::encode_stream_end(&mut out, StreamType::Stdin, 1);
    // "straße é", cut inside the two bytes of "é".
    protocol::encode_stream(&mut out, StreamType::Data, 1, b"stra\xc3\x9fe \xc3");
    peer.send(&out).await;
    // The first piece comes back before the rest of the file is sent.
    let mut head_and_first = Vec::new();
    while !head_and_first.ends_with("STRASSE ".as_bytes()) {
        match peer.record().await {
            Some(Record::Stdout { content, .. }) => head_and_first.extend_from_slice(&content),
            other => panic!("expected the filtered start of the file, got {other:?}"),
        }
    }
    let mut out = bytes::BytesMut::new();
    protocol::encode_stream(&mut out, StreamType::Data, 1, b"\xa9");
    protocol::encode_stream_end(&mut out, StreamType::Data, 1);
    peer.send(&out).await;
    let rest = peer.response(1).await;
    assert_eq!(rest.stdout, "É".as_bytes());
}

#[tokio::test]
async fn state_is_shared_across_requests_and_connections() {
    let app = ExampleApp::start("state", &[]).await;
    for expected in 1..=3 {
        let response = app.get(&[], b"").await;
        assert_eq!(
            response.body(),
            format!("{{\"hits\":{expected}}}").as_bytes()
        );
    }
}

#[tokio::test]
async fn upload_streams_a_large_body_to_a_file_under_a_limit() {
    let dir = common::temp_dir("uploads");
    let dir_str = dir.display().to_string();
    let app = ExampleApp::start(
        "upload",
        &[
            ("UPLOAD_DIR", dir_str.as_str()),
            ("UPLOAD_LIMIT", "30000000"),
        ],
    )
    .await;
    let body: Vec<u8> = (0..25_000_000u32).map(|i| (i % 241) as u8).collect();
    let response = app.get(&[("CONTENT_LENGTH", "25000000")], &body).await;
    let stored: serde_json::Value = serde_json::from_slice(&response.body()).unwrap();
    assert_eq!(stored["bytes"], 25_000_000);
    let written = std::fs::read(stored["path"].as_str().unwrap()).unwrap();
    assert!(written == body, "the stored file differs from the body");

    let too_big = vec![0u8; 31_000_000];
    let response = app.get(&[], &too_big).await;
    assert_eq!(response.status_line(), "Status: 413 Payload Too Large");
    let declared = app.get(&[("CONTENT_LENGTH", "99999999999")], b"").await;
    assert_eq!(declared.status_line(), "Status: 413 Payload Too Large");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn echo_bytes_are_produced_as_sent_and_a_stalled_client_costs_bounded_memory() {
    let app = ExampleApp::start("echo", &[]).await;
    // The pattern, with its length announced, across chunk boundaries.
    let n = 300_007;
    let response = app
        .get(&[("QUERY_STRING", &format!("mode=bytes&n={n}"))], b"")
        .await;
    let (head, body) = response.split();
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {n}")),
        "{head}"
    );
    assert_eq!(body.len(), n);
    assert!(body.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));

    // 1 GiB for a client that reads 4 MiB, then stops reading. Building it
    // in memory first would cost the app a GiB before the first byte.
    let mut stalled = app.connect().await;
    stalled
        .request(1, true, &[("QUERY_STRING", "mode=bytes&n=1073741824")], b"")
        .await;
    let mut received = 0;
    while received < 4 << 20 {
        match stalled.record().await {
            Some(Record::Stdout { content, .. }) => received += content.len(),
            other => panic!("expected the response to stream, got {other:?}"),
        }
    }
    // Meanwhile the app serves others at once.
    let other = app.get(&[("QUERY_STRING", "mode=json")], b"").await;
    assert_eq!(other.body(), br#"{"name":"echo","n":3,"tags":["a","b"]}"#);
    // And it holds about one output buffer for the stalled response, not
    // the response: sampled while the client does not read.
    let mut peak = 0;
    for _ in 0..10 {
        peak = peak.max(app.rss_kib());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        peak < 64 * 1024,
        "echo holds {peak} KiB for a stalled 1 GiB response"
    );
    drop(stalled);
}
