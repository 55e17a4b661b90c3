//! The checks: every way an annotated fn cannot become a handler, each
//! reported on the exact tokens at fault, saying what to do instead.
//!
//! What only the type checker knows (an argument type that is neither an
//! extractor nor parsable, a return type that is not `IntoResponse`) is
//! left to rustc; `expand` spans those checks on the user's types.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::{GenericArgument, Ident, Item, Pat, PathArguments, ReturnType, Type, TypeReference};

use crate::ast::{Arg, Handler};
use crate::attr;
use crate::errors::Errors;

/// Records everything wrong with `handler`.
pub(crate) fn check(handler: &Handler<'_>, errors: &mut Errors) {
    check_signature(handler, errors);
    if !handler.is_async() {
        for (dot, await_token) in awaits(handler.item.block.to_token_stream()) {
            errors.spanned(
                quote!(#dot #await_token),
                "`.await` in a plain `fn`: only an `async fn` can await; make the handler an `async fn` (it then runs on the server's worker threads), or keep it plain, on the blocking pool, and call blocking APIs instead (`BlockingBody`'s `std::io::Read`, `BlockingWriter`'s `std::io::Write`)",
            );
        }
    }
    for arg in &handler.args {
        check_arg(arg, errors);
        check_binding_names(arg.pat, &handler.item.sig.ident, errors);
    }
    if let ReturnType::Type(_, ty) = &handler.item.sig.output {
        check_return(ty, errors);
    }
}

/// The `.await`s of a plain fn's body that make it need to be async: those
/// outside async blocks, async closures and nested items, which await on
/// their own.
pub(crate) fn awaits(tokens: TokenStream) -> Vec<(proc_macro2::Punct, Ident)> {
    use proc_macro2::{Delimiter, TokenTree};
    let mut found = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(token) = iter.next() {
        match token {
            TokenTree::Punct(dot) if dot.as_char() == '.' => {
                if let Some(TokenTree::Ident(ident)) = iter.peek()
                    && ident == "await"
                {
                    let Some(TokenTree::Ident(ident)) = iter.next() else {
                        continue;
                    };
                    found.push((dot, ident));
                }
            }
            // `async { .. }`, `async move { .. }`, `async |x| ..` and nested
            // `fn`s: skip to the end of their first block.
            TokenTree::Ident(ident) if ident == "async" || ident == "fn" => {
                for next in iter.by_ref() {
                    if let TokenTree::Group(group) = &next
                        && group.delimiter() == Delimiter::Brace
                    {
                        break;
                    }
                }
            }
            TokenTree::Group(group) => found.extend(awaits(group.stream())),
            _ => {}
        }
    }
    found
}

/// The error for `#[fcgi_handler]` on an item that is not a fn.
pub(crate) fn not_a_fn(item: &Item) -> syn::Error {
    let hint = match item {
        Item::Struct(_) | Item::Enum(_) | Item::Union(_) => {
            "; to make a type a handler, implement `fastcgi::handler::Handler` for it"
        }
        Item::Impl(_) => "; to make a method a handler, move it out of the impl block as a free fn",
        _ => "",
    };
    let message = format!("{NOT_A_FN}{hint}");
    match item_head(item) {
        Some(head) => syn::Error::new_spanned(head, message),
        None => syn::Error::new_spanned(item, message),
    }
}

/// Whether `tokens` are a fn, judged by the `fn` keyword before its first
/// `{ ... }` block: attributes, visibility and qualifiers may precede it.
pub(crate) fn is_fn(tokens: &TokenStream) -> bool {
    use proc_macro2::{Delimiter, TokenTree};
    for token in tokens.clone() {
        match token {
            TokenTree::Ident(ident) if ident == "fn" => return true,
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => return false,
            _ => {}
        }
    }
    false
}

/// The error for a fn whose body or signature syn cannot parse: the parse
/// error itself, on the tokens it names.
pub(crate) fn unparsable_fn(error: &syn::Error) -> syn::Error {
    syn::Error::new(
        error.span(),
        format!(
            "#[fcgi_handler] could not parse this fn: {error}; fix the syntax error, then the attribute can read the fn"
        ),
    )
}

/// The error for `#[fcgi_handler]` on something syn cannot parse as an
/// item.
pub(crate) fn not_a_fn_at(span: Span) -> syn::Error {
    syn::Error::new(span, NOT_A_FN)
}

const NOT_A_FN: &str = "#[fcgi_handler] goes on a fn: annotate an `async fn` (or a plain `fn`) whose arguments are taken from the request, such as `async fn hello(environ: Environ) -> Json<Environ>`";

/// The tokens that name `item` (its keyword and name), for a short
/// underline.
fn item_head(item: &Item) -> Option<TokenStream> {
    Some(match item {
        Item::Struct(s) => head(&s.struct_token, &s.ident),
        Item::Enum(e) => head(&e.enum_token, &e.ident),
        Item::Union(u) => head(&u.union_token, &u.ident),
        Item::Trait(t) => head(&t.trait_token, &t.ident),
        Item::Mod(m) => head(&m.mod_token, &m.ident),
        Item::Const(c) => head(&c.const_token, &c.ident),
        Item::Static(s) => head(&s.static_token, &s.ident),
        Item::Type(t) => head(&t.type_token, &t.ident),
        Item::Impl(i) => head(&i.impl_token, &i.self_ty),
        _ => return None,
    })
}

fn head(keyword: &impl ToTokens, name: &impl ToTokens) -> TokenStream {
    quote!(#keyword #name)
}

fn check_signature(handler: &Handler<'_>, errors: &mut Errors) {
    let sig = &handler.item.sig;
    if let Some(constness) = &sig.constness {
        errors.spanned(
            constness,
            "a handler cannot be a `const fn`: it runs for each request, not at compile time; remove `const`",
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.spanned(
            unsafety,
            "a handler cannot be an `unsafe fn`: the server calls it with no way to uphold its safety contract; remove `unsafe` and use an `unsafe` block inside",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(
            abi,
            format_args!(
                "a handler cannot have a foreign ABI: the generated handler calls it as a Rust fn; remove `{}`",
                abi.to_token_stream()
            ),
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(
            variadic,
            "a handler cannot be variadic: its arguments are taken one by one from the request; remove `...`",
        );
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(
            &sig.generics,
            "a handler cannot be generic: the server needs one concrete handler; remove the generic parameters and name concrete types (or implement `fastcgi::handler::Handler` by hand)",
        );
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        errors.spanned(
            where_clause,
            "a handler cannot have a `where` clause: its types are concrete; remove the `where` clause",
        );
    }
    if let Some(receiver) = handler.receiver {
        errors.spanned(
            receiver,
            "a handler cannot take `self`: #[fcgi_handler] makes a handler out of a free fn; move the fn out of the impl block, and take shared data as a `State<T>` argument",
        );
    }
    for attr in handler.item.attrs.iter().filter(|a| attr::is_param_attr(a)) {
        errors.spanned(
            attr,
            "#[fcgi(...)] goes on an argument, not on the fn: write it before the argument it renames, as in `#[fcgi(name = \"HTTP_X_FORWARDED_FOR\")] forwarded_for: Option<String>`",
        );
    }
}

fn check_arg(arg: &Arg<'_>, errors: &mut Errors) {
    check_pattern(arg.pat, errors);
    check_arg_type(arg.ty, errors);
    for attr in arg.attrs {
        let path = attr.path();
        if path.is_ident("cfg") || path.is_ident("cfg_attr") {
            errors.spanned(
                attr,
                "#[cfg] cannot go on a handler argument: the generated handler takes every argument from the request; put #[cfg] on the whole fn, or read the value inside the body",
            );
        }
    }
}

/// A binding named like the fn would match the unit struct that the fn's
/// name becomes, instead of binding the argument.
fn check_binding_names(pat: &Pat, fn_name: &Ident, errors: &mut Errors) {
    match pat {
        Pat::Ident(binding) => {
            if binding.ident == *fn_name {
                errors.spanned(
                    &binding.ident,
                    format_args!(
                        "this argument has the handler's name: #[fcgi_handler] turns `fn {fn_name}` into a unit struct `{fn_name}`, which this pattern would match instead of binding the argument; rename the fn (say `show_{name}`), or the argument and keep reading {meta} with `#[fcgi(name = \"{meta}\")]`",
                        name = fn_name.unraw(),
                        meta = fn_name.unraw().to_string().to_ascii_uppercase(),
                    ),
                );
            }
            if let Some((_, sub)) = &binding.subpat {
                check_binding_names(sub, fn_name, errors);
            }
        }
        Pat::TupleStruct(tuple) => tuple
            .elems
            .iter()
            .for_each(|p| check_binding_names(p, fn_name, errors)),
        Pat::Struct(s) => s
            .fields
            .iter()
            .for_each(|field| check_binding_names(&field.pat, fn_name, errors)),
        Pat::Tuple(tuple) => tuple
            .elems
            .iter()
            .for_each(|p| check_binding_names(p, fn_name, errors)),
        Pat::Slice(slice) => slice
            .elems
            .iter()
            .for_each(|p| check_binding_names(p, fn_name, errors)),
        Pat::Or(or) => or
            .cases
            .iter()
            .for_each(|p| check_binding_names(p, fn_name, errors)),
        Pat::Paren(paren) => check_binding_names(&paren.pat, fn_name, errors),
        Pat::Reference(reference) => check_binding_names(&reference.pat, fn_name, errors),
        Pat::Type(typed) => check_binding_names(&typed.pat, fn_name, errors),
        _ => {}
    }
}

fn check_pattern(pat: &Pat, errors: &mut Errors) {
    match pat {
        Pat::Tuple(_) | Pat::Slice(_) => errors.spanned(
            pat,
            "a handler argument cannot be destructured as a tuple or an array: arguments are taken one by one from the request, by type or by name; take each value as its own argument, or bind it to a name and destructure it inside the body",
        ),
        Pat::Paren(paren) => check_pattern(&paren.pat, errors),
        _ => {}
    }
}

fn check_arg_type(ty: &Type, errors: &mut Errors) {
    match ty {
        Type::Reference(reference) => errors.spanned(
            reference,
            format_args!(
                "a handler argument cannot borrow: each argument is an owned value taken from the request; take `{}` instead of `{}`",
                owned_form(reference),
                tokens_text(reference),
            ),
        ),
        Type::ImplTrait(impl_trait) => errors.spanned(
            impl_trait,
            "`impl Trait` cannot be a handler argument: each argument is taken from the request by its type, so the type must be named; write a concrete type such as `Json<Item>`, `Body` or `String`",
        ),
        Type::Path(path) => {
            if let Some(qself) = &path.qself {
                check_arg_type(&qself.ty, errors);
            }
            for segment in &path.path.segments {
                if let PathArguments::AngleBracketed(args) = &segment.arguments {
                    for arg in &args.args {
                        match arg {
                            GenericArgument::Type(ty) => check_arg_type(ty, errors),
                            GenericArgument::Lifetime(lifetime) if lifetime.ident != "static" => {
                                errors.spanned(
                                    lifetime,
                                    format_args!(
                                        "a handler argument cannot borrow: each argument is an owned value taken from the request; use `'static` or an owned type instead of `{lifetime}`"
                                    ),
                                )
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        Type::Tuple(tuple) => tuple.elems.iter().for_each(|ty| check_arg_type(ty, errors)),
        Type::Array(array) => check_arg_type(&array.elem, errors),
        Type::Slice(slice) => check_arg_type(&slice.elem, errors),
        Type::Paren(paren) => check_arg_type(&paren.elem, errors),
        Type::Group(group) => check_arg_type(&group.elem, errors),
        _ => {}
    }
}

fn check_return(ty: &Type, errors: &mut Errors) {
    if let Type::Reference(reference) = ty
        && reference
            .lifetime
            .as_ref()
            .is_none_or(|lifetime| lifetime.ident != "static")
    {
        errors.spanned(
            reference,
            format_args!(
                "a handler cannot return a borrow: the response outlives the call; return `{}`, or a `&'static` reference",
                owned_form(reference)
            ),
        );
    }
}

/// The owned type to suggest instead of `reference`: `String` for `&str`,
/// `Vec<u8>` for `&[u8]`, `PathBuf` for `&Path`, else the referent.
fn owned_form(reference: &TypeReference) -> String {
    let referent = tokens_text(&reference.elem);
    match referent.as_str() {
        "str" => "String".to_owned(),
        "[u8]" => "Vec<u8>".to_owned(),
        "Path" | "std::path::Path" => "PathBuf".to_owned(),
        "OsStr" | "std::ffi::OsStr" => "OsString".to_owned(),
        _ => referent,
    }
}

/// Tokens as a user would write them: `Query<Listing>`, not
/// `Query < Listing >`.
fn tokens_text(tokens: &impl ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ' ' {
            out.push(c);
            continue;
        }
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let prev = out.chars().last();
        let next = chars.peek().copied();
        let keep = (word(prev) && word(next))
            || matches!(prev, Some(',' | ';' | '+'))
            || next == Some('+');
        if keep {
            out.push(' ');
        }
    }
    out
}

#[cfg(test)]
mod await_tests {
    use super::awaits;

    fn count(body: &str) -> usize {
        awaits(body.parse().unwrap()).len()
    }

    #[test]
    fn awaits_of_the_fn_itself_are_found() {
        assert_eq!(count("{ tick().await; let x = f(g().await); }"), 2);
        assert_eq!(count("{ let f = async { tick().await }; block_on(f) }"), 0);
        assert_eq!(count("{ let f = async move { tick().await }; x.await }"), 1);
        assert_eq!(count("{ fn inner() { y.await } x.field }"), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::tokens_text;

    #[test]
    fn types_are_shown_as_written() {
        let ty: syn::Type = syn::parse_str("& 'static Option < Vec < u8 > >").unwrap();
        assert_eq!(tokens_text(&ty), "&'static Option<Vec<u8>>");
        let ty: syn::Type = syn::parse_str("&mut dyn std::io::Read").unwrap();
        assert_eq!(tokens_text(&ty), "&mut dyn std::io::Read");
        let ty: syn::Type = syn::parse_str("(u8, [u8; 4])").unwrap();
        assert_eq!(tokens_text(&ty), "(u8, [u8; 4])");
    }
}
