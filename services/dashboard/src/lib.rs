//! The dashboard: HTML pages for people, a JSON API under `/api/v1`, and `/metrics`, `/healthz`,
//! `/readyz` for operators. It runs the projector over its own redb file and reads the read models
//! through MVCC read transactions while the projector writes. Writes are forwarded to the small
//! services over NATS; the dashboard never appends events itself: of the event store it holds a
//! `StreamReader` and a `CommandSender`, neither of which can append.

pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod business;
pub mod charts;
pub mod commands;
pub mod components;
pub mod feed;
pub mod forms;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod problem;
pub mod registers;
pub mod rules;
pub mod security;
pub mod server;
pub mod session;
pub mod stream_end;
pub mod tables;
pub mod upload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, get, on, post};
use eventstore::{CommandSender, StreamReader};
use projector::status::RagRules;
use projector::{Projector, ProjectorMetrics};
use prometheus::Registry;
use tokio::sync::watch;

pub use crate::metrics::HttpMetrics;

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

settings::section! {
    /// What the dashboard serves and how it waits.
    pub struct DashboardConfig {
        /// Address to serve HTTP on: pages, the API and its `/metrics`, `/healthz`, `/readyz`.
        #[setting(env = "WAYMARK_LISTEN", flag = "listen")]
        pub listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8080)),
        /// The redb file of this replica's read models.
        #[setting(env = "WAYMARK_DB", flag = "db-path")]
        pub db_path: PathBuf = PathBuf::from("waymark-read.redb"),
        /// How long a read with `min_seq` waits for the projector, in milliseconds.
        #[setting(env = "WAYMARK_MIN_SEQ_WAIT_MS", flag = "min-seq-wait-ms")]
        pub min_seq_wait_ms: u64 = 5_000,
        /// How long a write waits for the owning service, in milliseconds.
        #[setting(env = "WAYMARK_COMMAND_TIMEOUT_MS", flag = "command-timeout-ms")]
        pub command_timeout_ms: u64 = 10_000,
        /// JSON file of API tokens (hashes only); made with `waymark token create`. Without it,
        /// every write is refused and only published blueprints can be read.
        #[setting(env = "WAYMARK_TOKENS_FILE", flag = "tokens-file")]
        pub tokens_file: Option<PathBuf> = None,
        /// Mark session cookies Secure even without `X-Forwarded-Proto: https` (serve over TLS).
        #[setting(env = "WAYMARK_SECURE_COOKIES", flag = "secure-cookies")]
        pub secure_cookies: bool = false,
        /// Require a viewer token to scrape `/metrics`.
        #[setting(env = "WAYMARK_METRICS_NEED_TOKEN", flag = "metrics-need-token")]
        pub metrics_need_token: bool = false,
        /// `/readyz` fails while the projector is more than this many commits behind.
        #[setting(env = "WAYMARK_READY_MAX_LAG", flag = "ready-max-lag")]
        pub ready_max_lag: i64 = 1_000,
        /// `/readyz` fails, and `waymark_projector_stalled` turns 1, once the projector has applied
        /// nothing for this long (milliseconds) while commits wait.
        #[setting(env = "WAYMARK_STALL_AFTER_MS", flag = "stall-after-ms")]
        pub stall_after_ms: u64 = 30_000,
        /// The address people reach this dashboard at (`https://waymark.example.org`), for links
        /// that leave the site, such as those in Atom feeds. Without it, the request's Host is used.
        #[setting(env = "WAYMARK_PUBLIC_URL", flag = "public-url")]
        pub public_url: Option<String> = None,
        /// Addresses of reverse proxies whose `X-Forwarded-For` is believed, so that sign-in
        /// limits count the client behind them, not the proxy. Nobody else's is.
        #[setting(env = "WAYMARK_TRUSTED_PROXIES", flag = "trusted-proxies")]
        pub trusted_proxies: Vec<std::net::IpAddr> = Vec::new(),
        /// Time a client has to send a request's headers, in milliseconds (slow clients are cut off).
        #[setting(env = "WAYMARK_HEADER_TIMEOUT_MS", flag = "header-timeout-ms")]
        pub header_timeout_ms: u64 = 10_000,
        /// Time a request may take, in milliseconds (live streams excepted); then 408.
        #[setting(env = "WAYMARK_REQUEST_TIMEOUT_MS", flag = "http-request-timeout-ms")]
        pub request_timeout_ms: u64 = 60_000,
        /// HTTP connections open at once; more are closed as soon as they are accepted.
        #[setting(env = "WAYMARK_MAX_CONNECTIONS", flag = "max-connections")]
        pub max_connections: usize = 1_024,
        /// Most live-page streams (Server-Sent Events) open at once; more are refused with 503.
        #[setting(env = "WAYMARK_LIVE_STREAMS", flag = "live-streams")]
        pub live_streams: usize = 512,
    }
}

