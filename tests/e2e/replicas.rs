//! Dashboard replicas on one stream: their read models agree at the same checkpoint, a new one
//! starts from another's snapshot instead of replaying the stream, and a serving replica is
//! verified and rebuilt without stopping.

use std::time::Duration;

use serde_json::json;
use tests::TestApp;

/// A second dashboard on the same stream, with its own read models and registry.
struct Replica {
    running: dashboard::Running,
    registry: prometheus::Registry,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

async fn replica(app: &TestApp, db: std::path::PathBuf) -> Replica {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let registry = prometheus::Registry::new();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = dashboard::start(
        &dashboard::DashboardConfig::with_db(db),
        listener,
        app.stream().clone(),
        registry.clone(),
        Vec::new(),
        async {
            let _ = stopped.await;
        },
    )
    .await
    .unwrap();
    Replica {
        running,
        registry,
        stop: Some(stop),
    }
}

impl Replica {
    async fn reach(&self, seq: u64) {
        let mut rx = self.running.checkpoint.clone();
        tokio::time::timeout(Duration::from_secs(30), rx.wait_for(|cp| *cp >= seq))
            .await
            .expect("the replica catches up")
            .unwrap();
    }

    fn applied(&self) -> u64 {
        self.registry
            .gather()
            .iter()
            .find(|f| f.name() == "waymark_projector_commits_applied_total")
            .map_or(0, |f| f.get_metric()[0].get_counter().get_value() as u64)
    }

    fn digest(&self) -> (u64, String) {
        projector::offline::checkpoint_and_digest(&self.running.db.current()).unwrap()
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.running.task.await;
    }
}

async fn record(app: &TestApp, from: u32, to: u32) -> u64 {
    let mut last = 0;
    for i in from..to {
        let a = app
            .plan_milestone("wm", &format!("m{i}"), "2027-03-31")
            .await;
        assert_eq!(a.status, 201, "{a:?}");
        last = a.seq();
    }
    last
}

fn primary(app: &TestApp) -> (u64, String) {
    projector::offline::checkpoint_and_digest(&app.stack.as_ref().unwrap().dashboard.db.current())
        .unwrap()
}

#[tokio::test]
async fn replicas_agree_start_from_snapshots_and_rebuild_while_serving() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    let dir = tempfile::tempdir().unwrap();
    let second = replica(&app, dir.path().join("second.redb")).await;
    let last = record(&app, 0, 20).await;
    app.wait_for_checkpoint(last).await;
    second.reach(last).await;
    assert_eq!(
        primary(&app),
        second.digest(),
        "two replicas at one checkpoint agree"
    );

    // A snapshot of the serving replica, at one checkpoint.
    let snapshot = app.get_response("/api/v1/admin/snapshot").await;
    assert_eq!(snapshot.status(), 200);
    let at: u64 = snapshot.headers()["waymark-checkpoint"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(at, last);
    let file = dir.path().join("third.redb");
    std::fs::write(&file, snapshot.bytes().await.unwrap()).unwrap();
    let refused = app
        .get_as(Some(&app.tokens.recorder), "/api/v1/admin/snapshot")
        .await;
    assert_eq!(refused.status, 403);

    // A new replica on the snapshot applies only what came after it.
    let later = record(&app, 20, 25).await;
    let third = replica(&app, file).await;
    third.reach(later).await;
    assert_eq!(
        third.applied(),
        later - at,
        "it caught up from the snapshot's checkpoint"
    );
    app.wait_for_checkpoint(later).await;
    second.reach(later).await;
    assert_eq!(third.digest(), primary(&app));
    assert_eq!(second.digest(), primary(&app));

    // Verified while it serves.
    let verified = app.post("/api/v1/admin/verify", json!({})).await;
    assert_eq!(verified.status, 200, "{verified:?}");
    assert_eq!(verified.body["ok"], true, "{verified:?}");
    assert_eq!(verified.body["checkpoint"], later);

    // One rebuild at a time: another asked for while one is under way is refused, not run over
    // the same file.
    {
        let models = app.stack.as_ref().unwrap().dashboard.db.clone();
        let _under_way = models.try_rebuilding().unwrap();
        let refused = app.post("/api/v1/admin/rebuild", json!({})).await;
        assert_eq!(refused.status, 409, "{refused:?}");
        assert_eq!(refused.body["code"], "admin.rebuild_running");
    }

    // Rebuilt while it serves: reads go on, writes keep landing, and it agrees after.
    let reads = {
        let http = app.http.clone();
        let url = format!("{}/api/v1/blueprints/wm/milestones", app.base);
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..100 {
                statuses.push(http.get(&url).send().await.unwrap().status().as_u16());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            statuses
        })
    };
    let rebuilt = app.post("/api/v1/admin/rebuild", json!({})).await;
    assert_eq!(rebuilt.status, 200, "{rebuilt:?}");
    assert!(rebuilt.body["checkpoint"].as_u64().unwrap() >= later);
    let statuses = reads.await.unwrap();
    assert!(
        statuses.iter().all(|s| *s == 200),
        "reads during the rebuild: {statuses:?}"
    );
    let after = record(&app, 25, 28).await;
    let m = app
        .get(&format!(
            "/api/v1/blueprints/wm/milestones/m27?min_seq={after}"
        ))
        .await;
    assert_eq!(m.status, 200, "projection goes on on the new file: {m:?}");
    second.reach(after).await;
    assert_eq!(primary(&app), second.digest(), "the rebuilt replica agrees");
    assert!(
        !app.db_path().with_extension("rebuild").exists(),
        "the rebuilt file took the live file's place"
    );

    // The same from the command line.
    let connection = || cli::csvio::Connection {
        url: app.base.clone(),
        token: app.admin_token.parse().ok(),
    };
    use cli::replica::{Plain, ProjectorCmd, SnapshotArgs, run};
    let verified = run(ProjectorCmd::Verify(Plain {
        connection: connection(),
        json: false,
    }))
    .await;
    assert_eq!(verified.code, 0, "{verified:?}");
    assert!(
        verified.stdout.starts_with("ok at checkpoint"),
        "{verified:?}"
    );
    let out = dir.path().join("from-cli.redb");
    let copied = run(ProjectorCmd::Snapshot(SnapshotArgs {
        out: out.clone(),
        connection: connection(),
    }))
    .await;
    assert_eq!(copied.code, 0, "{copied:?}");
    let copy = projector::db::open(&out).unwrap();
    assert_eq!(
        projector::offline::checkpoint_and_digest(&copy).unwrap(),
        primary(&app)
    );
    second.stop().await;
    third.stop().await;
}
