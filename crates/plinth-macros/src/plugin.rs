//! `#[plugin]`: hook methods and async lifecycle in a plugin's trait impl.

use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, FnArg, GenericArgument, Ident, ImplItem, ImplItemFn, Item, ItemImpl, Meta,
    Pat, PathArguments, ReturnType, Token, Type,
};

use crate::paths::runtime_path;

/// Errors are collected rather than returned at the first one, so that a
/// plugin with several mistakes sees them all in one build.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }
}

pub(crate) fn expand(args: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let mut errors = Errors::default();
    if !args.is_empty() {
        errors.push(syn::Error::new_spanned(
            &args,
            "`#[plugin]` takes no arguments; hook options go on each `#[hook(KEY, ..)]`",
        ));
    }
    let (imp, trait_) = match syn::parse2::<Item>(item)? {
        Item::Impl(mut imp) => match imp.trait_.take() {
            Some(trait_) => (imp, trait_),
            None => {
                return Err(syn::Error::new_spanned(
                    &imp.self_ty,
                    "`#[plugin]` goes on the plugin's trait impl, `impl Plugin for Type { .. }`, \
                     not on an inherent impl",
                ));
            }
        },
        _ => {
            return Err(syn::Error::new(
                Span::call_site(),
                "`#[plugin]` goes on a plugin's `impl Plugin for Type { .. }` block",
            ));
        }
    };
    let output = expand_impl(imp, trait_, &mut errors);
    match errors.0 {
        // The impl is still emitted, so that the only errors are ours and not
        // a cascade of "method not found" from an impl that vanished.
        Some(error) => {
            let error = error.into_compile_error();
            Ok(quote!(#error #output))
        }
        None => Ok(output),
    }
}

/// `!`, the trait's path and `for` of a trait impl.
type TraitPart = (Option<Token![!]>, syn::Path, Token![for]);

/// A `#[hook]` method and how to register it.
struct HookMethod {
    method: Ident,
    shape: Shape,
    args: Vec<HookArgs>,
}

/// The method's shape, read from its signature: which registration it
/// becomes, and the payload type as written.
struct Shape {
    is_async: bool,
    fallible: bool,
    /// `Some(T)` for a `&T` parameter (actions and bails), else `None`.
    by_ref: Option<Type>,
    /// `&mut T`: a filter step that edits the value in place.
    by_mut: Option<Type>,
    payload: Type,
}

fn expand_impl(mut imp: ItemImpl, trait_: TraitPart, errors: &mut Errors) -> TokenStream2 {
    let rt = runtime_path();
    let mut kept = Vec::new();
    let mut moved = Vec::new();
    let mut hooks = Vec::new();
    let mut own_register_hooks = None;
    let mut sync_lifecycle = Vec::new();
    let mut async_lifecycle = Vec::new();

    for item in std::mem::take(&mut imp.items) {
        match item {
            ImplItem::Fn(mut f) => {
                let hook_attrs = take_hook_attrs(&mut f.attrs);
                if !hook_attrs.is_empty() {
                    let args: Vec<HookArgs> = hook_attrs
                        .iter()
                        .filter_map(|a| parse_hook_attr(a).map_err(|e| errors.push(e)).ok())
                        .collect();
                    match shape_of(&f) {
                        Ok(shape) if !args.is_empty() => hooks.push(HookMethod {
                            method: f.sig.ident.clone(),
                            shape,
                            args,
                        }),
                        Ok(_) => {}
                        Err(e) => errors.push(e),
                    }
                    // The payload type is the key's: `&String` for an
                    // `Action<String>` cannot become the `&str` lints ask for.
                    f.attrs.push(syn::parse_quote!(#[allow(clippy::ptr_arg)]));
                    moved.push(f);
                    continue;
                }
                let name = f.sig.ident.to_string();
                if f.sig.asyncness.is_some() {
                    if let Some((ident, item)) = lifecycle(&rt, f, errors) {
                        async_lifecycle.push(ident);
                        kept.push(item);
                    }
                    continue;
                }
                if name == "register_hooks" {
                    own_register_hooks = Some(f.sig.ident.clone());
                }
                if name == "initialize" || name == "destroy" {
                    sync_lifecycle.push(f.sig.ident.clone());
                }
                kept.push(quote!(#f));
            }
            mut other => {
                let misplaced = item_attrs(&mut other).map(take_hook_attrs);
                match misplaced {
                    Some(attrs) if !attrs.is_empty() => {
                        // Dropped with its error: kept, it would add a
                        // "not a member of trait" error for the same mistake.
                        for attr in attrs {
                            errors.push(syn::Error::new_spanned(
                                attr,
                                "`#[hook]` goes on a method of the plugin, \
                                 `fn name(&self, payload: ..)`",
                            ));
                        }
                    }
                    _ => kept.push(quote!(#other)),
                }
            }
        }
    }

    for ident in &async_lifecycle {
        if let Some(sync) = sync_lifecycle.iter().find(|s| *s == ident) {
            errors.push(syn::Error::new(
                sync.span(),
                format!("`{ident}` is defined twice: keep either the `fn` or the `async fn`"),
            ));
        }
    }

    let register_hooks = if hooks.is_empty() {
        None
    } else if let Some(own) = own_register_hooks {
        errors.push(syn::Error::new(
            own.span(),
            "`#[plugin]` writes `register_hooks` from the `#[hook]` methods; \
             register by hand in `initialize` instead, or drop the `#[hook]` attributes",
        ));
        None
    } else {
        Some(register_hooks(&rt, &imp.self_ty, &hooks))
    };

    let (impl_generics, _, where_clause) = imp.generics.split_for_impl();
    let self_ty = &imp.self_ty;
    let inherent = (!moved.is_empty()).then(|| {
        quote! {
            impl #impl_generics #self_ty #where_clause {
                #(#moved)*
            }
        }
    });
    let attrs = &imp.attrs;
    let unsafety = &imp.unsafety;
    let (bang, path, for_token) = trait_;
    quote! {
        #inherent

        #(#attrs)*
        #unsafety impl #impl_generics #bang #path #for_token #self_ty #where_clause {
            #(#kept)*
            #register_hooks
        }
    }
}

fn item_attrs(item: &mut ImplItem) -> Option<&mut Vec<Attribute>> {
    match item {
        ImplItem::Const(c) => Some(&mut c.attrs),
        ImplItem::Type(t) => Some(&mut t.attrs),
        ImplItem::Macro(m) => Some(&mut m.attrs),
        _ => None,
    }
}

fn take_hook_attrs(attrs: &mut Vec<Attribute>) -> Vec<Attribute> {
    let (hooks, rest) = std::mem::take(attrs)
        .into_iter()
        .partition(|a| a.path().is_ident("hook"));
    *attrs = rest;
    hooks
}

/// The arguments of one `#[hook(KEY, priority = .., name = .., before = ..,
/// after = ..)]`.
struct HookArgs {
    key: Expr,
    priority: Option<Expr>,
    name: Option<Expr>,
    before: Vec<Expr>,
    after: Vec<Expr>,
}

const HOOK_FORM: &str = "`#[hook(KEY)]` or `#[hook(KEY, priority = 0, name = \"..\", \
                         before = \"..\", after = \"..\")]`";

fn parse_hook_attr(attr: &Attribute) -> syn::Result<HookArgs> {
    match &attr.meta {
        Meta::List(list) if !list.tokens.is_empty() => list.parse_args(),
        _ => Err(syn::Error::new_spanned(
            attr,
            format!("`#[hook]` needs the key of the hook it implements: {HOOK_FORM}"),
        )),
    }
}

impl Parse for HookArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) {
            return Err(input.error(format!(
                "the hook's key comes first, then the options: {HOOK_FORM}"
            )));
        }
        let mut args = HookArgs {
            key: input.parse()?,
            priority: None,
            name: None,
            before: Vec::new(),
            after: Vec::new(),
        };
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let option: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            let once = |slot: &mut Option<Expr>| match slot {
                Some(_) => Err(syn::Error::new(
                    option.span(),
                    format!("`{option}` is given twice"),
                )),
                None => {
                    *slot = Some(value.clone());
                    Ok(())
                }
            };
            match option.to_string().as_str() {
                "priority" => once(&mut args.priority)?,
                "name" => once(&mut args.name)?,
                "before" => args.before.push(value),
                "after" => args.after.push(value),
                _ => {
                    return Err(syn::Error::new(
                        option.span(),
                        format!(
                            "unknown `#[hook]` option `{option}`; \
                             expected `priority`, `name`, `before` or `after`"
                        ),
                    ));
                }
            }
        }
        Ok(args)
    }
}

fn shape_of(f: &ImplItemFn) -> syn::Result<Shape> {
    let sig = &f.sig;
    let expected = "a `#[hook]` method takes `&self` and the payload, \
                    like `fn name(&self, payload: T) -> T`";
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "a `#[hook]` method cannot be generic: the key fixes its payload type",
        ));
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
        Some(FnArg::Receiver(r)) => {
            return Err(syn::Error::new_spanned(
                r,
                "a `#[hook]` method takes `&self`: each registration calls it on its own \
                 clone of the plugin, shared by every call",
            ));
        }
        _ => return Err(syn::Error::new_spanned(&sig.ident, expected)),
    }
    let payload = match (inputs.next(), inputs.next()) {
        (Some(FnArg::Typed(arg)), None) => (*arg.ty).clone(),
        (_, Some(extra)) => return Err(syn::Error::new_spanned(extra, expected)),
        _ => return Err(syn::Error::new_spanned(&sig.ident, expected)),
    };
    let (by_ref, by_mut) = match &payload {
        // `&'static T` is a payload type of its own (a `Filter<&'static str>`),
        // not a borrow of the payload.
        Type::Reference(r) if r.lifetime.as_ref().is_some_and(|l| l.ident == "static") => {
            (None, None)
        }
        Type::Reference(r) if r.mutability.is_some() => (None, Some((*r.elem).clone())),
        Type::Reference(r) => (Some((*r.elem).clone()), None),
        _ => (None, None),
    };
    let is_async = sig.asyncness.is_some();
    let fallible = returns_result(&sig.output)?;
    if by_mut.is_some() && !fallible && !is_async {
        return Err(syn::Error::new_spanned(
            &payload,
            "a filter method that cannot fail takes and returns `T`; \
             `&mut T` is for one returning `Result<(), E>` or an `async fn`",
        ));
    }
    Ok(Shape {
        is_async,
        fallible,
        by_ref,
        by_mut,
        payload,
    })
}

