//! Configuration of the NATS connection and of the event stream.

use std::path::PathBuf;
use std::time::Duration;

pub use settings::Secret;

settings::section! {
    /// How to reach NATS and how the event stream is set up.
    pub struct NatsConfig {
        /// NATS server URL(s), comma separated. Never put a password in it: connection errors
        /// print the URL.
        #[setting(env = "WAYMARK_NATS_URL", flag = "nats-url")]
        pub url: String = "nats://127.0.0.1:4222".to_owned(),
        /// NATS credentials file (JWT and nkey seed), for servers in operator mode.
        #[setting(env = "WAYMARK_NATS_CREDS", flag = "nats-creds")]
        pub credentials_file: Option<PathBuf> = None,
        /// NATS user name, for servers with users and passwords (with the password).
        #[setting(env = "WAYMARK_NATS_USER", flag = "nats-user")]
        pub user: Option<String> = None,
        /// NATS password of that user; prefer the variable or the file, which stay out of
        /// process listings.
        #[setting(env = "WAYMARK_NATS_PASSWORD", flag = "nats-password")]
        pub password: Option<Secret> = None,
        /// How long to wait for the first connection, in milliseconds.
        #[setting(env = "WAYMARK_NATS_CONNECT_TIMEOUT_MS", flag = "connect-timeout-ms")]
        pub connect_timeout_ms: u64 = 5_000,
        /// How long to wait for a NATS or JetStream reply, in milliseconds.
        #[setting(env = "WAYMARK_NATS_REQUEST_TIMEOUT_MS", flag = "request-timeout-ms")]
        pub request_timeout_ms: u64 = 5_000,
        /// Window in which the server drops a repeated command id, in seconds; must equal the
        /// stream's.
        #[setting(env = "WAYMARK_DUPLICATE_WINDOW_SECS", flag = "duplicate-window-secs")]
        pub duplicate_window_secs: u64 = 600,
        /// Replicas of the event stream (1 for a single server; 3 in a cluster).
        #[setting(env = "WAYMARK_STREAM_REPLICAS", flag = "replicas")]
        pub replicas: usize = 1,
    }
}

impl NatsConfig {
    /// A config for a server at `url` with every other setting at its default.
    pub fn for_url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
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
    fn a_config_with_a_password_prints_none_of_it() {
        let config = NatsConfig {
            user: Some("milestones".into()),
            password: Some(Secret::new("hunter2")),
            ..NatsConfig::for_url("nats://127.0.0.1:4222")
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("Secret(***)"), "{debug}");
    }
}
