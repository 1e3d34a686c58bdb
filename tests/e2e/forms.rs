//! Browsers: sign in with a token, record and correct a milestone through forms that work without
//! JavaScript, see every change with the recorder's name, and CSRF and roles enforced.

use reqwest::redirect::Policy;
use serde_json::json;
use tests::TestApp;

/// A browser-like client: no redirects followed, cookies kept by hand.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    html: String,
}

impl Page {
    /// Asserts that the page shows `text`; a failure prints the page.
    #[track_caller]
    fn assert_shows(&self, text: &str) {
        assert!(
            self.html.contains(text),
            "{text:?} is not on the page:\n{}",
            self.html
        );
    }
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookie: None,
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = match &self.cookie {
            Some(c) => request.header("cookie", c),
            None => request,
        };
        let response = request.send().await.unwrap();
        if let Some(set) = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
        {
            let pair = set.split(';').next().unwrap().to_owned();
            self.cookie = if pair.ends_with('=') {
                None
            } else {
                Some(pair)
            };
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Page {
            status,
            location,
            html: response.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let r = self.http.get(format!("{}{path}", self.base));
        self.send(r).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(r).await
    }

    /// Posts a multipart `form` (its content type and body, see [`multipart`]) to `path`.
    async fn upload(&mut self, path: &str, (content_type, body): (String, Vec<u8>)) -> Page {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        self.send(r).await
    }

    async fn sign_in(&mut self, token: &str) -> Page {
        self.post("/sign-in", &[("token", token), ("next", "/")])
            .await
    }

    /// A browser signed in to `app` with `token`.
    async fn signed_in(app: &TestApp, token: &str) -> Self {
        let mut browser = Self::new(app);
        let signed_in = browser.sign_in(token).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.html);
        browser
    }
}

/// The value of the hidden input named `name` in the form posting to `action`, if it has one.
fn hidden_input<'a>(html: &'a str, action: &str, name: &str) -> Option<&'a str> {
    let form = &html[html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to {action}"))..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    let needle = format!("name=\"{name}\" value=\"");
    let start = form.find(&needle)? + needle.len();
    Some(&form[start..start + form[start..].find('"')?])
}

/// The value of the hidden input named `name` in the form posting to `action`.
fn hidden(html: &str, action: &str, name: &str) -> String {
    hidden_input(html, action, name)
        .unwrap_or_else(|| panic!("no {name} in the form to {action}"))
        .to_owned()
}

impl Browser {
    /// Submits the form posting to `action` on `page` as a browser would: with the hidden inputs
    /// the page gave it (CSRF token, idempotency key, version) and the `typed` fields, which take
    /// the place of a hidden input of the same name.
    async fn submit(&mut self, page: &Page, action: &str, typed: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = ["csrf", "idempotency_key", "version"]
            .into_iter()
            .filter(|name| typed.iter().all(|(t, _)| t != name))
            .filter_map(|name| Some((name, hidden_input(&page.html, action, name)?)))
            .collect();
        form.extend_from_slice(typed);
        self.post(action, &form).await
    }
}

