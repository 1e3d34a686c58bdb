//! The reference of every setting, as markdown: built from the declarations of each binary's
//! settings, and from the clap arguments of commands that read variables without a settings
//! file (the `waymark` client commands).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::sources::CONFIG_ENV;
use crate::{Binary, Table};

/// One binary's (or several identical binaries') tables.
#[derive(Debug, Clone)]
pub struct Described {
    pub names: &'static [&'static str],
    pub tables: Vec<Table>,
}

impl Described {
    pub fn of<B: Binary>() -> Self {
        Self {
            names: B::NAMES,
            tables: B::tables(),
        }
    }
}

/// A variable read by a command's clap argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandVariable {
    pub env: String,
    pub flag: Option<String>,
    pub default: Option<String>,
    pub help: String,
    /// The commands that read it, as typed, to the first subcommand (`waymark import`).
    pub commands: Vec<String>,
}

/// Every variable an argument of `command` or of its subcommands reads, in the order met.
pub fn command_variables(command: &clap::Command) -> Vec<CommandVariable> {
    fn walk(command: &clap::Command, path: &str, found: &mut Vec<CommandVariable>) {
        for arg in command.get_arguments() {
            let Some(env) = arg.get_env().and_then(|e| e.to_str()) else {
                continue;
            };
            let path = path.to_owned();
            if let Some(known) = found.iter_mut().find(|v| v.env == env) {
                if !known.commands.contains(&path) {
                    known.commands.push(path);
                }
                continue;
            }
            let default = arg
                .get_default_values()
                .iter()
                .filter_map(|v| v.to_str())
                .collect::<Vec<_>>()
                .join(",");
            found.push(CommandVariable {
                env: env.to_owned(),
                flag: arg.get_long().map(str::to_owned),
                default: (!default.is_empty()).then_some(default),
                help: arg
                    .get_help()
                    .map(|h| crate::doc_text(&h.to_string()))
                    .unwrap_or_default(),
                commands: vec![path],
            });
        }
        for sub in command.get_subcommands() {
            // Named by the subcommand under the root: `waymark milestone`, not each action.
            let path = if path.contains(' ') {
                path.to_owned()
            } else {
                format!("{path} {}", sub.get_name())
            };
            walk(sub, &path, found);
        }
    }
    let mut found = Vec::new();
    walk(command, command.get_name(), &mut found);
    found
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn code(text: &str) -> String {
    format!("`{}`", cell(text))
}

fn names(binaries: &[&str]) -> String {
    binaries
        .iter()
        .map(|b| code(b))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The markdown reference of the settings of `binaries`, then of the variables of `clients`
/// (each a command whose arguments read variables).
pub fn markdown(binaries: &[Described], clients: &[clap::Command]) -> String {
    // A table read by several binaries is listed once, with all of them.
    let mut tables: Vec<(&Table, Vec<&str>)> = Vec::new();
    for described in binaries {
        for table in &described.tables {
            match tables.iter_mut().find(|(t, _)| *t == table) {
                Some((_, users)) => users.extend(described.names),
                None => tables.push((table, described.names.to_vec())),
            }
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Settings\n\n\
         <!-- Generated from the settings each binary declares; `WAYMARK_BLESS=1 cargo test -p cli \
         reference` writes it again. -->\n\n\
         Every setting of {} is read in layers, each overriding the one before:\n\n\
         1. its default, below;\n\
         2. a TOML file, when one is named by `--config <FILE>` or `{CONFIG_ENV}`: the setting is \
         the key under its table (`[nats]` then `url = \"nats://nats:4222\"`); a file may hold \
         tables a binary does not read, but a key its table does not declare is refused;\n\
         3. its environment variable (an empty one counts as unset);\n\
         4. its command-line flag, where it has one.\n\n\
         Lists are comma-separated in variables and flags, arrays in the file. Secret text is \
         never printed: logs, errors and `Debug` output show `***`.",
        names(
            &binaries
                .iter()
                .flat_map(|b| b.names.iter().copied())
                .collect::<Vec<_>>()
        )
    );
    for (table, users) in &tables {
        let _ = writeln!(
            out,
            "\n## `[{}]`\n\n{} Read by {}.\n\n\
             | Variable | Key | Flag | Type | Default | Meaning |\n\
             | --- | --- | --- | --- | --- | --- |",
            table.name,
            table.about,
            names(users)
        );
        for s in &table.settings {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                code(s.env),
                code(&format!("{}.{}", table.name, s.name)),
                s.flag.map_or_else(String::new, |f| code(&format!("--{f}"))),
                cell(&s.kind),
                s.default.as_deref().map_or_else(|| "none".to_owned(), code),
                cell(&s.help)
            );
        }
    }
    let mut variables: BTreeMap<String, CommandVariable> = BTreeMap::new();
    let mut order = Vec::new();
    for client in clients {
        for v in command_variables(client) {
            match variables.get_mut(&v.env) {
                Some(known) => known.commands.extend(v.commands),
                None => {
                    order.push(v.env.clone());
                    variables.insert(v.env.clone(), v);
                }
            }
        }
    }
    if !order.is_empty() {
        let _ = writeln!(
            out,
            "\n## Client commands\n\n\
             These commands take their settings from flags and environment variables only (no \
             file).\n\n\
             | Variable | Flag | Default | Meaning | Read by |\n\
             | --- | --- | --- | --- | --- |"
        );
        for env in order {
            let v = &variables[&env];
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(&v.env),
                v.flag
                    .as_deref()
                    .map_or_else(String::new, |f| code(&format!("--{f}"))),
                v.default.as_deref().map_or_else(|| "none".to_owned(), code),
                cell(&v.help),
                names(&v.commands.iter().map(String::as_str).collect::<Vec<_>>())
            );
        }
    }
    out
}

/// Whether the generated file at `path` reads `wanted`. With `WAYMARK_BLESS` set, the file is
/// written with `wanted` first: how a maintainer brings it up to date.
pub fn is_current(path: &std::path::Path, wanted: &str) -> std::io::Result<bool> {
    if std::env::var_os("WAYMARK_BLESS").is_some() {
        std::fs::write(path, wanted)?;
    }
    Ok(std::fs::read_to_string(path).unwrap_or_default() == wanted)
}

/// Fails the test it stands in unless `$file`, at the root of the repository, is the reference
/// `$wanted` of the declared `$what` ([`reference::is_current`](crate::reference::is_current));
/// `cargo test $test` with `WAYMARK_BLESS=1` rewrites it.
#[macro_export]
macro_rules! assert_reference_current {
    ($file:literal, $wanted:expr, $what:literal, $test:literal) => {
        assert!(
            $crate::reference::is_current(
                &::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(concat!("../../", $file)),
                &$wanted,
            )
            .expect(concat!($file, " is written")),
            concat!(
                $file,
                " is not the reference of the declared ",
                $what,
                "; run WAYMARK_BLESS=1 cargo test ",
                $test,
                " and commit it"
            )
        )
    };
}
