//! The attribute grammar: `#[fcgi_handler]` or
//! `#[fcgi_handler(crate = "path::to::fastcgi")]` on the fn, and
//! `#[fcgi(name = "META_VARIABLE")]` on an argument. (`openapi(...)` is
//! read by `openapi_attr`.)
//!
//! Both are lists of `key = value` entries; an entry that does not fit is
//! recorded, spanned on its tokens, and the others are still read.

use proc_macro2::{Group, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitStr, Meta, Path, Token, token};

use crate::errors::Errors;
use crate::openapi_attr::{self, OPENAPI_GRAMMAR, OpenApiAttr};

const CRATE_GRAMMAR: &str = "`crate = \"path::to::fastcgi\"`";
const NAME_GRAMMAR: &str = "`#[fcgi(name = \"HTTP_X_FORWARDED_FOR\")]`";

/// What `#[fcgi_handler(...)]` says.
pub(crate) struct HandlerAttr {
    /// Where the `fastcgi` crate is: `::fastcgi` unless `crate = "..."`
    /// says otherwise.
    pub(crate) krate: Path,
    /// What the OpenAPI document says that the types cannot.
    pub(crate) openapi: OpenApiAttr,
}

/// Reads the arguments of `#[fcgi_handler(...)]`.
pub(crate) fn handler_attr(args: TokenStream, errors: &mut Errors) -> HandlerAttr {
    let mut krate = None;
    let mut openapi = OpenApiAttr::default();
    let entries = match parse_entries(args, CRATE_GRAMMAR) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(error);
            Vec::new()
        }
    };
    for entry in entries {
        if entry.key == "openapi" {
            openapi_attr::read(&entry, &mut openapi, errors);
            continue;
        }
        if entry.key != "crate" {
            errors.spanned(
                &entry,
                format_args!(
                    "unknown argument `{}`: #[fcgi_handler] takes no argument, {CRATE_GRAMMAR} when the fastcgi crate is re-exported under another path, or {OPENAPI_GRAMMAR} for what the OpenAPI document cannot learn from the types",
                    entry.key.unraw(),
                ),
            );
            continue;
        }
        let Some(path) = crate_path(&entry, errors) else {
            continue;
        };
        if krate.is_some() {
            errors.spanned(&entry, "`crate` is given twice: keep one");
        }
        krate = Some(path);
    }
    HandlerAttr {
        krate: krate.unwrap_or_else(|| syn::parse_quote!(::fastcgi)),
        openapi,
    }
}

fn crate_path(entry: &Entry, errors: &mut Errors) -> Option<Path> {
    let Value::Assigned(value) = &entry.value else {
        errors.spanned(
            entry,
            format_args!("`crate` needs the path of the fastcgi crate: write {CRATE_GRAMMAR}"),
        );
        return None;
    };
    let Some(lit) = string_literal(value) else {
        let hint = match value {
            Expr::Path(path) => format!(
                "write `crate = \"{}\"`",
                path.to_token_stream().to_string().replace(' ', "")
            ),
            _ => format!("write {CRATE_GRAMMAR}"),
        };
        errors.spanned(
            value,
            format_args!("expected the crate path as a string: {hint}"),
        );
        return None;
    };
    match lit.parse_with(Path::parse_mod_style) {
        Ok(path) => Some(path),
        Err(_) => {
            errors.spanned(
                lit,
                format_args!("`{}` is not a path: write {CRATE_GRAMMAR}", lit.value()),
            );
            None
        }
    }
}

/// What `#[fcgi(...)]` says about one argument.
#[derive(Default)]
pub(crate) struct ParamAttr {
    /// The meta-variable to read instead of the argument's upper-cased name.
    pub(crate) name: Option<LitStr>,
}

/// Whether `attr` is ours, `#[fcgi(...)]`, to be read and then removed
/// from the emitted fn.
pub(crate) fn is_param_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("fcgi")
}

