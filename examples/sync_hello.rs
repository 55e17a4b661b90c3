//! A blocking handler, simple-fastcgi's `FcgiHandler`/`FcgiServer` pair: a plain
//! `fn` runs on tokio's blocking pool, where `std::io` reads and writes are
//! fine.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --example sync_hello
//! ```

use std::io::Write;

use fastcgi::prelude::*;

/// Reads the body with `std::io::Read` and writes the response with
/// `std::io::Write`, simple-fastcgi's `read()`, `write()` and
/// `write_err()`: a plain fn takes the blocking `BlockingBody` and
/// `BlockingWriter`, whose methods block instead of returning futures.
#[fcgi_handler]
fn sync_hello(
    environ: Environ,
    mut out: BlockingWriter,
    mut body: BlockingBody,
) -> std::io::Result<()> {
    // Counted as it is read, never held whole: a body of any size costs
    // the copy buffer.
    let received = std::io::copy(&mut body, &mut std::io::sink())?;
    let method = environ.request_method().unwrap_or("GET");
    write!(
        out,
        "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )?;
    writeln!(out, "Hello from a blocking handler: {method}")?;
    writeln!(out, "you sent {received} bytes")?;
    out.flush()?;
    out.write_err(b"sync_hello answered\n")
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    Server::from_env()?.serve(sync_hello).await
}
