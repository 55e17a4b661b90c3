//! `#[fcgi_handler(openapi(...))]`: what a handler's types cannot say
//! about it in an OpenAPI document.
//!
//! ```text
//! #[fcgi_handler(openapi(tag = "items", status = 201, response(status = 409, description = "The item exists")))]
//! ```
//!
//! - `tag = "..."`, repeatable: the groups viewers show it in;
//! - `operation_id = "..."`: instead of the fn's name;
//! - `status = 201`: the status of the responses whose `StatusCode` is
//!   chosen at run time (`(StatusCode, Json<T>)`), documented as
//!   `default` otherwise;
//! - `response(status = 409, description = "...")`, repeatable: a response
//!   the types do not show.

use proc_macro2::{Group, Span};
use syn::ext::IdentExt;
use syn::{Expr, ExprLit, Lit, LitInt, LitStr};

use crate::attr::{Entry, Value, parse_entries, string_literal};
use crate::errors::Errors;

pub(crate) const OPENAPI_GRAMMAR: &str = "`openapi(tag = \"items\", operation_id = \"create_item\", status = 201, response(status = 409, description = \"The item exists\"))`";
const RESPONSE_GRAMMAR: &str = "`response(status = 409, description = \"The item exists\")`";

/// What `openapi(...)` says.
#[derive(Default)]
pub(crate) struct OpenApiAttr {
    pub(crate) tags: Vec<LitStr>,
    pub(crate) operation_id: Option<LitStr>,
    pub(crate) status: Option<u16>,
    pub(crate) responses: Vec<(u16, LitStr)>,
}

/// Reads the `openapi(...)` entry of `#[fcgi_handler(...)]` into `attr`.
pub(crate) fn read(entry: &Entry, attr: &mut OpenApiAttr, errors: &mut Errors) {
    let Value::Nested(group) = &entry.value else {
        errors.spanned(
            entry,
            format_args!("`openapi` takes a list: write {OPENAPI_GRAMMAR}"),
        );
        return;
    };
    for entry in entries(group, OPENAPI_GRAMMAR, errors) {
        let key = entry.key.unraw().to_string();
        match key.as_str() {
            "tag" => {
                if let Some(tag) = string(&entry, "tag = \"items\"", errors) {
                    attr.tags.push(tag);
                }
            }
            "operation_id" => {
                if let Some(id) = string(&entry, "operation_id = \"create_item\"", errors) {
                    if attr.operation_id.is_some() {
                        errors.spanned(&entry, "`operation_id` is given twice: keep one");
                    }
                    attr.operation_id = Some(id);
                }
            }
            "status" => {
                if let Some(status) = status(&entry, "status = 201", errors) {
                    if attr.status.is_some() {
                        errors.spanned(&entry, "`status` is given twice: keep one");
                    }
                    attr.status = Some(status);
                }
            }
            "response" => {
                if let Some(response) = response(&entry, errors) {
                    attr.responses.push(response);
                }
            }
            _ => errors.spanned(
                &entry,
                format_args!(
                    "unknown argument `{key}` of `openapi`: it takes `tag`, `operation_id`, `status` and `response`, as in {OPENAPI_GRAMMAR}"
                ),
            ),
        }
    }
}

fn entries(group: &Group, grammar: &str, errors: &mut Errors) -> Vec<Entry> {
    match parse_entries(group.stream(), grammar) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(error);
            Vec::new()
        }
    }
}

fn string(entry: &Entry, example: &str, errors: &mut Errors) -> Option<LitStr> {
    let lit = match &entry.value {
        Value::Assigned(value) => string_literal(value),
        _ => None,
    };
    if lit.is_none() {
        errors.spanned(entry, format_args!("expected a string: write `{example}`"));
    }
    lit.cloned()
}

fn status(entry: &Entry, example: &str, errors: &mut Errors) -> Option<u16> {
    let lit = match &entry.value {
        Value::Assigned(Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        })) => Some(lit),
        _ => None,
    };
    let Some(lit) = lit else {
        errors.spanned(
            entry,
            format_args!("expected a status code: write `{example}`"),
        );
        return None;
    };
    valid_status(lit, errors)
}

fn valid_status(lit: &LitInt, errors: &mut Errors) -> Option<u16> {
    match lit.base10_parse::<u16>() {
        Ok(code @ 100..=599) => Some(code),
        _ => {
            errors.spanned(
                lit,
                "a status code is a number from 100 to 599, such as 201",
            );
            None
        }
    }
}

fn response(entry: &Entry, errors: &mut Errors) -> Option<(u16, LitStr)> {
    let Value::Nested(group) = &entry.value else {
        errors.spanned(
            entry,
            format_args!("`response` takes a list: write {RESPONSE_GRAMMAR}"),
        );
        return None;
    };
    let mut code = None;
    let mut description = None;
    for inner in entries(group, RESPONSE_GRAMMAR, errors) {
        match inner.key.unraw().to_string().as_str() {
            "status" => code = status(&inner, "status = 409", errors).or(code),
            "description" => {
                description =
                    string(&inner, "description = \"The item exists\"", errors).or(description);
            }
            other => errors.spanned(
                &inner,
                format_args!("unknown argument `{other}` of `response`: write {RESPONSE_GRAMMAR}"),
            ),
        }
    }
    match code {
        Some(code) => Some((
            code,
            description.unwrap_or_else(|| LitStr::new("", Span::call_site())),
        )),
        None => {
            errors.spanned(
                entry,
                format_args!("`response` needs its status: write {RESPONSE_GRAMMAR}"),
            );
            None
        }
    }
}
