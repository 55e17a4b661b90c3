//! The client against scripted applications over an in-memory stream:
//! ones that break the rules (bad CGI header blocks, bad records, unknown
//! statuses, connections dropped mid-response), each an error and never a
//! panic or a hang; and ones that stress its bookkeeping.

// Helpers outside `#[test]` fns unwrap too: this whole file is a test.
#![allow(clippy::unwrap_used)]

use std::future::IntoFuture;
use std::time::Duration;

use bytes::BytesMut;
use fastcgi_core::client::{ClientError, ClientRequest, Connection, MultiplexedConnection};
use fastcgi_core::protocol::{
    self, ProtocolError, ProtocolStatus, Record, RecordDecoder, StreamType,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

async fn bounded<F: IntoFuture>(future: F) -> F::Output {
    timeout(LIMIT, future)
        .await
        .expect("the test took too long")
}

/// An application that reads one request (up to the end of its STDIN),
/// then writes `reply(request_id)` and closes the connection if `close`.
fn scripted(reply: impl FnOnce(u16) -> BytesMut + Send + 'static, close: bool) -> DuplexStream {
    let (client, mut app) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let mut decoder = RecordDecoder::new();
        let mut request_id = None;
        'read: loop {
            let mut buf = [0u8; 4096];
            let Ok(n) = app.read(&mut buf).await else {
                return;
            };
            if n == 0 {
                return;
            }
            decoder.feed(&buf[..n]);
            while let Ok(Some(record)) = decoder.next_record() {
                match record {
                    Record::BeginRequest { request_id: id, .. } => request_id = Some(id),
                    Record::Stdin { content, .. } if content.is_empty() => break 'read,
                    _ => {}
                }
            }
        }
        let out = reply(request_id.unwrap_or(1));
        let _ = app.write_all(&out).await;
        if close {
            drop(app);
        } else {
            // Keep the connection open (and drained) until the client goes.
            let mut sink = [0u8; 4096];
            while matches!(app.read(&mut sink).await, Ok(n) if n > 0) {}
        }
    });
    client
}

fn stdout(id: u16, text: &str) -> BytesMut {
    let mut out = BytesMut::new();
    protocol::encode_stream(&mut out, StreamType::Stdout, id, text.as_bytes());
    out
}

fn end(out: &mut BytesMut, id: u16, status: ProtocolStatus) {
    protocol::encode_stream_end(out, StreamType::Stdout, id);
    protocol::encode_end_request(out, id, 0, status);
}

async fn send_to(
    reply: impl FnOnce(u16) -> BytesMut + Send + 'static,
    close: bool,
) -> Result<fastcgi_core::client::ClientResponse, ClientError> {
    let mut conn = Connection::new(scripted(reply, close));
    bounded(conn.send(ClientRequest::get("/"))).await
}

#[tokio::test]
async fn a_body_without_a_header_block_is_malformed() {
    let err = send_to(
        |id| {
            let mut out = stdout(id, "just some text\nand more\n");
            end(&mut out, id, ProtocolStatus::RequestComplete);
            out
        },
        false,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClientError::MalformedHeader { .. }), "{err}");
    assert!(err.to_string().contains("not `Name: value`"), "{err}");
}

#[tokio::test]
async fn a_header_block_that_never_ends_is_malformed() {
    let err = send_to(
        |id| {
            let mut out = stdout(id, "Content-Type: text/plain\r\nX-A: 1\r\n");
            end(&mut out, id, ProtocolStatus::RequestComplete);
            out
        },
        false,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClientError::MalformedHeader { .. }), "{err}");
    assert!(
        err.to_string().contains("ended before the empty line"),
        "{err}"
    );

    let err = send_to(
        |id| {
            let mut out = BytesMut::new();
            end(&mut out, id, ProtocolStatus::RequestComplete);
            out
        },
        false,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("no output"), "{err}");
}

#[tokio::test]
async fn an_endless_header_block_hits_the_limit() {
    let err = send_to(
        |id| {
            let mut out = BytesMut::new();
            for i in 0..2000 {
                out.extend_from_slice(&stdout(
                    id,
                    &format!("X-Header-{i}: {}\r\n", "v".repeat(40)),
                ));
            }
            out
        },
        false,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClientError::HeaderTooLarge { .. }), "{err}");
}

#[tokio::test]
async fn a_bad_status_line_is_malformed() {
    let err = send_to(
        |id| {
            let mut out = stdout(id, "Status: two hundred\r\n\r\n");
            end(&mut out, id, ProtocolStatus::RequestComplete);
            out
        },
        false,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("invalid Status line"), "{err}");
}

#[tokio::test]
async fn closing_mid_response_is_connection_closed() {
    let err = send_to(|id| stdout(id, "Status: 200 OK\r\n\r\nhalf a bo"), true)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::ConnectionClosed {
                request_id: Some(_),
                ..
            }
        ),
        "{err}"
    );

    // Also when closing mid-record.
    let err = send_to(
        |id| {
            let mut out = stdout(id, "Status: 200 OK\r\n\r\nbody");
            out.truncate(out.len() - 6);
            out
        },
        true,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClientError::ConnectionClosed { .. }), "{err}");

    // And for multiplexed connections.
    let mux = MultiplexedConnection::new(scripted(|id| stdout(id, "Status: 200 OK\r\n"), true));
    let err = bounded(mux.send(ClientRequest::get("/")))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::ConnectionClosed { .. }), "{err}");
    assert!(bounded(mux.send(ClientRequest::get("/"))).await.is_err());
}