/// A method returning `Result<..>` (by that name, whatever its path) is
/// registered as fallible; a type alias to a `Result` is not seen through.
fn returns_result(output: &ReturnType) -> syn::Result<bool> {
    let ReturnType::Type(_, ty) = output else {
        return Ok(false);
    };
    let Type::Path(path) = &**ty else {
        return Ok(false);
    };
    let Some(last) = path.path.segments.last() else {
        return Ok(false);
    };
    if last.ident != "Result" {
        return Ok(false);
    }
    match &last.arguments {
        PathArguments::AngleBracketed(args)
            if matches!(args.args.first(), Some(GenericArgument::Type(_))) =>
        {
            Ok(true)
        }
        _ => Err(syn::Error::new_spanned(
            ty,
            "write the success type of a fallible `#[hook]` method: `Result<T, E>`",
        )),
    }
}

fn register_hooks(rt: &TokenStream2, self_ty: &Type, hooks: &[HookMethod]) -> TokenStream2 {
    let registrations = hooks.iter().flat_map(|hook| {
        hook.args
            .iter()
            .map(move |args| registration(rt, self_ty, hook, args))
    });
    quote! {
        fn register_hooks(
            &self,
            ctx: &#rt::Context,
        ) -> ::core::result::Result<(), #rt::ContextError> {
            #(#registrations)*
            ::core::result::Result::Ok(())
        }
    }
}

