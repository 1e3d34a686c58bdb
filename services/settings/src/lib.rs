//! Typed, layered settings for every Waymark binary, and the reference of them all.
//!
//! A table of settings is declared once, with [`section!`]: each field's type, default, doc
//! comment (its meaning), environment variable and, where it has one, command-line flag. A
//! binary's settings are a few such tables, named with [`binary!`]. Everything else is derived
//! from those declarations: the `Default` values, the TOML keys (`<table>.<field>`), the clap
//! flags ([`Flags`]), which variable fills which key ([`Sources`]), and the reference of every
//! setting ([`reference`], written to `SETTINGS.md`).
//!
//! Each layer overrides the one before it: the defaults, an optional TOML file (`--config` or
//! `WAYMARK_CONFIG`), the environment variables, the flags. Variables and flags are read as
//! text and take the declared type when the settings are extracted, so a password such as
//! `0123` or `[x]` stays the text it is.
//!
//! - [`Secret`]: text that never prints (passwords, tokens);
//! - [`SettingType`]: how a field's type is named in the reference and read from a variable;
//! - [`sources`]: the layers and loading them; [`flags`]: the flags of a binary's settings.

// The generated code names this crate `settings`, inside it too.
extern crate self as settings;

pub mod flags;
pub mod kind;
pub mod reference;
pub mod secret;
pub mod sources;

pub use flags::Flags;
pub use kind::SettingType;
pub use secret::Secret;
pub use sources::{CONFIG_ENV, SettingsError, Sources};

/// Used by the code [`section!`] and [`binary!`] generate.
pub use serde;

/// One setting, as its declaration describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The field's name, its key within its table.
    pub name: &'static str,
    /// The environment variable that sets it.
    pub env: &'static str,
    /// The command-line flag that sets it, without `--`, if it has one.
    pub flag: Option<&'static str>,
    /// Its type, as the reference names it.
    pub kind: String,
    /// Its default as text, or `None` when it is unset by default.
    pub default: Option<String>,
    /// What it means: the field's doc comment.
    pub help: String,
    /// Whether its value is kept out of every printed output.
    pub secret: bool,
    /// Whether its flag is a switch that takes no value.
    pub switch: bool,
    /// Whether the text of its variable or flag is a comma-separated list.
    pub list: bool,
}

impl Setting {
    /// The description of a field of type `T` whose default is `default`.
    pub fn new<T: SettingType>(
        name: &'static str,
        env: &'static str,
        flag: Option<&'static str>,
        help: &str,
        default: &T,
    ) -> Self {
        Self {
            name,
            env,
            flag,
            kind: T::kind(),
            default: default.show(),
            help: doc_text(help),
            secret: T::SECRET,
            switch: T::SWITCH,
            list: T::LIST,
        }
    }
}

/// A doc comment's lines (each starting with a space) as one paragraph.
pub fn doc_text(doc: &str) -> String {
    doc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table of settings declared with [`section!`].
pub trait Section: Default {
    /// What the table holds: the struct's doc comment.
    const ABOUT: &'static str;
    /// Every setting of the table, in the order declared.
    fn settings() -> Vec<Setting>;
}

/// One table of a binary's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The table's name in the TOML file.
    pub name: &'static str,
    /// What it holds.
    pub about: String,
    pub settings: Vec<Setting>,
}

impl Table {
    pub fn of<S: Section>(name: &'static str) -> Self {
        Self {
            name,
            about: doc_text(S::ABOUT),
            settings: S::settings(),
        }
    }
}

/// Everything one binary (or several that read the same) reads, declared with [`binary!`].
pub trait Binary: serde::de::DeserializeOwned + Default {
    /// The binaries that read these settings.
    const NAMES: &'static [&'static str];
    /// Its tables, in the order declared.
    fn tables() -> Vec<Table>;
}

/// Declares a table of settings: a struct whose every field has a type, a default, a doc
/// comment, an environment variable and optionally a flag.
///
/// ```
/// settings::section! {
///     /// Where the example listens.
///     pub struct ExampleConfig {
///         /// Address to listen on.
///         #[setting(env = "WAYMARK_EXAMPLE_LISTEN", flag = "listen")]
///         pub listen: std::net::SocketAddr = ([127, 0, 0, 1], 8080).into(),
///         /// Requests served at once.
///         #[setting(env = "WAYMARK_EXAMPLE_CONCURRENCY")]
///         pub concurrency: usize = 64,
///     }
/// }
/// assert_eq!(ExampleConfig::default().concurrency, 64);
/// ```
///
/// The struct derives `Debug` (secrets print as `***`), `Clone` and `Deserialize`; a field left
/// out of every layer keeps its default, and a key the table does not declare is refused.
#[macro_export]
macro_rules! section {
    (
        $(#[doc = $about:literal])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                #[setting(env = $env:literal $(, flag = $flag:literal)? $(,)?)]
                $fvis:vis $field:ident : $ty:ty = $default:expr
            ),* $(,)?
        }
    ) => {
        $(#[doc = $about])*
        #[derive(Debug, Clone, $crate::serde::Deserialize)]
        #[serde(crate = "settings::serde", default, deny_unknown_fields)]
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                $fvis $field: $ty,
            )*
        }

        impl ::std::default::Default for $name {
            fn default() -> Self {
                Self {
                    $( $field: $default, )*
                }
            }
        }

        impl $crate::Section for $name {
            const ABOUT: &'static str = concat!($($about, "\n"),*);
            fn settings() -> ::std::vec::Vec<$crate::Setting> {
                let defaults = <Self as ::std::default::Default>::default();
                ::std::vec![
                    $(
                        $crate::Setting::new::<$ty>(
                            stringify!($field),
                            $env,
                            ::std::option::Option::None $(.or(::std::option::Option::Some($flag)))?,
                            concat!($($doc, "\n"),*),
                            &defaults.$field,
                        ),
                    )*
                ]
            }
        }
    };
}

/// Declares everything a binary reads: a struct whose fields are tables declared with
/// [`section!`], each under its field's name in the TOML file.
///
/// A file may hold tables the binary does not read, so that one file can serve several
/// binaries; within a table, an undeclared key is refused.
#[macro_export]
macro_rules! binary {
    (
        $(#[doc = $about:literal])*
        $vis:vis struct $name:ident for [$($binary:literal),+ $(,)?] {
            $(
                $(#[doc = $doc:literal])*
                $fvis:vis $table:ident : $section:ty
            ),* $(,)?
        }
    ) => {
        $(#[doc = $about])*
        #[derive(Debug, Clone, Default, $crate::serde::Deserialize)]
        #[serde(crate = "settings::serde", default)]
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                $fvis $table: $section,
            )*
        }

        impl $crate::Binary for $name {
            const NAMES: &'static [&'static str] = &[$($binary),+];
            fn tables() -> ::std::vec::Vec<$crate::Table> {
                ::std::vec![ $( $crate::Table::of::<$section>(stringify!($table)), )* ]
            }
        }
    };
}

#[cfg(test)]
mod tests;
