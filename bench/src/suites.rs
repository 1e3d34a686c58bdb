//! The figures of `make bench`, each with what it is measured beside and its target.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::load::{Outcome, Step};
use crate::projection::{self, DashboardProcess, Filled};
use crate::report::{Row, Runs, Target};
use crate::waymark::{self, BLUEPRINT, Door, Raw, Waymark};
use crate::wrk;

/// How long and how often each figure is measured.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub rounds: usize,
    /// Length of one run of a throughput figure.
    pub run: Duration,
    /// Commits of the large projection, and of the smaller one its growth is compared with.
    pub projection: (u64, u64),
    /// Milestones of the large blueprint the reads are measured on.
    pub big_milestones: u64,
    pub quick: bool,
}

impl Plan {
    pub fn full() -> Self {
        Self {
            rounds: 3,
            run: Duration::from_secs(4),
            projection: (100_000, 1_000_000),
            big_milestones: 2_000,
            quick: false,
        }
    }

    pub fn quick() -> Self {
        Self {
            rounds: 3,
            run: Duration::from_secs(2),
            projection: (20_000, 100_000),
            big_milestones: 2_000,
            quick: true,
        }
    }
}

fn row(group: &'static str, figure: impl Into<String>, runs: Runs) -> Row {
    Row {
        group,
        figure: figure.into(),
        runs,
        baseline: None,
        target: Target::None,
    }
}

impl Row {
    fn beside(mut self, name: impl Into<String>, runs: &Runs, target: Target) -> Self {
        self.baseline = Some((name.into(), runs.clone()));
        self.target = target;
        self
    }

    fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }
}

/// Rates of each round's outcome.
fn rates(outcomes: &[Outcome]) -> Runs {
    Runs::new("ops/s", outcomes.iter().map(Outcome::rate).collect())
}

fn p99(outcomes: &[Outcome]) -> Runs {
    Runs::new(
        "ms",
        outcomes.iter().map(|o| o.percentile_ms(99.0)).collect(),
    )
}

fn refused(outcomes: &[Outcome], code: &str) -> Runs {
    Runs::new(
        "commands",
        outcomes.iter().map(|o| o.refused(code) as f64).collect(),
    )
}

/// Fails the benchmark when a run was refused for anything but contention: the shape is wrong.
fn only_contended(name: &str, outcomes: &[Outcome]) {
    for o in outcomes {
        for (code, n) in &o.refused {
            assert!(
                code == "command.contended",
                "{name}: {n} commands refused with {code}; the benchmark's commands must be valid"
            );
        }
    }
}

/// The create-then-change figures: their key, door and clients.
const SHAPES: [(&str, Door, usize); 4] = [
    ("nats1", Door::Nats, 1),
    ("nats64", Door::Nats, 64),
    ("http1", Door::Http, 1),
    ("http64", Door::Http, 64),
];

/// The figures of 32 clients on one thing.
const ONE_THING: [(&str, Door); 2] = [("nats32", Door::Nats), ("http32", Door::Http)];

