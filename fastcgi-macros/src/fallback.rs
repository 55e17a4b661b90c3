//! What a handler with mistakes expands to: the errors, plus the fn as it
//! was written, so that an IDE keeps understanding the rest of the code and
//! no secondary errors pile up on the generated code.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{FnArg, Ident, ItemFn};

use crate::ast::Handler;
use crate::{attr, valid};

/// The compile errors followed by the original item.
pub(crate) fn expand(item: TokenStream, error: &syn::Error) -> TokenStream {
    let mut out = error.to_compile_error();
    match syn::parse2::<ItemFn>(item.clone()) {
        // Without the `#[fcgi(...)]` argument attributes, which only this
        // macro understands and rustc would reject as unknown.
        Ok(mut func) => {
            for input in &mut func.sig.inputs {
                if let FnArg::Typed(typed) = input {
                    typed.attrs.retain(|attr| !attr::is_param_attr(attr));
                }
            }
            func.attrs.retain(|attr| !attr::is_param_attr(attr));
            func.to_tokens(&mut out);
        }
        Err(_) => out.extend(item),
    }
    out
}

/// The compile errors followed by what a correct fn would have become: the
/// unit struct, its `handle` (the fn as written) and a `Handler` impl that
/// is never called. Code that serves the handler or calls `handle` then
/// type-checks, so the errors above are the only ones (thiserror's
/// fallback idea). Falls back to [`expand`] when even that would not
/// compile.
pub(crate) fn handler(handler: &Handler<'_>, error: &syn::Error) -> TokenStream {
    let item = handler.item;
    let name = &item.sig.ident;
    // A method (it has `self`) sits in an impl block, where no struct can
    // go; a variadic fn cannot be a method; an argument named like the fn
    // would match the struct: the fn as written, alone, says less wrong.
    if handler.receiver.is_some() || item.sig.variadic.is_some() || binds_name(handler, name) {
        return expand(item.to_token_stream(), error);
    }
    let mut func = item.clone();
    func.sig.ident = Ident::new("handle", name.span());
    func.attrs.retain(|attr| !attr::is_param_attr(attr));
    for input in &mut func.sig.inputs {
        if let FnArg::Typed(typed) = input {
            typed.attrs.retain(|attr| !attr::is_param_attr(attr));
        }
    }
    // A plain fn that awaits is reported as such; as an async fn, its body
    // does not get rustc's own error about the same `.await` on top.
    if !handler.is_async() && !valid::awaits(item.block.to_token_stream()).is_empty() {
        func.sig.asyncness = Some(Default::default());
    }
    let vis = &item.vis;
    let krate = &handler.krate;
    let cfg_attrs = item.attrs.iter().filter(|attr| attr.path().is_ident("cfg"));
    let cfg_attrs2 = cfg_attrs.clone();
    let mut out = error.to_compile_error();
    out.extend(quote! {
        #(#cfg_attrs)*
        #[allow(non_camel_case_types, dead_code)]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #name;

        #(#cfg_attrs2)*
        const _: () = {
            #[allow(clippy::unused_async, clippy::needless_pass_by_value)]
            impl #name {
                #func
            }
            impl #krate::__private::Handler for #name {
                async fn call(&self, _: #krate::__private::Request) -> #krate::__private::Response {
                    ::core::unreachable!("#[fcgi_handler] reported errors on this fn")
                }
            }
        };
    });
    out
}

fn binds_name(handler: &Handler<'_>, name: &Ident) -> bool {
    handler.args.iter().any(|arg| {
        arg.pat
            .to_token_stream()
            .into_iter()
            .any(|token| matches!(token, proc_macro2::TokenTree::Ident(ident) if ident == *name))
    })
}
