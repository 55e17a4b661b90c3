//! A typed model of the annotated fn, borrowing its syn nodes: what the
//! checks in `valid` look at and what `expand` turns into code.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Attribute, FnArg, ItemFn, Pat, PatType, Path, Receiver, Type};

use crate::attr::{self, HandlerAttr};
use crate::errors::Errors;
use crate::openapi_attr::OpenApiAttr;

/// The annotated fn.
pub(crate) struct Handler<'a> {
    pub(crate) item: &'a ItemFn,
    /// The path to the `fastcgi` crate that the expansion goes through.
    pub(crate) krate: Path,
    /// `self`, `&self`...: always an error, kept to point at it.
    pub(crate) receiver: Option<&'a Receiver>,
    pub(crate) args: Vec<Arg<'a>>,
    /// `#[fcgi_handler(openapi(...))]`.
    pub(crate) openapi: OpenApiAttr,
}

/// One argument of the fn: taken from the request in `Handler::call`.
pub(crate) struct Arg<'a> {
    pub(crate) pat: &'a Pat,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: &'a [Attribute],
    pub(crate) source: Source,
    pub(crate) position: Position,
}

/// Where an argument stands, which decides whether it may read the body:
/// the body can be read once, by the last argument (checked by type, in
/// `expand`, since only rustc knows which types read it).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// Another argument follows: it must leave the body alone.
    BeforeLast,
    /// The last argument: it may read the body.
    Last,
}

/// How an argument is taken from the request.
pub(crate) enum Source {
    /// By type if it is an extractor, else as the CGI meta-variable `name`
    /// parsed with `FromStr`: the argument is a plain binding such as
    /// `document_root: PathBuf`, or carries `#[fcgi(name = "...")]`.
    Named { name: String, span: Span },
    /// By type only: a pattern such as `Query(listing)` or `_` has no name
    /// to read a meta-variable by.
    ByType,
}

impl<'a> Handler<'a> {
    /// Models `item`, recording the mistakes in its `#[fcgi]` attributes.
    pub(crate) fn from_syn(item: &'a ItemFn, attr: HandlerAttr, errors: &mut Errors) -> Self {
        let mut receiver = None;
        let mut args = Vec::new();
        let count = item.sig.inputs.len();
        for (index, input) in item.sig.inputs.iter().enumerate() {
            let position = if index + 1 == count {
                Position::Last
            } else {
                Position::BeforeLast
            };
            match input {
                FnArg::Receiver(r) => receiver = Some(r),
                FnArg::Typed(typed) => args.push(Arg::from_syn(typed, position, errors)),
            }
        }
        Handler {
            item,
            krate: attr.krate,
            receiver,
            args,
            openapi: attr.openapi,
        }
    }

    /// Whether the fn is `async`; a plain fn runs on the blocking pool.
    pub(crate) fn is_async(&self) -> bool {
        self.item.sig.asyncness.is_some()
    }
}

impl<'a> Arg<'a> {
    fn from_syn(typed: &'a PatType, position: Position, errors: &mut Errors) -> Self {
        let param = attr::param_attr(&typed.attrs, errors);
        let source = match (param.name, &*typed.pat) {
            (Some(name), _) => Source::Named {
                name: name.value(),
                span: name.span(),
            },
            (None, Pat::Ident(binding)) => Source::Named {
                name: meta_var_name(&binding.ident),
                span: binding.ident.span(),
            },
            (None, _) => Source::ByType,
        };
        Arg {
            pat: &typed.pat,
            ty: &typed.ty,
            attrs: &typed.attrs,
            source,
            position,
        }
    }
}

/// The meta-variable an argument named `ident` reads: its name upper-cased,
/// without a raw identifier's `r#` (`r#type` reads TYPE).
fn meta_var_name(ident: &syn::Ident) -> String {
    // `_remote_addr` is the usual spelling of an argument the body does not
    // use: it still reads REMOTE_ADDR.
    ident
        .unraw()
        .to_string()
        .trim_start_matches('_')
        .to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::meta_var_name;

    #[test]
    fn meta_variable_names_are_upper_cased_idents_without_raw_prefix() {
        let name = |ident: &str| meta_var_name(&syn::parse_str(ident).unwrap());
        assert_eq!(name("document_root"), "DOCUMENT_ROOT");
        assert_eq!(name("r#type"), "TYPE");
        assert_eq!(name("_remote_addr"), "REMOTE_ADDR");
    }
}