/// Commands over NATS and HTTP, the raw ceilings and the peer, round by round so that the
/// machine's noise falls on all of them alike.
pub async fn commands(plan: &Plan, w: &Arc<Waymark>, raw: &Arc<Raw>) -> Vec<Row> {
    #[cfg(feature = "peer")]
    let peer = crate::peer::Peer::start(16)
        .await
        .expect("the peer's PostgreSQL (WAYMARK_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432)");
    let d = plan.run;
    for (key, _) in ONE_THING {
        let hot = format!("hot-{key}");
        w.nats(0, &hot, waymark::action(Step::Create, 0))
            .await
            .expect("planned");
    }
    let mut o: std::collections::BTreeMap<&str, Vec<Outcome>> = Default::default();
    for r in 0..plan.rounds {
        eprintln!("commands: round {} of {}", r + 1, plan.rounds);
        let mut put = |k, v| o.entry(k).or_default().push(v);
        put("raw1", raw.awaited(1, d).await);
        put("raw64", raw.awaited(64, d).await);
        put("rawpipe", raw.pipelined(256, d).await);
        put("bare1", raw.bare(1, d).await);
        put("bare64", raw.bare(64, d).await);
        for (key, door, clients) in SHAPES {
            let run = format!("{key}r{r}");
            put(key, waymark::shape(w, door, &run, clients, d).await);
        }
        for (key, door) in ONE_THING {
            let hot = Arc::new(vec![format!("hot-{key}")]);
            put(key, waymark::on_things(w, door, hot, 32, d).await);
        }
        #[cfg(feature = "peer")]
        {
            put(
                "peer1",
                crate::peer::shape(&peer, &format!("p1r{r}"), 1, d).await,
            );
            put(
                "peer16",
                crate::peer::shape(&peer, &format!("p16r{r}"), 16, d).await,
            );
        }
        for (name, outcomes) in &o {
            if !["raw", "bare", "peer"].iter().any(|p| name.starts_with(p)) {
                only_contended(name, outcomes);
            }
        }
    }
    let g = "Commands";
    let raw1 = rates(&o["raw1"]);
    let rawpipe = rates(&o["rawpipe"]);
    let (bare1, bare64) = (rates(&o["bare1"]), rates(&o["bare64"]));
    let mut rows = vec![
        row(
            g,
            "raw JetStream publish, same bytes and headers, each ack awaited",
            raw1.clone(),
        ),
        row(
            g,
            "raw publish, 64 publishers awaiting acks",
            rates(&o["raw64"]),
        ),
        row(
            g,
            "raw publish, pipelined (256 acks outstanding)",
            rawpipe.clone(),
        ),
        row(
            g,
            "bare NATS service (request, the same publish, reply; nothing else), one client",
            bare1.clone(),
        )
        .beside("raw, each ack awaited", &raw1, Target::None),
        row(g, "bare NATS service, 64 clients", bare64.clone()).beside(
            "raw, pipelined",
            &rawpipe,
            Target::None,
        ),
        row(g, "NATS, one client", rates(&o["nats1"])).beside(
            "raw, each ack awaited",
            &raw1,
            Target::RatioAtLeast(0.5),
        ),
        row(
            g,
            "NATS, 64 clients on distinct things",
            rates(&o["nats64"]),
        )
        .beside("raw, pipelined", &rawpipe, Target::RatioAtLeast(0.35)),
        row(g, "NATS, 64 clients: p99", p99(&o["nats64"])),
        row(
            g,
            "NATS, one client, against the bare service",
            rates(&o["nats1"]),
        )
        .beside("bare, one client", &bare1, Target::None),
        row(
            g,
            "NATS, 64 clients, against the bare service",
            rates(&o["nats64"]),
        )
        .beside("bare, 64 clients", &bare64, Target::None),
        row(g, "NATS, 32 clients on one thing", rates(&o["nats32"])),
        row(
            g,
            "NATS, 32 clients on one thing: refused as contended",
            refused(&o["nats32"], "command.contended"),
        )
        .target(Target::AtMost(0.0)),
        row(g, "HTTP, one client", rates(&o["http1"])).beside(
            "raw, each ack awaited",
            &raw1,
            Target::None,
        ),
        row(
            g,
            "HTTP, 64 clients on distinct things",
            rates(&o["http64"]),
        ),
        row(g, "HTTP, 64 clients: p99", p99(&o["http64"])).target(Target::Below(50.0)),
        row(g, "HTTP, 32 clients on one thing", rates(&o["http32"])),
        row(
            g,
            "HTTP, 32 clients on one thing: refused as contended",
            refused(&o["http32"], "command.contended"),
        )
        .target(Target::AtMost(0.0)),
    ];
    rows.extend(against_peer(&o));
    rows
}

/// The command figures against the peer's, measured in the same rounds.
#[cfg(feature = "peer")]
fn against_peer(o: &std::collections::BTreeMap<&str, Vec<Outcome>>) -> Vec<Row> {
    let g = "Commands";
    let mut rows = Vec::new();
    let peer1 = rates(&o["peer1"]);
    let peer16 = rates(&o["peer16"]);
    rows.push(row(
        g,
        "peer (cqrs-es + postgres-es), one task",
        peer1.clone(),
    ));
    rows.push(row(g, "peer, 16 tasks", peer16.clone()));
    rows.push(
        row(g, "NATS, one client, against the peer", rates(&o["nats1"])).beside(
            "peer, one task",
            &peer1,
            Target::RatioAtLeast(2.0),
        ),
    );
    rows.push(
        row(g, "NATS, 64 clients, against the peer", rates(&o["nats64"])).beside(
            "peer, 16 tasks",
            &peer16,
            Target::RatioAtLeast(2.0),
        ),
    );
    rows.push(
        row(g, "HTTP, 64 clients, against the peer", rates(&o["http64"])).beside(
            "peer, 16 tasks",
            &peer16,
            Target::RatioAtLeast(1.5),
        ),
    );
    rows
}

