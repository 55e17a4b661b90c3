//! The expansion: a unit struct named after the fn (the handler value),
//! the fn itself as its associated fn `handle`, and an `impl Handler` that
//! takes each argument from the request, calls `handle` and turns what it
//! returns into a response.
//!
//! The bounds that rustc checks on the user's types go through turbofishes
//! (`extract::<_, ArgType>`, `into_response::<ReturnType>`), so that a
//! failing one is reported on the user's own tokens; the code around each
//! check is spanned on the same tokens, so that nothing is reported on the
//! attribute instead.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, LitStr, ReturnType, Type};

use crate::ast::{Handler, Position, Source};
use crate::attr;

/// The code that replaces the annotated fn.
pub(crate) fn handler(handler: &Handler<'_>) -> TokenStream {
    let item = handler.item;
    let name = &item.sig.ident;
    let vis = &item.vis;
    let krate = &handler.krate;

    let shared_attrs = item.attrs.iter().filter(|attr| is_shared(attr));
    let cfg_attrs: Vec<&Attribute> = item.attrs.iter().filter(|attr| is_cfg(attr)).collect();
    let fn_attrs = &item.attrs;

    let mut sig = item.sig.clone();
    sig.ident = Ident::new("handle", name.span());
    for input in &mut sig.inputs {
        if let FnArg::Typed(typed) = input {
            typed.attrs.retain(|attr| !attr::is_param_attr(attr));
        }
    }
    let block = &item.block;
    // The framework, not the user, decides that arguments are owned and
    // that an async handler need not await (it is the cheap kind: a plain
    // fn goes to the blocking pool), so clippy's advice to the contrary
    // does not apply.
    let handle = quote! {
        #(#fn_attrs)*
        #[allow(clippy::unused_async, clippy::needless_pass_by_value)]
        #vis #sig #block
    };
    let inherent = if item
        .attrs
        .iter()
        .any(|attr| attr.path().is_ident("deprecated"))
    {
        // Naming a deprecated struct warns, even in its own impl; an alias
        // made under `#[allow(deprecated)]` names it quietly, without
        // silencing the lint in the fn's body.
        quote! {
            #(#cfg_attrs)*
            const _: () = {
                #[allow(deprecated)]
                type __FcgiHandler = #name;
                impl __FcgiHandler {
                    #handle
                }
            };
        }
    } else {
        quote! {
            #(#cfg_attrs)*
            impl #name {
                #handle
            }
        }
    };
    let call = call_fn(handler);
    let describe = crate::describe::describe_fn(handler);

    quote! {
        #(#shared_attrs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #name;

        #inherent

        #(#cfg_attrs)*
        #[allow(deprecated)]
        const _: () = {
            impl #krate::__private::Handler for #name {
                #call

                #describe
            }
        };
    }
}

/// Attributes that describe the handler as a whole, so they go on the
/// struct as well as on `handle`: docs, `#[cfg]`, lint levels (but not
/// `#[expect]`, which would be unfulfilled on one of the two) and
/// `#[deprecated]`.
fn is_shared(attr: &Attribute) -> bool {
    [
        "doc",
        "cfg",
        "allow",
        "warn",
        "deny",
        "forbid",
        "deprecated",
    ]
    .iter()
    .any(|name| attr.path().is_ident(name))
}

fn is_cfg(attr: &Attribute) -> bool {
    attr.path().is_ident("cfg")
}

/// `Handler::call`: extract, call, convert.
///
/// Its signature is spanned on the fn's name, where rustc reports a body
/// that is not `Send` (with notes pointing at the `.await` at fault).
fn call_fn(handler: &Handler<'_>) -> TokenStream {
    let item = handler.item;
    let name = &item.sig.ident;
    let span = name.span();
    let krate = respan(&handler.krate, span);
    let request = local("__request", span);

    let bindings: Vec<Ident> = (0..handler.args.len())
        .map(|i| local(&format!("__arg{i}"), span))
        .collect();
    let extractions = handler
        .args
        .iter()
        .zip(&bindings)
        .map(|(arg, binding)| extraction(handler, arg, binding));

    // The return type, where the checks on the value are spanned; `impl
    // Trait` cannot be named in a turbofish, so `_` stands for it and is
    // inferred from the value.
    let (output, output_span) = match &item.sig.output {
        ReturnType::Type(_, ty) => (impl_trait_to_infer(ty), ty.span()),
        ReturnType::Default => (quote!(()), span),
    };
    let response = local("__response", output_span);
    let krate_at_output = respan(&handler.krate, output_span);
    let bindings_at_output = bindings.iter().map(|b| relocate(b, output_span));
    let value = if handler.is_async() {
        // Checked for `Send` here, at the fn's name, with advice, before
        // rustc checks `call`'s future and says less. (rustc then reports
        // one of the two errors only: checking the future plainly as well,
        // even in an item of its own, does not bring back its notes on
        // which value is held across which `.await`.)
        quote_spanned! {span=>
            #krate::__private::advise_send(#name::handle(#(#bindings_at_output),*)).await
        }
    } else if bindings.is_empty() {
        quote_spanned!(output_span=> #krate_at_output::__private::run_blocking(#name::handle).await)
    } else {
        quote_spanned! {output_span=>
            #krate_at_output::__private::run_blocking(
                move || #name::handle(#(#bindings_at_output),*)
            ).await
        }
    };

    quote_spanned! {span=>
        #[allow(unused_mut, unused_variables)]
        async fn call(&self, mut #request: #krate::__private::Request) -> #krate::__private::Response {
            #(#extractions)*
            let #response = #value;
            #krate_at_output::__private::into_response::<#output>(#response)
        }
    }
}

