//! How a handler describes itself for an OpenAPI document: the types
//! [`Handler::describe_operation`](super::Handler::describe_operation)
//! uses, and what `#[fcgi_handler]`'s description calls.
//!
//! The macro's expansion is the same whether the `openapi` feature is on
//! or not, so that a crate compiles either way without knowing: with the
//! feature these are the [`openapi`](crate::openapi) module's; without
//! it, stand-ins of the same shape that do nothing.

#[cfg(feature = "openapi")]
pub use crate::openapi::{DescribeFn, Operation};

/// Without the `openapi` feature, a stand-in for `openapi::Operation`,
/// which nothing is written into.
#[cfg(not(feature = "openapi"))]
pub struct Operation<'a> {
    _nothing: std::marker::PhantomData<&'a mut ()>,
}

#[cfg(not(feature = "openapi"))]
impl Operation<'_> {
    /// Does nothing without the `openapi` feature.
    pub fn docs(&mut self, _text: &str) {}

    /// Does nothing without the `openapi` feature.
    pub fn operation_id(&mut self, _id: &str) {}

    /// Does nothing without the `openapi` feature.
    pub fn tag(&mut self, _tag: &str) {}

    /// Does nothing without the `openapi` feature.
    pub fn default_status(&mut self, _status: u16) {}

    /// Does nothing without the `openapi` feature.
    pub fn extra_response(&mut self, _status: u16, _description: &str) {}
}

/// What a handler's description is: a fn that writes it into an
/// `Operation`.
#[cfg(not(feature = "openapi"))]
pub type DescribeFn = fn(&mut Operation<'_>);

#[doc(hidden)]
pub mod __private {
    //! What `#[fcgi_handler]`'s description of a handler calls; not a
    //! public API.

    #[cfg(feature = "openapi")]
    pub use crate::openapi::probe::*;

    #[cfg(not(feature = "openapi"))]
    pub use stand_in::*;

    /// Without the `openapi` feature: every probe does nothing.
    #[cfg(not(feature = "openapi"))]
    mod stand_in {
        use std::marker::PhantomData;

        use super::super::Operation;

        pub struct Probe<T: ?Sized>(PhantomData<fn() -> T>);

        impl<T: ?Sized> Probe<T> {
            #[allow(clippy::new_without_default)]
            pub const fn new() -> Self {
                Probe(PhantomData)
            }
        }

        pub trait DescribeExtractor {
            fn describe_input(self, operation: &mut Operation<'_>, name: &str, ty: &str);
        }

        impl<T: ?Sized> DescribeExtractor for &&&Probe<T> {
            fn describe_input(self, _: &mut Operation<'_>, _: &str, _: &str) {}
        }

        // The same names as with the feature, so that the expansion
        // imports the same ones; these have no impls.
        pub trait DescribeOptionalMetaVar {}
        pub trait DescribeMetaVar {}
        pub trait DescribeUnknownInput {}
        pub trait DescribeUnknownOutput {}

        pub trait DescribeResponses {
            fn describe_output(self, operation: &mut Operation<'_>, ty: &str);
        }

        impl<T: ?Sized> DescribeResponses for &Probe<T> {
            fn describe_output(self, _: &mut Operation<'_>, _: &str) {}
        }

        pub fn unnamed_output(_: &mut Operation<'_>, _: &str) {}
    }
}