/// Built without the peer (feature `peer`): nothing to compare with.
#[cfg(not(feature = "peer"))]
fn against_peer(_: &std::collections::BTreeMap<&str, Vec<Outcome>>) -> Vec<Row> {
    Vec::new()
}

/// The cost of a command on a thing with a long history against one with a short one, and four
/// back-to-back runs of 64 HTTP clients on the same 64 things.
pub async fn history(plan: &Plan, w: &Arc<Waymark>) -> Vec<Row> {
    let g = "History length";
    let ops = if plan.quick { 200 } else { 500 };
    let (mut short, mut long) = (Vec::new(), Vec::new());
    for r in 0..plan.rounds {
        eprintln!("history: round {} of {}", r + 1, plan.rounds);
        let (a, b) = (format!("h10r{r}"), format!("h1000r{r}"));
        w.milestone_with_history(&a, 10).await;
        w.milestone_with_history(&b, 1_000).await;
        for (id, out) in [(&a, &mut short), (&b, &mut long)] {
            let start = Instant::now();
            for n in 0..ops {
                w.nats(0, id, waymark::action(Step::Progress, n))
                    .await
                    .expect("accepted");
            }
            out.push(start.elapsed().as_secs_f64() * 1e6 / ops as f64);
        }
    }
    let short = Runs::new("µs/op", short);
    let mut rows = vec![
        row(g, "a command on a thing with 10 commits", short.clone()),
        row(
            g,
            "a command on a thing with 1,000 commits",
            Runs::new("µs/op", long),
        )
        .beside("10 commits", &short, Target::RatioAtMost(1.2)),
    ];
    let ids: Arc<Vec<String>> = Arc::new((0..64).map(|c| format!("grow-{c}")).collect());
    for id in ids.iter() {
        w.nats(0, id, waymark::action(Step::Create, 0))
            .await
            .expect("planned");
    }
    let mut spreads = Vec::new();
    let mut last = Vec::new();
    for r in 0..plan.rounds {
        // One run first, not counted: the first run after a pause is the slowest (connections
        // and caches are cold), which says nothing about histories growing. It adds to them.
        waymark::on_things(w, Door::Http, ids.clone(), 64, plan.run).await;
        let runs: Vec<f64> = {
            let mut v = Vec::new();
            for _ in 0..4 {
                v.push(
                    waymark::on_things(w, Door::Http, ids.clone(), 64, plan.run)
                        .await
                        .rate(),
                );
            }
            v
        };
        eprintln!("history: four runs (round {}): {runs:?}", r + 1);
        let (min, max) = runs
            .iter()
            .fold((f64::MAX, 0f64), |(a, b), &x| (a.min(x), b.max(x)));
        spreads.push(max / min);
        last = runs;
    }
    rows.push(
        row(
            g,
            "four back-to-back 64-client HTTP runs on the same things: fastest over slowest",
            Runs::new("×", spreads),
        )
        .target(Target::AtMost(1.1)),
    );
    rows.push(row(
        g,
        "the last four runs (one round)",
        Runs::new("ops/s", last),
    ));
    rows
}

