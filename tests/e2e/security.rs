//! What the HTTP surface holds against a hostile browser or client: security headers on every
//! answer, no caching of what a token reached, no open redirect after sign-in, no login CSRF,
//! authentication before validation, and metric labels a client cannot mint.

use serde_json::json;
use tests::TestApp;

fn no_redirect() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::with_blueprint("wm").await;
    for path in [
        "/",
        "/blueprints/wm",
        "/api/v1/blueprints/wm",
        "/nothing-here",
        "/assets/waymark.css",
    ] {
        let r = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "{path}: not over TLS"
        );
        assert!(
            h.get("cache-control").is_none_or(|v| v != "no-store"),
            "{path}: public answers may be cached"
        );
    }
    // What a token reached is never stored.
    let r = app
        .http
        .get(format!("{}/api/v1/blueprints/wm", app.base))
        .bearer_auth(&app.tokens.viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    // Behind a TLS-terminating proxy, browsers are told to keep to HTTPS.
    let r = app
        .http
        .get(format!("{}/", app.base))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn sign_in_returns_only_to_this_site_and_only_from_it() {
    let app = TestApp::spawn().await;
    let http = no_redirect();
    let sign_in = |next: &'static str, headers: Vec<(&'static str, String)>| {
        let mut request = http
            .post(format!("{}/sign-in", app.base))
            .form(&[("token", app.tokens.viewer.as_str()), ("next", next)]);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        request.send()
    };
    for (next, expected) in [
        ("/blueprints/wm", "/blueprints/wm"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("/ /evil.example", "/"),
    ] {
        let r = sign_in(next, vec![]).await.unwrap();
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(r.headers()["location"], expected, "{next:?}");
    }
    let host = app.base.trim_start_matches("http://").to_owned();
    for (name, value) in [
        ("sec-fetch-site", "cross-site".to_owned()),
        ("sec-fetch-site", "same-site".to_owned()),
        ("origin", "http://evil.example".to_owned()),
    ] {
        let r = sign_in("/", vec![(name, value.clone())]).await.unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
        assert!(
            r.headers().get("set-cookie").is_none(),
            "no session for a forged sign-in"
        );
    }
    for (name, value) in [
        ("sec-fetch-site", "same-origin".to_owned()),
        ("origin", format!("http://{host}")),
    ] {
        let r = sign_in("/", vec![(name, value.clone())]).await.unwrap();
        assert_eq!(r.status(), 303, "{name}: {value}");
    }
}

#[tokio::test]
async fn an_anonymous_write_is_refused_before_its_body_is_checked() {
    let app = TestApp::spawn().await;
    for (path, body) in [
        ("/api/v1/blueprints", json!({})),
        (
            "/api/v1/blueprints/wm/milestones",
            json!({"nonsense": true}),
        ),
        ("/api/v1/blueprints/wm/milestones/a/replan", json!({})),
    ] {
        let answer = app.post_as(None, path, body).await;
        assert_eq!(answer.status, 401, "{path}: {}", answer.body);
        assert_eq!(answer.body["code"], json!("auth.unauthenticated"), "{path}");
    }
}

#[tokio::test]
async fn a_client_cannot_mint_metric_series_with_methods() {
    let app = TestApp::spawn().await;
    for method in ["FOO", "BREW", "PROPFIND"] {
        app.http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}/", app.base),
            )
            .send()
            .await
            .unwrap();
    }
    let (_, metrics) = app.get_text("/metrics").await;
    assert!(metrics.contains("method=\"other\""), "{metrics}");
    for method in ["FOO", "BREW", "PROPFIND"] {
        assert!(!metrics.contains(method));
    }
}

/// Whether the server closes `stream` (a read sees the end) within `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read).await.is_ok()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn_with(|c| c.header_timeout_ms = 300).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    assert!(
        closed_within(&mut slow, std::time::Duration::from_secs(5)).await,
        "a connection whose headers never end is closed"
    );
    // Others are served as usual.
    let ok = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn connections_past_the_limit_are_closed_at_once() {
    let app = TestApp::spawn_with(|c| {
        c.max_connections = 2;
        c.header_timeout_ms = 20_000;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let idle_a = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let idle_b = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut third = tokio::net::TcpStream::connect(&addr).await.unwrap();
    assert!(
        closed_within(&mut third, std::time::Duration::from_secs(2)).await,
        "a third connection is closed while two are open"
    );
    drop((idle_a, idle_b));
    // Once they close, requests are served again.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let fresh = reqwest::Client::new();
        if let Ok(r) = fresh.get(format!("{}/healthz", app.base)).send().await {
            assert_eq!(r.status(), 200);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "served again after the others closed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Signs in with a wrong token, as if from `forwarded`; returns the status.
async fn failed_sign_in(app: &TestApp, forwarded: &str) -> u16 {
    no_redirect()
        .post(format!("{}/sign-in", app.base))
        .header("x-forwarded-for", forwarded)
        .form(&[("token", "wm_wrong"), ("next", "/")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn sign_in_limits_count_the_client_behind_a_trusted_proxy_only() {
    // Behind a trusted proxy, one client's failures do not lock out the others.
    let app = TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    for _ in 0..5 {
        assert_eq!(failed_sign_in(&app, "10.0.0.1").await, 401);
    }
    assert_eq!(failed_sign_in(&app, "10.0.0.1").await, 429);
    assert_eq!(
        failed_sign_in(&app, "10.0.0.2").await,
        401,
        "another client is not locked out"
    );
    // Without one, a client cannot dodge the limit by naming another address.
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        assert_eq!(failed_sign_in(&app, "10.0.0.1").await, 401);
    }
    assert_eq!(failed_sign_in(&app, "10.0.0.9").await, 429);
}