/// Reads the `#[fcgi(...)]` attributes of one argument.
pub(crate) fn param_attr(attrs: &[Attribute], errors: &mut Errors) -> ParamAttr {
    let mut param = ParamAttr::default();
    for attr in attrs.iter().filter(|attr| is_param_attr(attr)) {
        let Meta::List(list) = &attr.meta else {
            errors.spanned(
                attr,
                format_args!(
                    "#[fcgi] needs the name of the meta-variable to read: write {NAME_GRAMMAR}"
                ),
            );
            continue;
        };
        let entries = match parse_entries(list.tokens.clone(), NAME_GRAMMAR) {
            Ok(entries) => entries,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        if entries.is_empty() {
            errors.spanned(
                attr,
                format_args!(
                    "#[fcgi()] is empty: name the meta-variable to read, as in {NAME_GRAMMAR}"
                ),
            );
        }
        for entry in entries {
            if entry.key != "name" {
                errors.spanned(
                    &entry,
                    format_args!(
                        "unknown argument `{}`: #[fcgi] takes only `name`, the CGI meta-variable this argument reads, as in {NAME_GRAMMAR}",
                        entry.key.unraw(),
                    ),
                );
                continue;
            }
            let Some(name) = meta_var_name(&entry, errors) else {
                continue;
            };
            if param.name.is_some() {
                errors.spanned(&entry, "`name` is given twice: keep one");
            }
            param.name = Some(name);
        }
    }
    param
}

fn meta_var_name(entry: &Entry, errors: &mut Errors) -> Option<LitStr> {
    let Value::Assigned(value) = &entry.value else {
        errors.spanned(
            entry,
            format_args!("`name` needs the meta-variable's name: write {NAME_GRAMMAR}"),
        );
        return None;
    };
    let Some(lit) = string_literal(value) else {
        errors.spanned(
            value,
            format_args!("expected the meta-variable's name as a string: write {NAME_GRAMMAR}"),
        );
        return None;
    };
    let name = lit.value();
    if name.is_empty() {
        errors.spanned(
            lit,
            format_args!(
                "the meta-variable's name cannot be empty: write it, as in {NAME_GRAMMAR}"
            ),
        );
        return None;
    }
    if name.bytes().any(|b| b.is_ascii_lowercase()) {
        // The environ upper-cases every name it receives, so a lower-case
        // name would never be found.
        errors.spanned(
            lit,
            format_args!(
                "meta-variable names are upper-case (the environ upper-cases every name it receives), so `{name}` would never be found: write `name = \"{}\"`",
                name.to_ascii_uppercase()
            ),
        );
        return None;
    }
    Some(lit.clone())
}

pub(crate) fn string_literal(value: &Expr) -> Option<&LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        _ => None,
    }
}

/// One `key`, `key = value` or `key(...)` of an argument list.
pub(crate) struct Entry {
    pub(crate) key: Ident,
    pub(crate) value: Value,
}

pub(crate) enum Value {
    Missing,
    Assigned(Expr),
    Nested(Group),
}

impl ToTokens for Entry {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.key.to_tokens(tokens);
        match &self.value {
            Value::Missing => {}
            Value::Assigned(expr) => {
                <Token![=]>::default().to_tokens(tokens);
                expr.to_tokens(tokens);
            }
            Value::Nested(group) => group.to_tokens(tokens),
        }
    }
}

/// Parses a comma-separated list of entries; `grammar` shows what a
/// correct list looks like, for the message when the tokens do not even
/// have that shape.
pub(crate) fn parse_entries(tokens: TokenStream, grammar: &str) -> syn::Result<Vec<Entry>> {
    let parser = |input: ParseStream<'_>| {
        let mut entries = Vec::new();
        while !input.is_empty() {
            entries.push(parse_entry(input, grammar)?);
            if input.is_empty() {
                break;
            }
            if !input.peek(Token![,]) {
                return Err(input.error(format!(
                    "unexpected tokens: expected `,` or the end of the arguments, as in {grammar}"
                )));
            }
            input.parse::<Token![,]>()?;
        }
        Ok(entries)
    };
    parser.parse2(tokens)
}

fn parse_entry(input: ParseStream<'_>, grammar: &str) -> syn::Result<Entry> {
    if !input.peek(Ident::peek_any) {
        return Err(input.error(format!("expected an argument such as {grammar}")));
    }
    let key = Ident::parse_any(input)?;
    let value = if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        if input.is_empty() || input.peek(Token![,]) {
            return Err(input.error(format!("expected a value after `=`, as in {grammar}")));
        }
        Value::Assigned(input.parse()?)
    } else if input.peek(token::Paren) || input.peek(token::Bracket) || input.peek(token::Brace) {
        Value::Nested(input.parse()?)
    } else {
        Value::Missing
    };
    Ok(Entry { key, value })
}
