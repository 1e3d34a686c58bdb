//! One tracing setup for every binary: lines for people, or one JSON object a line
//! (`WAYMARK_LOG_FORMAT=json`) whose fields (`blueprint`, `thing`, `command`, `seq`, ...) sit at
//! the top level beside `timestamp`, `level` and `message`; which events are written comes from
//! `RUST_LOG` (default `info`, NATS client warnings only). No event has a field named `message`:
//! in JSON it would stand in for the line's own.

use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How a log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One line of text per event, for people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl settings::SettingType for LogFormat {
    fn kind() -> String {
        "`text` or `json`".to_owned()
    }
    fn show(&self) -> Option<String> {
        Some(
            match self {
                Self::Text => "text",
                Self::Json => "json",
            }
            .to_owned(),
        )
    }
}

/// The filter used when none is set, or when the one set does not parse.
const DEFAULT_FILTER: &str = "info,async_nats=warn,tower_http=info";

settings::section! {
    /// How the process writes its log (to standard output).
    pub struct LogConfig {
        /// `text` (lines for people) or `json` (one object a line, every field at the top level).
        #[setting(env = "WAYMARK_LOG_FORMAT")]
        pub format: LogFormat = LogFormat::Text,
        /// Which events are written: a level, and `target=level` directives, comma-separated.
        #[setting(env = "RUST_LOG")]
        pub filter: String = DEFAULT_FILTER.to_owned(),
    }
}

/// A subscriber writing events as `config` says to `writer`. A filter that does not parse is
/// replaced by the default one, and the first event says so.
pub fn dispatch<W>(config: &LogConfig, writer: W) -> tracing::Dispatch
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let (filter, bad) = match EnvFilter::try_new(&config.filter) {
        Ok(filter) => (filter, None),
        Err(e) => (EnvFilter::new(DEFAULT_FILTER), Some(e)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    let dispatch = match config.format {
        LogFormat::Json => tracing::Dispatch::new(builder.json().flatten_event(true).finish()),
        LogFormat::Text => tracing::Dispatch::new(builder.finish()),
    };
    if let Some(e) = bad {
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::warn!(filter = %config.filter, error = %e, "log filter not understood; using the default");
        });
    }
    dispatch
}

/// Installs the process's subscriber, writing to standard output. Calling it twice is harmless
/// (the second call does nothing).
pub fn init(config: &LogConfig) {
    use tracing_subscriber::util::SubscriberInitExt;
    // Also takes the records of crates that log with `log`.
    let _ = dispatch(config, std::io::stdout).try_init();
}

/// A log kept in memory, for tests that read what was logged.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("captured log lock").clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("captured log lock")
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for Captured {
    type Writer = Captured;
    fn make_writer(&'w self) -> Self::Writer {
        self.clone()
    }
}

/// Writes the events of this thread, as `config` says, to memory until the guard is dropped.
/// A test on a current-thread runtime sees everything the tasks it spawns log.
pub fn capture(config: &LogConfig) -> (Captured, tracing::dispatcher::DefaultGuard) {
    let captured = Captured::default();
    let guard = tracing::dispatcher::set_default(&dispatch(config, captured.clone()));
    (captured, guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_carry_the_event_fields_at_the_top_level() {
        let (captured, guard) = capture(&LogConfig {
            format: LogFormat::Json,
            ..LogConfig::default()
        });
        tracing::info!(
            blueprint = "wm",
            thing = "wm/launch",
            command = "plan",
            seq = 7_u64,
            "commit appended"
        );
        tracing::debug!("not written at the default level");
        drop(guard);
        tracing::info!("not captured once the guard is dropped");
        let lines = captured.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(line["message"], "commit appended");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["blueprint"], "wm");
        assert_eq!(line["thing"], "wm/launch");
        assert_eq!(line["command"], "plan");
        assert_eq!(line["seq"], 7);
    }

    #[test]
    fn a_filter_that_does_not_parse_falls_back_and_says_so() {
        let (captured, guard) = capture(&LogConfig {
            filter: "info,=#=".to_owned(),
            ..LogConfig::default()
        });
        tracing::info!("still written");
        drop(guard);
        let text = captured.lines().join("\n");
        assert!(text.contains("log filter not understood"), "{text}");
        assert!(text.contains("still written"), "{text}");
    }
}
