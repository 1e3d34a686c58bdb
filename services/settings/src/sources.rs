//! The layers a binary's settings come from, and loading them in order: the declared defaults,
//! the TOML file, the environment, the flags.
//!
//! The environment and the flags are figment providers of our own rather than figment's `Env`:
//! a variable is found by the name its setting declares (`WAYMARK_DB` fills `dashboard.db_path`,
//! `RUST_LOG` fills `log.filter`), not by a prefix rule; values stay text until the settings are
//! extracted (so a password is never read as a number or a list); and a test hands in the
//! variables it means instead of changing the process's environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use crate::{Binary, Flags, Table};

/// The environment variable naming the settings file, when `--config` does not.
pub const CONFIG_ENV: &str = "WAYMARK_CONFIG";

/// Why a binary's settings could not be read. The process cannot start; the message names the
/// setting (by its variable, flag or key) and where the bad value came from, so the operator
/// fixes that layer.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The settings file could not be read or is not TOML, or a value has the wrong type or a
    /// key is not a setting of its table.
    #[error("failed to read the settings: {0}")]
    Invalid(#[from] Box<figment::Error>),
}

impl From<figment::Error> for SettingsError {
    fn from(e: figment::Error) -> Self {
        Self::Invalid(Box::new(e))
    }
}

/// Where settings come from besides their defaults: a file, environment variables and flags.
/// Built from the process by [`Sources::from_process`]; tests build one with the values they mean.
#[derive(Default)]
pub struct Sources {
    file: Option<PathBuf>,
    vars: BTreeMap<String, String>,
    flags: BTreeMap<&'static str, String>,
}

impl Sources {
    /// The process's variables (only those `B` declares, and [`CONFIG_ENV`]) and the flags given.
    pub fn from_process<B: Binary>(flags: &Flags<B>) -> Self {
        let mut names = vec![CONFIG_ENV];
        names.extend(
            B::tables()
                .iter()
                .flat_map(|t| t.settings.iter().map(|s| s.env)),
        );
        let vars = names
            .into_iter()
            .filter_map(|name| std::env::var(name).ok().map(|v| (name, v)));
        Self::default().vars(vars).flags(flags)
    }

    /// Reads `path` as the settings file (as `--config` does).
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = Some(path.into());
        self
    }

    /// Takes `vars` as the environment. An empty value counts as unset.
    pub fn vars<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (name, value) in vars {
            let value = value.into();
            if !value.is_empty() {
                self.vars.insert(name.into(), value);
            }
        }
        self
    }

    /// Takes the flags given on a command line; `--config` names the file.
    pub fn flags<B>(mut self, flags: &Flags<B>) -> Self {
        self.flags
            .extend(flags.given().map(|(flag, value)| (flag, value.to_owned())));
        if let Some(path) = flags.config() {
            self.file = Some(path.to_path_buf());
        }
        self
    }

    /// The file read: `--config`, else [`CONFIG_ENV`], else none.
    pub fn config_file(&self) -> Option<&Path> {
        self.file
            .as_deref()
            .or_else(|| self.vars.get(CONFIG_ENV).map(Path::new))
    }

    /// `B`'s settings: the defaults, overridden by the file, the variables, then the flags.
    pub fn load<B: Binary>(&self) -> Result<B, SettingsError> {
        let tables = B::tables();
        let mut figment = Figment::new();
        if let Some(path) = self.config_file() {
            figment = figment.merge(Toml::file_exact(path));
        }
        let figment = figment
            .merge(Layer::new("environment", &tables, |s| {
                self.vars.get(s.env).map(|v| (s.env.to_owned(), v.as_str()))
            }))
            .merge(Layer::new("command-line flags", &tables, |s| {
                let flag = s.flag?;
                self.flags
                    .get(flag)
                    .map(|v| (format!("--{flag}"), v.as_str()))
            }));
        Ok(figment.extract_lossy()?)
    }
}

/// Values given as text (by variables or flags), nested under their tables, with the name each
/// came by for error messages.
struct Layer {
    name: &'static str,
    values: Dict,
    names: BTreeMap<String, String>,
}

impl Layer {
    fn new<'a>(
        name: &'static str,
        tables: &[Table],
        find: impl Fn(&crate::Setting) -> Option<(String, &'a str)>,
    ) -> Self {
        let mut values = Dict::new();
        let mut names = BTreeMap::new();
        for table in tables {
            let mut dict = Dict::new();
            for setting in &table.settings {
                let Some((source, text)) = find(setting) else {
                    continue;
                };
                let value = if setting.list {
                    Value::from(
                        text.split(',')
                            .map(str::trim)
                            .filter(|item| !item.is_empty())
                            .collect::<Vec<_>>(),
                    )
                } else {
                    Value::from(text)
                };
                dict.insert(setting.name.to_owned(), value);
                names.insert(format!("{}.{}", table.name, setting.name), source);
            }
            if !dict.is_empty() {
                values.insert(table.name.to_owned(), Value::from(dict));
            }
        }
        Self {
            name,
            values,
            names,
        }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        let names = self.names.clone();
        Metadata::named(self.name).interpolater(move |_: &Profile, keys: &[&str]| {
            let key = keys.join(".");
            names.get(&key).cloned().unwrap_or(key)
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}
