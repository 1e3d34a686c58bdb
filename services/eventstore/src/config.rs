//! Configuration of the NATS connection and of the event stream.

use std::path::PathBuf;
use std::time::Duration;

/// How to reach NATS and how the event stream is set up. Every field can be set by a flag or a
/// `WAYMARK_*` environment variable.
#[derive(Debug, Clone, clap::Args)]
pub struct NatsConfig {
    /// NATS server URL(s), comma separated.
    #[arg(
        long = "nats-url",
        env = "WAYMARK_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub url: String,
    /// NATS credentials file (JWT and nkey seed), for servers in operator mode.
    #[arg(long = "nats-creds", env = "WAYMARK_NATS_CREDS")]
    pub credentials_file: Option<PathBuf>,
    /// NATS user name, for servers with users and passwords (with `--nats-password`).
    #[arg(long = "nats-user", env = "WAYMARK_NATS_USER", requires = "password")]
    pub user: Option<String>,
    /// NATS password; prefer the environment variable, which stays out of process listings.
    #[arg(
        long = "nats-password",
        env = "WAYMARK_NATS_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<Secret>,
    /// How long to wait for the first connection, in milliseconds.
    #[arg(long, env = "WAYMARK_NATS_CONNECT_TIMEOUT_MS", default_value_t = 5_000)]
    pub connect_timeout_ms: u64,
    /// How long to wait for a NATS or JetStream reply, in milliseconds.
    #[arg(long, env = "WAYMARK_NATS_REQUEST_TIMEOUT_MS", default_value_t = 5_000)]
    pub request_timeout_ms: u64,
    /// Window in which the server drops a repeated command id, in seconds.
    #[arg(long, env = "WAYMARK_DUPLICATE_WINDOW_SECS", default_value_t = 600)]
    pub duplicate_window_secs: u64,
    /// Replicas of the event stream (1 for a single server; 3 in a cluster).
    #[arg(long, env = "WAYMARK_STREAM_REPLICAS", default_value_t = 1)]
    pub replicas: usize,
}

impl NatsConfig {
    /// A config for a server at `url` with every other setting at its default.
    pub fn for_url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            credentials_file: None,
            user: None,
            password: None,
            connect_timeout_ms: 5_000,
            request_timeout_ms: 5_000,
            duplicate_window_secs: 600,
            replicas: 1,
        }
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub fn duplicate_window(&self) -> Duration {
        Duration::from_secs(self.duplicate_window_secs)
    }
}

/// A secret string: never printed by `Debug`, so it stays out of logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// Splits a comma-separated list of server URLs.
pub fn server_urls(url: &str) -> Vec<String> {
    url.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_urls_are_split() {
        assert_eq!(
            server_urls("nats://a:4222, nats://b:4222,"),
            vec!["nats://a:4222", "nats://b:4222"]
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let s: Secret = "hunter2".parse().unwrap();
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }
}
