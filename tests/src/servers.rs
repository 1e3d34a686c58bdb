//! Which nats-server binaries the tests run against: the current release the Makefile pins
//! (`WAYMARK_NATS_SERVER`, else the one on PATH) and, for the tests that must hold on every
//! supported version, an older one (`WAYMARK_OLD_NATS_SERVER`, Debian's 2.9.10 in CI).

use std::path::{Path, PathBuf};

/// A nats-server binary and the version it reports.
#[derive(Debug, Clone)]
pub struct ServerBinary {
    pub path: PathBuf,
    /// As printed by `nats-server --version`, without the `v`: `2.15.1`.
    pub version: String,
}

impl ServerBinary {
    /// Asks `path` for its version.
    pub fn at(path: &Path) -> Self {
        let output = std::process::Command::new(path)
            .arg("--version")
            .output()
            .unwrap_or_else(|e| panic!("failed to run {} --version: {e}", path.display()));
        let text = String::from_utf8_lossy(&output.stdout);
        let version = text
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .trim_start_matches('v')
            .to_owned();
        assert!(
            version.starts_with(|c: char| c.is_ascii_digit()),
            "{} reports no version: {text:?}",
            path.display()
        );
        Self {
            path: path.to_path_buf(),
            version,
        }
    }

    /// Whether this release is at least `major.minor.patch`.
    pub fn at_least(&self, wanted: (u64, u64, u64)) -> bool {
        let mut parts = self
            .version
            .split(['.', '-'])
            .map(|p| p.parse::<u64>().unwrap_or(0));
        let have = (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        );
        have >= wanted
    }
}

/// The server every test runs on by default: the pinned current release under `make test`.
pub fn current() -> ServerBinary {
    let path = cli::natsserver::locate(None).expect("a nats-server binary (see README)");
    ServerBinary::at(&path)
}

/// The older server the version-sensitive tests also run on. Outside CI it may be absent, and the
/// caller says so and runs on the current server only; in CI (`CI` set) it must be there.
pub fn older() -> Option<ServerBinary> {
    match std::env::var_os("WAYMARK_OLD_NATS_SERVER").filter(|p| !p.is_empty()) {
        Some(path) => Some(ServerBinary::at(Path::new(&path))),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must test the older nats-server too: set WAYMARK_OLD_NATS_SERVER (make test \
                 does when /usr/sbin/nats-server is installed)"
            );
            eprintln!(
                "note: WAYMARK_OLD_NATS_SERVER is not set; this test runs on the current \
                 nats-server only"
            );
            None
        }
    }
}

/// The current server, then the older one when there is one.
pub fn supported() -> Vec<ServerBinary> {
    let mut all = vec![current()];
    all.extend(older());
    all
}