#[tokio::test]
async fn a_recorder_records_and_corrects_a_milestone_through_forms() {
    let app = TestApp::with_blueprint("wm").await;
    let mut browser = Browser::new(&app);

    let signed_in = browser.sign_in(&app.tokens.recorder).await;
    assert_eq!(signed_in.status, 303);
    let cookie = browser.cookie.clone().expect("a session cookie");
    assert!(cookie.starts_with("waymark_session="));

    let page = browser.get("/blueprints/wm").await;
    // Signed in as the recorder.
    page.assert_shows("test-recorder");
    let plan = [
        ("id", "academy"),
        ("title", "GDS academy"),
        ("workstream", "skills"),
        ("owner", "gds"),
        ("due", "2027-03-31"),
        ("depends_on", ""),
    ];
    let planned = browser
        .submit(&page, "/blueprints/wm/milestones", &plan)
        .await;
    assert_eq!(planned.status, 303, "{}", planned.html);
    let to = planned.location.unwrap();
    assert!(
        to.starts_with("/blueprints/wm/milestones/academy?min_seq="),
        "{to}"
    );

    // A refused correction comes back with the message by the field and what was typed.
    let page = browser.get(&to).await;
    page.assert_shows("GDS academy");
    // A success banner says it was recorded.
    page.assert_shows("id=\"recorded\"");
    page.assert_shows(">Planned</strong>");
    page.assert_shows("action=\"/blueprints/wm/milestones/academy/start\"");
    assert!(
        !page
            .html
            .contains("action=\"/blueprints/wm/milestones/academy/reopen\""),
        "no form the state would refuse"
    );
    let url = "/blueprints/wm/milestones/academy/replan";
    let late = [("to", "2027-03-31"), ("reason", "Trainers <booked> late")];
    let refused = browser.submit(&page, url, &late).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    // The rule is shown.
    refused.assert_shows("is already forecast for 2027-03-31");
    assert!(
        refused.html.contains("Trainers &lt;booked&gt; late")
            || refused.html.contains("Trainers &#60;booked&#62; late"),
        "what was typed is kept, escaped"
    );
    // The field is marked.
    refused.assert_shows("aria-invalid=\"true\"");

    let later = [("to", "2027-04-30"), ("reason", "Trainers booked late")];
    let corrected = browser.submit(&page, url, &later).await;
    assert_eq!(corrected.status, 303, "{}", corrected.html);
    let after = browser.get(&corrected.location.unwrap()).await;
    after.assert_shows("Replanned from 2027-03-31 to 2027-04-30: Trainers booked late");
    assert!(
        after.html.matches("test-recorder").count() >= 3,
        "every change carries the recorder's name"
    );

    // The same form sent again with an old version is refused, not applied twice.
    let again = [
        ("idempotency_key", "another-key"),
        ("to", "2027-05-31"),
        ("reason", "x"),
    ];
    let stale = browser.submit(&page, url, &again).await;
    assert_eq!(stale.status, 412, "{}", stale.html);

    // Without the CSRF token nothing is recorded.
    let before = app.last_seq().await;
    let forged = browser
        .post(url, &[("to", "2027-06-30"), ("reason", "forged")])
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.last_seq().await, before);

    // Signing out ends the session: the old cookie no longer works.
    let page = browser.get("/blueprints/wm").await;
    let out = browser.submit(&page, "/sign-out", &[]).await;
    assert_eq!(out.status, 303);
    assert!(browser.cookie.is_none(), "the cookie is cleared");
    browser.cookie = Some(cookie);
    let after = browser.get("/blueprints/wm").await;
    assert!(
        !after.html.contains("Signed in as test-recorder"),
        "the old session is gone"
    );
}

#[tokio::test]
async fn a_viewer_gets_no_forms_and_cannot_post() {
    let app = TestApp::with_blueprint("wm").await;
    let mut browser = Browser::signed_in(&app, &app.tokens.viewer).await;
    let page = browser.get("/blueprints/wm").await;
    page.assert_shows("test-viewer");
    assert!(
        !page.html.contains("action=\"/blueprints/wm/milestones\""),
        "no recording forms for a viewer"
    );
    // The session's CSRF token, from the one form a viewer has.
    let csrf = hidden(&page.html, "/sign-out", "csrf");
    let before = app.last_seq().await;
    let plan = [
        ("csrf", csrf.as_str()),
        ("id", "x"),
        ("title", "X"),
        ("workstream", "skills"),
        ("owner", "gds"),
        ("due", "2027-01-01"),
    ];
    let tried = browser.post("/blueprints/wm/milestones", &plan).await;
    assert_eq!(tried.status, 403, "{}", tried.html);
    assert_eq!(app.last_seq().await, before);
}

#[tokio::test]
async fn failed_sign_ins_are_limited_and_each_sign_in_gets_a_new_session() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::new(&app);
    let first = browser.sign_in(&app.tokens.recorder).await;
    assert_eq!(first.status, 303);
    let one = browser.cookie.clone().unwrap();
    browser.sign_in(&app.tokens.recorder).await;
    assert_ne!(
        browser.cookie.clone().unwrap(),
        one,
        "a new session id at every sign-in"
    );

    let mut stranger = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(stranger.sign_in("wm_wrong").await.status, 401);
    }
    let limited = stranger.sign_in(&app.tokens.recorder).await;
    assert_eq!(
        limited.status, 429,
        "even a good token waits once the limit is reached"
    );
}

