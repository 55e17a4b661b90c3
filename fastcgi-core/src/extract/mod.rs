//! Extractors: how a handler's arguments are taken from the request.
//!
//! Two traits, after the two halves of a FastCGI request:
//!
//! - [`FromRequestParts`] reads only the params (FCGI_PARAMS) and the
//!   request's other parts, so any number of such arguments may appear in
//!   any order: [`Environ`](crate::request::Environ), [`Query`],
//!   [`State`], [`AbortSignal`](crate::request::AbortSignal),
//!   [`RequestParts`], and a route's parameters, [`Path`] and
//!   [`PathParams`].
//! - [`FromRequest`] consumes a stream (FCGI_STDIN, FCGI_DATA) or the
//!   request itself, so only one argument can take each:
//!   [`Body`](crate::request::Body), [`Bytes`](https://docs.rs/bytes/1/bytes/struct.Bytes.html), [`Text`],
//!   [`Json`], [`Form`], [`Data`],
//!   [`ResponseWriter`](crate::response::ResponseWriter),
//!   [`Request`]; for plain `fn` handlers,
//!   [`BlockingBody`](crate::request::BlockingBody) and
//!   [`BlockingWriter`](crate::response::BlockingWriter). At most one
//!   argument reads the body, and it is the last (checked at compile time;
//!   see the `M` marker of [`FromRequest`]).
//!
//! A third kind of argument is taken *by name*: any type that implements
//! [`FromStr`](std::str::FromStr) (`PathBuf`, `String`, `IpAddr`, `u64`...)
//! is the CGI meta-variable named after the argument, upper-cased, and
//! `Option<T>` makes it optional; see [`MetaVarRejection`] for what happens
//! when it is missing or does not parse.
//!
//! A failed extraction answers the request with its rejection, which is
//! itself a response (400, 413, 415, 422, 500 with a message), instead of
//! calling the handler. To answer yourself, take `Result<T, T::Rejection>`
//! (any extractor, or `Result<T, MetaVarRejection>` by name), or
//! `Option<T>` for `None` instead. The rejections are public types that
//! keep their cause ([`BodyRejection`], [`JsonRejection`] with its syntax
//! or data error and the field's path, [`QueryRejection`] and
//! [`FormRejection`] naming the field...).
//!
//! The buffering extractors read at most the [`BodyLimit`] in force: 2 MiB
//! unless the server, a router or a route sets another.
//!
//! With features: `Multipart` (`multipart`), `TypedHeader<T>`
//! (`typed-header`), `CookieJar`, `SignedCookieJar` and `PrivateCookieJar`
//! (`cookies`).

//! # Writing an extractor
//!
//! ```
//! use fastcgi::extract::FromRequestParts;
//! use fastcgi::request::RequestParts;
//! use fastcgi::response::StatusCode;
//!
//! /// The value of the `X-Api-Key` header, required.
//! struct ApiKey(String);
//!
//! impl FromRequestParts for ApiKey {
//!     type Rejection = (StatusCode, &'static str);
//!
//!     async fn from_request_parts(parts: &RequestParts) -> Result<Self, Self::Rejection> {
//!         match parts.environ().get("HTTP_X_API_KEY") {
//!             Some(key) => Ok(ApiKey(key.to_owned())),
//!             None => Err((StatusCode::UNAUTHORIZED, "missing X-Api-Key header")),
//!         }
//!     }
//! }
//! ```

mod after_response;
mod body;
#[cfg(feature = "cookies")]
mod cookies;
#[cfg(feature = "tower")]
mod extension;
mod form;
mod handled;
mod json;
mod limit;
mod meta_var;
#[cfg(feature = "multipart")]
mod multipart;
mod parts;
mod path;
mod path_de;
mod query;
mod rejection;
mod state;
#[cfg(feature = "typed-header")]
mod typed_header;

use std::future::Future;

pub use after_response::AfterResponse;
pub(crate) use after_response::BackgroundTasks;
pub use body::{Data, Text, TextRejection};
#[cfg(feature = "tower")]
pub use extension::{Extension, MissingExtension, RemoteAddr};
pub use form::{Form, FormRejection};
pub use json::{Json, JsonRejection};
pub use limit::BodyLimit;
pub(crate) use limit::{RouteBodyLimit, ServerBodyLimit};
pub use meta_var::MetaVarRejection;
pub use path::{Path, PathParams, PathRejection};
pub use query::{Query, QueryRejection, UrlencodedError};
pub use rejection::{AlreadyTaken, BodyRejection};
pub use state::{MissingState, State};

