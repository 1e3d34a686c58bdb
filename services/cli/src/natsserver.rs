//! Starting a private nats-server with JetStream in a local folder, for `waymark dev`.
//!
//! The server listens on 127.0.0.1 only and takes no connection without its password: a user
//! `waymark` whose password is generated on first start and kept, readable by its owner only, in
//! the data folder (`nats-password`, and the server's `nats-server.conf`). Any other local process
//! could otherwise append events or send commands as any actor.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// How to install a nats-server when none is found.
pub const INSTALL_HINT: &str = "install one with `apt-get install nats-server` (Debian, Ubuntu), \
`brew install nats-server` (macOS) or from the NATS releases page, or set WAYMARK_NATS_SERVER to its path";

#[derive(Debug, thiserror::Error)]
pub enum NatsServerError {
    #[error("no nats-server found on PATH or in /usr/sbin; {INSTALL_HINT}")]
    NotFound,
    #[error("nats-server at {0} does not exist; {INSTALL_HINT}")]
    Missing(PathBuf),
    #[error("failed to start nats-server: {0}")]
    Spawn(std::io::Error),
    #[error(
        "nats-server did not accept connections on port {port} within {secs} s; its log: {log}"
    )]
    NotReady { port: u16, secs: u64, log: String },
    #[error("failed to prepare {path}: {reason}")]
    Folder { path: String, reason: String },
}

/// The user every connection to a private server authenticates as.
pub const USER: &str = "waymark";

/// Finds the nats-server binary: `explicit`, then `WAYMARK_NATS_SERVER`, then PATH, then /usr/sbin.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, NatsServerError> {
    if let Some(path) = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("WAYMARK_NATS_SERVER").map(PathBuf::from))
    {
        return if path.exists() {
            Ok(path)
        } else {
            Err(NatsServerError::Missing(path))
        };
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend([
        PathBuf::from("/usr/sbin"),
        PathBuf::from("/usr/local/sbin"),
        PathBuf::from("/usr/local/bin"),
    ]);
    dirs.into_iter()
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
        .ok_or(NatsServerError::NotFound)
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A nats-server child process with JetStream, stopped when dropped.
pub struct NatsServer {
    child: Option<Child>,
    binary: PathBuf,
    data_dir: PathBuf,
    port: u16,
    password: String,
}

impl NatsServer {
    /// Starts nats-server on `port` (0: a free one) keeping JetStream data in `data_dir`.
    pub async fn start(binary: &Path, data_dir: &Path, port: u16) -> Result<Self, NatsServerError> {
        let port = if port == 0 {
            free_port().map_err(NatsServerError::Spawn)?
        } else {
            port
        };
        std::fs::create_dir_all(data_dir).map_err(|e| NatsServerError::Folder {
            path: data_dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let folder = |e: std::io::Error, path: &Path| NatsServerError::Folder {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let password_file = data_dir.join("nats-password");
        let password = match std::fs::read_to_string(&password_file) {
            Ok(p) if !p.trim().is_empty() => p.trim().to_owned(),
            _ => {
                let p = format!(
                    "{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                );
                dashboard::auth::write_private(&password_file, p.as_bytes())
                    .map_err(|e| folder(e, &password_file))?;
                p
            }
        };
        let mut server = Self {
            child: None,
            binary: binary.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
            port,
            password,
        };
        let conf = server.config_path();
        dashboard::auth::write_private(&conf, server.config_text().as_bytes())
            .map_err(|e| folder(e, &conf))?;
        server.spawn().await?;
        Ok(server)
    }

    async fn spawn(&mut self) -> Result<(), NatsServerError> {
        let log = self.log_path();
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(self.config_path())
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(NatsServerError::Spawn)?;
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
                .is_some();
            if exited || tokio::time::Instant::now() >= deadline {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: String = log
                    .lines()
                    .rev()
                    .take(5)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join(" | ");
                return Err(NatsServerError::NotReady {
                    port: self.port,
                    secs: 15,
                    log: tail,
                });
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir.join("nats-server.log")
    }

    fn config_path(&self) -> PathBuf {
        self.data_dir.join("nats-server.conf")
    }

    /// The server's configuration: this host only, JetStream in the data folder, one user.
    fn config_text(&self) -> String {
        let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
        format!(
            "host: \"127.0.0.1\"\nport: {}\njetstream {{ store_dir: {} }}\n\
             authorization {{ user: {}, password: {} }}\n",
            self.port,
            quoted(&self.data_dir.join("jetstream").display().to_string()),
            quoted(USER),
            quoted(&self.password),
        )
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// How to connect to this server: its URL, user and password.
    pub fn client_config(&self) -> eventstore::NatsConfig {
        let mut config = eventstore::NatsConfig::for_url(self.url());
        config.user = Some(USER.to_owned());
        config.password = self.password.parse().ok();
        config
    }

    /// Stops the server at once and waits for it to exit, so that its port and data folder are
    /// free again.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}
