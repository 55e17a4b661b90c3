//! The operations checks every deployment passes: the request timeout,
//! the slow-request log, the access log and the status page's requests in
//! flight, with the app started with the knobs in [`APP_ENV`]
//! (`shared/echo-contract.md`, "Operations modes and knobs").

use std::time::{Duration, Instant};

use super::Deployment;
use super::checks::Expect;

/// The knobs every deployment's app starts with. The request timeout is
/// longer than any other check takes (the longest streams for 5 s, and
/// its client leaves after 100 ms).
pub const APP_ENV: [(&str, &str); 3] = [
    ("ECHO_REQUEST_TIMEOUT_MS", "8000"),
    ("ECHO_SLOW_MS", "1500"),
    ("ECHO_ACCESS_LOG", "1"),
];

/// Everything the deployment's processes logged: the app's output (or,
/// for an app the web server started, the web server's), the error log;
/// not the web server's own access log, whose lines look like the app's.
fn all_logs(web: &Deployment) -> String {
    let mut text = String::new();
    if let Ok(entries) = std::fs::read_dir(&web.run_dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|name| name != "access.log")
                && path
                    .extension()
                    .is_some_and(|ext| ext == "log" || ext == "out")
            {
                text.push_str(&String::from_utf8_lossy(
                    &std::fs::read(&path).unwrap_or_default(),
                ));
            }
        }
    }
    text
}

/// Waits (at most 5 s) until some log line has every one of `parts`.
async fn logged(web: &Deployment, parts: &[&str]) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(line) = all_logs(web)
            .lines()
            .find(|line| parts.iter().all(|part| line.contains(part)))
        {
            return Some(line.to_owned());
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("t{nanos}")
}

/// Ops 1: a request over ECHO_REQUEST_TIMEOUT_MS gets 503 `timed out`, and
/// the web server's error log names its URI and the limit.
pub async fn request_timeout_answers_503(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let target = format!("/?mode=sleep&ms=60000&{}", token());
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(30), web.get(&target))
        .await
        .unwrap_or_else(|_| panic!("{}: no answer to {target} within 30 s", web.label));
    assert_eq!(
        response.status,
        503,
        "{}: {}",
        web.label,
        response.describe()
    );
    assert!(
        response.text().contains("timed out"),
        "{}: {}",
        web.label,
        response.describe()
    );
    assert!(
        started.elapsed() >= Duration::from_secs(8),
        "{}: answered after {:?}, before the limit",
        web.label,
        started.elapsed()
    );
    let line = logged(web, &[&target, "8s", "timed out"]).await;
    assert!(
        line.is_some(),
        "{}: no log line names {target} and the limit\n{}",
        web.label,
        web.diagnostics()
    );
}

/// Ops 2: a request past ECHO_SLOW_MS is logged while it still runs, with
/// its URI.
pub async fn slow_request_is_logged_while_running(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let target = format!("/?mode=sleep&ms=4000&{}", token());
    let sending = tokio::spawn({
        let http = web.http;
        let target = target.clone();
        async move {
            let request = super::http::Request::get(&target);
            super::http::send(http, &request).await
        }
    });
    let line = logged(web, &["slow", &target]).await;
    let during = !sending.is_finished();
    let response = sending
        .await
        .expect("the sleeping request's task")
        .unwrap_or_else(|e| panic!("{}: the sleeping request failed: {e}", web.label));
    assert_eq!(response.status, 200, "{}", web.label);
    let line = line.unwrap_or_else(|| {
        panic!(
            "{}: no slow-log line names {target}\n{}",
            web.label,
            web.diagnostics()
        )
    });
    assert!(
        during,
        "{}: the slow log came only at the end: {line}",
        web.label
    );
}

