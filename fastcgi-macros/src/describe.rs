//! The handler's description of itself, for OpenAPI documents:
//! `Handler::describe_operation`, which has each argument's type and the
//! return type describe themselves, with the doc comment as summary and
//! description and the fn's name as operation id.
//!
//! The expansion is the same whether the `openapi` feature of `fastcgi`
//! is on or not: it goes through `__private` items that exist in both
//! configurations (and do nothing without the feature), so the user's
//! crate needs no `cfg`. Each type is asked through a `Probe<T>` (see
//! `fastcgi_core::openapi::probe`): a type that cannot describe itself is
//! reported when the document is made, never a compile error here.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Attribute, Expr, ExprLit, Lit, Meta, ReturnType, Type};

use crate::ast::{Handler, Source};

/// `fn describe_operation(&self) -> Option<DescribeFn>`, for the
/// `Handler` impl.
pub(crate) fn describe_fn(handler: &Handler<'_>) -> TokenStream {
    let krate = &handler.krate;
    let id = handler.item.sig.ident.to_string();

    let docs = doc_text(&handler.item.attrs);
    let inputs = handler.args.iter().map(|arg| {
        let ty = arg.ty;
        let ty_text = type_text(ty);
        let name = match &arg.source {
            Source::Named { name, .. } => name.as_str(),
            Source::ByType => "",
        };
        quote! {
            (&&&#krate::__private::describe::Probe::<#ty>::new())
                .describe_input(__operation, #name, #ty_text);
        }
    });
    let attr = &handler.openapi;
    let tags = &attr.tags;
    let operation_id = attr.operation_id.clone().map_or(id, |lit| lit.value());
    let status = attr
        .status
        .map(|status| quote! { __operation.default_status(#status); });
    let responses = attr.responses.iter().map(|(status, description)| {
        quote! { __operation.extra_response(#status, #description); }
    });
    let output = match &handler.item.sig.output {
        ReturnType::Default => quote! {
            (&#krate::__private::describe::Probe::<()>::new()).describe_output(__operation, "()");
        },
        ReturnType::Type(_, ty) if contains_impl_trait(ty) => {
            let ty_text = type_text(ty);
            quote! { #krate::__private::describe::unnamed_output(__operation, #ty_text); }
        }
        ReturnType::Type(_, ty) => {
            let ty_text = type_text(ty);
            quote! {
                (&#krate::__private::describe::Probe::<#ty>::new())
                    .describe_output(__operation, #ty_text);
            }
        }
    };
    quote! {
        fn describe_operation(&self) -> ::core::option::Option<#krate::__private::DescribeFn> {
            fn __describe(__operation: &mut #krate::__private::Operation<'_>) {
                // The traits, not their names: a user's type named like
                // one of them must still mean the user's.
                #[allow(unused_imports)]
                use #krate::__private::describe::{
                    DescribeExtractor as _, DescribeMetaVar as _, DescribeOptionalMetaVar as _,
                    DescribeResponses as _, DescribeUnknownInput as _, DescribeUnknownOutput as _,
                };
                __operation.operation_id(#operation_id);
                __operation.docs(#docs);
                #(__operation.tag(#tags);)*
                #(#inputs)*
                #output
                #(#responses)*
                #status
            }
            ::core::option::Option::Some(__describe)
        }
    }
}

/// The doc comment, each line without the one space `///` leaves.
fn doc_text(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').map(str::to_owned).unwrap_or(line))
        .collect();
    lines.join("\n")
}

/// A type as the user would write it: `Json<Item>`, not `Json < Item >`.
fn type_text(ty: &Type) -> String {
    let mut text = ty.to_token_stream().to_string();
    for (spaced, tight) in [
        (" < ", "<"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" , ", ", "),
        (" :: ", "::"),
        (":: ", "::"),
        ("& ", "&"),
        ("( ", "("),
        (" )", ")"),
    ] {
        text = text.replace(spaced, tight);
    }
    text
}

/// Whether `ty` has an `impl Trait` in it, which no path can name.
fn contains_impl_trait(ty: &Type) -> bool {
    fn walk(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|token| match token {
            proc_macro2::TokenTree::Ident(ident) => ident == "impl",
            proc_macro2::TokenTree::Group(group) => walk(group.stream()),
            _ => false,
        })
    }
    walk(ty.to_token_stream())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> Type {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn types_read_as_written() {
        assert_eq!(type_text(&ty("Json<Item>")), "Json<Item>");
        assert_eq!(
            type_text(&ty("Result<Json<Vec<Item>>, (StatusCode, String)>")),
            "Result<Json<Vec<Item>>, (StatusCode, String)>"
        );
        assert_eq!(
            type_text(&ty("std::option::Option<u8>")),
            "std::option::Option<u8>"
        );
    }

    #[test]
    fn impl_trait_is_found_at_any_depth() {
        assert!(contains_impl_trait(&ty("impl IntoResponse")));
        assert!(contains_impl_trait(&ty(
            "Result<impl IntoResponse, StatusCode>"
        )));
        assert!(!contains_impl_trait(&ty("Result<Json<Item>, StatusCode>")));
    }

    #[test]
    fn doc_lines_lose_the_space_after_slashes() {
        let item: syn::ItemFn =
            syn::parse_str("/// Lists items.\n///\n///  Indented.\nfn f() {}").unwrap();
        assert_eq!(doc_text(&item.attrs), "Lists items.\n\n Indented.");
    }
}