/// The `cookie` crate, whose `Cookie` and `Key` the jars take (feature
/// `cookies`).
#[cfg(feature = "cookies")]
#[cfg_attr(docsrs, doc(cfg(feature = "cookies")))]
pub use cookie;
#[cfg(feature = "cookies")]
#[cfg_attr(docsrs, doc(cfg(feature = "cookies")))]
pub use cookies::{CookieJar, MissingCookieKey, PrivateCookieJar, SignedCookieJar};
/// The `headers` crate, whose types `TypedHeader` decodes (feature
/// `typed-header`).
#[cfg(feature = "typed-header")]
#[cfg_attr(docsrs, doc(cfg(feature = "typed-header")))]
pub use headers;
#[cfg(feature = "multipart")]
#[cfg_attr(docsrs, doc(cfg(feature = "multipart")))]
pub use multipart::{Field, Multipart, MultipartError, MultipartRejection};
#[cfg(feature = "typed-header")]
#[cfg_attr(docsrs, doc(cfg(feature = "typed-header")))]
pub use typed_header::{TypedHeader, TypedHeaderRejection};

use crate::request::{Request, RequestParts};
use crate::response::IntoResponse;

/// The default limit on a body that an extractor buffers (`Bytes`, `Text`,
/// `Json`, `Form`): 2 MiB. Larger bodies get 413; set another
/// [`BodyLimit`] for the server or a route, or read a
/// [`Body`](crate::request::Body) to stream bigger ones.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// An argument taken from the request's parts (params, role, state), without
/// reading its body.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be taken from a request's parameters",
    note = "implement `FromRequestParts` for `{Self}`"
)]
pub trait FromRequestParts: Sized {
    /// The response sent instead of calling the handler when extraction
    /// fails.
    type Rejection: IntoResponse;

    /// Extracts the value.
    fn from_request_parts(
        parts: &RequestParts,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;
}

/// An argument that consumes part of the request: its body, its FCGI_DATA
/// stream, its response writer, or the whole request.
///
/// Implementations take what they need out of the request
/// ([`Request::take_body`] and friends) and leave the rest.
///
/// The marker `M` says whether the extractor reads the body, which
/// `#[fcgi_handler]` checks at compile time: a handler has at most one
/// argument that reads the body, and it is the last one (as in axum).
/// [`TakesBody`], the default, is right for anything that reads the body
/// or the whole request; an extractor that takes something else (the
/// response writer, FCGI_DATA) implements `FromRequest<LeavesBody>` and may
/// come anywhere.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be taken from a request",
    note = "implement `FromRequest` for `{Self}`"
)]
pub trait FromRequest<M = TakesBody>: Sized {
    /// The response sent instead of calling the handler when extraction
    /// fails.
    type Rejection: IntoResponse;

    /// Extracts the value.
    fn from_request(
        request: &mut Request,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;
}

/// The [`FromRequest`] marker of extractors that read the request body (or
/// take the whole request): only a handler's last argument may.
#[derive(Debug)]
pub enum TakesBody {}

/// The [`FromRequest`] marker of extractors that take part of the request
/// other than its body (the response writer, FCGI_DATA): any argument may.
#[derive(Debug)]
pub enum LeavesBody {}

#[doc(hidden)]
pub mod __private {
    //! What `#[fcgi_handler]` expands to; not a public API.

    use std::fmt::Display;
    use std::str::FromStr;

    use super::*;
    use crate::response::Response;

    /// Marks arguments taken through [`FromRequestParts`].
    pub enum ViaParts {}
    /// Marks arguments taken through [`FromRequest`], with its marker:
    /// [`TakesBody`] or [`LeavesBody`].
    pub struct ViaRequest<M>(std::marker::PhantomData<M>);
    /// Marks arguments taken by name, as a meta-variable.
    pub enum ViaMetaVar {}
    /// Marks optional arguments taken by name.
    pub enum ViaOptionalMetaVar {}
    /// Marks arguments taken by name whose rejection the handler handles.
    pub enum ViaMetaVarResult {}

