//! The request's own parts as extractors.

use std::convert::Infallible;

use crate::extract::__private::{AsyncOnly, AsyncOnlyLeavesBody};
use crate::extract::{AlreadyTaken, FromRequest, FromRequestParts, LeavesBody};
use crate::request::{AbortSignal, BlockingBody, Body, Environ, Request, RequestParts};
use crate::response::{BlockingWriter, ResponseWriter};

impl FromRequestParts for Environ {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, Infallible> {
        Ok(parts.environ.clone())
    }
}

impl FromRequestParts for RequestParts {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, Infallible> {
        Ok(parts.clone())
    }
}

/// The request's FCGI_STDERR; see [`Stderr`](crate::response::Stderr).
impl FromRequestParts for crate::response::Stderr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, Infallible> {
        Ok(parts.stderr())
    }
}

impl FromRequestParts for AbortSignal {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, Infallible> {
        Ok(parts.abort.clone())
    }
}

/// The body stream (FCGI_STDIN).
/// For an `async fn`; a plain fn takes [`BlockingBody`].
impl FromRequest<AsyncOnly> for Body {
    type Rejection = AlreadyTaken;

    async fn from_request(request: &mut Request) -> Result<Self, AlreadyTaken> {
        request.take_body().ok_or(AlreadyTaken::new("body"))
    }
}

/// The low-level response writer; see [`ResponseWriter`].
/// For an `async fn`; a plain fn takes [`BlockingWriter`].
impl FromRequest<AsyncOnlyLeavesBody> for ResponseWriter {
    type Rejection = AlreadyTaken;

    async fn from_request(request: &mut Request) -> Result<Self, AlreadyTaken> {
        request
            .take_writer()
            .ok_or(AlreadyTaken::new("response writer"))
    }
}

/// The body stream for a plain `fn` handler, read with `std::io::Read`.
impl FromRequest for BlockingBody {
    type Rejection = AlreadyTaken;

    async fn from_request(request: &mut Request) -> Result<Self, AlreadyTaken> {
        request
            .take_body()
            .map(BlockingBody::new)
            .ok_or(AlreadyTaken::new("body"))
    }
}

/// The response writer for a plain `fn` handler, with `std::io::Write`.
impl FromRequest<LeavesBody> for BlockingWriter {
    type Rejection = AlreadyTaken;

    async fn from_request(request: &mut Request) -> Result<Self, AlreadyTaken> {
        request
            .take_writer()
            .map(BlockingWriter::new)
            .ok_or(AlreadyTaken::new("response writer"))
    }
}

/// The whole request: its parts, body, data stream and writer. Arguments
/// after it see the parts only.
impl FromRequest for Request {
    type Rejection = Infallible;

    async fn from_request(request: &mut Request) -> Result<Self, Infallible> {
        let rest = Request {
            parts: request.parts.clone(),
            body: None,
            data: None,
            writer: None,
        };
        Ok(std::mem::replace(request, rest))
    }
}