#[tokio::test]
async fn garbage_is_a_protocol_error() {
    let err = send_to(
        |_| BytesMut::from(&b"HTTP/1.1 400 Bad Request\r\n\r\n"[..]),
        false,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Protocol(ProtocolError::UnsupportedVersion { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("HTTP"), "{err}");
}

#[tokio::test]
async fn records_for_other_requests_are_protocol_errors() {
    let err = send_to(
        |id| {
            let mut out = stdout(id + 7, "Status: 200 OK\r\n\r\n");
            end(&mut out, id + 7, ProtocolStatus::RequestComplete);
            out
        },
        false,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Protocol(ProtocolError::UnexpectedRecord { .. })
        ),
        "{err}"
    );

    let mux = MultiplexedConnection::new(scripted(
        |id| {
            let mut out = BytesMut::new();
            protocol::encode_begin_request(&mut out, id, protocol::Role::Responder, 0);
            out
        },
        false,
    ));
    let err = bounded(mux.send(ClientRequest::get("/")))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Protocol(_)), "{err}");
}

#[tokio::test]
async fn unknown_protocol_status_is_an_error() {
    let err = send_to(
        |id| {
            let mut out = stdout(id, "Status: 200 OK\r\n\r\n");
            protocol::encode_stream_end(&mut out, StreamType::Stdout, id);
            protocol::encode_record(
                &mut out,
                &Record::EndRequest {
                    request_id: id,
                    app_status: 0,
                    protocol_status: 9,
                },
            );
            out
        },
        false,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ClientError::UnknownProtocolStatus { status: 9, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_refusal_without_output_is_rejected() {
    let err = send_to(
        |id| {
            let mut out = BytesMut::new();
            protocol::encode_end_request(&mut out, id, 0, ProtocolStatus::Overloaded);
            out
        },
        false,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Rejected {
                protocol_status: ProtocolStatus::Overloaded,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn bare_newlines_and_app_status_are_accepted() {
    let response = send_to(
        |id| {
            let mut out = stdout(id, "Content-Type: text/plain\nStatus: 418\n\nteapot");
            protocol::encode_stream(&mut out, StreamType::Stderr, id, b"warn\n");
            protocol::encode_stream_end(&mut out, StreamType::Stdout, id);
            protocol::encode_end_request(&mut out, id, 3, ProtocolStatus::RequestComplete);
            out
        },
        false,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 418);
    assert_eq!(response.text(), "teapot");
    assert_eq!(response.stderr_text(), "warn\n");
    assert_eq!(response.app_status(), 3);
}

/// An application that keeps streaming the first request's output while
/// it slowly reads the next request: the client must drop the output of
/// the request it abandoned while it writes the next one's head.
#[tokio::test]
async fn output_of_an_abandoned_request_is_dropped_while_the_next_head_is_written() {
    // A tiny pipe, so that writing the second head takes many rounds.
    let (client, mut app) = tokio::io::duplex(64);
    tokio::spawn(async move {
        let mut decoder = RecordDecoder::new();
        let mut first_started = false;
        let mut second = None;
        loop {
            let mut buf = [0u8; 64];
            let Ok(n) = app.read(&mut buf).await else {
                return;
            };
            if n == 0 {
                return;
            }
            decoder.feed(&buf[..n]);
            let mut out = BytesMut::new();
            while let Ok(Some(record)) = decoder.next_record() {
                match record {
                    Record::Stdin {
                        request_id: 1,
                        content,
                    } if content.is_empty() => {
                        out.extend_from_slice(&stdout(1, "Status: 200 OK\r\n\r\nfirst"));
                        first_started = true;
                    }
                    Record::AbortRequest { request_id: 1 } => {
                        protocol::encode_stream_end(&mut out, StreamType::Stdout, 1);
                        protocol::encode_end_request(
                            &mut out,
                            1,
                            0,
                            ProtocolStatus::RequestComplete,
                        );
                        first_started = false;
                    }
                    Record::BeginRequest { request_id, .. } if request_id != 1 => {
                        second = Some(request_id)
                    }
                    Record::Stdin {
                        request_id,
                        content,
                    } if Some(request_id) == second && content.is_empty() => {
                        out.extend_from_slice(&stdout(request_id, "Status: 200 OK\r\n\r\nsecond"));
                        end(&mut out, request_id, ProtocolStatus::RequestComplete);
                    }
                    _ => {}
                }
            }
            if first_started {
                // More output for the first request after every read.
                out.extend_from_slice(&stdout(1, "more"));
            }
            if app.write_all(&out).await.is_err() {
                return;
            }
        }
    });
    let mut conn = Connection::new(client);
    let mut stream = bounded(conn.start(ClientRequest::get("/first")))
        .await
        .unwrap();
    assert_eq!(
        bounded(stream.next_chunk()).await.unwrap().as_deref(),
        Some(&b"first"[..])
    );
    drop(stream);
    let second = ClientRequest::get("/second").param("HTTP_X_PADDING", &"p".repeat(4000));
    let response = bounded(conn.send(second)).await.unwrap();
    assert_eq!(response.text(), "second");
    assert_ne!(response.request_id(), 1, "request 1 was still being ended");
}
