//! What `#[fcgi_handler]`'s description of a handler calls; not a public
//! API.
//!
//! The macro knows each argument's and the return type's name, not which
//! traits they implement, and must compile whether or not they describe
//! themselves (a user's extractor may not). It asks through a `Probe<T>`
//! behind a few references: method resolution tries the impls on the
//! most references first and settles for the first whose bounds hold
//! (autoref specialization, which works here because every type is
//! concrete in the expansion). So an argument is described by its
//! [`OperationInput`] impl if it has one, else as a meta-variable read by
//! name (`FromStr`, optionally `Option<T>`), else reported as a gap; a
//! return type by its [`OperationOutput`] impl, else reported.

use std::marker::PhantomData;
use std::str::FromStr;

use super::{Operation, OperationInput, OperationOutput};

/// Stands for the type `T` in method calls.
pub struct Probe<T: ?Sized>(PhantomData<fn() -> T>);

impl<T: ?Sized> Probe<T> {
    /// The probe of `T`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

impl<T: ?Sized> Clone for Probe<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Probe<T> {}

/// First choice for an argument: the type describes itself.
pub trait DescribeExtractor {
    fn describe_input(self, operation: &mut Operation<'_>, name: &str, ty: &str);
}

impl<T: OperationInput + ?Sized> DescribeExtractor for &&&Probe<T> {
    fn describe_input(self, operation: &mut Operation<'_>, _name: &str, _ty: &str) {
        T::describe(operation);
    }
}

/// Second: an optional meta-variable read by name.
pub trait DescribeOptionalMetaVar {
    fn describe_input(self, operation: &mut Operation<'_>, name: &str, ty: &str);
}

impl<T: FromStr> DescribeOptionalMetaVar for &&Probe<Option<T>> {
    fn describe_input(self, operation: &mut Operation<'_>, name: &str, ty: &str) {
        meta_var(operation, name, ty, false);
    }
}

/// A meta-variable read by name whose rejection the handler handles: it
/// may be absent.
impl<T: FromStr> DescribeOptionalMetaVar for &&Probe<Result<T, crate::extract::MetaVarRejection>> {
    fn describe_input(self, operation: &mut Operation<'_>, name: &str, ty: &str) {
        meta_var(operation, name, ty, false);
    }
}

/// Third: a required meta-variable read by name.
pub trait DescribeMetaVar {
    fn describe_input(self, operation: &mut Operation<'_>, name: &str, ty: &str);
}

impl<T: FromStr> DescribeMetaVar for &Probe<T> {
    fn describe_input(self, operation: &mut Operation<'_>, name: &str, ty: &str) {
        meta_var(operation, name, ty, true);
    }
}

/// Last: the type says nothing about itself.
pub trait DescribeUnknownInput {
    fn describe_input(self, operation: &mut Operation<'_>, name: &str, ty: &str);
}

impl<T: ?Sized> DescribeUnknownInput for Probe<T> {
    fn describe_input(self, operation: &mut Operation<'_>, _name: &str, ty: &str) {
        operation.undescribed(format!(
            "the argument type `{ty}` does not describe what it reads: implement `OperationInput` for it"
        ));
    }
}

/// A meta-variable read by name: the `HTTP_*` ones are request headers
/// (`HTTP_X_API_KEY` is `X-Api-Key`, RFC 3875 4.1.18); the others come
/// from the web server, not the client, except the raw query string.
fn meta_var(operation: &mut Operation<'_>, name: &str, ty: &str, required: bool) {
    if let Some(header) = name.strip_prefix("HTTP_") {
        let header: Vec<String> = header
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                match chars.next() {
                    Some(first) => {
                        first.to_ascii_uppercase().to_string()
                            + &chars.as_str().to_ascii_lowercase()
                    }
                    None => String::new(),
                }
            })
            .collect();
        operation.header(&header.join("-"), required);
    } else if name == "QUERY_STRING" {
        operation.undescribed(format!(
            "reads the raw query string as `{ty}`: take a `Query<T>` to describe its parameters"
        ));
    }
}

/// First choice for a return type: it describes its responses.
pub trait DescribeResponses {
    fn describe_output(self, operation: &mut Operation<'_>, ty: &str);
}

impl<T: OperationOutput + ?Sized> DescribeResponses for &Probe<T> {
    fn describe_output(self, operation: &mut Operation<'_>, _ty: &str) {
        T::describe(operation);
    }
}

/// Last: the type says nothing about its responses.
pub trait DescribeUnknownOutput {
    fn describe_output(self, operation: &mut Operation<'_>, ty: &str);
}

impl<T: ?Sized> DescribeUnknownOutput for Probe<T> {
    fn describe_output(self, operation: &mut Operation<'_>, ty: &str) {
        operation.undescribed(format!(
            "the return type `{ty}` does not describe its responses: implement `OperationOutput` for it"
        ));
    }
}

/// For a return type the expansion cannot name (`impl IntoResponse`).
pub fn unnamed_output(operation: &mut Operation<'_>, ty: &str) {
    operation.undescribed(format!(
        "returns `{ty}`: an `impl Trait` type cannot describe its responses; name the type"
    ));
}
