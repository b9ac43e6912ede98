//! Derive macros for plinth.
//!
//! Use them through the `plinth` facade (`plinth::EntitySchema`) or with
//! `plinth-core` as a direct dependency; the generated code names whichever
//! of the two the using crate depends on.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use proc_macro_crate::{crate_name, FoundCrate};
use quote::{format_ident, quote};
use syn::{parse_macro_input, Data, DeriveInput, Fields};

/// Derives `EntitySchema` for a struct whose named fields are `Entities<V>`
/// maps: each field is an entity type named after the field.
///
/// Generates `<Struct>Collections`, with the struct's visibility and one
/// public `EntityCollection<V>` field per entity type, and the
/// `EntitySchema` impl that checks keys and builds the collections.
///
/// ```text
/// #[derive(plinth::EntitySchema)]
/// struct AppEntities {
///     assets: plinth::Entities<String>,
///     commands: plinth::Entities<Command>,
/// }
/// // host.entities().assets: EntityCollection<String>
/// ```
///
/// A proc-macro crate cannot use its own derive in its doctests, so the
/// sketch above is not compiled here. The compiled, tested examples are in
/// the documentation of `plinth_core::EntitySchema` and of the `plinth`
/// crate root.
#[proc_macro_derive(EntitySchema)]
pub fn derive_entity_schema(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(input: DeriveInput) -> syn::Result<TokenStream2> {
    let krate = core_path();
    let ident = &input.ident;
    let vis = &input.vis;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "EntitySchema cannot be derived for a generic struct",
        ));
    }
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => &named.named,
            _ => {
                return Err(syn::Error::new_spanned(
                    ident,
                    "EntitySchema needs named fields: each field is an entity type",
                ))
            }
        },
        _ => {
            return Err(syn::Error::new_spanned(
                ident,
                "EntitySchema can only be derived for a struct",
            ))
        }
    };
    let collections = format_ident!("{}Collections", ident);
    let names: Vec<_> = fields.iter().map(|f| f.ident.clone().unwrap()).collect();
    let types: Vec<_> = fields.iter().map(|f| &f.ty).collect();
    // `r#type` is the entity type "type".
    let labels: Vec<String> = names
        .iter()
        .map(|n| n.to_string().trim_start_matches("r#").to_owned())
        .collect();
    let doc = format!("The typed entity collections of [`{ident}`], one per entity type.");
    let field_docs: Vec<String> = labels
        .iter()
        .map(|l| format!("Every `{l}` entity of every plugin."))
        .collect();

    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone)]
        #vis struct #collections {
            #(
                #[doc = #field_docs]
                pub #names: #krate::EntityCollection<<#types as #krate::EntityMap>::Value>,
            )*
        }

        impl #krate::EntitySchema for #ident {
            type Collections = #collections;

            fn check(
                plugins: #krate::PluginEntities<'_, Self>,
            ) -> ::core::result::Result<(), #krate::GuardError> {
                #( plugins.check_keys(#labels, |e| &e.#names)?; )*
                ::core::result::Result::Ok(())
            }

            fn collect(plugins: #krate::PluginEntities<'_, Self>) -> #collections {
                #collections {
                    #( #names: plugins.collect(|e| &e.#names), )*
                }
            }
        }
    })
}

/// The path of plinth-core as the using crate sees it.
fn core_path() -> TokenStream2 {
    let found = crate_name("plinth-core").or_else(|_| {
        crate_name("plinth").map(|found| match found {
            FoundCrate::Itself => FoundCrate::Name("plinth".into()),
            other => other,
        })
    });
    match found {
        // Inside plinth-core's own tests and examples, and in plinth-core itself
        // through its `extern crate self as plinth_core`.
        Ok(FoundCrate::Itself) => quote!(::plinth_core),
        Ok(FoundCrate::Name(name)) if name == "plinth" => quote!(::plinth::core),
        Ok(FoundCrate::Name(name)) => {
            let ident = syn::Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
        Err(_) => quote!(::plinth_core),
    }
}
