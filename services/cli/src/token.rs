//! `waymark token`: make, list and revoke API tokens. A token is printed once; only its hash is
//! written to the tokens file the dashboard reads.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use dashboard::auth::{Role, TokenFile, TokenFileError};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Read drafts as well as published blueprints.
    Viewer,
    /// Record milestones, commitments, pledges, workstreams, partners and targets.
    Recorder,
    /// Also register organisations and draft, publish and close blueprints.
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Recorder => Role::Recorder,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct TokensFile {
    /// The tokens file the dashboard reads (it picks up changes by itself).
    #[arg(
        long,
        env = "WAYMARK_TOKENS_FILE",
        default_value = ".waymark/tokens.json"
    )]
    pub tokens_file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Make a new token and print it once; only its hash is stored.
    #[command(
        after_help = "Example: waymark token create --name alice --role recorder --org gds --blueprint wm-digital"
    )]
    Create {
        /// Recorded as the actor of everything written with the token.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Limit the token to one organisation: it records only that organisation's commitments
        /// and pledges.
        #[arg(long)]
        org: Option<proto::OrgId>,
        /// Limit the token to these blueprints (repeat for several).
        #[arg(long = "blueprint")]
        blueprints: Vec<proto::BlueprintId>,
        #[command(flatten)]
        file: TokensFile,
    },
    /// List tokens by name, role and limits (never the tokens themselves).
    List {
        #[command(flatten)]
        file: TokensFile,
    },
    /// Revoke a token by name.
    Revoke {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        file: TokensFile,
    },
}

/// Runs a token command; returns the exit code.
pub fn run(cmd: TokenCmd) -> i32 {
    match execute(cmd) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("waymark token: {e}");
            crate::EXIT_REJECTED
        }
    }
}

/// Why a token command did nothing. Every case exits with [`crate::EXIT_REJECTED`] and the message.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The name is blank or too long: choose another.
    #[error("the name must be 1 to 100 characters")]
    BadName,
    /// The tokens file's folder could not be made.
    #[error(transparent)]
    Folder(#[from] std::io::Error),
    /// The tokens file could not be read or written, or already holds a token of that name.
    #[error(transparent)]
    File(#[from] TokenFileError),
    /// No token has the name to revoke.
    #[error("no token named {name:?}")]
    NoSuchToken { name: String },
}

fn execute(cmd: TokenCmd) -> Result<(), TokenError> {
    match cmd {
        TokenCmd::Create {
            name,
            role,
            org,
            blueprints,
            file,
        } => {
            if name.trim().is_empty() || name.chars().count() > 100 {
                return Err(TokenError::BadName);
            }
            if let Some(dir) = file
                .tokens_file
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)?;
            }
            let mut tokens = TokenFile::read(&file.tokens_file)?;
            let token = tokens.create(name.trim(), role.into(), org, blueprints)?;
            tokens.write(&file.tokens_file)?;
            eprintln!("token {name} created; it is shown only now:");
            println!("{token}");
        }
        TokenCmd::List { file } => {
            for t in TokenFile::read(&file.tokens_file)?.tokens {
                let org = t.org.map(|o| format!(" org={o}")).unwrap_or_default();
                let bps = if t.blueprints.is_empty() {
                    String::new()
                } else {
                    format!(
                        " blueprints={}",
                        t.blueprints
                            .iter()
                            .map(|b| b.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                };
                println!("{} {}{org}{bps}", t.name, t.role.label());
            }
        }
        TokenCmd::Revoke { name, file } => {
            let mut tokens = TokenFile::read(&file.tokens_file)?;
            let before = tokens.tokens.len();
            tokens.tokens.retain(|t| t.name != name);
            if tokens.tokens.len() == before {
                return Err(TokenError::NoSuchToken { name });
            }
            tokens.write(&file.tokens_file)?;
            eprintln!("token {name} revoked");
        }
    }
    Ok(())
}
