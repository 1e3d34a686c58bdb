//! `waymark dev`: a private nats-server with JetStream in a local data folder, every service and
//! the dashboard in one process, and the demo blueprint. Running it again keeps the data and does
//! not record the demo twice.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::client::{ApiClient, ClientError};
use crate::natsserver::{self, NatsServer, NatsServerError};
use crate::{demo, stack};

settings::section! {
    /// What `waymark dev` runs, and where it keeps its data.
    pub struct DevConfig {
        /// Folder for the event store and the read models.
        #[setting(env = "WAYMARK_DATA_DIR", flag = "data-dir")]
        pub data_dir: PathBuf = PathBuf::from(".waymark"),
        /// Address the dashboard listens on.
        #[setting(env = "WAYMARK_LISTEN", flag = "listen")]
        pub listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8080)),
        /// Path of the nats-server binary (default: found on PATH).
        #[setting(env = "WAYMARK_NATS_SERVER", flag = "nats-server")]
        pub nats_server: Option<PathBuf> = None,
        /// Port of the private nats-server (0: any free port).
        #[setting(env = "WAYMARK_DEV_NATS_PORT", flag = "nats-port")]
        pub nats_port: u16 = 0,
        /// Start without recording the demo blueprint.
        #[setting(env = "WAYMARK_NO_DEMO", flag = "no-demo")]
        pub no_demo: bool = false,
    }
}

settings::binary! {
    /// Everything `waymark dev` reads.
    pub struct DevSettings for ["waymark dev"] {
        pub dev: DevConfig,
        pub log: telemetry::LogConfig,
    }
}

/// The flags of `waymark dev`.
#[derive(Debug, Clone, Args)]
pub struct DevArgs {
    #[command(flatten)]
    pub settings: settings::Flags<DevSettings>,
}

/// A running dev environment.
pub struct Dev {
    pub url: String,
    pub stack: stack::Stack,
    pub server: NatsServer,
    pub tokens: DevTokens,
}

impl Dev {
    /// Stops the services, the dashboard and the private nats-server, and waits for them.
    pub async fn shutdown(mut self) {
        self.stack.shutdown().await;
        self.server.stop().await;
    }
}

