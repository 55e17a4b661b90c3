//! OpenAPI 3.1 documents, described by the handlers themselves (feature
//! `openapi`).
//!
//! An `#[fcgi_handler]` fn already says what it reads and what it
//! answers: its arguments' types (`Path<u64>`, `Query<Filter>`,
//! `Json<NewItem>`, `http_x_api_key: Option<String>`), its return type
//! (`Result<Json<Item>, ApiError>`) and its doc comment. The macro has
//! each of them describe itself, through [`OperationInput`] and
//! [`OperationOutput`], and a [`Router`](crate::routing::Router) puts its
//! routes' descriptions together into one document:
//!
//! ```ignore
//! let app = Router::new()
//!     .route("/items/{id}", get(show_item))
//!     .openapi_route("/openapi.json", Info::new("Items", "1.0"));
//! ```
//!
//! Nothing is written twice: the user's own types derive
//! [`JsonSchema`] (schemars, JSON Schema 2020-12, the dialect of OpenAPI
//! 3.1) next to `Deserialize`/`Serialize`.
//!
//! What the types cannot say is reported, not left out silently: a
//! handler built from a closure, an argument or return type without an
//! impl, `impl IntoResponse`... are [`Gap`]s, listed by
//! [`OpenApi::gaps`], marked `x-undescribed` on their operation, and
//! logged as warnings when the document is mounted.
//!
//! # What is described
//!
//! - Path parameters from the pattern, typed by `Path<T>` (one value, a
//!   tuple by position, a struct by name); strings otherwise.
//! - Query parameters from `Query<T>`, one per field of `T`.
//! - Request headers read by name (`http_x_api_key` is `X-Api-Key`).
//! - The body from `Json<T>`, `Form<T>`, `Text`, `Bytes`, `Vec<u8>`,
//!   `Body`.
//! - The extractors' rejections (400, 413, 415, as `text/plain`).
//! - Responses: `Json<T>` (200, `application/json`), text, HTML, bytes,
//!   `()`; `Result<A, E>` as both; a `StatusCode` or `(StatusCode, T)`,
//!   chosen at run time, as `default`; `Redirect` as `3XX` with
//!   `Location`; `StreamBody` and `Ndjson` streams by media type.
//! - Summary and description from the doc comment, operation id from
//!   the fn's name.

mod document;
mod input;
mod operation;
mod output;
#[doc(hidden)]
pub mod probe;
mod schemas;

pub(crate) use document::{DocumentBuilder, PatternParam};
pub use document::{Gap, Info, OpenApi};
pub use input::OperationInput;
pub use operation::{Operation, ResponseStatus};
pub use output::OperationOutput;
pub use schemars::{self, JsonSchema};

/// What a handler's description is: a fn that writes it into an
/// [`Operation`]. `#[fcgi_handler]` generates one per handler
/// ([`Handler::describe_operation`](crate::handler::Handler::describe_operation)).
pub type DescribeFn = fn(&mut Operation<'_>);