impl DashboardConfig {
    /// The defaults, with the read models in `db_path` (used by tests and `waymark dev`).
    pub fn with_db(db_path: PathBuf) -> Self {
        Self {
            db_path,
            ..Self::default()
        }
    }
}

settings::binary! {
    /// Everything `waymark-dashboard` reads.
    pub struct DashboardSettings for ["waymark-dashboard"] {
        pub nats: eventstore::NatsConfig,
        pub dashboard: DashboardConfig,
        pub log: telemetry::LogConfig,
    }
}

/// What every handler can reach: one allocation shared by every request, so that handing it to a
/// handler and each of its extractors costs a reference count, not a copy of every field (the
/// copies and drops showed in profiles of the write path, BENCHMARKS.md).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct Shared {
    pub db: Arc<projector::models::ReadModels>,
    /// Reads of the event stream (its last sequence, for `min_seq`); it cannot append.
    pub stream: StreamReader,
    /// Sends commands to their services and waits for the replies: the dashboard's only way to
    /// write.
    pub commands: CommandSender,
    pub checkpoint: watch::Receiver<u64>,
    pub registry: Registry,
    pub projector_metrics: ProjectorMetrics,
    pub rules: RagRules,
    pub min_seq_wait: Duration,
    pub ready_max_lag: i64,
    /// Whether projection is stalled.
    pub projection: projector::health::Health,
    /// The stream's last sequence, read for `min_seq` checks without letting reads flood NATS.
    pub stream_end: Arc<stream_end::StreamEnd>,
    /// Set once the projector has reached the end of the stream as it was at start-up.
    pub caught_up: Arc<AtomicBool>,
    /// Further readiness checks of the process (the command services, when they run in it).
    pub also_ready: Arc<Vec<telemetry::ops::ReadinessCheck>>,
    pub tokens: Arc<auth::Tokens>,
    pub sessions: Arc<session::Sessions>,
    pub secure_cookies: bool,
    pub metrics_need_token: bool,
    pub live: live::LiveStreams,
    /// The address people reach this dashboard at, without a trailing `/`.
    pub public_url: Option<String>,
    /// How long a request (other than a live stream) may take.
    pub request_timeout: Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
}

/// One route of the JSON API: the table below is the only list of them, read by the router and by
/// the test that compares it with the OpenAPI document.
pub struct ApiRoute {
    pub method: Method,
    /// The path template, as axum and OpenAPI both write it (`/api/v1/blueprints/{bp}`).
    pub path: &'static str,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
    /// Operator work that takes as long as the stream is long (rebuild, verify, snapshot): not
    /// held to the request deadline.
    unbounded: bool,
}

/// The entries of [`API_ROUTES`], one a line: `METHOD "path" => handler;`, with `, unbounded`
/// after the handler for operator work that is not held to the request deadline.
macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:path $(, $unbounded:ident)?;)*) => {
        &[$(ApiRoute {
            method: Method::$method,
            path: $path,
            handler: |m| on(m, $handler),
            unbounded: api_routes!(@unbounded $($unbounded)?),
        },)*]
    };
    (@unbounded) => { false };
    (@unbounded unbounded) => { true };
}

