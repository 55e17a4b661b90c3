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
    let response = sending.await.unwrap().unwrap();
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
    let response = sleeping.await.unwrap().unwrap();
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