    /// One handler argument, whichever way it is taken. The marker `M` is
    /// inferred: exactly one of the impls below applies to a given type.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be a FastCGI handler argument",
        label = "not an extractor, and not parsable from a CGI meta-variable",
        note = "take it by type: implement `FromRequestParts` (reads only the params) or `FromRequest` (reads the body) for it",
        note = "or take it by name, as the CGI meta-variable named after the argument (`document_root: PathBuf` reads DOCUMENT_ROOT): implement `FromStr` for it"
    )]
    pub trait HandlerArg<M>: Sized {
        fn extract(
            request: &mut Request,
            name: &'static str,
        ) -> impl Future<Output = Result<Self, Response>> + Send;
    }

    impl<T: FromRequestParts + Send> HandlerArg<ViaParts> for T {
        async fn extract(request: &mut Request, _name: &'static str) -> Result<Self, Response> {
            T::from_request_parts(&request.parts)
                .await
                .map_err(IntoResponse::into_response)
        }
    }

    impl<M, T: FromRequest<M> + Send> HandlerArg<ViaRequest<M>> for T {
        async fn extract(request: &mut Request, _name: &'static str) -> Result<Self, Response> {
            T::from_request(request)
                .await
                .map_err(IntoResponse::into_response)
        }
    }

    impl<T> HandlerArg<ViaMetaVar> for T
    where
        T: FromStr + Send,
        T::Err: Display,
    {
        async fn extract(request: &mut Request, name: &'static str) -> Result<Self, Response> {
            meta_var::required(request.parts.environ(), name).map_err(IntoResponse::into_response)
        }
    }

    #[diagnostic::do_not_recommend]
    impl<T> HandlerArg<ViaOptionalMetaVar> for Option<T>
    where
        T: FromStr + Send,
        T::Err: Display,
    {
        async fn extract(request: &mut Request, name: &'static str) -> Result<Self, Response> {
            meta_var::optional(request.parts.environ(), name).map_err(IntoResponse::into_response)
        }
    }

    #[diagnostic::do_not_recommend]
    impl<T> HandlerArg<ViaMetaVarResult> for Result<T, MetaVarRejection>
    where
        T: FromStr + Send,
        T::Err: Display,
    {
        async fn extract(request: &mut Request, name: &'static str) -> Result<Self, Response> {
            Ok(meta_var::required(request.parts.environ(), name))
        }
    }

    /// The markers of arguments that leave the body alone, so that another
    /// argument may follow them.
    #[diagnostic::on_unimplemented(
        message = "this argument reads the request body, but it is not the handler's last argument",
        label = "reads the body, so it must come last",
        note = "move it to the end of the argument list: the body can be read once, by the last argument, as in `async fn create(State(db): State<Db>, Json(note): Json<NewNote>)`",
        note = "a handler takes at most one argument that reads the body (`Body`, `Bytes`, `Vec<u8>`, `Text`, `Json<T>`, `Form<T>`, `Request`...); to see the body in two forms, take `Bytes` and parse it in the handler; `ResponseWriter` and `Data` leave the body alone and may come before it"
    )]
    pub trait LeavesTheBody {}
    #[diagnostic::do_not_recommend]
    impl LeavesTheBody for ViaParts {}
    #[diagnostic::do_not_recommend]
    impl LeavesTheBody for ViaRequest<LeavesBody> {}
    #[diagnostic::do_not_recommend]
    impl LeavesTheBody for ViaMetaVar {}
    #[diagnostic::do_not_recommend]
    impl LeavesTheBody for ViaOptionalMetaVar {}
    #[diagnostic::do_not_recommend]
    impl LeavesTheBody for ViaMetaVarResult {}

    /// The [`FromRequest`] marker of `Body`: reads the body, and only from
    /// an `async fn`.
    #[derive(Debug)]
    pub enum AsyncOnly {}
    /// The [`FromRequest`] marker of `ResponseWriter`: leaves the body
    /// alone, and only from an `async fn`.
    #[derive(Debug)]
    pub enum AsyncOnlyLeavesBody {}

    #[diagnostic::do_not_recommend]
    impl LeavesTheBody for ViaRequest<AsyncOnlyLeavesBody> {}

    /// The markers of arguments a plain `fn` can use: all but the async
    /// streams, whose inherent async methods would shadow `std::io`.
    #[diagnostic::on_unimplemented(
        message = "a plain `fn` handler cannot take this async stream",
        label = "its methods are async: in a plain fn they would return futures nobody awaits",
        note = "in a plain `fn` (run on the blocking pool), take `fastcgi::request::BlockingBody` instead of `Body` (it implements `std::io::Read`) and `fastcgi::response::BlockingWriter` instead of `ResponseWriter` (`std::io::Write`, and a blocking `write_err`)",
        note = "or make the handler an `async fn` and `.await` the stream's methods"
    )]
    pub trait UsableInPlainFn {}
    #[diagnostic::do_not_recommend]
    impl UsableInPlainFn for ViaParts {}
    #[diagnostic::do_not_recommend]
    impl UsableInPlainFn for ViaRequest<TakesBody> {}
    #[diagnostic::do_not_recommend]
    impl UsableInPlainFn for ViaRequest<LeavesBody> {}
    #[diagnostic::do_not_recommend]
    impl UsableInPlainFn for ViaMetaVar {}
    #[diagnostic::do_not_recommend]
    impl UsableInPlainFn for ViaOptionalMetaVar {}
    #[diagnostic::do_not_recommend]
    impl UsableInPlainFn for ViaMetaVarResult {}

    /// Checks, at an argument's type, that a plain fn can use it:
    /// `#[fcgi_handler]` calls it for every argument of a plain fn.
    pub fn usable_in_plain_fn<M: UsableInPlainFn, T: HandlerArg<M>>() {}

    /// Checks, at an argument's type, that it does not read the body:
    /// `#[fcgi_handler]` calls it for every argument but the last.
    pub fn leaves_the_body<M: LeavesTheBody, T: HandlerArg<M>>() {}

    /// The markers of arguments that can be taken without a name: by type.
    #[diagnostic::on_unimplemented(
        message = "this argument's type is read by name, from a CGI meta-variable, but a pattern has no name",
        label = "a pattern argument must be an extractor",
        note = "bind the argument to a name (`remote_addr: IpAddr` reads REMOTE_ADDR), or name the meta-variable with `#[fcgi(name = \"REMOTE_ADDR\")]` before the pattern"
    )]
    pub trait ByType {}
    impl ByType for ViaParts {}
    impl<M> ByType for ViaRequest<M> {}

    /// Takes an argument written as a pattern (`Query(q)`, `_`): by type
    /// only, since it has no name to read a meta-variable by.
    pub async fn extract_by_type<M: ByType, T: HandlerArg<M>>(
        request: &mut Request,
    ) -> Result<T, Response> {
        T::extract(request, "").await
    }

    /// Pins the inferred marker of a handler argument's type.
    pub async fn extract<M, T: HandlerArg<M>>(
        request: &mut Request,
        name: &'static str,
    ) -> Result<T, Response> {
        T::extract(request, name).await
    }

    /// The future of an async handler fn, which must be `Send`: the server
    /// runs requests on any worker thread.
    #[diagnostic::on_unimplemented(
        message = "this handler's future is not `Send`, so the server cannot run it on its worker threads",
        label = "a value that is not `Send` lives across one of this fn's `.await`s",
        note = "the usual causes: an `Rc` (use `Arc`), a `RefCell` (use a `Mutex`), or a `std::sync::MutexGuard` held across an `.await` (drop the guard before the `.await`, in a block of its own, or use `tokio::sync::Mutex`, whose guard is `Send`)",
        note = "or make the handler a plain `fn`, which runs on the blocking pool and need not be `Send` inside"
    )]
    pub trait SendHandlerFuture: Future {}
    // Without it rustc reports the bare `Send` error instead of this one.
    #[diagnostic::do_not_recommend]
    impl<F: Future + Send> SendHandlerFuture for F {}

    /// Checks, at the fn's name, that its future is `Send`, with advice.
    pub fn advise_send<F: SendHandlerFuture>(future: F) -> F {
        future
    }

    /// Checks, at the return type's span, that it implements `IntoResponse`.
    pub fn into_response<T: IntoResponse>(value: T) -> Response {
        value.into_response()
    }

    /// Runs a plain (blocking) handler fn on tokio's blocking pool; a panic
    /// in it is resumed here, where the server catches it like any other
    /// handler panic.
    pub async fn run_blocking<F, R>(f: F) -> R
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match tokio::task::spawn_blocking(f).await {
            Ok(value) => value,
            Err(err) => match err.try_into_panic() {
                Ok(payload) => std::panic::resume_unwind(payload),
                // Only when the runtime shuts down under the handler.
                Err(_) => std::panic::resume_unwind(Box::new(
                    "the blocking handler was cancelled: the runtime is shutting down",
                )),
            },
        }
    }
}
