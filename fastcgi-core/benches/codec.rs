//! Benchmarks of the protocol codec on the common nginx path: decoding a GET
//! request as nginx sends it with its stock `fastcgi_params`, and encoding a
//! small response.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fastcgi_core::protocol::{
    FCGI_KEEP_CONN, Params, ParamsDecoder, ProtocolError, ProtocolLimits, ProtocolStatus, Record,
    RecordDecoder, Role, StreamType, encode_begin_request, encode_end_request, encode_params,
    encode_stream, encode_stream_end,
};

/// The params nginx sends for `GET /index.php?id=42` with `include fastcgi_params;`
/// plus `SCRIPT_FILENAME` (as in `fastcgi.conf`) and a few request headers.
const NGINX_PARAMS: [(&str, &str); 23] = [
    ("QUERY_STRING", "id=42"),
    ("REQUEST_METHOD", "GET"),
    ("CONTENT_TYPE", ""),
    ("CONTENT_LENGTH", ""),
    ("SCRIPT_NAME", "/index.php"),
    ("REQUEST_URI", "/index.php?id=42"),
    ("DOCUMENT_URI", "/index.php"),
    ("DOCUMENT_ROOT", "/var/www/html"),
    ("SERVER_PROTOCOL", "HTTP/1.1"),
    ("REQUEST_SCHEME", "https"),
    ("HTTPS", "on"),
    ("GATEWAY_INTERFACE", "CGI/1.1"),
    ("SERVER_SOFTWARE", "nginx/1.26.2"),
    ("REMOTE_ADDR", "203.0.113.7"),
    ("REMOTE_PORT", "51234"),
    ("SERVER_ADDR", "192.0.2.10"),
    ("SERVER_PORT", "443"),
    ("SERVER_NAME", "example.com"),
    ("REDIRECT_STATUS", "200"),
    ("SCRIPT_FILENAME", "/var/www/html/index.php"),
    ("HTTP_HOST", "example.com"),
    (
        "HTTP_USER_AGENT",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ),
    (
        "HTTP_ACCEPT",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ),
];

/// The bytes nginx writes for that request with `fastcgi_keep_conn on`:
/// BEGIN_REQUEST, one PARAMS record, the empty PARAMS, the empty STDIN.
fn nginx_get_request() -> Vec<u8> {
    let params: Params = NGINX_PARAMS.into_iter().collect();
    let mut wire = BytesMut::new();
    encode_begin_request(&mut wire, 1, Role::Responder, FCGI_KEEP_CONN);
    encode_params(&mut wire, 1, &params);
    encode_stream_end(&mut wire, StreamType::Params, 1);
    encode_stream_end(&mut wire, StreamType::Stdin, 1);
    wire.to_vec()
}

/// Decodes one request the way a connection task does; returns its params.
fn decode_request(decoder: &mut RecordDecoder, bytes: &[u8]) -> Result<Params, ProtocolError> {
    decoder.feed(bytes);
    let mut params_decoder = Some(ParamsDecoder::new(ProtocolLimits::default()));
    let mut params = Params::new();
    while let Some(record) = decoder.next_record()? {
        match record {
            Record::Params { content, .. } if content.is_empty() => {
                if let Some(done) = params_decoder.take() {
                    params = done.finish()?;
                }
            }
            Record::Params { content, .. } => {
                if let Some(params_decoder) = &mut params_decoder {
                    params_decoder.push(&content)?;
                }
            }
            other => {
                black_box(other);
            }
        }
    }
    Ok(params)
}

const RESPONSE: &[u8] =
    b"Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

fn encode_response(out: &mut BytesMut, request_id: u16) {
    encode_stream(out, StreamType::Stdout, request_id, RESPONSE);
    encode_stream_end(out, StreamType::Stdout, request_id);
    encode_end_request(out, request_id, 0, ProtocolStatus::RequestComplete);
}

fn codec(c: &mut Criterion) {
    let request = nginx_get_request();
    let mut group = c.benchmark_group("codec");

    group.throughput(Throughput::Elements(1));
    let mut decoder = RecordDecoder::with_capacity(8 * 1024);
    group.bench_function("decode_nginx_get_request", |b| {
        b.iter(|| decode_request(&mut decoder, black_box(&request)))
    });

    let mut out = BytesMut::with_capacity(4 * 1024);
    group.bench_function("encode_hello_world_response", |b| {
        b.iter(|| {
            out.clear();
            encode_response(&mut out, black_box(1));
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
