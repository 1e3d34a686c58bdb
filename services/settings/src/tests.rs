use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use crate::{Binary, Flags, Secret, Section, Sources};

crate::section! {
    /// How the example reaches its peer.
    pub struct PeerConfig {
        /// The peer's address.
        #[setting(env = "WAYMARK_TEST_PEER", flag = "peer")]
        pub peer: String = "nats://127.0.0.1:4222".to_owned(),
        /// The peer's password.
        #[setting(env = "WAYMARK_TEST_PASSWORD", flag = "password")]
        pub password: Option<Secret> = None,
        /// How long to wait,
        /// in milliseconds.
        #[setting(env = "WAYMARK_TEST_WAIT_MS", flag = "wait-ms")]
        pub wait_ms: u64 = 5_000,
    }
}

crate::section! {
    /// What the example serves.
    pub struct ServeConfig {
        /// Address to listen on.
        #[setting(env = "WAYMARK_TEST_LISTEN", flag = "listen")]
        pub listen: SocketAddr = ([127, 0, 0, 1], 8080).into(),
        /// Proxies believed.
        #[setting(env = "WAYMARK_TEST_PROXIES")]
        pub proxies: Vec<IpAddr> = Vec::new(),
        /// Mark cookies Secure.
        #[setting(env = "WAYMARK_TEST_SECURE", flag = "secure")]
        pub secure: bool = false,
        /// A file, if any.
        #[setting(env = "WAYMARK_TEST_FILE")]
        pub file: Option<PathBuf> = None,
    }
}

crate::binary! {
    /// Everything the example reads.
    pub struct ExampleSettings for ["waymark-example"] {
        pub peer: PeerConfig,
        pub serve: ServeConfig,
    }
}

/// Why loading the example's settings from `sources` is refused.
fn refusal(sources: Sources) -> String {
    sources.load::<ExampleSettings>().unwrap_err().to_string()
}

fn flags(argv: &[&str]) -> Flags<ExampleSettings> {
    Flags::parse_from("example", argv).expect("the flags parse")
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

#[test]
fn each_layer_overrides_the_one_before() {
    let toml = file(
        "[peer]\npeer = \"nats://file:4222\"\nwait_ms = 1000\n\
         [serve]\nlisten = \"0.0.0.0:9000\"\nsecure = true\n",
    );
    let vars = [
        ("WAYMARK_TEST_WAIT_MS", "2000"),
        ("WAYMARK_TEST_LISTEN", "0.0.0.0:9001"),
    ];
    let given = flags(&["--listen", "0.0.0.0:9002"]);

    let defaults: ExampleSettings = Sources::default().load().unwrap();
    assert_eq!(defaults.peer.peer, "nats://127.0.0.1:4222");
    assert_eq!(defaults.peer.wait_ms, 5_000);
    assert_eq!(defaults.serve.listen, "127.0.0.1:8080".parse().unwrap());

    let from_file: ExampleSettings = Sources::default().file(toml.path()).load().unwrap();
    assert_eq!(from_file.peer.peer, "nats://file:4222");
    assert_eq!(from_file.peer.wait_ms, 1_000);
    assert!(from_file.serve.secure);

    let from_env: ExampleSettings = Sources::default()
        .file(toml.path())
        .vars(vars)
        .load()
        .unwrap();
    assert_eq!(from_env.peer.peer, "nats://file:4222", "the file stays");
    assert_eq!(from_env.peer.wait_ms, 2_000, "a variable beats the file");
    assert_eq!(from_env.serve.listen, "0.0.0.0:9001".parse().unwrap());

    let from_flags: ExampleSettings = Sources::default()
        .file(toml.path())
        .vars(vars)
        .flags(&given)
        .load()
        .unwrap();
    assert_eq!(
        from_flags.serve.listen,
        "0.0.0.0:9002".parse().unwrap(),
        "a flag beats the variable"
    );
    assert_eq!(from_flags.peer.wait_ms, 2_000, "the variable stays");
    assert_eq!(from_flags.peer.password, None);
}

#[test]
fn the_file_is_named_by_the_flag_or_the_variable() {
    let by_var = file("[peer]\nwait_ms = 7\n");
    let by_flag = file("[peer]\nwait_ms = 8\n");
    let settings: ExampleSettings = Sources::default()
        .vars([("WAYMARK_CONFIG", by_var.path().to_str().unwrap())])
        .load()
        .unwrap();
    assert_eq!(settings.peer.wait_ms, 7);
    let settings: ExampleSettings = Sources::default()
        .vars([("WAYMARK_CONFIG", by_var.path().to_str().unwrap())])
        .flags(&flags(&["--config", by_flag.path().to_str().unwrap()]))
        .load()
        .unwrap();
    assert_eq!(settings.peer.wait_ms, 8);
}

#[test]
fn text_takes_the_declared_type_and_secrets_stay_text() {
    let settings: ExampleSettings = Sources::default()
        .vars([
            ("WAYMARK_TEST_PASSWORD", "0123"),
            ("WAYMARK_TEST_PROXIES", "10.0.0.1, 10.0.0.2"),
            ("WAYMARK_TEST_SECURE", "true"),
            ("WAYMARK_TEST_FILE", "/var/lib/x"),
            ("WAYMARK_TEST_PEER", ""),
        ])
        .load()
        .unwrap();
    assert_eq!(settings.peer.password.unwrap().expose(), "0123");
    assert_eq!(
        settings.serve.proxies,
        vec![
            "10.0.0.1".parse::<IpAddr>().unwrap(),
            "10.0.0.2".parse().unwrap()
        ]
    );
    assert!(settings.serve.secure);
    assert_eq!(settings.serve.file, Some(PathBuf::from("/var/lib/x")));
    assert_eq!(
        settings.peer.peer, "nats://127.0.0.1:4222",
        "an empty variable is unset"
    );
    let switched: ExampleSettings = Sources::default()
        .flags(&flags(&["--secure", "--password", "[x]"]))
        .load()
        .unwrap();
    assert!(switched.serve.secure);
    assert_eq!(switched.peer.password.unwrap().expose(), "[x]");
}

#[test]
fn a_bad_value_is_named_by_where_it_came_from() {
    let err = refusal(Sources::default().vars([("WAYMARK_TEST_WAIT_MS", "soon")]));
    assert!(err.contains("WAYMARK_TEST_WAIT_MS"), "{err}");
    assert!(err.contains("environment"), "{err}");
    let err = refusal(Sources::default().flags(&flags(&["--listen", "nowhere"])));
    assert!(err.contains("--listen"), "{err}");
}

#[test]
fn a_file_key_no_table_declares_is_refused_but_other_tables_are_left() {
    let typo = file("[peer]\nwait_msec = 1\n");
    let err = refusal(Sources::default().file(typo.path()));
    assert!(err.contains("wait_msec"), "{err}");
    let shared = file("[dashboard]\nlisten = \"0.0.0.0:1\"\n[peer]\nwait_ms = 3\n");
    let settings: ExampleSettings = Sources::default().file(shared.path()).load().unwrap();
    assert_eq!(settings.peer.wait_ms, 3);
}

#[test]
fn a_named_file_that_is_missing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Sources::default()
        .file(dir.path().join("nowhere.toml"))
        .load::<ExampleSettings>();
    assert!(err.is_err());
}

