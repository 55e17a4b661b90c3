//! What a handler with mistakes expands to: the errors, plus the fn as it
//! was written, so that an IDE keeps understanding the rest of the code and
//! no secondary errors pile up on the generated code.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{FnArg, ItemFn};

use crate::attr;

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
