//! [`OperationInput`]: what an argument's type reads from the client, and
//! what it answers when that is wrong; the impls for the framework's
//! extractors.

use bytes::Bytes;
use http::StatusCode;
use schemars::JsonSchema;

use super::Operation;
use crate::extract::{Data, Form, Json, Path, PathParams, Query, State, Text};
use crate::request::{AbortSignal, BlockingBody, Body, Environ, Request, RequestParts};
use crate::response::{BlockingWriter, ResponseWriter, Stderr};

/// A handler argument's part of the API: the parameters or body it reads
/// and the responses its rejection answers.
///
/// Implemented for the framework's extractors; implement it for your own
/// (an `ApiKey` that reads `X-Api-Key` and answers 401) so the handlers
/// that take it are described fully. An argument whose type does not
/// implement it is reported as a gap ([`OpenApi::gaps`](super::OpenApi::gaps)).
///
/// ```
/// use fastcgi_core::openapi::{Operation, OperationInput};
/// use fastcgi_core::response::StatusCode;
///
/// struct ApiKey(String);
///
/// impl OperationInput for ApiKey {
///     fn describe(operation: &mut Operation<'_>) {
///         operation.header("X-Api-Key", true);
///         operation.response(StatusCode::UNAUTHORIZED, Some("No or a wrong X-Api-Key"));
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not describe itself in an OpenAPI document",
    note = "implement `fastcgi::openapi::OperationInput` for `{Self}`: the parameters or body it reads"
)]
pub trait OperationInput {
    /// Writes what this argument reads into `operation`.
    fn describe(operation: &mut Operation<'_>);
}

/// The text of a rejection: what the framework's extractors answer with.
const TEXT: &str = "text/plain; charset=utf-8";

fn plain_error(operation: &mut Operation<'_>, status: StatusCode, why: &str) {
    let schema = operation.output_schema::<String>();
    operation.response_content(status, Some(why), TEXT, Some(schema));
}

fn body_limit(operation: &mut Operation<'_>) {
    plain_error(
        operation,
        StatusCode::PAYLOAD_TOO_LARGE,
        "The request body is larger than the limit",
    );
}

impl<T: JsonSchema> OperationInput for Path<T> {
    fn describe(operation: &mut Operation<'_>) {
        operation.path_parameters::<T>();
        plain_error(
            operation,
            StatusCode::BAD_REQUEST,
            "A path parameter does not parse",
        );
    }
}

impl OperationInput for PathParams {
    fn describe(operation: &mut Operation<'_>) {
        operation.path_parameters_as_strings();
    }
}

impl<T: JsonSchema> OperationInput for Query<T> {
    fn describe(operation: &mut Operation<'_>) {
        operation.query_parameters::<T>();
        plain_error(
            operation,
            StatusCode::BAD_REQUEST,
            "The query string does not parse",
        );
    }
}

impl<T: JsonSchema> OperationInput for Json<T> {
    fn describe(operation: &mut Operation<'_>) {
        let schema = operation.input_schema::<T>();
        operation.request_body("application/json", Some(schema));
        plain_error(
            operation,
            StatusCode::BAD_REQUEST,
            "The body is not valid JSON",
        );
        plain_error(
            operation,
            StatusCode::UNPROCESSABLE_ENTITY,
            "The JSON does not fit this operation's schema (the message names the field)",
        );
        plain_error(
            operation,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The Content-Type is not application/json",
        );
        body_limit(operation);
    }
}

impl<T: JsonSchema> OperationInput for Form<T> {
    fn describe(operation: &mut Operation<'_>) {
        let schema = operation.input_schema::<T>();
        operation.request_body("application/x-www-form-urlencoded", Some(schema));
        plain_error(
            operation,
            StatusCode::UNPROCESSABLE_ENTITY,
            "The form does not fit this operation's schema (the message names the field)",
        );
        plain_error(
            operation,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The Content-Type is not application/x-www-form-urlencoded",
        );
        body_limit(operation);
    }
}

impl OperationInput for Text {
    fn describe(operation: &mut Operation<'_>) {
        let schema = operation.input_schema::<String>();
        operation.request_body("text/plain", Some(schema));
        plain_error(operation, StatusCode::BAD_REQUEST, "The body is not UTF-8");
        body_limit(operation);
    }
}

/// Buffered bytes: any media type.
fn octets(operation: &mut Operation<'_>) {
    operation.request_body("application/octet-stream", None);
    body_limit(operation);
}

impl OperationInput for Bytes {
    fn describe(operation: &mut Operation<'_>) {
        octets(operation);
    }
}

impl OperationInput for Vec<u8> {
    fn describe(operation: &mut Operation<'_>) {
        octets(operation);
    }
}

/// Streamed: no limit of the framework's.
impl OperationInput for Body {
    fn describe(operation: &mut Operation<'_>) {
        operation.request_body("application/octet-stream", None);
    }
}

/// Streamed, for a plain fn: as [`Body`].
impl OperationInput for BlockingBody {
    fn describe(operation: &mut Operation<'_>) {
        Body::describe(operation);
    }
}

/// An argument whose rejection the handler handles: it reads what `T`
/// reads. (The answers to a bad value are then the handler's own; `T`'s
/// are listed as the likely ones.)
impl<T: OperationInput> OperationInput for Option<T> {
    fn describe(operation: &mut Operation<'_>) {
        T::describe(operation);
    }
}

/// As `Option<T>`.
impl<T: OperationInput, R> OperationInput for Result<T, R> {
    fn describe(operation: &mut Operation<'_>) {
        T::describe(operation);
    }
}

#[cfg(feature = "multipart")]
impl OperationInput for crate::extract::Multipart {
    fn describe(operation: &mut Operation<'_>) {
        operation.request_body("multipart/form-data", None);
        plain_error(
            operation,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The Content-Type is not multipart/form-data",
        );
        plain_error(
            operation,
            StatusCode::BAD_REQUEST,
            "The multipart body has no boundary or is malformed",
        );
        body_limit(operation);
    }
}

#[cfg(feature = "typed-header")]
impl<T: headers::Header> OperationInput for crate::extract::TypedHeader<T> {
    fn describe(operation: &mut Operation<'_>) {
        let name = T::name().as_str();
        // Canonical capitalization, as the header parameters by name.
        let name: Vec<String> = name
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect();
        operation.header(&name.join("-"), true);
        plain_error(
            operation,
            StatusCode::BAD_REQUEST,
            "A required header is missing or malformed",
        );
    }
}

/// Arguments that read nothing the client sends, or that the web server
/// sends (the environ as a whole is not read by name).
macro_rules! reads_nothing {
    ($($ty:ty),* $(,)?) => {
        $(
            impl OperationInput for $ty {
                fn describe(_: &mut Operation<'_>) {}
            }
        )*
    };
}

reads_nothing!(Environ, RequestParts, AbortSignal, Stderr, Data);

// Work left for after the response reads nothing of the request.
reads_nothing!(crate::extract::AfterResponse);

// Cookies have no names known from the types.
#[cfg(feature = "cookies")]
reads_nothing!(
    crate::extract::CookieJar,
    crate::extract::SignedCookieJar,
    crate::extract::PrivateCookieJar
);

impl<T> OperationInput for State<T> {
    fn describe(_: &mut Operation<'_>) {}
}

#[cfg(feature = "tower")]
impl<T> OperationInput for crate::extract::Extension<T> {
    fn describe(_: &mut Operation<'_>) {}
}

#[cfg(feature = "tower")]
impl OperationInput for crate::extract::RemoteAddr {
    fn describe(_: &mut Operation<'_>) {}
}

/// The whole request: the handler may read anything.
impl OperationInput for Request {
    fn describe(operation: &mut Operation<'_>) {
        operation.undescribed(
            "takes the whole `Request`: what it reads is not known from the types; take extractors (`Query<T>`, `Json<T>`...) instead",
        );
    }
}

/// The response is written by hand.
impl OperationInput for ResponseWriter {
    fn describe(operation: &mut Operation<'_>) {
        operation.undescribed(
            "writes its response with a `ResponseWriter`: its statuses and bodies are not known from the types",
        );
    }
}

/// The response is written by hand, from a plain fn.
impl OperationInput for BlockingWriter {
    fn describe(operation: &mut Operation<'_>) {
        operation.undescribed(
            "writes its response with a `BlockingWriter`: its statuses and bodies are not known from the types",
        );
    }
}
