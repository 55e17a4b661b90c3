//! Benchmarks of the per-request path in user space, with no socket: what
//! the server and the client spend on one request apart from the kernel.
//! `examples/bench/run.sh` measures the same path over real sockets.
//!
//! - `round_trip_in_memory`: a GET as nginx sends it, from the client's
//!   `Connection` to a server connection task over an in-memory stream and
//!   back (both sides' cost: decoding, the handler, the response head, the
//!   records).
//! - `environ_from_params` and `params_clone`: turning the decoded params
//!   into an `Environ` (the difference between the two is the upper-casing
//!   of names).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fastcgi_core::client::{ClientRequest, Connection};
use fastcgi_core::handler::from_fn;
use fastcgi_core::request::Environ;
use fastcgi_core::server::Server;

fn request(c: &mut Criterion) {
    let mut group = c.benchmark_group("request");
    group.throughput(Throughput::Elements(1));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let hello = from_fn(|_request| async { "Hello, World!" });
    runtime.spawn(Server::new().serve_io(server_io, hello));
    let mut conn = Connection::new(client_io);
    let template = ClientRequest::get("/");
    group.bench_function("round_trip_in_memory", |b| {
        b.iter(|| {
            let request = template.try_clone().unwrap_or_default();
            let response = runtime.block_on(conn.send(request));
            black_box(response.map(|r| r.body().len()).unwrap_or(0))
        })
    });

    let params = ClientRequest::get("/index.php?id=42")
        .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0)")
        .header("Accept", "text/html,application/xhtml+xml")
        .params()
        .clone();
    group.bench_function("params_clone", |b| b.iter(|| black_box(params.clone())));
    group.bench_function("environ_from_params", |b| {
        b.iter(|| black_box(Environ::from_params(params.clone())))
    });
    group.finish();
}

criterion_group!(benches, request);
criterion_main!(benches);
