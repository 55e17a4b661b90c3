#![allow(clippy::unwrap_used)]
use std::time::Instant;
use fastcgi_core::client::{ClientRequest, Connection};
use fastcgi_core::handler::from_fn;
use fastcgi_core::request::Request;
use fastcgi_core::server::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perf() {
    let server = Server::bind("127.0.0.1:0").unwrap().handle_signals(false);
    let addr = server.tcp_addr().unwrap();
    let _task = tokio::spawn(server.serve(from_fn(|_r: Request| async { "Hello, World!" })));
    let mut conn = Connection::connect_tcp(addr).await.unwrap();
    let template = ClientRequest::get("/hello?x=1").header("User-Agent", "bench");
    for _ in 0..1000 { conn.send(template.try_clone().unwrap()).await.unwrap(); }
    let n = 50_000;
    let t = Instant::now();
    for _ in 0..n { let r = conn.send(template.try_clone().unwrap()).await.unwrap(); assert_eq!(r.body().len(), 13); }
    let el = t.elapsed();
    eprintln!("direct: {:.0} req/s", n as f64 / el.as_secs_f64());
    let mux = conn.into_multiplexed();
    let t = Instant::now();
    for _ in 0..n { let r = mux.send(template.try_clone().unwrap()).await.unwrap(); assert_eq!(r.body().len(), 13); }
    let el = t.elapsed();
    eprintln!("mux sequential: {:.0} req/s", n as f64 / el.as_secs_f64());
}
