//! Derives `proto`'s command catalogue from its enums, so that an action is declared once.
//!
//! - `#[derive(Actions)]` on an action enum (`#[actions(kind = Milestone)]`) builds
//!   `proto::spec::Actions`: one `ActionSpec` per variant, named as serde names it
//!   (`snake_case`), titled by `#[action(title = "…")]`, helped by the variant's doc comment,
//!   marked `#[action(create)]` when it creates the thing; and one `FieldSpec` per field, labelled
//!   by `#[field(label = "…")]`, helped by its doc comment, typed by `#[field(input = NOTE)]` or
//!   else by the field's Rust type, optional when it is an `Option` or `#[serde(default)]`.
//! - `#[derive(Choices)]` on a unit enum builds `proto::spec::Choices` (values as serde writes
//!   them, labels from `#[choice(label = "…")]`, help from doc comments), `label()`, `value()`
//!   and the `FieldType` that makes a field of that enum a choice.
//!
//! The generated code names `crate::…`: these derives are for `proto` itself.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{Attribute, Data, DeriveInput, Expr, Fields, Ident, Lit, Meta, parse_macro_input};

#[proc_macro_derive(Actions, attributes(actions, action, field))]
pub fn derive_actions(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    actions(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

#[proc_macro_derive(Choices, attributes(choice))]
pub fn derive_choices(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    choices(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `name = value` and bare `name` entries of `#[attr(...)]`.
#[derive(Default)]
struct Settings {
    entries: Vec<(String, Option<Expr>)>,
}

impl Settings {
    fn read(attrs: &[Attribute], attr: &str) -> syn::Result<Self> {
        let mut out = Settings::default();
        for a in attrs.iter().filter(|a| a.path().is_ident(attr)) {
            a.parse_nested_meta(|meta| {
                let name = meta
                    .path
                    .get_ident()
                    .map(Ident::to_string)
                    .ok_or_else(|| meta.error("expected a name"))?;
                let value = if meta.input.peek(syn::Token![=]) {
                    Some(meta.value()?.parse::<Expr>()?)
                } else {
                    None
                };
                out.entries.push((name, value));
                Ok(())
            })?;
        }
        Ok(out)
    }

    fn flag(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, v)| n == name && v.is_none())
    }

    fn expr(&self, name: &str) -> Option<&Expr> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_ref())
    }

    fn text(&self, name: &str) -> syn::Result<Option<String>> {
        match self.expr(name) {
            None => Ok(None),
            Some(Expr::Lit(l)) => match &l.lit {
                Lit::Str(s) => Ok(Some(s.value())),
                other => Err(syn::Error::new_spanned(other, "expected a string")),
            },
            Some(other) => Err(syn::Error::new_spanned(other, "expected a string")),
        }
    }

    fn check(&self, known: &[&str], span: &impl quote::ToTokens) -> syn::Result<()> {
        match self
            .entries
            .iter()
            .find(|(n, _)| !known.contains(&n.as_str()))
        {
            Some((n, _)) => Err(syn::Error::new_spanned(
                span,
                format!(
                    "unknown setting `{n}`; the settings are {}",
                    known.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }
}

/// The doc comment, lines joined with spaces.
fn doc(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(l) => match &l.lit {
                    Lit::Str(s) => Some(s.value().trim().to_owned()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

/// Whether `#[serde(...)]` says `default`.
fn serde_default(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .any(|a| {
            let mut found = false;
            let _ = a.parse_nested_meta(|meta| {
                if meta.path.is_ident("default") {
                    found = true;
                }
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<Expr>()?;
                }
                Ok(())
            });
            found
        })
}

/// `ReportProgress` as serde's `snake_case` writes it: `report_progress`.
fn snake(ident: &Ident) -> String {
    let mut out = String::new();
    for (i, c) in ident.to_string().chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `report_progress` for people: `Report progress`.
fn sentence(snake: &str) -> String {
    let words = snake.replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn actions(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "Actions is for enums"));
    };
    let settings = Settings::read(&input.attrs, "actions")?;
    settings.check(&["kind"], &input.ident)?;
    let kind = match settings.expr("kind") {
        Some(Expr::Path(p)) => p.path.clone(),
        _ => {
            return Err(syn::Error::new_spanned(
                &input.ident,
                "name the kind of thing: #[actions(kind = Milestone)]",
            ));
        }
    };
    let name = &input.ident;
    let mut specs = Vec::new();
    let mut arms = Vec::new();
    let mut creates = 0;
    for variant in &data.variants {
        let ident = &variant.ident;
        let wire = snake(ident);
        let s = Settings::read(&variant.attrs, "action")?;
        s.check(&["title", "create"], ident)?;
        let title = s.text("title")?.unwrap_or_else(|| sentence(&wire));
        let help = doc(&variant.attrs);
        if help.is_empty() {
            return Err(syn::Error::new_spanned(
                ident,
                "say what the action records, and what refuses it, in a doc comment",
            ));
        }
        let create = s.flag("create");
        creates += usize::from(create);
        let Fields::Named(fields) = &variant.fields else {
            return Err(syn::Error::new_spanned(
                ident,
                "an action has named fields (`Publish {}` when it has none)",
            ));
        };
        let mut field_specs = Vec::new();
        for f in &fields.named {
            let fident = f.ident.as_ref().expect("named");
            let fname = fident.to_string();
            let fs = Settings::read(&f.attrs, "field")?;
            fs.check(&["label", "input", "example"], fident)?;
            let label = fs.text("label")?.unwrap_or_else(|| sentence(&fname));
            let help = doc(&f.attrs);
            let ty = &f.ty;
            let input = match fs.expr("input") {
                Some(Expr::Path(p)) => quote!(crate::spec::Input::#p),
                Some(other) => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "name an input such as NOTE, UNIT, LINK, HUNDREDTHS or PERCENT",
                    ));
                }
                None => quote!(<#ty as crate::spec::FieldType>::INPUT),
            };
            let defaulted = serde_default(&f.attrs);
            let example = match fs.text("example")? {
                Some(e) => quote!(Some(#e)),
                None => quote!(None),
            };
            field_specs.push(quote! {
                crate::spec::FieldSpec {
                    name: #fname,
                    label: #label,
                    help: #help,
                    input: #input,
                    required: !#defaulted && !<#ty as crate::spec::FieldType>::OPTIONAL,
                    example: #example,
                }
            });
        }
        specs.push(quote! {
            crate::spec::ActionSpec {
                kind: crate::ThingKind::#kind,
                name: #wire,
                title: #title,
                help: #help,
                creates: #create,
                fields: &[#(#field_specs),*],
            }
        });
        arms.push(quote!(#name::#ident { .. } => #wire));
    }
    if creates != 1
        || data
            .variants
            .first()
            .is_none_or(|v| !Settings::read(&v.attrs, "action").is_ok_and(|s| s.flag("create")))
    {
        return Err(syn::Error::new_spanned(
            name,
            "exactly one action creates the thing, and it comes first: #[action(create)]",
        ));
    }
    Ok(quote! {
        impl crate::spec::Actions for #name {
            const KIND: crate::ThingKind = crate::ThingKind::#kind;
            const SPECS: &'static [crate::spec::ActionSpec] = &[#(#specs),*];
            fn name(&self) -> &'static str {
                match self {
                    #(#arms,)*
                }
            }
        }
    })
}

fn choices(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "Choices is for enums"));
    };
    let name = &input.ident;
    let mut entries = Vec::new();
    let mut variants = Vec::new();
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(v, "a choice has no fields"));
        }
        let ident = &v.ident;
        let value = snake(ident);
        let s = Settings::read(&v.attrs, "choice")?;
        s.check(&["label"], ident)?;
        let label = s.text("label")?.unwrap_or_else(|| value.replace('_', " "));
        let help = doc(&v.attrs);
        entries.push(quote! {
            crate::spec::Choice { value: #value, label: #label, help: #help }
        });
        variants.push(quote!(#name::#ident));
        values.push(quote!(#name::#ident => #value));
        labels.push(quote!(#name::#ident => #label));
    }
    Ok(quote! {
        impl crate::spec::Choices for #name {
            const CHOICES: &'static [crate::spec::Choice] = &[#(#entries),*];
            const ALL: &'static [Self] = &[#(#variants),*];
        }
        impl crate::spec::FieldType for #name {
            const INPUT: crate::spec::Input = crate::spec::Input::Choice(
                <#name as crate::spec::Choices>::CHOICES,
            );
        }
        impl #name {
            /// For people, in a sentence.
            pub fn label(self) -> &'static str {
                match self {
                    #(#labels,)*
                }
            }
            /// As on the wire, in CSV cells and on the command line.
            pub fn value(self) -> &'static str {
                match self {
                    #(#values,)*
                }
            }
        }
    })
}