/// Every route under `/api/v1`.
pub const API_ROUTES: &[ApiRoute] = api_routes![
    GET "/api/v1/openapi.json" => openapi::document;
    GET "/api/v1/organisations" => api::organisations;
    POST "/api/v1/organisations" => commands::create_organisation;
    GET "/api/v1/organisations/{id}" => api::organisation;
    GET "/api/v1/organisations/{id}/involvement" => api::involvement;
    POST "/api/v1/organisations/{id}/{action}" => commands::act_organisation;
    GET "/api/v1/blueprints" => api::blueprints;
    POST "/api/v1/blueprints" => commands::create_blueprint;
    GET "/api/v1/blueprints/{bp}" => api::blueprint;
    POST "/api/v1/blueprints/{bp}/{action}" => commands::act_blueprint;
    GET "/api/v1/portfolio" => api::portfolio;
    GET "/api/v1/blueprints/{bp}/dashboard" => api::dashboard;
    GET "/api/v1/blueprints/{bp}/board" => api::board;
    GET "/api/v1/blueprints/{bp}/milestones" => api::milestones;
    POST "/api/v1/blueprints/{bp}/milestones" => commands::create_milestone;
    GET "/api/v1/blueprints/{bp}/milestones/{id}" => api::milestone;
    POST "/api/v1/blueprints/{bp}/milestones/{id}/{action}" => commands::act_milestone;
    GET "/api/v1/blueprints/{bp}/commitments" => api::commitments;
    POST "/api/v1/blueprints/{bp}/commitments" => commands::create_commitment;
    GET "/api/v1/blueprints/{bp}/commitments/{id}" => api::commitment;
    POST "/api/v1/blueprints/{bp}/commitments/{id}/{action}" => commands::act_commitment;
    GET "/api/v1/blueprints/{bp}/pledges" => api::pledges;
    POST "/api/v1/blueprints/{bp}/pledges" => commands::create_pledge;
    GET "/api/v1/blueprints/{bp}/pledges/{id}" => api::pledge;
    POST "/api/v1/blueprints/{bp}/pledges/{id}/{action}" => commands::act_pledge;
    GET "/api/v1/admin/quarantine" => admin::quarantine;
    POST "/api/v1/admin/quarantine/replay" => admin::replay;
    POST "/api/v1/admin/quarantine/{seq}/void" => admin::void;
    GET "/api/v1/admin/snapshot" => admin::snapshot, unbounded;
    POST "/api/v1/admin/verify" => admin::verify, unbounded;
    POST "/api/v1/admin/rebuild" => admin::rebuild, unbounded;
];

/// The JSON API's routes, from [`API_ROUTES`] (routes of one path merge).
fn api_router(unbounded: bool) -> Router<AppState> {
    API_ROUTES
        .iter()
        .filter(|r| r.unbounded == unbounded)
        .fold(Router::new(), |router, r| {
            let filter = MethodFilter::try_from(r.method.clone()).expect("GET or POST");
            router.route(r.path, (r.handler)(filter))
        })
}

/// Builds the router over `state`.
pub fn router(state: AppState) -> Router {
    let http_metrics =
        HttpMetrics::register(&state.registry).unwrap_or_else(|_| HttpMetrics::unregistered());
    Router::new()
        .route("/", get(pages::index))
        .route("/portfolio.csv", get(tables::portfolio))
        .route("/sign-in", get(pages::sign_in_form).post(pages::sign_in))
        .route("/sign-out", post(pages::sign_out))
        .route(
            "/organisations",
            get(pages::organisations).post(pages::post_register),
        )
        .route("/organisations/{id}", get(pages::organisation))
        .route("/organisations/{id}/{action}", post(pages::post_org_action))
        .route("/blueprints", post(pages::post_draft))
        .route("/blueprints/{bp}", get(pages::blueprint))
        .route("/blueprints/{bp}/board", get(pages::board))
        .route("/blueprints/{bp}/activity", get(pages::activity))
        .route("/blueprints/{bp}/feed.atom", get(feed::milestones))
        .route("/blueprints/{bp}/tables/{file}", get(tables::csv))
        .route("/blueprints/{bp}/board.csv", get(pages::board_csv))
        .route(
            "/blueprints/{bp}/import",
            post(upload::upload).layer(DefaultBodyLimit::max(upload::UPLOAD_LIMIT)),
        )
        .route("/blueprints/{bp}/{segment}", post(pages::post_in_blueprint))
        .route("/blueprints/{bp}/{things}/{id}", get(pages::thing))
        .route(
            "/blueprints/{bp}/{things}/{id}/{action}",
            post(pages::post_thing),
        )
        .route("/assets/{name}", get(assets::serve))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .merge(api_router(false))
        // Live streams are long-lived by design, and so is operator work over the whole stream;
        // every other request has a deadline.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.request_timeout,
        ))
        .route("/blueprints/{bp}/live", get(live::blueprint))
        .merge(api_router(true))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            http_metrics,
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

async fn metrics_text(
    State(state): State<AppState>,
    caller: auth::Caller,
) -> Result<impl IntoResponse, problem::ApiError> {
    if state.metrics_need_token {
        caller.require()?;
    }
    Ok((
        [(header::CONTENT_TYPE, telemetry::ops::METRICS_CONTENT_TYPE)],
        telemetry::ops::render_metrics(&state.registry),
    ))
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if !state.stream.connected() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: NATS is not connected\n".to_owned(),
        );
    }
    if !state.caught_up.load(Ordering::Relaxed) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the projector is catching up\n".to_owned(),
        );
    }
    for check in state.also_ready.iter() {
        if let Err(why) = check() {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {why}\n"),
            );
        }
    }
    if let Some(why) = state.projection.stalled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        );
    }
    let lag = state.projector_metrics.lag_commits.get();
    if lag > state.ready_max_lag {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: the projector is {lag} commits behind\n"),
        );
    }
    (StatusCode::OK, "ready\n".to_owned())
}