/// Requests per second and latency of the reads, with wrk at 64 connections, beside a trivial
/// handler on the same server.
pub async fn reads(plan: &Plan, w: &Arc<Waymark>) -> Vec<Row> {
    let g = "Reads (wrk, 64 connections)";
    let base = w.app.base.clone();
    // A blueprint with many milestones next to the demo's.
    eprintln!(
        "reads: recording a blueprint of {} milestones",
        plan.big_milestones
    );
    let big = "big";
    w.app.given_blueprint(big).await;
    let mut pending = FuturesUnordered::new();
    for i in 0..plan.big_milestones {
        let w = w.clone();
        pending.push(async move {
            let id = format!("m-{i}");
            w.nats_in(i as usize, big, &id, waymark::action(Step::Create, i))
                .await
                .expect("planned");
            if i % 2 == 0 {
                w.nats_in(i as usize, big, &id, waymark::action(Step::Progress, i))
                    .await
                    .expect("progress");
            }
        });
        if pending.len() >= 64 {
            pending.next().await;
        }
    }
    while pending.next().await.is_some() {}
    w.app.settle().await;
    let d = plan.run;
    let past = (chrono::Utc::now().date_naive() - chrono::Days::new(60)).to_string();
    let mut urls = vec![(
        "trivial handler (/healthz)".to_owned(),
        "/healthz".to_owned(),
    )];
    for bp in [cli::demo::DEMO_BLUEPRINT, big] {
        urls.push((
            format!("{bp}: summary JSON"),
            format!("/api/v1/blueprints/{bp}"),
        ));
        urls.push((
            format!("{bp}: dashboard JSON (all its figures)"),
            format!("/api/v1/blueprints/{bp}/dashboard"),
        ));
        urls.push((
            format!("{bp}: milestone list JSON"),
            format!("/api/v1/blueprints/{bp}/milestones"),
        ));
        urls.push((
            format!("{bp}: blueprint page with charts"),
            format!("/blueprints/{bp}"),
        ));
        // The large blueprint is recorded today, so it has no past to show.
        if bp == cli::demo::DEMO_BLUEPRINT {
            urls.push((
                format!("{bp}: the page as of {past}"),
                format!("/blueprints/{bp}?as_of={past}"),
            ));
        }
    }
    urls.push(("portfolio page".to_owned(), "/".to_owned()));
    urls.push(("portfolio JSON".to_owned(), "/api/v1/portfolio".to_owned()));
    let mut measured: Vec<Vec<wrk::Measured>> = vec![Vec::new(); urls.len()];
    for r in 0..plan.rounds {
        eprintln!("reads: round {} of {}", r + 1, plan.rounds);
        for (i, (_, path)) in urls.iter().enumerate() {
            let url = format!("{base}{path}");
            let m = tokio::task::spawn_blocking(move || wrk::run(&url, 64, d))
                .await
                .expect("wrk");
            measured[i].push(m);
        }
    }
    let rps = |i: usize| Runs::new("req/s", measured[i].iter().map(|m| m.rps).collect());
    let p99 = |i: usize| Runs::new("ms", measured[i].iter().map(|m| m.p99_ms).collect());
    let p50 = |i: usize| Runs::new("ms", measured[i].iter().map(|m| m.p50_ms).collect());
    let trivial = rps(0);
    let mut rows = vec![row(g, urls[0].0.clone(), trivial.clone())];
    for (i, (name, _)) in urls.iter().enumerate().skip(1) {
        let (ratio, latency) = if name.ends_with("summary JSON") {
            (0.6, 10.0)
        } else if name.contains("page") && !name.starts_with("portfolio") {
            (0.2, 25.0)
        } else {
            (0.0, 0.0)
        };
        let mut r = row(g, name.clone(), rps(i));
        r = if ratio > 0.0 {
            r.beside("trivial handler", &trivial, Target::RatioAtLeast(ratio))
        } else {
            r.beside("trivial handler", &trivial, Target::None)
        };
        rows.push(r);
        let mut l = row(g, format!("{name}: p99"), p99(i));
        if latency > 0.0 {
            l = l.target(Target::Below(latency));
        }
        rows.push(l);
        rows.push(row(g, format!("{name}: p50"), p50(i)));
        let errors = Runs::new(
            "answers",
            measured[i].iter().map(|m| m.errors as f64).collect(),
        );
        rows.push(
            row(g, format!("{name}: errors and timeouts"), errors).target(Target::AtMost(0.0)),
        );
        if name.contains(" as of ") {
            // The as-of page against today's, which comes just before it.
            let today = rps(i - 1);
            rows.push(
                row(g, format!("{name}, against today's page"), rps(i)).beside(
                    "today's page",
                    &today,
                    Target::RatioAtLeast(1.0 / 3.0),
                ),
            );
        }
    }
    rows
}

