//! [`OperationOutput`]: the responses a return type answers with; the
//! impls for the framework's responses.

use std::borrow::Cow;
use std::convert::Infallible;

use bytes::Bytes;
use http::StatusCode;
use schemars::JsonSchema;

use super::{Operation, ResponseStatus};
use crate::extract::{Json, Text};
use crate::response::{
    Html, Ndjson, Redirect, ResponseBody, ResponseHeaders, StreamBody, TryNdjson,
};

/// A return type's part of the API: the responses it answers with.
///
/// Implemented for the framework's responses (`Json<T>`, text, bytes,
/// `StatusCode`, `(StatusCode, T)`, `Result<T, E>`, `Redirect`,
/// streams...); implement it for your own error type so the handlers that
/// return it are described fully. A return type that does not implement
/// it is reported as a gap ([`OpenApi::gaps`](super::OpenApi::gaps)).
///
/// ```
/// use fastcgi_core::openapi::{Operation, OperationOutput};
/// use fastcgi_core::response::StatusCode;
///
/// /// The API's errors: 404 or 409, a JSON `{"error": "..."}`.
/// enum ApiError { NotFound, Conflict }
///
/// #[derive(schemars::JsonSchema)]
/// struct ErrorBody { error: String }
///
/// impl OperationOutput for ApiError {
///     fn describe(operation: &mut Operation<'_>) {
///         let schema = operation.output_schema::<ErrorBody>();
///         operation.response_content(StatusCode::NOT_FOUND, Some("No such item"), "application/json", Some(schema.clone()));
///         operation.response_content(StatusCode::CONFLICT, Some("The item exists"), "application/json", Some(schema));
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not describe its responses in an OpenAPI document",
    note = "implement `fastcgi::openapi::OperationOutput` for `{Self}`: the statuses and bodies it answers with"
)]
pub trait OperationOutput {
    /// Writes the responses of this type into `operation`.
    fn describe(operation: &mut Operation<'_>);
}

const TEXT: &str = "text/plain; charset=utf-8";
const OCTETS: &str = "application/octet-stream";

impl<T: JsonSchema> OperationOutput for Json<T> {
    fn describe(operation: &mut Operation<'_>) {
        let schema = operation.output_schema::<T>();
        operation.response_content(StatusCode::OK, None, "application/json", Some(schema));
    }
}

fn text(operation: &mut Operation<'_>) {
    let schema = operation.output_schema::<String>();
    operation.response_content(StatusCode::OK, None, TEXT, Some(schema));
}

fn octets(operation: &mut Operation<'_>) {
    operation.response_content(StatusCode::OK, None, OCTETS, None);
}

macro_rules! described_as {
    ($describe:ident: $($ty:ty),* $(,)?) => {
        $(
            impl OperationOutput for $ty {
                fn describe(operation: &mut Operation<'_>) {
                    $describe(operation);
                }
            }
        )*
    };
}

described_as!(text: String, &'static str, Cow<'static, str>, Text);
described_as!(octets: Vec<u8>, Bytes, &'static [u8]);

impl<T> OperationOutput for Html<T> {
    fn describe(operation: &mut Operation<'_>) {
        let schema = operation.output_schema::<String>();
        operation.response_content(
            StatusCode::OK,
            None,
            "text/html; charset=utf-8",
            Some(schema),
        );
    }
}

/// `200 OK` and no body.
impl OperationOutput for () {
    fn describe(operation: &mut Operation<'_>) {
        operation.response(StatusCode::OK, None);
    }
}

/// Never answers.
impl OperationOutput for Infallible {
    fn describe(_: &mut Operation<'_>) {}
}

/// A status chosen at run time, no body: documented as `default`.
impl OperationOutput for StatusCode {
    fn describe(operation: &mut Operation<'_>) {
        operation.response(ResponseStatus::Default, None);
    }
}

/// An I/O error answers 500.
impl OperationOutput for std::io::Error {
    fn describe(operation: &mut Operation<'_>) {
        operation.response(StatusCode::INTERNAL_SERVER_ERROR, None);
    }
}

impl<T: OperationOutput, E: OperationOutput> OperationOutput for Result<T, E> {
    fn describe(operation: &mut Operation<'_>) {
        T::describe(operation);
        E::describe(operation);
    }
}

/// `T`'s responses, under the status chosen at run time (`default`).
impl<T: OperationOutput> OperationOutput for (StatusCode, T) {
    fn describe(operation: &mut Operation<'_>) {
        operation.with_status(ResponseStatus::Default, T::describe);
    }
}

/// Headers set at run time do not change the documented responses.
impl<H: ResponseHeaders, T: OperationOutput> OperationOutput for (H, T) {
    fn describe(operation: &mut Operation<'_>) {
        T::describe(operation);
    }
}

impl<H: ResponseHeaders, T: OperationOutput> OperationOutput for (StatusCode, H, T) {
    fn describe(operation: &mut Operation<'_>) {
        operation.with_status(ResponseStatus::Default, T::describe);
    }
}

/// A redirect to a URL (3XX with `Location`). A local redirect (a path,
/// which the web server follows itself, RFC 3875 6.2.2) answers with the
/// resource it names instead, which the type cannot say.
impl OperationOutput for Redirect {
    fn describe(operation: &mut Operation<'_>) {
        operation.response(ResponseStatus::Range(3), Some("Redirection"));
        operation.response_header(ResponseStatus::Range(3), "Location");
    }
}

/// Chunks of any media type (`StreamBody::content_type` sets it at run
/// time).
impl<S> OperationOutput for StreamBody<S> {
    fn describe(operation: &mut Operation<'_>) {
        operation.response_content(StatusCode::OK, Some("A stream of bytes"), OCTETS, None);
    }
}

/// One JSON value per line (OpenAPI 3.1 has no schema for a sequence of
/// values: the media type says it).
impl<S> OperationOutput for Ndjson<S> {
    fn describe(operation: &mut Operation<'_>) {
        operation.response_content(
            StatusCode::OK,
            Some("A stream of JSON values, one per line"),
            "application/x-ndjson",
            None,
        );
    }
}

/// Server-Sent Events (like NDJSON, a sequence OpenAPI 3.1 has no schema
/// for: the media type says it).
impl<S> OperationOutput for crate::response::Sse<S> {
    fn describe(operation: &mut Operation<'_>) {
        operation.response_content(
            StatusCode::OK,
            Some("A stream of Server-Sent Events"),
            "text/event-stream",
            None,
        );
    }
}

impl<S> OperationOutput for TryNdjson<S> {
    fn describe(operation: &mut Operation<'_>) {
        Ndjson::<S>::describe(operation);
    }
}

/// A whole response, built by hand: nothing is known from the type.
macro_rules! opaque {
    ($($ty:ty),* $(,)?) => {
        $(
            impl OperationOutput for $ty {
                fn describe(operation: &mut Operation<'_>) {
                    operation.undescribed(concat!(
                        "returns a `", stringify!($ty), "`: its statuses and bodies are not known from the type; return `Json<T>`, `Result<A, E>`... or implement `OperationOutput` for a type of your own"
                    ));
                }
            }
        )*
    };
}

opaque!(crate::response::Response, ResponseBody);
