//! NATS is the trust boundary: the private server of `waymark dev` and of these tests takes no
//! connection without the password kept in its data folder, readable by its owner only.

use tests::TestApp;

#[tokio::test]
async fn the_private_nats_server_refuses_connections_without_its_password() {
    let app = TestApp::spawn().await;
    let url = app.nats.url();
    let anonymous = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .max_reconnects(Some(1))
        .connect(&url);
    let anonymous = tokio::time::timeout(std::time::Duration::from_secs(5), anonymous).await;
    assert!(
        !matches!(anonymous, Ok(Ok(ref c)) if c.connection_state() == async_nats::connection::State::Connected),
        "a connection without credentials is refused"
    );
    let wrong =
        async_nats::ConnectOptions::with_user_and_password("waymark".into(), "guess".into())
            .connect(&url)
            .await;
    assert!(wrong.is_err(), "a wrong password is refused");

    // The stack itself is connected with the generated password.
    let (status, _) = app.get_text("/readyz").await;
    assert_eq!(status, 200);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["nats-password", "nats-server.conf"] {
            let meta = std::fs::metadata(app.nats.data_dir().join(file)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{file}");
        }
    }
}

/// A nats-server with `deploy/nats/accounts.conf` as shipped, each user with a password of its own.
struct Accounts {
    child: tokio::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Accounts {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let accounts =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nats/accounts.conf");
        std::fs::copy(&accounts, dir.path().join("accounts.conf")).unwrap();
        let port = tests::free_port();
        let store = dir.path().join("jetstream");
        std::fs::write(
            dir.path().join("server.conf"),
            format!(
                "host: 127.0.0.1\nport: {port}\njetstream {{ store_dir: {store:?} }}\ninclude ./accounts.conf\n"
            ),
        )
        .unwrap();
        let mut command = tokio::process::Command::new(cli::natsserver::locate(None).unwrap());
        command
            .arg("-c")
            .arg(dir.path().join("server.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        for user in USERS {
            command.env(
                format!("WAYMARK_NATS_{}_PASSWORD", user.to_uppercase()),
                password(user),
            );
        }
        let child = command.spawn().expect("nats-server starts");
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "nats-server never listened"
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        Self {
            child,
            url: format!("nats://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    fn config(&self, user: &str) -> eventstore::NatsConfig {
        let mut config = eventstore::NatsConfig::for_url(&self.url);
        config.user = Some(user.to_owned());
        config.password = password(user).parse().ok();
        config.request_timeout_ms = 1_000;
        config
    }
}

const USERS: [&str; 7] = [
    "admin",
    "blueprints",
    "milestones",
    "commitments",
    "pledges",
    "dashboard",
    "sys",
];

fn password(user: &str) -> String {
    format!("{user}-secret")
}

/// The permissions in `deploy/nats/accounts.conf`, on a live server: each service appends only its
/// own kind and reads only what its rules look at; the dashboard reads everything and appends
/// nothing.
#[tokio::test]
async fn each_nats_user_may_do_only_what_accounts_conf_allows() {
    use proto::{MilestoneStarted, PartnerLeft, PledgeClosed};
    let server = Accounts::start().await;
    let admin = eventstore::EventStore::open(&server.config("admin"), "admin")
        .await
        .expect("admin creates the stream");
    let milestone = tests::milestone("wm", "academy");
    let pledge = proto::ThingRef::pledge(&"wm".parse().unwrap(), &"fund".parse().unwrap());
    let blueprint = proto::ThingRef::blueprint(&"wm".parse().unwrap());
    let started = |thing: &proto::ThingRef, key: &str| {
        tests::commit(thing.clone(), key, &[MilestoneStarted {}.into()])
    };
    // Whether `store` may append a start of `thing` under `key` at `expected` version.
    let appends =
        async |store: &eventstore::EventStore, thing: &proto::ThingRef, key: &str, expected| {
            store.append(&started(thing, key), expected).await.is_ok()
        };
    for (thing, key) in [(&milestone, "m"), (&pledge, "p"), (&blueprint, "b")] {
        let body: proto::EventBody = match thing.kind {
            proto::ThingKind::Pledge => PledgeClosed {}.into(),
            proto::ThingKind::Blueprint => PartnerLeft {
                org: "gds".parse().unwrap(),
                reason: "test".into(),
            }
            .into(),
            _ => MilestoneStarted {}.into(),
        };
        admin
            .append(&tests::commit(thing.clone(), key, &[body]), 0)
            .await
            .expect("admin appends anything");
    }

    let milestones = eventstore::EventStore::open(&server.config("milestones"), "milestones")
        .await
        .expect("a service opens the stream it may not create");
    let reader = milestones.reader();
    assert_eq!(
        reader.read_since(&milestone, 0).await.unwrap().len(),
        1,
        "its own kind"
    );
    assert_eq!(
        reader.read_since(&blueprint, 0).await.unwrap().len(),
        1,
        "the blueprint its rules read"
    );
    assert!(
        reader.read_since(&pledge, 0).await.is_err(),
        "another kind's commits are not its to read"
    );
    assert!(
        appends(&milestones, &milestone, "m-2", 1).await,
        "it appends its own kind"
    );
    assert!(
        !appends(&milestones, &pledge, "p-2", 2).await,
        "it cannot append another kind's"
    );

    let dashboard = eventstore::StreamReader::open(&server.config("dashboard"), "dashboard")
        .await
        .unwrap();
    use futures::StreamExt;
    let mut all = dashboard
        .follow(1)
        .await
        .expect("the dashboard follows every subject");
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), all.next()).await;
    assert!(matches!(first, Ok(Some(Ok(_)))), "{first:?}");
    let as_dashboard = eventstore::EventStore::open(&server.config("dashboard"), "dashboard")
        .await
        .unwrap();
    assert!(
        !appends(&as_dashboard, &milestone, "d-1", 4).await,
        "the dashboard appends nothing"
    );
    drop(server.child);
}