/// From a command's acknowledgement to its visibility in a `min_seq` read, under a steady 1,000
/// commands per second over NATS.
pub async fn freshness(plan: &Plan, w: &Arc<Waymark>) -> Vec<Row> {
    let g = "Freshness (1,000 commands/s)";
    let ids: Arc<Vec<String>> = Arc::new((0..64).map(|c| format!("fresh-{c}")).collect());
    for id in ids.iter() {
        w.nats(0, id, waymark::action(Step::Create, 0))
            .await
            .expect("planned");
    }
    let http = reqwest::Client::new();
    let (mut p50, mut p99, mut achieved, mut missed) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in 0..plan.rounds {
        eprintln!("freshness: round {} of {}", r + 1, plan.rounds);
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let start = Instant::now();
        let mut tasks = Vec::new();
        let mut n = 0u64;
        while start.elapsed() < plan.run {
            tick.tick().await;
            let (w, ids, http) = (w.clone(), ids.clone(), http.clone());
            n += 1;
            tasks.push(tokio::spawn(async move {
                let id = &ids[(n % 64) as usize];
                let seq = match w
                    .nats((n % 4) as usize, id, waymark::action(Step::Progress, n))
                    .await
                {
                    Ok(seq) => seq,
                    Err(code) if code == waymark::UNANSWERED => return Err(()),
                    Err(code) => panic!("freshness: a command was refused with {code}"),
                };
                if !n.is_multiple_of(4) {
                    return Ok(None);
                }
                let acked = Instant::now();
                let url = format!(
                    "{}/api/v1/blueprints/{BLUEPRINT}/milestones/{id}?min_seq={seq}",
                    w.app.base
                );
                let r = http.get(url).send().await.expect("read");
                assert_eq!(r.status(), 200);
                Ok(Some(acked.elapsed().as_micros() as u64))
            }));
        }
        // The rate the commands went out at, before waiting for the slowest answers.
        achieved.push(n as f64 / start.elapsed().as_secs_f64());
        let (mut waits, mut unanswered) = (Vec::new(), 0u64);
        for t in tasks {
            match t.await.expect("task") {
                Ok(Some(us)) => waits.push(us),
                Ok(None) => {}
                Err(()) => unanswered += 1,
            }
        }
        missed.push(unanswered as f64);
        // Nothing seen is no evidence of freshness: such a round fails its targets.
        let seen = |p| match waits.is_empty() {
            true => f64::INFINITY,
            false => crate::load::percentile_us(&waits, p) / 1000.0,
        };
        p50.push(seen(50.0));
        p99.push(seen(99.0));
    }
    vec![
        row(g, "commands per second sent", Runs::new("ops/s", achieved)),
        row(
            g,
            "commands not answered within 30 s",
            Runs::new("commands", missed),
        )
        .target(Target::AtMost(0.0)),
        row(g, "acknowledged to visible: p50", Runs::new("ms", p50)).target(Target::Below(2.0)),
        row(g, "acknowledged to visible: p99", Runs::new("ms", p99)).target(Target::Below(20.0)),
    ]
}

/// Projection of a realistic stream against a decode-only drain; the dashboard's memory, and the
/// bytes of the read models and of the stream per commit, at two sizes.
pub async fn projection(plan: &Plan) -> Vec<Row> {
    let g = "Projection and size";
    let (small, large) = plan.projection;
    let mut filled = Filled::start().await;
    let mut per_commit = Vec::new();
    let mut rows = Vec::new();
    for total in [small, large] {
        eprintln!("projection: writing {total} commits");
        filled.fill_to(total).await;
        let last = filled.written.last_seq;
        let commits = filled.written.commits as f64;
        let (mut drains, mut rebuilds, mut rss, mut catch_up) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut model_bytes = 0u64;
        for r in 0..plan.rounds {
            eprintln!(
                "projection: {total} commits, round {} of {}",
                r + 1,
                plan.rounds
            );
            drains.push(projection::drain(filled.reader(), last).await);
            let path = filled.path(&format!("rebuild-{total}-{r}.redb"));
            let secs = projection::rebuild(filled.reader(), last, &path).await;
            rebuilds.push(commits / secs);
            model_bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
            let _ = std::fs::remove_file(&path);
            let db = filled.path(&format!("dash-{total}-{r}.redb"));
            let mut dash = DashboardProcess::start(&filled.nats, &db, &filled.path("dash.log"));
            let secs = dash.wait_for(last, Instant::now()).await;
            catch_up.push(secs);
            rss.push(dash.peak_rss() as f64 / 1e6);
            drop(dash);
            let _ = std::fs::remove_file(&db);
        }
        let drains = Runs::new("commits/s", drains);
        let label = |what: &str| format!("{what}, {} commits", crate::report::number(total as f64));
        rows.push(row(
            g,
            label("decode-only drain of the stream"),
            drains.clone(),
        ));
        rows.push(
            row(
                g,
                label("rebuild of the read models"),
                Runs::new("commits/s", rebuilds),
            )
            .beside("decode-only drain", &drains, Target::RatioAtLeast(0.25)),
        );
        let mut t = row(
            g,
            label("dashboard process: start to caught up"),
            Runs::new("s", catch_up),
        );
        if total == 1_000_000 {
            t = t.target(Target::Below(10.0));
        }
        rows.push(t);
        rows.push(
            row(
                g,
                label("dashboard process: peak RSS"),
                Runs::new("MB", rss),
            )
            .target(Target::Below(200.0)),
        );
        let model = model_bytes as f64 / commits;
        let stream = filled.stream_bytes().await as f64 / commits;
        rows.push(
            row(
                g,
                label("read models per commit"),
                Runs::new("bytes", vec![model]),
            )
            .target(Target::Below(500.0)),
        );
        rows.push(row(
            g,
            label("stream per commit"),
            Runs::new("bytes", vec![stream]),
        ));
        per_commit.push((model, stream));
    }
    let (a, b) = (per_commit[0], per_commit[1]);
    rows.push(
        row(
            g,
            "read models per commit: large over small",
            Runs::new("×", vec![b.0 / a.0]),
        )
        .target(Target::AtMost(1.1)),
    );
    rows.push(
        row(
            g,
            "stream per commit: large over small",
            Runs::new("×", vec![b.1 / a.1]),
        )
        .target(Target::AtMost(1.1)),
    );
    rows
}

