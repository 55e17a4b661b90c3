//! The `#[fcgi_handler]` attribute of the [`fastcgi-rs`](https://docs.rs/fastcgi-rs)
//! crate.
//!
//! Depend on `fastcgi-rs` and use the attribute through it (`use
//! fastcgi::prelude::*`); this crate holds only the proc-macro code:
//!
//! - `attr`: the grammar of `#[fcgi_handler(...)]` and `#[fcgi(...)]`;
//! - `ast`: a typed model of the annotated fn;
//! - `valid`: the checks, each error on the tokens at fault;
//! - `expand`: the generated code;
//! - `describe`: the handler's description of itself, for OpenAPI
//!   documents (the `openapi` feature of `fastcgi`);
//! - `fallback`: what a fn with mistakes expands to (the errors and the fn
//!   as written).

mod ast;
mod attr;
mod describe;
mod errors;
mod expand;
mod fallback;
mod openapi_attr;
mod valid;

use proc_macro::TokenStream;
use syn::Item;

use crate::errors::Errors;

/// Makes a FastCGI handler out of a fn.
///
/// ```no_run
/// use std::path::PathBuf;
/// use fastcgi::prelude::*;
///
/// #[derive(serde::Deserialize)]
/// struct Listing { path: String }
///
/// /// Lists a directory under the document root.
/// #[fcgi_handler]
/// async fn dir_listing(document_root: PathBuf, Query(listing): Query<Listing>) -> String {
///     format!("{}/{}", document_root.display(), listing.path)
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), fastcgi::Error> {
///     Server::from_env()?.serve(dir_listing).await
/// }
/// ```
///
/// # What it generates
///
/// A fn and a value cannot share a name, and the server needs a value, so
/// the attribute turns `fn NAME` into:
///
/// - `struct NAME;`, a unit struct with the fn's visibility and docs that
///   implements [`Handler`]: pass `NAME` to `Server::serve`;
/// - `NAME::handle`, the fn exactly as written (same arguments, return
///   type and body), so that unit tests call it directly:
///   `dir_listing::handle(PathBuf::from("/srv"), Query(listing)).await`;
/// - the `Handler` impl, which takes each argument from the request, calls
///   `handle` and turns its return value into the response.
///
/// # Arguments
///
/// Each argument is taken from the request, in order:
///
/// - **by type**, when its type is an extractor: `Environ`, `Query<T>`,
///   `State<T>`, `AbortSignal`, `RequestParts` (which read the params only),
///   or `Body`, `Bytes`, `Vec<u8>`, `Text`, `Json<T>`, `Form<T>`, `Data`,
///   `ResponseWriter`, `Request` (which consume a stream or the request).
///   At most one argument reads the body (`Body`, `Bytes`, `Vec<u8>`,
///   `Text`, `Json<T>`, `Form<T>`, `Request`), and it is the last: a
///   compile error on the argument says so otherwise. `ResponseWriter` and
///   `Data` leave the body alone and may come anywhere;
/// - **by name** otherwise: `document_root: PathBuf` is the CGI
///   meta-variable `DOCUMENT_ROOT`, parsed with `FromStr`; `Option<T>`
///   makes it optional. A missing value answers 500 and logs the reason on
///   FCGI_STDERR (400 for a request header, `HTTP_*`, which the client did
///   not send); an unparsable one answers 400 when the client chose it
///   (`HTTP_*`, `QUERY_STRING`...), else 500.
/// - Any argument, by type or by name, may be `Option<T>` (`None` instead
///   of the rejection) or `Result<T, Rejection>` (the rejection, for the
///   handler to answer as it likes: `Result<Json<T>, JsonRejection>`,
///   `Result<IpAddr, MetaVarRejection>`).
/// - The name is the argument's, upper-cased, without a raw identifier's
///   `r#` (`r#type` reads `TYPE`) or leading underscores (`_remote_addr`, an
///   argument the body does not use, still reads `REMOTE_ADDR`).
/// - `#[fcgi(name = "HTTP_X_FORWARDED_FOR")] forwarded_for: Option<String>`
///   reads another meta-variable; the name must be upper-case, as the
///   environ's names are.
///
/// A pattern other than a plain name (`Query(listing): Query<Listing>`,
/// `Json(item): Json<Item>`, `_: AbortSignal`) destructures or drops an
/// extractor, taken by type; it has no name to read a meta-variable by, so
/// a type read by name needs a plain name or `#[fcgi(name = "...")]`
/// there. Tuple and array patterns are refused: take each value as its own
/// argument.
///
/// The fn's name becomes a unit struct, which is a value: an argument (or
/// a local variable in the same module) with that name would match the
/// struct instead of binding a new variable, so name handlers after what
/// they do (`show_document_root`, not `document_root`).
///
/// # Return value
///
/// Anything that implements `IntoResponse`: text, bytes, `Json<T>`,
/// `StatusCode`, `(StatusCode, T)`, `Redirect`, streams,
/// `Result<T, E>` of two of them, `impl IntoResponse`...
///
/// # Plain fns
///
/// A fn without `async` is allowed: its arguments are taken as for an async
/// one, then it runs on tokio's blocking pool, where blocking I/O (such as
/// `std::io::Read` on a `Body`) is fine. Its arguments and return value
/// must be `Send + 'static`; a panic in it propagates to the server, which
/// answers 500.
///
/// # Attribute arguments
///
/// `#[fcgi_handler(crate = "path::to::fastcgi")]` names the `fastcgi`
/// crate's path, for crates that re-export it; by default the expansion
/// uses `::fastcgi`.
///
/// `#[fcgi_handler(openapi(...))]` adds what the types cannot say to the
/// handler's OpenAPI description (feature `openapi` of `fastcgi`; without
/// it, the arguments are checked and ignored): `tag = "items"`
/// (repeatable), `operation_id = "create_item"` (default: the fn's name),
/// `status = 201` (the status of responses whose `StatusCode` is chosen at
/// run time, `default` otherwise), `response(status = 409, description =
/// "The item exists")` (repeatable: a response the types do not show).
///
/// # Errors
///
/// These are compile errors, each pointing at the tokens at fault and
/// saying what to write instead: the attribute on something other than a
/// fn; a `self` receiver, generic parameters or a `where` clause; a
/// `const`, `unsafe` or `extern` fn, or a variadic one; an argument that
/// borrows (`&str`: take `String`); an `impl Trait` argument; a tuple or
/// array pattern; an argument named like the fn; a pattern whose type is
/// read by name; an argument type that is neither an extractor nor
/// parsable; a return type that is not `IntoResponse`; a plain fn whose
/// return type is not `Send`, or an async one that holds something not
/// `Send` across an `.await` (the message names the usual causes and
/// fixes); a plain fn that uses `.await`; a body extractor that is not the
/// last argument; `Body` or `ResponseWriter` in a plain fn; unknown or
/// malformed attribute arguments. With an error, the fn still becomes its
/// unit struct, with `handle` as written and a `Handler` impl, so that
/// code serving it or calling `handle` adds no errors of its own.
///
/// [`Handler`]: https://docs.rs/fastcgi-rs/latest/fastcgi/handler/trait.Handler.html
#[proc_macro_attribute]
pub fn fcgi_handler(args: TokenStream, input: TokenStream) -> TokenStream {
    fcgi_handler2(args.into(), input.into()).into()
}

fn fcgi_handler2(
    args: proc_macro2::TokenStream,
    input: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let mut errors = Errors::default();
    let attr = attr::handler_attr(args, &mut errors);
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Fn(item)) => item,
        Ok(other) => return fallback::expand(input, &errors.and(valid::not_a_fn(&other))),
        // A fn whose body syn cannot parse: report that parse error, where
        // it is. rustc may have reported it too (it hands a fn with a
        // syntax error to the attribute after recovering), but syntax syn
        // does not know yet reaches us alone.
        Err(error) if valid::is_fn(&input) => {
            return fallback::expand(input, &errors.and(valid::unparsable_fn(&error)));
        }
        // Not an item (a trait method without a body...): say where the
        // attribute goes.
        Err(_) => {
            let error = valid::not_a_fn_at(proc_macro2::Span::call_site());
            return fallback::expand(input, &errors.and(error));
        }
    };
    let handler = ast::Handler::from_syn(&item, attr, &mut errors);
    valid::check(&handler, &mut errors);
    match errors.finish() {
        Ok(()) => expand::handler(&handler),
        Err(error) => fallback::handler(&handler, &error),
    }
}
