//! `#[derive(EntitySchema)]`.

use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields};

use crate::paths::core_path;

pub(crate) fn expand(input: DeriveInput) -> syn::Result<TokenStream2> {
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
                ));
            }
        },
        _ => {
            return Err(syn::Error::new_spanned(
                ident,
                "EntitySchema can only be derived for a struct",
            ));
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

        impl #krate::EmptyEntities for #ident {
            fn empty() -> Self {
                // `Default` rather than `Entities::new()`: a field that is not
                // an `Entities` map gets its error from the `EntityMap` bound
                // alone, not one more from here.
                #ident {
                    #( #names: ::core::default::Default::default(), )*
                }
            }
        }

        // Expands to nothing unless plinth-core reads schemas from data
        // (its `serde` feature), which only plinth-core can tell.
        #krate::__derive_from_entity_data! {
            #ident { #( #names : #labels : #types ),* }
        }
    })
}
