//! The command-line flags of a binary's settings, made for clap from the declarations: one flag
//! per setting that declares one, with its meaning, variable and default in its help, and
//! `--config <FILE>`.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::sources::{CONFIG_ENV, SettingsError, Sources};
use crate::{Binary, Setting};

const CONFIG_FLAG: &str = "config";

/// The flags given for `B`'s settings, as text. Flatten it into a binary's clap parser
/// (`#[command(flatten)]`), then [`Flags::load`] the settings.
pub struct Flags<B> {
    given: BTreeMap<&'static str, String>,
    secret: Vec<&'static str>,
    config: Option<PathBuf>,
    binary: PhantomData<fn() -> B>,
}

impl<B> Flags<B> {
    /// The flags given (without `--`) and their text.
    pub fn given(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.given
            .iter()
            .map(|(flag, value)| (*flag, value.as_str()))
    }

    /// The file named by `--config`.
    pub fn config(&self) -> Option<&Path> {
        self.config.as_deref()
    }
}

impl<B: Binary> Flags<B> {
    /// `B`'s settings from the process: its defaults, file, environment and these flags.
    pub fn load(&self) -> Result<B, SettingsError> {
        Sources::from_process(self).load()
    }

    /// The flags in `argv` (the words after the program's name), read as a binary called `name`
    /// that takes `B`'s flags and no others would read them; `--help` is refused with the help.
    pub fn parse_from(name: &'static str, argv: &[&str]) -> Result<Self, clap::Error> {
        let matches = Self::augment_args(Command::new(name))
            .try_get_matches_from(std::iter::once(name).chain(argv.iter().copied()))?;
        Self::from_arg_matches(&matches)
    }

    fn settings() -> impl Iterator<Item = Setting> {
        B::tables()
            .into_iter()
            .flat_map(|t| t.settings)
            .filter(|s| s.flag.is_some())
    }
}

impl<B> Clone for Flags<B> {
    fn clone(&self) -> Self {
        Self {
            given: self.given.clone(),
            secret: self.secret.clone(),
            config: self.config.clone(),
            binary: PhantomData,
        }
    }
}

impl<B> fmt::Debug for Flags<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let given = self.given.iter().map(|(flag, value)| {
            let shown = if self.secret.contains(flag) {
                crate::secret::REDACTED
            } else {
                value.as_str()
            };
            (*flag, shown)
        });
        f.debug_struct("Flags")
            .field("given", &given.collect::<BTreeMap<_, _>>())
            .field("config", &self.config)
            .finish()
    }
}

/// The clap argument of a setting's flag.
fn argument(setting: &Setting, flag: &'static str) -> Arg {
    let mut help = format!("{} [env: {}]", setting.help, setting.env);
    if let (Some(default), false) = (&setting.default, setting.switch) {
        help.push_str(&format!(" [default: {default}]"));
    }
    let arg = Arg::new(flag).long(flag).help(help).global(true);
    if setting.switch {
        arg.action(ArgAction::SetTrue)
    } else {
        arg.action(ArgAction::Set).value_name(flag.to_uppercase())
    }
}

impl<B: Binary> Args for Flags<B> {
    fn augment_args(cmd: Command) -> Command {
        let cmd = cmd.arg(
            Arg::new(CONFIG_FLAG)
                .long(CONFIG_FLAG)
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .global(true)
                .help(format!(
                    "A TOML file of settings, read under the environment and the flags \
                     [env: {CONFIG_ENV}]"
                )),
        );
        Self::settings().fold(cmd, |cmd, setting| match setting.flag {
            Some(flag) => cmd.arg(argument(&setting, flag)),
            None => cmd,
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl<B: Binary> FromArgMatches for Flags<B> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut given = BTreeMap::new();
        let mut secret = Vec::new();
        for setting in Self::settings() {
            let Some(flag) = setting.flag else { continue };
            if setting.secret {
                secret.push(flag);
            }
            if setting.switch {
                if matches.get_flag(flag) {
                    given.insert(flag, "true".to_owned());
                }
            } else if let Some(value) = matches.get_one::<String>(flag) {
                given.insert(flag, value.clone());
            }
        }
        Ok(Self {
            given,
            secret,
            config: matches.get_one::<PathBuf>(CONFIG_FLAG).cloned(),
            binary: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}