/// Why `waymark dev` did not start, or stopped recording the demo; the message says what failed.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    /// No nats-server to run (the message says how to install one), or it did not start.
    #[error(transparent)]
    NatsServer(#[from] NatsServerError),
    /// The data folder could not be made: choose another with `--data-dir`.
    #[error("failed to create {}: {source}", .path.display())]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The dashboard's address is taken (or not this host's): choose another with `--listen`.
    #[error("failed to listen on {addr} (is another Waymark running? use --listen): {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The settings could not be read (the message names the setting and its source).
    #[error(transparent)]
    Settings(#[from] settings::SettingsError),
    /// The dev tokens could not be read or written in the data folder.
    #[error(transparent)]
    Tokens(#[from] DevTokensError),
    /// The services or the dashboard did not start.
    #[error(transparent)]
    Stack(#[from] stack::StackError),
    /// The dashboard did not answer, or refused recording the demo.
    #[error(transparent)]
    Api(#[from] ClientError),
    /// The demo was not recorded: a request failed, or its script does not parse.
    #[error(transparent)]
    Demo(#[from] demo::DemoError),
    /// The file that keeps the demo's date could not be written or removed.
    #[error("failed to {action} {}: {source}", .path.display())]
    DemoDate {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Starts the private nats-server, the stack and (unless told not to) records the demo once.
pub async fn start(args: &DevConfig) -> Result<Dev, DevError> {
    let binary = natsserver::locate(args.nats_server.as_deref())?;
    std::fs::create_dir_all(&args.data_dir).map_err(|source| DevError::DataDir {
        path: args.data_dir.clone(),
        source,
    })?;
    let server = NatsServer::start(&binary, &args.data_dir.join("nats"), args.nats_port).await?;
    tracing::info!(url = %server.url(), binary = %binary.display(), "private nats-server started");
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|source| DevError::Listen {
            addr: args.listen,
            source,
        })?;
    let nats = server.client_config();
    let tokens = dev_tokens(&args.data_dir)?;
    let mut config = dashboard::DashboardConfig::with_db(args.data_dir.join("read-models.redb"));
    config.tokens_file = Some(args.data_dir.join("tokens.json"));
    let stack = stack::start(&nats, &config, listener).await?;
    let url = format!("http://{}", stack.dashboard.addr);
    let client = ApiClient::new(&url).with_token(Some(tokens.admin.clone()));
    client.wait_ready(Duration::from_secs(60)).await?;
    if !args.no_demo {
        // The demo's dates are days before the day it was first recorded, kept in the data folder
        // until it is complete, so that an interrupted recording resumes with the same dates (and
        // so the same commands) on any later day.
        let anchor = args.data_dir.join("demo-date");
        let resume = std::fs::read_to_string(&anchor)
            .ok()
            .and_then(|d| d.trim().parse::<chrono::NaiveDate>().ok());
        if resume.is_none() && demo::exists(&client).await? {
            tracing::info!("demo blueprint already recorded");
        } else {
            let today = resume.unwrap_or_else(|| chrono::Utc::now().date_naive());
            std::fs::write(&anchor, today.to_string()).map_err(|source| DevError::DemoDate {
                action: "write",
                path: anchor.clone(),
                source,
            })?;
            let recorded = demo::record(&client, today).await?;
            std::fs::remove_file(&anchor).map_err(|source| DevError::DemoDate {
                action: "remove",
                path: anchor.clone(),
                source,
            })?;
            tracing::info!(
                commands = recorded.commands,
                before_corrections = %recorded.before_corrections.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "demo blueprint recorded; its back-dated corrections were recorded last"
            );
        }
    }
    Ok(Dev {
        url,
        stack,
        server,
        tokens,
    })
}

/// The tokens of a dev environment. Kept in plain text in the data folder (readable by its owner
/// only) so that every `waymark dev` can print them: for a laptop, never for production.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DevTokens {
    pub admin: String,
    pub recorder: String,
}

/// Why the dev tokens could not be read or made; delete `dev-tokens.json` to make new ones.
#[derive(Debug, thiserror::Error)]
pub enum DevTokensError {
    /// `dev-tokens.json` is not the JSON this writes, or could not be written as JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The tokens file the dashboard reads could not be read or written.
    #[error(transparent)]
    TokensFile(#[from] dashboard::auth::TokenFileError),
    /// `dev-tokens.json` could not be written.
    #[error(transparent)]
    Write(#[from] std::io::Error),
}

fn dev_tokens(data_dir: &std::path::Path) -> Result<DevTokens, DevTokensError> {
    let plain = data_dir.join("dev-tokens.json");
    if let Ok(bytes) = std::fs::read(&plain) {
        return Ok(serde_json::from_slice(&bytes)?);
    }
    use dashboard::auth::{Role, TokenFile};
    let path = data_dir.join("tokens.json");
    let mut file = TokenFile::read(&path)?;
    file.tokens
        .retain(|t| t.name != "dev-admin" && t.name != "dev-recorder");
    let tokens = DevTokens {
        admin: file.create("dev-admin", Role::Admin, None, vec![])?,
        recorder: file.create("dev-recorder", Role::Recorder, None, vec![])?,
    };
    file.write(&path)?;
    dashboard::auth::write_private(&plain, &serde_json::to_vec_pretty(&tokens)?)?;
    Ok(tokens)
}

/// Runs until Ctrl-C or SIGTERM.
pub async fn run(args: DevArgs) -> Result<(), DevError> {
    let settings = args.settings.load()?;
    telemetry::init(&settings.log);
    let args = settings.dev;
    let dev = start(&args).await?;
    let url = &dev.url;
    println!();
    println!("  Waymark is running at {url}");
    println!("  Portfolio:            {url}/");
    println!(
        "  Demo blueprint:       {url}/blueprints/{}",
        demo::DEMO_BLUEPRINT
    );
    println!(
        "  Since the last board: {url}/blueprints/{}/board",
        demo::DEMO_BLUEPRINT
    );
    println!(
        "  JSON API:             {url}/api/v1/blueprints/{}",
        demo::DEMO_BLUEPRINT
    );
    println!("  Metrics:              {url}/metrics");
    println!("  Recorder token:       {}", dev.tokens.recorder);
    println!(
        "                        (export WAYMARK_TOKEN=... for the CLI; admin token in {})",
        args.data_dir.join("dev-tokens.json").display()
    );
    println!(
        "  NATS:                 {} (user {}, password in {})",
        dev.server.url(),
        crate::natsserver::USER,
        args.data_dir.join("nats").join("nats-password").display()
    );
    println!("  Data folder:          {}", args.data_dir.display());
    println!("  Press Ctrl-C to stop.");
    println!();
    telemetry::shutdown_signal().await;
    dev.shutdown().await;
    Ok(())
}