#[tokio::test]
async fn every_command_works_through_a_form() {
    let app = TestApp::with_blueprint("wm").await;
    let mut browser = Browser::signed_in(&app, &app.admin_token).await;
    let page = browser.get("/").await;
    let csrf = hidden(&page.html, "/blueprints", "csrf");
    let steps: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/organisations",
            vec![
                ("id", "wmca"),
                ("name", "WMCA"),
                ("org_type", "combined_authority"),
            ],
        ),
        (
            "/organisations/wmca/rename",
            vec![("name", "West Midlands Combined Authority")],
        ),
        (
            "/blueprints",
            vec![
                ("id", "fb"),
                ("title", "Forms blueprint"),
                ("summary", ""),
                ("lead_org", "gds"),
                ("start_date", "2026-01-01"),
                ("target_end_date", "2027-12-31"),
                ("funding_target", "1,000,000"),
                ("staff_time_target", ""),
            ],
        ),
        (
            "/blueprints/fb/add_workstream",
            vec![
                ("workstream", "hubs"),
                ("title", "Hubs"),
                ("lead_org", "gds"),
            ],
        ),
        (
            "/blueprints/fb/rename_workstream",
            vec![("workstream", "hubs"), ("title", "Digital hubs")],
        ),
        ("/blueprints/fb/add_partner", vec![("org", "gds")]),
        ("/blueprints/fb/add_partner", vec![("org", "wmca")]),
        (
            "/blueprints/fb/remove_partner",
            vec![("org", "wmca"), ("reason", "Joined another blueprint")],
        ),
        (
            "/blueprints/fb/set_target",
            vec![
                ("target", "roles"),
                ("title", "Roles"),
                ("unit", "roles"),
                ("target_value", "100"),
            ],
        ),
        (
            "/blueprints/fb/report_target",
            vec![("target", "roles"), ("value", "22"), ("note", "")],
        ),
        ("/blueprints/fb/publish", vec![]),
        (
            "/blueprints/fb/milestones",
            vec![
                ("id", "m"),
                ("title", "Hub opens"),
                ("workstream", "hubs"),
                ("owner", "gds"),
                ("due", "2027-03-31"),
                ("depends_on", ""),
            ],
        ),
        ("/blueprints/fb/milestones/m/start", vec![]),
        (
            "/blueprints/fb/milestones/m/report_progress",
            vec![("percent", "40"), ("note", "Fit-out")],
        ),
        (
            "/blueprints/fb/milestones/m/replan",
            vec![("to", "2027-04-30"), ("reason", "Landlord")],
        ),
        (
            "/blueprints/fb/milestones/m/complete",
            vec![
                ("on", "2026-06-01"),
                ("evidence", "https://example.org/hub"),
            ],
        ),
        (
            "/blueprints/fb/milestones/m/reopen",
            vec![("reason", "Evidence was for another hub")],
        ),
        (
            "/blueprints/fb/milestones/m/cancel",
            vec![("reason", "Merged into the Birmingham hub")],
        ),
        (
            "/blueprints/fb/commitments",
            vec![
                ("id", "c"),
                ("partner", "gds"),
                ("kind", "secondment"),
                ("description", "Two secondees"),
                ("quantity", "2"),
                ("unit", "people"),
                ("due", "2027-01-31"),
            ],
        ),
        (
            "/blueprints/fb/commitments/c/record_delivery",
            vec![("quantity", "1"), ("note", "")],
        ),
        (
            "/blueprints/fb/commitments/c/amend",
            vec![
                ("quantity", "1"),
                ("due", ""),
                ("reason", "One secondee is enough"),
            ],
        ),
        ("/blueprints/fb/commitments/c/fulfil", vec![]),
        (
            "/blueprints/fb/commitments",
            vec![
                ("id", "c2"),
                ("partner", "gds"),
                ("kind", "event_hosting"),
                ("description", "Host"),
                ("quantity", "1"),
                ("unit", "event"),
                ("due", "2027-01-31"),
            ],
        ),
        (
            "/blueprints/fb/commitments/c2/withdraw",
            vec![("reason", "Venue closed")],
        ),
        (
            "/blueprints/fb/pledges",
            vec![
                ("id", "p"),
                ("sponsor", "gds"),
                ("resource", "money"),
                ("amount", "250,000"),
                ("workstream", "hubs"),
                ("conditions", "Illustrative"),
            ],
        ),
        (
            "/blueprints/fb/pledges/p/confirm",
            vec![("amount", "200000")],
        ),
        (
            "/blueprints/fb/pledges/p/disburse",
            vec![("amount", "200000.00"), ("note", "")],
        ),
        ("/blueprints/fb/pledges/p/close", vec![]),
        (
            "/blueprints/fb/pledges",
            vec![
                ("id", "p2"),
                ("sponsor", "gds"),
                ("resource", "staff_time"),
                ("amount", "12.5"),
                ("workstream", ""),
                ("conditions", ""),
            ],
        ),
        (
            "/blueprints/fb/pledges/p2/withdraw",
            vec![("reason", "Team reassigned")],
        ),
        (
            "/blueprints/fb/retire_workstream",
            vec![("workstream", "hubs"), ("reason", "Done")],
        ),
        ("/blueprints/fb/close", vec![("reason", "Delivered")]),
    ];
    for (path, fields) in &steps {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields.iter().copied());
        let answer = browser.post(path, &form).await;
        assert_eq!(answer.status, 303, "{path}: {}", answer.html);
    }
    let summary = app
        .get_after(app.last_seq().await, "/api/v1/blueprints/fb")
        .await;
    assert_eq!(summary.body["status"], "closed");
    assert_eq!(summary.body["funding"]["money"]["disbursed"], 20_000_000u64);
    assert_eq!(
        summary.body["funding"]["staff_time"]["pledged"], 0,
        "a withdrawn pledge with nothing paid counts nothing"
    );
    assert_eq!(summary.body["milestones"]["cancelled"], 1);
    assert_eq!(summary.body["commitments"]["fulfilled"], 1);
    assert_eq!(summary.body["commitments"]["withdrawn"], 1);
    assert_eq!(summary.body["targets"][0]["reported_value"], 22);
    let m = app.get("/api/v1/blueprints/fb/milestones/m").await;
    assert_eq!(m.history().len(), 7, "every form left its event");
}