fn registration(
    rt: &TokenStream2,
    self_ty: &Type,
    hook: &HookMethod,
    args: &HookArgs,
) -> TokenStream2 {
    let method = &hook.method;
    let span = method.span();
    // Named after the method so that a shape error points at it.
    let registration = Ident::new("__plinth_registration", span);
    let this = quote_spanned! {self_ty.span()=>
        #rt::__private::plugin_with_hook_methods_must_be_clone::<Self>(self)
    };
    let shape = &hook.shape;
    let payload = &shape.payload;
    let p = quote_spanned!(span=> __plinth_payload);
    let error = quote_spanned!(span=> #rt::__private::into_box_error);
    if let Some(t) = &shape.by_mut {
        let call = if shape.is_async {
            quote_spanned!(span=> __plinth_this.#method(#p).await)
        } else {
            quote_spanned!(span=> __plinth_this.#method(#p))
        };
        let result = if shape.fallible {
            quote_spanned!(span=> #call.map_err(#error))
        } else {
            quote_spanned!(span=> { #call; ::core::result::Result::Ok(()) })
        };
        let wrapped = if shape.is_async {
            quote_spanned! {span=>
                #rt::__private::AsyncByMut::<#t, _>::new(move |#p: &mut #t| {
                    // Each call's future owns a clone: it may outlive the call.
                    let __plinth_this = ::core::clone::Clone::clone(&__plinth_this);
                    ::std::boxed::Box::pin(async move { #result })
                })
            }
        } else {
            quote_spanned! {span=>
                #rt::__private::TryByMut::<#t, _>::new(move |#p: &mut #t| #result)
            }
        };
        return finish(rt, args, &registration, this, wrapped);
    }
    let wrapped = match (shape.is_async, shape.fallible, &shape.by_ref) {
        (false, false, Some(t)) => quote_spanned! {span=>
            #rt::__private::ByRef::<#t, _, _>::new(move |#p: &#t| __plinth_this.#method(#p))
        },
        (false, true, Some(t)) => quote_spanned! {span=>
            #rt::__private::TryByRef::<#t, _, _>::new(
                move |#p: &#t| __plinth_this.#method(#p).map_err(#error)
            )
        },
        (false, false, None) => quote_spanned! {span=>
            #rt::__private::ByValue::<#payload, _, _>::new(
                move |#p: #payload| __plinth_this.#method(#p)
            )
        },
        (false, true, None) => quote_spanned! {span=>
            #rt::__private::TryByValue::<#payload, _, _>::new(
                move |#p: #payload| __plinth_this.#method(#p).map_err(#error)
            )
        },
        (true, fallible, by_ref) => {
            let call = match by_ref {
                Some(_) => quote_spanned!(span=> __plinth_this.#method(&*#p).await),
                None => quote_spanned!(span=> __plinth_this.#method(#p).await),
            };
            let result = if fallible {
                quote_spanned!(span=> #call.map_err(#error))
            } else {
                quote_spanned!(span=> ::core::result::Result::Ok(#call))
            };
            let (wrapper, arg) = match by_ref {
                Some(t) => (
                    quote_spanned!(span=> AsyncByRef::<#t, _, _, _>),
                    quote_spanned!(span=> ::std::sync::Arc<#t>),
                ),
                None => (
                    quote_spanned!(span=> AsyncByValue::<#payload, _, _, _>),
                    payload.to_token_stream(),
                ),
            };
            quote_spanned! {span=>
                #rt::__private::#wrapper::new(move |#p: #arg| {
                    // Each call's future owns a clone: it may outlive the call.
                    let __plinth_this = ::core::clone::Clone::clone(&__plinth_this);
                    async move { #result }
                })
            }
        }
    };
    finish(rt, args, &registration, this, wrapped)
}

/// The registration of one wrapped method under its key and options.
fn finish(
    rt: &TokenStream2,
    args: &HookArgs,
    registration: &Ident,
    this: TokenStream2,
    wrapped: TokenStream2,
) -> TokenStream2 {
    let HookArgs {
        key,
        priority,
        name,
        before,
        after,
    } = args;
    let priority = priority.iter();
    let name = name.iter();
    quote! {
        {
            let #registration = ctx.hooks().on(&(#key))?
                #( .priority(#priority) )*
                #( .name(#name) )*
                #( .before(#before) )*
                #( .after(#after) )*;
            let __plinth_this = #this;
            let _ = #rt::__private::register(#registration, #wrapped);
        }
    }
}

/// Rewrites `async fn initialize` / `async fn destroy` into the trait's
/// `initialize_async` / `destroy_async`, returning the renamed ident.
fn lifecycle(
    rt: &TokenStream2,
    f: ImplItemFn,
    errors: &mut Errors,
) -> Option<(Ident, TokenStream2)> {
    let ImplItemFn {
        attrs, sig, block, ..
    } = f;
    let name = sig.ident.to_string();
    let output = match &sig.output {
        ReturnType::Type(_, ty) => quote!(#ty),
        ReturnType::Default => quote!(()),
    };
    let stmts = &block.stmts;
    let body = quote! {
        ::std::boxed::Box::pin(async move {
            // Typed, so that `?` in the body knows the error to convert to.
            let __plinth_result: #output = { #(#stmts)* };
            __plinth_result
        })
    };
    let mut inputs = sig.inputs.iter();
    let receiver_ok = matches!(
        inputs.next(),
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_some()
    );
    match name.as_str() {
        "initialize" => {
            let ctx = match (inputs.next(), inputs.next()) {
                (Some(FnArg::Typed(arg)), None) if receiver_ok => arg,
                _ => {
                    errors.push(syn::Error::new_spanned(
                        &sig,
                        "`async fn initialize` takes `&mut self` and `&Context`",
                    ));
                    return None;
                }
            };
            let pat: &Pat = &ctx.pat;
            let ty = match &*ctx.ty {
                Type::Reference(r) if r.lifetime.is_none() => {
                    let mut r = r.clone();
                    r.lifetime = Some(syn::Lifetime::new("'plinth", Span::call_site()));
                    Type::Reference(r)
                }
                other => other.clone(),
            };
            let ident = Ident::new("initialize_async", sig.ident.span());
            Some((
                sig.ident.clone(),
                quote! {
                    #(#attrs)*
                    fn #ident<'plinth>(
                        &'plinth mut self,
                        #pat: #ty,
                    ) -> #rt::__private::LifecycleFuture<'plinth, #output> {
                        #body
                    }
                },
            ))
        }
        "destroy" => {
            if !receiver_ok || inputs.next().is_some() {
                errors.push(syn::Error::new_spanned(
                    &sig,
                    "`async fn destroy` takes only `&mut self`",
                ));
                return None;
            }
            let ident = Ident::new("destroy_async", sig.ident.span());
            Some((
                sig.ident.clone(),
                quote! {
                    #(#attrs)*
                    fn #ident(&mut self) -> #rt::__private::LifecycleFuture<'_, #output> {
                        #body
                    }
                },
            ))
        }
        _ => {
            errors.push(syn::Error::new_spanned(
                sig.asyncness,
                format!(
                    "only `initialize` and `destroy` may be `async fn` in a `#[plugin]` impl \
                     (they become `initialize_async` and `destroy_async`); `{name}` is not \
                     a hook method either (add `#[hook(KEY)]`)"
                ),
            ));
            None
        }
    }
}
