//! The handler the server tests drive: behaviour chosen by the query
//! string's `mode`, with probes the tests read to see what happened inside.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fastcgi::handler::{FromFn, from_fn};
use fastcgi::prelude::*;

/// Counters the handler updates.
#[derive(Default)]
pub struct Probes {
    /// Requests that saw their abort signal.
    pub aborted: AtomicUsize,
    /// Requests whose handler future was dropped before completing.
    pub cancelled: AtomicUsize,
    /// Bytes handed to the writer by `mode=big`.
    pub big_written: AtomicUsize,
    /// Handlers currently running.
    pub running: AtomicUsize,
}

struct Running(Arc<Probes>, bool);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        if !self.1 {
            self.0.cancelled.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn query(request: &Request) -> HashMap<String, String> {
    serde_urlencoded::from_str(request.environ().query_string()).unwrap_or_default()
}

fn num(q: &HashMap<String, String>, key: &str) -> u64 {
    q.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
}

type BoxedFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>;

pub fn app(probes: Arc<Probes>) -> FromFn<impl Fn(Request) -> BoxedFuture + Send + Sync + 'static> {
    from_fn(move |request: Request| -> BoxedFuture {
        let probes = Arc::clone(&probes);
        Box::pin(async move {
            probes.running.fetch_add(1, Ordering::SeqCst);
            let mut running = Running(Arc::clone(&probes), false);
            let response = serve(request, &probes).await;
            running.1 = true;
            response
        })
    })
}

async fn serve(mut request: Request, probes: &Probes) -> Response {
    let q = query(&request);
    let mode = q.get("mode").map(String::as_str).unwrap_or("env");
    match mode {
        "env" => Json(request.environ().clone()).into_response(),
        "body" => {
            let body = request.take_body().unwrap();
            match body.to_bytes(usize::MAX).await {
                Ok(bytes) => bytes.into_response(),
                Err(err) => (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
            }
        }
        // The body through the `Bytes` extractor: its rejection is the
        // framework's answer to a body that failed.
        "extract_body" => {
            use fastcgi::extract::FromRequest;
            match bytes::Bytes::from_request(&mut request).await {
                Ok(bytes) => bytes.into_response(),
                Err(rejection) => rejection.into_response(),
            }
        }
        // Waits `ms` before reading the body, then answers its length.
        "late_read" => {
            tokio::time::sleep(Duration::from_millis(num(&q, "ms"))).await;
            let body = request.take_body().unwrap();
            match body.to_bytes(usize::MAX).await {
                Ok(bytes) => format!("read {}", bytes.len()).into_response(),
                Err(err) => (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
            }
        }
        "noread" => "ok".into_response(),
        // Never answers, never reads, ignores its abort signal.
        "hang" => std::future::pending().await,
        "bytes" => {
            let n = num(&q, "n") as usize;
            (0..n)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<u8>>()
                .into_response()
        }
        "sleep" => {
            let ms = num(&q, "ms");
            let abort = request.parts().abort_signal().clone();
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(ms)) => format!("slept {ms}").into_response(),
                () = abort.aborted() => {
                    probes.aborted.fetch_add(1, Ordering::SeqCst);
                    "aborted".into_response()
                }
            }
        }
        "stream" => {
            let n = num(&q, "n");
            let ms = num(&q, "ms");
            let abort = request.parts().abort_signal().clone();
            let mut out = request.take_writer().unwrap();
            out.send_response(StatusCode::OK, "application/x-ndjson", (), &[], true)
                .await
                .unwrap();
            for i in 0..n {
                if abort.is_aborted() {
                    probes.aborted.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                if out
                    .write(format!("{{\"i\":{i}}}\n").as_bytes())
                    .await
                    .is_err()
                {
                    break;
                }
                let _ = out.flush().await;
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            ().into_response()
        }
        "big" => {
            let n = num(&q, "n") as usize;
            let mut out = request.take_writer().unwrap();
            out.send_response(StatusCode::OK, "application/octet-stream", (), &[], false)
                .await
                .unwrap();
            let chunk = vec![7u8; 64 * 1024];
            let mut sent = 0;
            while sent < n {
                let len = chunk.len().min(n - sent);
                if out.write(&chunk[..len]).await.is_err() {
                    break;
                }
                sent += len;
                probes.big_written.store(sent, Ordering::SeqCst);
            }
            ().into_response()
        }
        "stderr" => {
            let msg = q.get("msg").cloned().unwrap_or_default();
            let mut out = request.take_writer().unwrap();
            out.write_err(msg.as_bytes()).await.unwrap();
            out.send("ok").await.unwrap();
            ().into_response()
        }
        "stderr_arg" => {
            let msg = q.get("msg").cloned().unwrap_or_default();
            request.parts().stderr().write(msg).await.unwrap();
            "ok".into_response()
        }
        // A value JSON cannot hold (a map with non-string keys): 500, and
        // the server explains it on FCGI_STDERR.
        "server_error" => Json(HashMap::from([((1u8, 2u8), 3u8)])).into_response(),
        "panic" => panic!("the handler panicked on purpose"),
        "status" => {
            let code =
                StatusCode::from_u16(num(&q, "code") as u16).unwrap_or(StatusCode::IM_A_TEAPOT);
            (code, "status\n").into_response()
        }
        "role" => format!("{}", request.parts().role()).into_response(),
        "data" => {
            let body = request
                .take_body()
                .unwrap()
                .to_bytes(usize::MAX)
                .await
                .unwrap();
            let data = request
                .take_data()
                .unwrap()
                .to_bytes(usize::MAX)
                .await
                .unwrap();
            format!(
                "stdin={} data={}",
                body.len(),
                String::from_utf8_lossy(&data)
            )
            .into_response()
        }
        other => (StatusCode::NOT_FOUND, format!("no mode {other}")).into_response(),
    }
}