/// A multipart form body, as a browser sends a file upload.
fn multipart(fields: &[(&str, &str)], file: &str) -> (String, Vec<u8>) {
    let boundary = "waymark-test-boundary-7d1f";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"register.csv\"\r\ncontent-type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

#[tokio::test]
async fn a_csv_upload_is_checked_whole_and_reported_by_row() {
    let app = TestApp::with_blueprint("wm").await;
    let mut browser = Browser::signed_in(&app, &app.tokens.recorder).await;
    let page = browser.get("/blueprints/wm").await;
    let csrf = hidden(&page.html, "/blueprints/wm/import", "csrf");
    let mut csv = String::from("id,workstream,title,owner,due,depends_on\n");
    for i in 1..=50 {
        let due = if i == 27 {
            "2027-02-30".to_owned()
        } else {
            format!("2027-03-{:02}", 1 + i % 28)
        };
        let deps = if i > 1 && i % 10 == 0 {
            format!("m{}", i - 1)
        } else {
            String::new()
        };
        csv.push_str(&format!("m{i},skills,Milestone {i},gds,{due},{deps}\n"));
    }
    let import = "/blueprints/wm/import";
    let file = |csv: &str| multipart(&[("csrf", &csrf), ("register", "milestones")], csv);
    let before = app.last_seq().await;
    let report = browser.upload(import, file(&csv)).await;
    assert_eq!(report.status, 422, "{}", report.html);
    report.assert_shows("Nothing was recorded.");
    assert!(
        report
            .html
            .contains("row 28, column due: Due date must be a date like 2027-03-31, not &#34;2027-02-30&#34;")
            || report
                .html
                .contains("row 28, column due: Due date must be a date like 2027-03-31, not &quot;2027-02-30&quot;"),
        "{}",
        report.html
    );
    assert_eq!(
        app.last_seq().await,
        before,
        "a file with a bad row records nothing"
    );

    let fixed = csv.replace("2027-02-30", "2027-02-28");
    let report = browser.upload(import, file(&fixed)).await;
    assert_eq!(report.status, 200, "{}", report.html);
    report.assert_shows("50 rows: 50 recorded, 0 already recorded.");

    let again = browser.upload(import, file(&fixed)).await;
    again.assert_shows("50 rows: 0 recorded, 50 already recorded.");
    let m20 = app
        .get_after(app.last_seq().await, "/api/v1/blueprints/wm/milestones/m20")
        .await;
    assert_eq!(m20.body["depends_on"], json!(["m19"]));
    assert_eq!(m20.history()[0]["actor"], "test-recorder");
}

#[tokio::test]
async fn an_upload_is_refused_before_its_file_is_read() {
    let app = TestApp::with_blueprint("wm").await;
    let import = "/blueprints/wm/import";
    // Anonymous: refused before the body is even parsed as a form.
    let not_a_form = ("text/plain".to_owned(), b"not a form at all".to_vec());
    let anonymous = Browser::new(&app).upload(import, not_a_form).await;
    assert_eq!(anonymous.status, 401);

    let mut browser = Browser::signed_in(&app, &app.tokens.recorder).await;
    let page = browser.get("/blueprints/wm").await;
    let csrf = hidden(&page.html, "/blueprints/wm/import", "csrf");
    let csv = "id,workstream,title,owner,due,depends_on\nm1,skills,One,gds,2027-03-01,\n";
    let before = app.last_seq().await;
    // A file sent before the CSRF token is not read: the token decides whether it may be.
    let boundary = "waymark-test-boundary-7d1f";
    let body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"register\"\r\n\r\nmilestones\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n\r\n{csv}\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let report = browser
        .upload(import, (content_type, body.into_bytes()))
        .await;
    assert_eq!(report.status, 403, "{}", report.html);
    // A viewer's session may not import, and its file is not read either.
    let mut viewer = Browser::signed_in(&app, &app.tokens.viewer).await;
    let file = multipart(&[("csrf", "wrong"), ("register", "milestones")], csv);
    assert_eq!(viewer.upload(import, file).await.status, 403);
    assert_eq!(app.last_seq().await, before);
}
