//! `BlockingWriter`: the response writer for a plain `fn` handler, with
//! `std::io::Write` and a blocking `write_err`, so that `out.flush()?`
//! flushes (on [`ResponseWriter`], the async `flush` would shadow it and
//! only warn when not awaited).

use std::io;

use super::{IntoResponse, ResponseWriter};

/// Writes a request's output by hand from a plain `fn` handler, which runs
/// on tokio's blocking pool: every call blocks until done.
///
/// `std::io::Write` writes the response (FCGI_STDOUT) in CGI form, header
/// block first; [`write_err`](Self::write_err) writes FCGI_STDERR, the web
/// server's error log. Nothing here returns a future, so nothing can be
/// dropped unawaited. An `async fn` takes [`ResponseWriter`] instead (and
/// a plain fn that takes `ResponseWriter` does not compile).
///
/// ```
/// use std::io::Write;
///
/// use fastcgi::prelude::*;
/// use fastcgi::response::BlockingWriter;
///
/// #[fcgi_handler]
/// fn report(mut out: BlockingWriter) -> std::io::Result<()> {
///     out.write_all(b"Content-Type: text/plain\r\n\r\n")?;
///     for i in 0..3 {
///         writeln!(out, "line {i}")?;
///         out.flush()?;
///     }
///     out.write_err(b"report sent\n")
/// }
/// ```
#[derive(Debug)]
pub struct BlockingWriter(ResponseWriter);

impl BlockingWriter {
    /// Blocking writes on `writer`.
    pub fn new(writer: ResponseWriter) -> Self {
        Self(writer)
    }

    /// Writes `data` on the error stream (FCGI_STDERR).
    pub fn write_err(&mut self, data: &[u8]) -> io::Result<()> {
        crate::blocking::block_on(self.0.write_err(data))
    }

    /// Writes a whole response, header block and body; fails when the
    /// response was already started.
    pub fn send(&mut self, response: impl IntoResponse) -> io::Result<()> {
        crate::blocking::block_on(self.0.send(response))
    }

    /// Whether anything was written on the response yet.
    pub fn is_started(&self) -> bool {
        self.0.is_started()
    }

    /// The async writer again.
    pub fn into_inner(self) -> ResponseWriter {
        self.0
    }
}

impl io::Write for BlockingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(&mut self.0, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::Write::flush(&mut self.0)
    }
}