/// Scale out on this machine: commands with a second copy of the milestones service in its queue
/// group (on a connection of its own), and reads of the summary JSON from a second dashboard
/// replica with read models of its own, each against one copy in the same rounds.
pub async fn scale(plan: &Plan, w: &Arc<Waymark>) -> Vec<Row> {
    let g = "Scale out on this machine";
    let d = plan.run;
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for r in 0..plan.rounds {
        eprintln!("scale: commands, round {} of {}", r + 1, plan.rounds);
        one.push(waymark::shape(w, Door::Nats, &format!("s1r{r}"), 64, d).await);
        let copy = w.milestones_copy().await;
        two.push(waymark::shape(w, Door::Nats, &format!("s2r{r}"), 64, d).await);
        copy.stop().await;
    }
    for (name, outcomes) in [("one copy", &one), ("two copies", &two)] {
        only_contended(name, outcomes);
    }
    let one = rates(&one);
    let mut rows = vec![
        row(
            g,
            "NATS, 64 clients, one copy of the milestones service",
            one.clone(),
        ),
        row(
            g,
            "NATS, 64 clients, two copies in one queue group",
            rates(&two),
        )
        .beside("one copy", &one, Target::None),
    ];

    let dir = tempfile::tempdir().expect("a folder for the replicas");
    let last = w.app.last_seq().await;
    let mut replicas: Vec<DashboardProcess> = (0..2)
        .map(|i| {
            DashboardProcess::start(
                &w.app.nats,
                &dir.path().join(format!("replica-{i}.redb")),
                &dir.path().join(format!("replica-{i}.log")),
            )
        })
        .collect();
    for replica in &mut replicas {
        replica.wait_for(last, Instant::now()).await;
    }
    let path = format!("/api/v1/blueprints/{}", cli::demo::DEMO_BLUEPRINT);
    let urls: Vec<String> = replicas.iter().map(|r| r.url(&path)).collect();
    let (mut alone, mut both) = (Vec::new(), Vec::new());
    for r in 0..plan.rounds {
        eprintln!("scale: reads, round {} of {}", r + 1, plan.rounds);
        let url = urls[0].clone();
        alone.push(
            tokio::task::spawn_blocking(move || wrk::run(&url, 64, d))
                .await
                .expect("wrk")
                .rps,
        );
        // 32 connections to each: the same 64 as one replica takes alone.
        let runs: Vec<_> = urls
            .iter()
            .cloned()
            .map(|url| tokio::task::spawn_blocking(move || wrk::run(&url, 32, d)))
            .collect();
        let mut sum = 0.0;
        for run in runs {
            sum += run.await.expect("wrk").rps;
        }
        both.push(sum);
    }
    let alone = Runs::new("req/s", alone);
    rows.push(row(
        g,
        "summary JSON, one dashboard replica, 64 connections",
        alone.clone(),
    ));
    rows.push(
        row(
            g,
            "summary JSON, two replicas, 32 connections each",
            Runs::new("req/s", both),
        )
        .beside("one replica", &alone, Target::None),
    );
    rows
}
