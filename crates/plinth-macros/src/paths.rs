//! Where the generated code finds plinth: whichever crate the using crate
//! depends on, the layer itself or the facade (under any name).

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;

/// The path of plinth-core as the using crate sees it.
pub(crate) fn core_path() -> TokenStream2 {
    layer_path("plinth-core", "core")
}

/// The path of plinth-runtime as the using crate sees it.
pub(crate) fn runtime_path() -> TokenStream2 {
    layer_path("plinth-runtime", "runtime")
}

/// The layer's own crate when the using crate depends on it (a direct
/// dependency is the more precise statement of intent), else the facade's
/// module re-exporting it.
fn layer_path(layer: &str, module: &str) -> TokenStream2 {
    let own = ident(&layer.replace('-', "_"));
    let module = ident(module);
    match crate_name(layer) {
        // Inside the layer's own tests, examples and doc tests.
        Ok(FoundCrate::Itself) => return quote!(::#own),
        Ok(FoundCrate::Name(name)) => {
            let name = ident(&name);
            return quote!(::#name);
        }
        Err(_) => {}
    }
    match crate_name("plinth") {
        Ok(FoundCrate::Itself) => quote!(::plinth::#module),
        Ok(FoundCrate::Name(name)) => {
            let name = ident(&name);
            quote!(::#name::#module)
        }
        // Neither found (a build outside cargo): the layer's usual name
        // gives the clearest error if it is not there either.
        Err(_) => quote!(::#own),
    }
}

fn ident(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::call_site())
}
