//! `BlockingBody`: the request body for a plain `fn` handler, read with
//! `std::io::Read` alone, so that `body.read(&mut buf)?` means what it
//! says (on [`Body`], the async `read` would shadow it).

use std::io;

use bytes::Bytes;

use super::{Body, BodyError};

/// The request body (FCGI_STDIN) for a plain `fn` handler, which runs on
/// tokio's blocking pool: every read blocks until data arrives.
///
/// It has no async methods, so nothing it returns is a future that could
/// be dropped unawaited. An `async fn` takes [`Body`] instead (and a plain
/// fn that takes `Body` does not compile).
///
/// ```
/// use std::io::Read;
///
/// use fastcgi::prelude::*;
/// use fastcgi::request::BlockingBody;
///
/// #[fcgi_handler]
/// fn count(mut body: BlockingBody) -> std::io::Result<String> {
///     let mut buf = [0u8; 8192];
///     let mut total = 0;
///     loop {
///         let n = body.read(&mut buf)?;
///         if n == 0 {
///             return Ok(format!("{total} bytes"));
///         }
///         total += n;
///     }
/// }
/// ```
#[derive(Debug)]
pub struct BlockingBody(Body);

impl BlockingBody {
    /// Blocking reads of `body`.
    pub fn new(body: Body) -> Self {
        Self(body)
    }

    /// Reads the whole body, failing with [`BodyError::TooLarge`] once it
    /// exceeds `limit` bytes.
    pub fn to_bytes(self, limit: usize) -> Result<Bytes, BodyError> {
        crate::blocking::block_on(self.0.to_bytes(limit))
    }

    /// The async body again.
    pub fn into_inner(self) -> Body {
        self.0
    }
}

impl io::Read for BlockingBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        crate::blocking::block_on(self.0.read(buf)).map_err(io::Error::from)
    }
}