#[test]
fn secrets_never_print() {
    let settings: ExampleSettings = Sources::default()
        .vars([("WAYMARK_TEST_PASSWORD", "hunter2")])
        .load()
        .unwrap();
    let password = settings.peer.password.clone().unwrap();
    assert_eq!(password.expose(), "hunter2");
    assert_eq!(format!("{password:?}"), "Secret(***)");
    assert_eq!(password.to_string(), "***");
    assert_eq!(serde_json::to_string(&password).unwrap(), "\"***\"");
    let debug = format!("{settings:?} {:?}", flags(&["--password", "hunter2"]));
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("***"), "{debug}");
    // A secret written without quotes is refused without being repeated.
    let bare = file("[peer]\npassword = 271828\n");
    let err = refusal(Sources::default().file(bare.path()));
    assert!(!err.contains("271828"), "{err}");
}

#[test]
fn the_declarations_describe_every_setting() {
    let peer = PeerConfig::settings();
    assert_eq!(peer.len(), 3);
    assert_eq!(peer[2].name, "wait_ms");
    assert_eq!(peer[2].env, "WAYMARK_TEST_WAIT_MS");
    assert_eq!(peer[2].flag, Some("wait-ms"));
    assert_eq!(peer[2].help, "How long to wait, in milliseconds.");
    assert_eq!(peer[2].kind, "integer");
    assert_eq!(peer[2].default.as_deref(), Some("5000"));
    assert!(peer[1].secret);
    assert_eq!(peer[1].default, None);
    let tables = ExampleSettings::tables();
    assert_eq!(tables[1].name, "serve");
    assert_eq!(tables[1].about, "What the example serves.");
    assert!(tables[1].settings[1].list);
    assert!(tables[1].settings[2].switch);
    let help = Flags::<ExampleSettings>::parse_from("example", &["--help"])
        .err()
        .unwrap()
        .to_string();
    assert!(help.contains("[env: WAYMARK_TEST_WAIT_MS]"), "{help}");
    assert!(help.contains("[default: 5000]"), "{help}");
}

#[test]
fn the_reference_lists_every_setting_once_per_table() {
    use crate::reference::{Described, markdown};
    let text = markdown(
        &[
            Described::of::<ExampleSettings>(),
            Described::of::<ExampleSettings>(),
        ],
        &[clap::Command::new("waymark").subcommand(
            clap::Command::new("import").arg(
                clap::Arg::new("url")
                    .long("url")
                    .env("WAYMARK_TEST_URL")
                    .default_value("http://127.0.0.1:8080")
                    .help("The dashboard's base URL."),
            ),
        )],
    );
    assert_eq!(text.matches("| `WAYMARK_TEST_WAIT_MS` |").count(), 1);
    assert!(text.contains(
        "| `WAYMARK_TEST_WAIT_MS` | `peer.wait_ms` | `--wait-ms` | integer | `5000` | \
         How long to wait, in milliseconds. |"
    ));
    assert!(text.contains(
        "| `WAYMARK_TEST_PASSWORD` | `peer.password` | `--password` | secret text | none |"
    ));
    assert!(text.contains("| `WAYMARK_TEST_URL` | `--url` | `http://127.0.0.1:8080` |"));
    assert!(text.contains("`waymark import`"));
}
