//! [`Stderr`]: a request's error stream (FCGI_STDERR), simple-fastcgi's
//! `write_err`, as a handler argument of its own.

use std::io;

use crate::output::{RequestOutput, WRITE_PIECE, closed_error};
use crate::protocol::{StreamType, encode_stream};

/// Writes to the request's FCGI_STDERR: the web server puts each line in
/// its error log (nginx: `FastCGI sent in stderr: "..."`). Take it as a
/// handler argument; it does not affect the response.
///
/// For a request built by hand (no connection), it writes to the process's
/// own stderr.
///
/// ```
/// use fastcgi::response::Stderr;
///
/// async fn handler(stderr: Stderr) -> &'static str {
///     let _ = stderr.write("cache miss for /items\n").await;
///     "ok"
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Stderr {
    output: Option<RequestOutput>,
}

impl Stderr {
    pub(crate) fn new(output: Option<RequestOutput>) -> Self {
        Self { output }
    }

    /// Writes `data`, waiting while the connection's output buffer is full.
    /// Fails once the request has ended or its connection closed.
    pub async fn write(&self, data: impl AsRef<[u8]>) -> io::Result<()> {
        let data = data.as_ref();
        let Some(output) = &self.output else {
            use std::io::Write;
            return io::stderr().write_all(data);
        };
        for piece in data.chunks(WRITE_PIECE) {
            std::future::poll_fn(|cx| output.conn.poll_space(cx))
                .await
                .map_err(closed_error)?;
            let id = output.key.request_id;
            output
                .conn
                .append(output.key, StreamType::Stderr, |buf| {
                    encode_stream(buf, StreamType::Stderr, id, piece)
                })
                .map_err(closed_error)?;
        }
        Ok(())
    }
}
