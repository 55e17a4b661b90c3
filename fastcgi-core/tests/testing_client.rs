//! The in-process test client on a few handlers: status, headers, body,
//! stderr, panics, aborts, dropped connections, redirects, roles.

// Helpers outside `#[test]` fns unwrap too: this whole file is a test.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use fastcgi_core::client::{ClientError, ClientRequest, RequestBody, ResponseEvent};
use fastcgi_core::handler::from_fn;
use fastcgi_core::protocol::{FCGI_MPXS_CONNS, ProtocolStatus, Role};
use fastcgi_core::request::{BodyError, Request};
use fastcgi_core::response::{IntoResponse, Redirect, Response, StatusCode};
use fastcgi_core::server::Server;
use fastcgi_core::testing::TestClient;
use tokio::sync::oneshot;
use tokio::time::timeout;

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);

async fn bounded<F: IntoFuture>(future: F) -> F::Output {
    timeout(LIMIT, future)
        .await
        .expect("the test took too long")
}

#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
struct Item {
    id: u32,
    name: String,
}

/// `/items?id=N` → JSON item, with a custom header; anything else 404.
async fn items(request: Request) -> Response {
    let environ = request.environ();
    let id = environ
        .get("QUERY_STRING")
        .and_then(|q| q.strip_prefix("id="))
        .and_then(|id| id.parse::<u32>().ok());
    match (environ.get("SCRIPT_NAME"), id) {
        (Some("/items"), Some(id)) => {
            let body = serde_json::to_string(&Item {
                id,
                name: format!("item {id}"),
            })
            .unwrap_or_default();
            let accept = environ.get("HTTP_ACCEPT").unwrap_or("").to_owned();
            let mut response = (StatusCode::OK, body).into_response();
            let headers = response.headers_mut();
            headers.insert("content-type", "application/json".parse().unwrap());
            headers.insert("x-accept-seen", accept.parse().unwrap());
            response
        }
        _ => (StatusCode::NOT_FOUND, "no such item").into_response(),
    }
}

#[tokio::test]
async fn status_headers_and_json_body() {
    let client = TestClient::new(from_fn(items));
    let response = bounded(
        client
            .get("/items?id=3")
            .header("Accept", "application/json")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("x-accept-seen"), Some("application/json"));
    assert_eq!(
        response.json::<Item>().unwrap(),
        Item {
            id: 3,
            name: "item 3".into()
        }
    );
    assert_eq!(response.stderr_text(), "");
    assert_eq!(response.app_status(), 0);
    assert_eq!(response.protocol_status(), ProtocolStatus::RequestComplete);
    assert!(response.local_redirect().is_none());

    // `.await` on the builder sends it too.
    let missing = bounded(client.get("/items?id=x")).await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.text(), "no such item");
}