/// Ops 3: the status page lists a request in flight with its URI.
pub async fn status_lists_requests_in_flight(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let target = format!("/?mode=sleep&ms=1500&{}", token());
    let sleeping = tokio::spawn({
        let http = web.http;
        let target = target.clone();
        async move { super::http::send(http, &super::http::Request::get(&target)).await }
    });
    let mut found = None;
    for _ in 0..50 {
        let response = web.get("/?mode=server-status").await;
        assert_eq!(
            response.status,
            200,
            "{}: {}",
            web.label,
            response.describe()
        );
        let json: serde_json::Value = serde_json::from_slice(&response.body)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", web.label, response.describe()));
        let listed = json["in_flight"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no in_flight list: {json}", web.label))
            .clone();
        if let Some(entry) = listed.into_iter().find(|e| e["uri"] == target.as_str()) {
            found = Some(entry);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let entry = found.unwrap_or_else(|| panic!("{}: {target} never listed", web.label));
    assert_eq!(entry["method"], "GET", "{}: {entry}", web.label);
    assert_eq!(entry["state"], "running", "{}: {entry}", web.label);
    assert!(entry["elapsed_ms"].is_u64(), "{}: {entry}", web.label);
    let response = sleeping
        .await
        .expect("the sleeping request's task")
        .unwrap_or_else(|e| panic!("{}: the sleeping request failed: {e}", web.label));
    assert_eq!(response.status, 200, "{}", web.label);
}

/// Ops 4: one access-log line per request, with method, URI, status and
/// body bytes.
pub async fn access_log_line_per_request(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let target = format!("/?mode=bytes&n=1234&{}", token());
    let response = web.get(&target).await;
    assert_eq!(response.status, 200, "{}", web.label);
    let request_line = format!("\"GET {target} HTTP/1.1\" 200 1234 ");
    let line = logged(web, &[&request_line]).await;
    let line = line.unwrap_or_else(|| {
        panic!(
            "{}: no access-log line {request_line}\n{}",
            web.label,
            web.diagnostics()
        )
    });
    assert_eq!(
        all_logs(web).matches(&request_line).count(),
        1,
        "{}: {line}",
        web.label
    );
}

/// Reads Server-Sent Events from `target` until the stream ends or `max`
/// came: each event's text (comments left out) and when it arrived.
async fn read_events(
    web: &Deployment,
    target: &str,
    max: usize,
) -> std::io::Result<Vec<(Duration, String)>> {
    let request = super::http::Request::get(target);
    let mut stream = super::http::Streaming::start(web.http, &request).await?;
    assert_eq!(stream.status, 200, "{}", web.label);
    assert_eq!(
        stream.header("content-type"),
        Some("text/event-stream"),
        "{}",
        web.label
    );
    let mut buf = String::new();
    let mut events = Vec::new();
    while events.len() < max {
        let Some(piece) = stream.next_piece().await? else {
            break;
        };
        buf.push_str(&String::from_utf8_lossy(&piece.data));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if !event.starts_with(':') {
                events.push((piece.at, event.trim_end().to_owned()));
            }
        }
    }
    Ok(events)
}

/// Ops 6: Server-Sent Events reach the client one by one through the
/// server's default location (nginx buffers there: `X-Accel-Buffering: no`
/// turns it off for this response).
pub async fn sse_arrives_event_by_event(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let events = tokio::time::timeout(
        Duration::from_secs(20),
        read_events(web, "/events?mode=sse&n=5&ms=300", usize::MAX),
    )
    .await
    .unwrap_or_else(|_| panic!("{}: the events did not end within 20 s", web.label))
    .unwrap_or_else(|e| {
        panic!(
            "{}: reading the events failed: {e}\n{}",
            web.label,
            web.diagnostics()
        )
    });
    let texts: Vec<&str> = events.iter().map(|(_, text)| text.as_str()).collect();
    let expected: Vec<String> = (0..5)
        .map(|i| format!("id: {i}\ndata: {{\"i\":{i}}}"))
        .collect();
    assert_eq!(texts, expected, "{}", web.label);
    let (first, last) = (events[0].0, events[4].0);
    println!(
        "{}: first event after {first:?}, last after {last:?}",
        web.label
    );
    assert!(
        first < Duration::from_millis(600),
        "{}: the first event came only after {first:?} (last after {last:?}): buffered",
        web.label
    );
    assert!(
        last - first >= Duration::from_millis(900),
        "{}: the events came together ({first:?} .. {last:?}), not 300 ms apart",
        web.label
    );
}

/// Ops 6: an event stream stops when its client leaves: the status page
/// stops listing it.
pub async fn sse_stops_when_the_client_leaves(web: &Deployment, _expect: &Expect) {
    let _turn = web.turn().await;
    let target = format!("/events?mode=sse&n=1000&ms=50&{}", token());
    let events = tokio::time::timeout(Duration::from_secs(10), read_events(web, &target, 2))
        .await
        .unwrap_or_else(|_| panic!("{}: two events did not come within 10 s", web.label))
        .unwrap_or_else(|e| panic!("{}: reading the events failed: {e}", web.label));
    assert_eq!(events.len(), 2, "{}", web.label);
    // The client is gone (its connection dropped in read_events).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = web.get("/?mode=server-status").await;
        let json: serde_json::Value = serde_json::from_slice(&response.body)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", web.label, response.describe()));
        let listed = json["in_flight"]
            .as_array()
            .is_some_and(|list| list.iter().any(|e| e["uri"] == target.as_str()));
        if !listed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}: the stream still runs 10 s after its client left: {json}",
            web.label
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Byte `i` of the offload test's file.
fn pattern(i: usize) -> u8 {
    (i % 253) as u8
}

/// Ops 5: a 100 MiB file the app hands to the web server arrives intact,
/// while the app writes only a header block (its access log counts no
/// body bytes); Range is answered by the web server; paths outside the
/// document root are still 404.
pub async fn file_offload_sends_100_mib(web: &Deployment, _expect: &Expect) {
    use std::os::unix::fs::PermissionsExt;
    let _turn = web.turn().await;
    let Some(offload) = web.offload else {
        return;
    };
    const LEN: usize = 100 * 1024 * 1024;
    let name = format!("big-{}.bin", token());
    let path = web.run_dir.join("www").join(&name);
    let content: Vec<u8> = (0..LEN).map(pattern).collect();
    std::fs::write(&path, &content).expect("writing the 100 MiB file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
        .expect("making the file readable to the web server");
    let target = format!("/?mode=file&path={name}");
    let response = tokio::time::timeout(Duration::from_secs(60), web.get(&target))
        .await
        .unwrap_or_else(|_| panic!("{}: 100 MiB did not come within 60 s", web.label));
    assert_eq!(
        response.status,
        200,
        "{} ({offload}): {}",
        web.label,
        response.describe()
    );
    assert_eq!(response.body.len(), LEN, "{} ({offload})", web.label);
    assert!(
        response.body == content,
        "{} ({offload}): the bytes differ",
        web.label
    );
    // The app's access-log line: status 200, no body bytes from the app.
    let line = logged(web, &[&format!("\"GET {target} HTTP/1.1\" 200 - ")]).await;
    assert!(
        line.is_some(),
        "{} ({offload}): the app's access log does not show a bodiless 200 for {target}\n{}",
        web.label,
        web.diagnostics()
    );

    let request = super::http::Request::get(&target).header("Range", "bytes=1000-1999");
    let part = super::http::send(web.http, &request)
        .await
        .unwrap_or_else(|e| panic!("{}: the Range request failed: {e}", web.label));
    assert_eq!(
        part.status,
        206,
        "{} ({offload}): {}",
        web.label,
        part.describe()
    );
    assert!(
        part.body
            .iter()
            .enumerate()
            .all(|(i, b)| *b == pattern(1000 + i))
            && part.body.len() == 1000,
        "{} ({offload}): wrong range",
        web.label
    );
    for outside in ["../error.log", "/etc/passwd", "missing.bin"] {
        let response = web.get(&format!("/?mode=file&path={outside}")).await;
        assert_eq!(response.status, 404, "{} ({offload}): {outside}", web.label);
    }
    let _ = std::fs::remove_file(&path);
}