/// A running dashboard's handles.
pub struct Running {
    pub addr: SocketAddr,
    /// The read models this replica serves.
    pub db: Arc<projector::models::ReadModels>,
    pub checkpoint: watch::Receiver<u64>,
    pub task: tokio::task::JoinHandle<()>,
}

/// Why a dashboard did not start. Nothing is served in any case; the message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The read-model file could not be opened (its path, its permissions, or another process
    /// holding it).
    #[error(transparent)]
    ReadModels(#[from] projector::DbError),
    /// A metric could not be registered in the given registry: a bug (two metrics of one name).
    #[error(transparent)]
    Metrics(#[from] prometheus::Error),
    /// The end of the event stream could not be read: NATS is unreachable; retry once it is back.
    #[error(transparent)]
    Stream(#[from] eventstore::StoreError),
    /// The tokens file could not be read; fix or remove it.
    #[error(transparent)]
    Tokens(#[from] auth::TokenFileError),
    /// The listener has no local address.
    #[error(transparent)]
    Listener(#[from] std::io::Error),
}

/// Opens the read models, starts the projector and serves HTTP on `listener` until `shutdown`.
/// The dashboard and its projector read through `stream`, and commands are sent on its
/// connection.
pub async fn start(
    config: &DashboardConfig,
    listener: tokio::net::TcpListener,
    stream: StreamReader,
    registry: Registry,
    also_ready: Vec<telemetry::ops::ReadinessCheck>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, StartError> {
    let db = Arc::new(projector::models::ReadModels::open(&config.db_path)?);
    let projector_metrics = ProjectorMetrics::register(&registry)?;
    let projector = Projector::new(db.clone(), stream.clone(), projector_metrics.clone())?
        .with_stall_after(Duration::from_millis(config.stall_after_ms));
    let checkpoint = projector.checkpoint();
    let caught_up = Arc::new(AtomicBool::new(false));
    let start_seq = stream.stream_last_seq().await?;
    {
        let caught_up = caught_up.clone();
        let mut rx = checkpoint.clone();
        tokio::spawn(async move {
            if rx.wait_for(|cp| *cp >= start_seq).await.is_ok() {
                caught_up.store(true, Ordering::Relaxed);
                tracing::info!(checkpoint = start_seq, "projector caught up");
            }
        });
    }
    registry.register(Box::new(business::BusinessMetrics::new(
        db.clone(),
        RagRules::default(),
    )))?;
    telemetry::ops::register_process_metrics(&registry)?;
    let stream_end_requests = prometheus::IntCounter::new(
        "waymark_stream_end_requests_total",
        "Requests for the stream's last sequence made to check min_seq (shared by concurrent reads)",
    )?;
    registry.register(Box::new(stream_end_requests.clone()))?;
    let stream_end = Arc::new(stream_end::StreamEnd::new(
        stream.clone(),
        Duration::from_millis(50),
        stream_end_requests,
    ));
    let state = AppState(Arc::new(Shared {
        db: db.clone(),
        commands: CommandSender::new(&stream, Duration::from_millis(config.command_timeout_ms)),
        stream,
        checkpoint: checkpoint.clone(),
        registry,
        projector_metrics,
        rules: RagRules::default(),
        min_seq_wait: Duration::from_millis(config.min_seq_wait_ms),
        ready_max_lag: config.ready_max_lag,
        projection: projector.health(),
        stream_end,
        caught_up,
        also_ready: Arc::new(also_ready),
        tokens: Arc::new(auth::Tokens::load(config.tokens_file.clone())?),
        sessions: Arc::new(session::Sessions::default()),
        secure_cookies: config.secure_cookies,
        metrics_need_token: config.metrics_need_token,
        live: live::LiveStreams::new(config.live_streams),
        request_timeout: Duration::from_millis(config.request_timeout_ms),
        trusted_proxies: Arc::new(config.trusted_proxies.clone()),
        public_url: config
            .public_url
            .as_ref()
            .map(|u| u.trim_end_matches('/').to_owned()),
    }));
    let addr = listener.local_addr()?;
    let app = router(state);
    let limits = server::Limits {
        header_read_timeout: Duration::from_millis(config.header_timeout_ms),
        max_connections: config.max_connections,
        drain: Duration::from_secs(10),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let projection = tokio::spawn(projector.run(stopped(stop_rx.clone())));
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        server::serve(listener, app, limits, stop_rx).await;
        let _ = projection.await;
    });
    tracing::info!(%addr, "dashboard listening");
    Ok(Running {
        addr,
        db,
        checkpoint,
        task,
    })
}

#[cfg(test)]
mod settings_tests;