/// `let __argN = <the argument taken from the request, or return its
/// rejection>;`, spanned on the argument's type, where rustc reports a type
/// that cannot be taken.
fn extraction(handler: &Handler<'_>, arg: &crate::ast::Arg<'_>, binding: &Ident) -> TokenStream {
    let ty = arg.ty;
    let span = ty.span();
    let krate = respan(&handler.krate, span);
    let request = local("__request", span);
    let value = local("__value", span);
    let rejection = local("__rejection", span);
    let binding = relocate(binding, span);
    let extract = match &arg.source {
        Source::Named {
            name,
            span: name_span,
        } => {
            let name = LitStr::new(name, *name_span);
            quote_spanned!(span=> #krate::__private::extract::<_, #ty>(&mut #request, #name))
        }
        Source::ByType => {
            quote_spanned!(span=> #krate::__private::extract_by_type::<_, #ty>(&mut #request))
        }
    };
    // Only the last argument may read the body; rustc knows which types do.
    let leaves_the_body = match arg.position {
        Position::BeforeLast => {
            quote_spanned!(span=> #krate::__private::leaves_the_body::<_, #ty>();)
        }
        Position::Last => TokenStream::new(),
    };
    // A plain fn gets blocking streams, whose methods return no futures.
    let usable_in_plain_fn = if handler.is_async() {
        TokenStream::new()
    } else {
        quote_spanned!(span=> #krate::__private::usable_in_plain_fn::<_, #ty>();)
    };
    quote_spanned! {span=>
        #leaves_the_body
        #usable_in_plain_fn
        let #binding = match #extract.await {
            ::core::result::Result::Ok(#value) => #value,
            ::core::result::Result::Err(#rejection) => return #rejection,
        };
    }
}

/// A local variable of the expansion, shown at `location`: hygienic, so
/// that the user's own names never clash with it.
fn local(name: &str, location: Span) -> Ident {
    format_ident!("{}", name, span = Span::mixed_site().located_at(location))
}

/// The same local, shown at another location.
fn relocate(ident: &Ident, location: Span) -> Ident {
    let mut ident = ident.clone();
    ident.set_span(ident.span().located_at(location));
    ident
}

/// `tokens` with every token shown at `location`.
fn respan(tokens: &impl ToTokens, location: Span) -> TokenStream {
    tokens
        .to_token_stream()
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(&group.stream(), location));
                inner.set_span(location);
                token = TokenTree::Group(inner);
            } else {
                token.set_span(location);
            }
            token
        })
        .collect()
}

/// `ty` with every `impl Trait` replaced by `_`, keeping the user's spans.
fn impl_trait_to_infer(ty: &Type) -> TokenStream {
    let mut out = TokenStream::new();
    replace_impl(ty.to_token_stream(), &mut out);
    out
}

/// Copies `tokens` to `out`, turning `impl Bound + Bound` (up to the next
/// `,` or `>` at the same depth) into `_`.
fn replace_impl(tokens: TokenStream, out: &mut TokenStream) {
    let mut iter = tokens.into_iter().peekable();
    while let Some(token) = iter.next() {
        match token {
            TokenTree::Ident(ident) if ident == "impl" => {
                quote_spanned!(ident.span()=> _).to_tokens(out);
                let mut depth = 0usize;
                let mut after_dash = false;
                while let Some(next) = iter.peek() {
                    if let TokenTree::Punct(punct) = next {
                        match punct.as_char() {
                            '<' => depth += 1,
                            // The `>` of `->` (in `impl Fn() -> T`) closes nothing.
                            '>' if after_dash => {}
                            '>' if depth == 0 => break,
                            '>' => depth -= 1,
                            ',' if depth == 0 => break,
                            _ => {}
                        }
                        after_dash = punct.as_char() == '-';
                    } else {
                        after_dash = false;
                    }
                    iter.next();
                }
            }
            TokenTree::Group(group) => {
                let mut inner = TokenStream::new();
                replace_impl(group.stream(), &mut inner);
                let mut new = proc_macro2::Group::new(group.delimiter(), inner);
                new.set_span(group.span());
                TokenTree::Group(new).to_tokens(out);
            }
            other => other.to_tokens(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::impl_trait_to_infer;

    fn infer(ty: &str) -> String {
        let ty: syn::Type = syn::parse_str(ty).unwrap();
        impl_trait_to_infer(&ty).to_string()
    }

    #[test]
    fn impl_trait_becomes_an_inferred_type() {
        assert_eq!(infer("impl IntoResponse"), "_");
        assert_eq!(
            infer("Result<impl IntoResponse + Send, StatusCode>"),
            "Result < _ , StatusCode >"
        );
        assert_eq!(
            infer("(StatusCode, impl Iterator<Item = u8>)"),
            "(StatusCode , _)"
        );
        assert_eq!(infer("Box<impl Fn() -> u8>"), "Box < _ >");
        assert_eq!(infer("Json<Item>"), "Json < Item >");
    }
}
