//! `waymark-dashboard`'s settings as the binary reads them: each layer over the one before.

use settings::{Flags, Sources};

use crate::{DashboardConfig, DashboardSettings};

fn flags(argv: &[&str]) -> Flags<DashboardSettings> {
    Flags::parse_from("waymark-dashboard", argv).expect("the flags parse")
}

#[test]
fn defaults_then_file_then_environment_then_flags() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        "[nats]\nurl = \"nats://file:4222\"\n\
         [dashboard]\nlisten = \"0.0.0.0:8081\"\nready_max_lag = 10\nstall_after_ms = 1000\n\
         trusted_proxies = [\"10.0.0.1\"]\n\
         [log]\nformat = \"json\"\n",
    )
    .unwrap();
    let config = file.path().to_str().unwrap();
    let vars = [
        ("WAYMARK_CONFIG", config),
        ("WAYMARK_READY_MAX_LAG", "20"),
        ("WAYMARK_LISTEN", "0.0.0.0:8082"),
        ("WAYMARK_TRUSTED_PROXIES", "10.0.0.2,10.0.0.3"),
    ];

    let defaults: DashboardSettings = Sources::default().load().unwrap();
    assert_eq!(
        defaults.dashboard.listen,
        DashboardConfig::default().listen,
        "the one declared default"
    );
    assert_eq!(defaults.dashboard.ready_max_lag, 1_000);
    assert_eq!(
        DashboardConfig::with_db("x.redb".into()).ready_max_lag,
        1_000
    );

    let filed: DashboardSettings = Sources::default().vars([vars[0]]).load().unwrap();
    assert_eq!(filed.nats.url, "nats://file:4222");
    assert_eq!(filed.dashboard.ready_max_lag, 10);
    assert_eq!(filed.log.format, telemetry::LogFormat::Json);

    let env: DashboardSettings = Sources::default().vars(vars).load().unwrap();
    assert_eq!(
        env.dashboard.ready_max_lag, 20,
        "the variable over the file"
    );
    assert_eq!(
        env.dashboard.stall_after_ms, 1_000,
        "the file over the default"
    );
    assert_eq!(env.dashboard.trusted_proxies.len(), 2);

    let flagged: DashboardSettings = Sources::default()
        .vars(vars)
        .flags(&flags(&["--listen", "127.0.0.1:0", "--secure-cookies"]))
        .load()
        .unwrap();
    assert_eq!(
        flagged.dashboard.listen,
        "127.0.0.1:0".parse().unwrap(),
        "the flag over the variable"
    );
    assert!(flagged.dashboard.secure_cookies);
    assert_eq!(flagged.dashboard.ready_max_lag, 20);
    assert_eq!(flagged.nats.url, "nats://file:4222");
}

#[test]
fn the_settings_print_without_the_password() {
    let settings: DashboardSettings = Sources::default()
        .vars([
            ("WAYMARK_NATS_USER", "dashboard"),
            ("WAYMARK_NATS_PASSWORD", "correct-horse-battery"),
        ])
        .load()
        .unwrap();
    assert_eq!(
        settings.nats.password.as_ref().map(|p| p.expose()),
        Some("correct-horse-battery")
    );
    let printed = format!("{settings:?} {settings:#?}");
    assert!(!printed.contains("correct-horse-battery"), "{printed}");
    assert!(printed.contains("dashboard"));
    let flags = flags(&["--nats-password", "correct-horse-battery"]);
    assert!(!format!("{flags:?}").contains("correct-horse-battery"));
}