#[tokio::test]
async fn params_query_and_body_reach_the_handler() {
    let echo = from_fn(|mut request: Request| async move {
        let environ = request.environ().clone();
        let body = match request.take_body() {
            Some(body) => body.to_bytes(1 << 20).await.unwrap_or_default(),
            None => Bytes::new(),
        };
        let get = |name: &str| environ.get(name).unwrap_or("-").to_owned();
        format!(
            "{} {} q={} ct={} len={} ua={} root={} body={}",
            get("REQUEST_METHOD"),
            get("REQUEST_URI"),
            get("QUERY_STRING"),
            get("CONTENT_TYPE"),
            get("CONTENT_LENGTH"),
            get("HTTP_USER_AGENT"),
            get("DOCUMENT_ROOT"),
            String::from_utf8_lossy(&body),
        )
    });
    let client = TestClient::new(echo);
    let response = bounded(
        client
            .post("/form", "application/x-www-form-urlencoded", "a=1&b=2")
            .query(&[("page", "2")])
            .header("User-Agent", "test-agent")
            .param("DOCUMENT_ROOT", "/srv")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(
        response.text(),
        "POST /form?page=2 q=page=2 ct=application/x-www-form-urlencoded len=7 ua=test-agent root=/srv body=a=1&b=2"
    );

    let json = bounded(
        client
            .method("PUT", "/j")
            .json(&Item {
                id: 1,
                name: "x".into(),
            })
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(
        json.text(),
        r#"PUT /j q= ct=application/json len=19 ua=- root=/var/www/html body={"id":1,"name":"x"}"#
    );
}

#[tokio::test]
async fn stderr_is_separate_from_the_response() {
    let handler = from_fn(|mut request: Request| async move {
        let Some(mut out) = request.take_writer() else {
            return;
        };
        let _ = out.write_err(b"cache miss for /x\n").await;
        let _ = out
            .send_response(StatusCode::ACCEPTED, "text/plain", "done", &[], false)
            .await;
        let _ = out.write_err(b"second line\n").await;
    });
    let client = TestClient::new(handler);
    let response = bounded(client.get("/x").send()).await.unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.text(), "done");
    assert_eq!(response.stderr_text(), "cache miss for /x\nsecond line\n");
}

#[tokio::test]
async fn a_panicking_handler_gives_500_and_the_next_request_works() {
    let handler = from_fn(|request: Request| async move {
        if request.environ().get("SCRIPT_NAME") == Some("/boom") {
            panic!("the handler exploded");
        }
        "still alive"
    });
    let client = TestClient::new(handler);
    let response = bounded(client.get("/boom").send()).await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(
        response.stderr_text().contains("the handler exploded"),
        "stderr: {:?}",
        response.stderr_text()
    );
    assert_eq!(response.protocol_status(), ProtocolStatus::RequestComplete);

    let next = bounded(client.get("/fine").send()).await.unwrap();
    assert_eq!(next.status(), 200);
    assert_eq!(next.text(), "still alive");
}

/// A handler that streams a first chunk then waits for the abort, and
/// reports through a channel whether it saw the abort.
fn streaming_until_aborted(
    saw_abort: Arc<Mutex<Option<oneshot::Sender<()>>>>,
) -> impl fastcgi_core::handler::Handler {
    from_fn(move |mut request: Request| {
        let saw_abort = Arc::clone(&saw_abort);
        async move {
            if request.environ().get("SCRIPT_NAME") != Some("/stream") {
                return;
            }
            let Some(mut out) = request.take_writer() else {
                return;
            };
            let _ = out
                .send_response(StatusCode::OK, "text/plain", "first\n", &[], true)
                .await;
            request.parts().abort_signal().aborted().await;
            if let Some(tx) = saw_abort.lock().unwrap().take() {
                let _ = tx.send(());
            }
        }
    })
}

#[tokio::test]
async fn abort_mid_stream_then_the_connection_serves_another_request() {
    let (tx, rx) = oneshot::channel();
    let client = TestClient::new(streaming_until_aborted(Arc::new(Mutex::new(Some(tx)))));
    let mut stream = bounded(client.get("/stream").start()).await.unwrap();
    assert_eq!(bounded(stream.head()).await.unwrap().status(), 200);
    assert_eq!(
        bounded(stream.next_chunk()).await.unwrap().as_deref(),
        Some(&b"first\n"[..])
    );
    let end = bounded(stream.abort()).await.unwrap();
    assert_eq!(end.protocol_status, ProtocolStatus::RequestComplete);
    bounded(rx)
        .await
        .expect("the handler did not see the abort");
    drop(stream);

    let next = bounded(client.get("/other").send()).await.unwrap();
    assert_eq!(next.status(), 200);
}

#[tokio::test]
async fn dropping_a_stream_aborts_its_request() {
    let (tx, rx) = oneshot::channel();
    let client = TestClient::new(streaming_until_aborted(Arc::new(Mutex::new(Some(tx)))));
    let mut stream = bounded(client.get("/stream").start()).await.unwrap();
    assert!(bounded(stream.next_chunk()).await.unwrap().is_some());
    drop(stream);
    bounded(rx)
        .await
        .expect("the handler did not see the abort");
    assert_eq!(
        bounded(client.get("/x").send()).await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn closing_the_connection_mid_body_aborts_the_handler() {
    let (tx, rx) = oneshot::channel::<Result<Bytes, BodyError>>();
    let tx = Arc::new(Mutex::new(Some(tx)));
    let handler = from_fn(move |mut request: Request| {
        let tx = Arc::clone(&tx);
        async move {
            // Held while the body is read: dropped unsent if the server
            // cancels the handler.
            let tx = tx.lock().unwrap().take();
            let result = match request.take_body() {
                Some(body) => body.to_bytes(1 << 20).await,
                None => Ok(Bytes::new()),
            };
            if let Some(tx) = tx {
                let _ = tx.send(result);
            }
            "done"
        }
    });
    let client = TestClient::new(handler);
    let (writer, body) = RequestBody::channel();
    let mut stream = bounded(client.post("/upload", "text/plain", body).start())
        .await
        .unwrap();
    bounded(writer.send("part of the body")).await.unwrap();
    // Let the first chunk reach the handler, then hang up.
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.close();
    // The server trips the abort signal and drops the handler: it either
    // sees its body read fail, or is cancelled (its sender dropped).
    match bounded(rx).await {
        Ok(result) => assert_eq!(result, Err(BodyError::Aborted)),
        Err(_cancelled) => {}
    }
    let err = bounded(stream.next_chunk()).await.unwrap_err();
    assert!(matches!(err, ClientError::ConnectionClosed { .. }), "{err}");
    assert!(bounded(client.get("/").send()).await.is_err());
}

#[tokio::test]
async fn local_and_client_redirects() {
    let handler = from_fn(|request: Request| async move {
        match request.environ().get("SCRIPT_NAME") {
            Some("/local") => Redirect::to("/elsewhere?x=1"),
            Some("/client") => Redirect::to("https://example.com/next"),
            _ => Redirect::see_other("/after-post"),
        }
    });
    let client = TestClient::new(handler);

    let local = bounded(client.get("/local").send()).await.unwrap();
    assert_eq!(local.local_redirect(), Some("/elsewhere?x=1"));
    assert_eq!(local.status(), 200);

    let remote = bounded(client.get("/client").send()).await.unwrap();
    assert_eq!(remote.local_redirect(), None);
    assert_eq!(remote.status(), 302);
    assert_eq!(remote.header("location"), Some("https://example.com/next"));

    let see_other = bounded(client.get("/post").send()).await.unwrap();
    assert_eq!(see_other.status(), 303);
    assert_eq!(see_other.local_redirect(), None);
    assert_eq!(see_other.header("location"), Some("/after-post"));
}

#[tokio::test]
async fn state_from_the_server_reaches_handlers() {
    #[derive(Clone)]
    struct Greeting(&'static str);
    let handler = from_fn(|request: Request| async move {
        request
            .parts()
            .state::<Greeting>()
            .map_or("no state", |g| g.0)
    });
    let client =
        TestClient::with_server(Server::new().with_state(Greeting("hi from state")), handler);
    assert_eq!(
        bounded(client.get("/").send()).await.unwrap().text(),
        "hi from state"
    );
    // Another connection to the same server shares it.
    let other = client.new_connection();
    assert_eq!(
        bounded(other.get("/").send()).await.unwrap().text(),
        "hi from state"
    );
}

#[tokio::test]
async fn concurrent_requests_on_one_and_several_connections() {
    let handler = from_fn(|request: Request| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        request
            .environ()
            .get("QUERY_STRING")
            .unwrap_or("")
            .to_owned()
    });
    let client = TestClient::new(handler);
    let other = client.new_connection();
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let client = if i % 2 == 0 {
            client.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            client.get(&format!("/?{i}")).send().await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let response = bounded(task).await.unwrap().unwrap();
        assert_eq!(response.text(), i.to_string());
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn raw_events_and_get_values() {
    let client = TestClient::new(from_fn(|_| async { "raw" }));
    let mut stream = bounded(client.get("/").start()).await.unwrap();
    let mut stdout = Vec::new();
    let mut end = None;
    while let Some(event) = bounded(stream.next_event()).await.unwrap() {
        match event {
            ResponseEvent::Stdout(bytes) => stdout.extend_from_slice(&bytes),
            ResponseEvent::Stderr(_) => {}
            ResponseEvent::End(e) => end = Some(e),
        }
    }
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(stdout.starts_with("Status: 200 OK\r\n"), "{stdout}");
    assert!(stdout.ends_with("\r\n\r\nraw"), "{stdout}");
    assert_eq!(
        end.map(|e| e.protocol_status),
        Some(ProtocolStatus::RequestComplete)
    );

    let values = bounded(client.get_values(&[FCGI_MPXS_CONNS]))
        .await
        .unwrap();
    assert_eq!(values.get(FCGI_MPXS_CONNS), Some("1"));
}

#[tokio::test]
async fn filter_role_gets_its_data() {
    let handler = from_fn(|mut request: Request| async move {
        let role = request.parts().role();
        let data = match request.take_data() {
            Some(data) => data.to_bytes(1024).await.unwrap_or_default(),
            None => Bytes::new(),
        };
        format!("{role}: {}", String::from_utf8_lossy(&data).to_uppercase())
    });
    let client = TestClient::new(handler);
    let response = bounded(client.get("/f").data("filter me").send())
        .await
        .unwrap();
    assert_eq!(response.text(), "Filter: FILTER ME");

    let authorizer = bounded(client.get("/a").role(Role::Authorizer).send())
        .await
        .unwrap();
    assert_eq!(authorizer.text(), "Authorizer: ");
}

#[tokio::test]
async fn a_builder_error_is_reported_by_send() {
    let client = TestClient::new(from_fn(|_| async { "" }));
    // A nested map cannot be URL-encoded.
    let nested = std::collections::BTreeMap::from([("a", [1, 2])]);
    let err = bounded(client.get("/").query(&nested).send())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::InvalidRequest(_)), "{err}");
}

#[tokio::test]
async fn raw_client_requests_can_be_sent() {
    let client = TestClient::new(from_fn(|request: Request| async move {
        request.environ().iter().count().to_string()
    }));
    let request = ClientRequest::from_params([("A", "1"), ("B", "2")].into_iter().collect());
    assert_eq!(
        bounded(client.request(request).send())
            .await
            .unwrap()
            .text(),
        "2"
    );
}

#[tokio::test]
async fn a_big_streamed_response_arrives_whole() {
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 320; // 20 MiB: far over every buffer on the way
    let handler = from_fn(|_| async {
        fastcgi_core::response::StreamBody::new(fastcgi_core::response::unfold(0, |i| async move {
            (i < CHUNKS).then(|| (Ok::<_, std::io::Error>(vec![(i % 256) as u8; CHUNK]), i + 1))
        }))
    });
    let client = TestClient::new(handler);
    let response = bounded(client.get("/big").send()).await.unwrap();
    assert_eq!(response.body().len(), CHUNK * CHUNKS);
    assert!(
        response
            .body()
            .chunks(CHUNK)
            .enumerate()
            .all(|(i, chunk)| chunk.iter().all(|&b| b == (i % 256) as u8))
    );
}

#[tokio::test]
async fn unread_responses_of_dropped_or_cancelled_requests_do_not_block_others() {
    // 4 MiB per response: more than the per-request response buffer.
    let handler = from_fn(|request: Request| async move {
        if request.environ().get("SCRIPT_NAME") == Some("/small") {
            return Bytes::from_static(b"small");
        }
        Bytes::from(vec![b'x'; 4 * 1024 * 1024])
    });
    let client = TestClient::new(handler);
    // A stream dropped unread.
    let stream = bounded(client.get("/big").start()).await.unwrap();
    drop(stream);
    // A start cancelled before the request got its id.
    let mut start = Box::pin(client.get("/big").start());
    let first_poll =
        std::future::poll_fn(|cx| std::task::Poll::Ready(start.as_mut().poll(cx))).await;
    assert!(first_poll.is_pending(), "the request got its id at once");
    drop(start);
    // A stream whose head was read, then dropped.
    let mut stream = bounded(client.get("/big").start()).await.unwrap();
    bounded(stream.head()).await.unwrap();
    drop(stream);
    for _ in 0..3 {
        assert_eq!(
            bounded(client.get("/small").send()).await.unwrap().text(),
            "small"
        );
    }
}
