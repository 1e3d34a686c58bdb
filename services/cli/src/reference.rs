//! The reference of every setting of every binary (`SETTINGS.md` at the root of the repository),
//! built from the settings each binary declares and from the flags of the client commands; a
//! test keeps the file current.

use settings::reference::{Described, markdown};

/// The settings of every binary, in the order the reference lists them.
pub fn binaries() -> Vec<Described> {
    vec![
        Described::of::<dashboard::DashboardSettings>(),
        Described::of::<service_runtime::runner::ServiceSettings>(),
        Described::of::<projector::config::ProjectorSettings>(),
        Described::of::<crate::dev::DevSettings>(),
    ]
}

/// The text of `SETTINGS.md`.
pub fn reference() -> String {
    use clap::CommandFactory;
    markdown(&binaries(), &[crate::Cli::command()])
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn settings_md_is_the_reference_of_the_declared_settings() {
        settings::assert_reference_current!(
            "SETTINGS.md",
            reference(),
            "settings",
            "-p cli reference"
        );
    }

    /// Within one binary, a variable sets one setting and a flag is one flag, and clap takes
    /// every binary's flags (it checks their names and ids).
    fn reads_each_variable_and_flag_once<B: settings::Binary>() {
        let (mut envs, mut flags) = (BTreeSet::new(), BTreeSet::new());
        let name = B::NAMES[0];
        for table in B::tables() {
            for s in &table.settings {
                assert!(envs.insert(s.env), "{name} reads {} twice", s.env);
                if let Some(flag) = s.flag {
                    assert!(flags.insert(flag), "{name} has --{flag} twice");
                }
            }
        }
        <settings::Flags<B> as clap::Args>::augment_args(clap::Command::new(name)).debug_assert();
    }

    #[test]
    fn every_binary_reads_each_variable_and_flag_once() {
        reads_each_variable_and_flag_once::<dashboard::DashboardSettings>();
        reads_each_variable_and_flag_once::<service_runtime::runner::ServiceSettings>();
        reads_each_variable_and_flag_once::<projector::config::ProjectorSettings>();
        reads_each_variable_and_flag_once::<crate::dev::DevSettings>();
        use clap::CommandFactory;
        crate::Cli::command().debug_assert();
    }
}
