//! The demo blueprint `wm-digital`, built from the West Midlands public sector digital blueprint:
//! the organisations it names, its workstreams, milestones, partners' commitments and sponsors'
//! pledges. It is recorded through the HTTP API like any other data, with dates spread over the
//! past months. Every pledge amount is illustrative, and says so in its conditions.

use chrono::{Days, NaiveDate, Timelike};
use serde_json::{Value, json};

use crate::client::{ApiClient, ClientError};

/// Id of the demo blueprint.
pub const DEMO_BLUEPRINT: &str = "wm-digital";

struct Step {
    path: String,
    body: Value,
    /// Days before today that the fact happened.
    days_ago: u64,
}

fn step(path: impl Into<String>, days_ago: u64, body: Value) -> Step {
    Step {
        path: path.into(),
        body,
        days_ago,
    }
}

fn date(today: NaiveDate, offset_days: i64) -> String {
    let d = if offset_days >= 0 {
        today.checked_add_days(Days::new(offset_days as u64))
    } else {
        today.checked_sub_days(Days::new(offset_days.unsigned_abs()))
    };
    d.unwrap_or(today).to_string()
}

fn steps(today: NaiveDate) -> Vec<Step> {
    let d = |offset: i64| date(today, offset);
    let bp = "/api/v1/blueprints/wm-digital";
    let mut s = Vec::new();
    for (id, name, org_type) in [
        ("opg", "Office of the Public Guardian", "central_government"),
        ("gds", "Government Digital Service", "central_government"),
        (
            "hmcts",
            "HM Courts & Tribunals Service",
            "central_government",
        ),
        (
            "mhclg",
            "Ministry of Housing, Communities & Local Government",
            "central_government",
        ),
        (
            "birmingham-cc",
            "Birmingham City Council",
            "local_government",
        ),
        ("coventry-cc", "Coventry City Council", "local_government"),
        (
            "wolverhampton-cc",
            "City of Wolverhampton Council",
            "local_government",
        ),
        (
            "wmca",
            "West Midlands Combined Authority",
            "combined_authority",
        ),
        ("wm-fire", "West Midlands Fire Service", "emergency_service"),
        ("wm-police", "West Midlands Police", "emergency_service"),
        (
            "solihull-college",
            "Solihull College & University Centre",
            "education_provider",
        ),
        (
            "midlands-suppliers",
            "Midlands digital suppliers network",
            "supplier",
        ),
    ] {
        s.push(step(
            "/api/v1/organisations",
            160,
            json!({"id": id, "name": name, "org_type": org_type}),
        ));
    }
    s.push(step("/api/v1/blueprints", 158, json!({
        "id": "wm-digital",
        "title": "West Midlands public sector digital blueprint",
        "summary": "Transform and unify the region's public sector digital teams: join up central and local government, emergency services, colleges and suppliers; bring a GDS pop-up academy and an HMCTS digital hub with 100 tech roles to Birmingham; share people, code and components.",
        "lead_org": "opg",
        "start_date": d(-158),
        "target_end_date": d(400),
        "funding_target": 150_000_000u64,
        "staff_time_target": 50_000u64
    })));
    for (id, title, lead) in [
        ("skills-pipeline", "Skills pipeline", "wmca"),
        ("collaboration", "Collaboration and community", "opg"),
        ("digital-hubs", "Digital hubs", "hmcts"),
        ("shared-code", "Sharing code and components", "gds"),
    ] {
        s.push(step(
            format!("{bp}/add-workstream"),
            157,
            json!({"workstream": id, "title": title, "lead_org": lead}),
        ));
    }
    for org in [
        "opg",
        "gds",
        "hmcts",
        "mhclg",
        "birmingham-cc",
        "coventry-cc",
        "wolverhampton-cc",
        "wmca",
        "wm-fire",
        "wm-police",
        "solihull-college",
        "midlands-suppliers",
    ] {
        s.push(step(format!("{bp}/add-partner"), 156, json!({"org": org})));
    }
    s.push(step(format!("{bp}/set-target"), 156, json!({"target": "tech-roles", "title": "Tech roles created in Birmingham", "unit": "roles", "target_value": 100})));
    s.push(step(format!("{bp}/set-target"), 156, json!({"target": "placements", "title": "College placements with public sector teams", "unit": "placements", "target_value": 40})));
    s.push(step(format!("{bp}/publish"), 155, json!({})));

    let ms = format!("{bp}/milestones");
    let plan = |id: &str, ws: &str, owner: &str, title: &str, due: String, deps: &[&str]| json!({"id": id, "workstream": ws, "owner": owner, "title": title, "due": due, "depends_on": deps});
    s.push(step(
        &ms,
        154,
        plan(
            "launch-event",
            "collaboration",
            "opg",
            "Public Sector Digital Midlands launch event",
            d(-140),
            &[],
        ),
    ));
    s.push(step(
        &ms,
        154,
        plan(
            "investment-asks",
            "skills-pipeline",
            "wmca",
            "Investment and time asks agreed with GDS, MHCLG and WMCA",
            d(-45),
            &[],
        ),
    ));
    s.push(step(
        &ms,
        150,
        plan(
            "gds-academy",
            "skills-pipeline",
            "gds",
            "GDS pop-up academy opens in the region",
            d(-20),
            &[],
        ),
    ));
    s.push(step(
        &ms,
        150,
        plan(
            "hmcts-hub",
            "digital-hubs",
            "hmcts",
            "HMCTS digital hub opens in Birmingham",
            d(120),
            &[],
        ),
    ));
    s.push(step(
        &ms,
        150,
        plan(
            "hub-100-roles",
            "digital-hubs",
            "hmcts",
            "100 civil servant tech roles in post at the Birmingham hub",
            d(330),
            &["hmcts-hub"],
        ),
    ));
    s.push(step(
        &ms,
        140,
        plan(
            "oneteamgov-midlands",
            "collaboration",
            "opg",
            "OneTeamGov Midlands event",
            d(10),
            &["launch-event"],
        ),
    ));
    s.push(step(
        &ms,
        138,
        plan(
            "heads-of-digital",
            "collaboration",
            "opg",
            "Heads of digital network meets monthly",
            d(-90),
            &["launch-event"],
        ),
    ));
    s.push(step(
        &ms,
        120,
        plan(
            "secondment-scheme",
            "collaboration",
            "birmingham-cc",
            "Cross-organisation secondment scheme agreed",
            d(-5),
            &[],
        ),
    ));
    s.push(step(
        &ms,
        110,
        plan(
            "hack-event",
            "collaboration",
            "wm-fire",
            "First joint hack event across emergency services and councils",
            d(60),
            &["secondment-scheme"],
        ),
    ));
    s.push(step(
        &ms,
        100,
        plan(
            "college-pipeline",
            "skills-pipeline",
            "solihull-college",
            "College-to-employer pipeline pilot",
            d(45),
            &[],
        ),
    ));
    s.push(step(
        &ms,
        90,
        plan(
            "shared-components",
            "shared-code",
            "gds",
            "Shared component library published for Midlands teams",
            d(200),
            &[],
        ),
    ));

    let m = |id: &str, action: &str| format!("{ms}/{id}/{action}");
    s.push(step(m("launch-event", "complete"), 141, json!({"on": d(-141), "evidence": "https://www.example.org/public-sector-digital-midlands"})));
    s.push(step(m("investment-asks", "start"), 120, json!({})));
    s.push(step(
        m("investment-asks", "complete"),
        48,
        json!({"on": d(-48)}),
    ));
    s.push(step(m("heads-of-digital", "start"), 130, json!({})));
    s.push(step(
        m("heads-of-digital", "complete"),
        92,
        json!({"on": d(-92)}),
    ));
    s.push(step(m("gds-academy", "start"), 100, json!({})));
    s.push(step(
        m("gds-academy", "report-progress"),
        60,
        json!({"percent": 40, "note": "Venue agreed at Birmingham Council House"}),
    ));
    s.push(step(
        m("gds-academy", "replan"),
        25,
        json!({"to": d(30), "reason": "Trainer availability moved the first cohort back"}),
    ));
    s.push(step(
        m("gds-academy", "report-progress"),
        7,
        json!({"percent": 70, "note": "First cohort of 24 confirmed"}),
    ));
    s.push(step(m("hmcts-hub", "start"), 80, json!({})));
    s.push(step(
        m("hmcts-hub", "report-progress"),
        14,
        json!({"percent": 35, "note": "Building fit-out under way; 22 roles advertised"}),
    ));
    s.push(step(m("secondment-scheme", "start"), 60, json!({})));
    s.push(step(
        m("secondment-scheme", "report-progress"),
        20,
        json!({"percent": 40, "note": "Draft agreement with three councils"}),
    ));
    s.push(step(
        m("college-pipeline", "replan"),
        30,
        json!({"to": d(95), "reason": "Aligned with the college's spring term"}),
    ));
    s.push(step(
        format!("{bp}/report-target"),
        14,
        json!({"target": "tech-roles", "value": 22, "note": "Roles advertised at the hub"}),
    ));
    s.push(step(
        format!("{bp}/report-target"),
        10,
        json!({"target": "placements", "value": 4}),
    ));

    let cs = format!("{bp}/commitments");
    let make = |id: &str,
                partner: &str,
                kind: &str,
                description: &str,
                quantity: u64,
                unit: &str,
                due: String| {
        json!({"id": id, "partner": partner, "kind": kind, "description": description, "quantity": quantity, "unit": unit, "due": due})
    };
    s.push(step(
        &cs,
        135,
        make(
            "gds-secondees",
            "gds",
            "secondment",
            "Two GDS secondees to the OneTeamGov Midlands organising team",
            2,
            "people",
            d(10),
        ),
    ));
    s.push(step(
        &cs,
        135,
        make(
            "bcc-event-hosting",
            "birmingham-cc",
            "event_hosting",
            "Host the OneTeamGov Midlands event",
            1,
            "event",
            d(10),
        ),
    ));
    s.push(step(
        &cs,
        130,
        make(
            "opg-components",
            "opg",
            "sharing_code",
            "Publish OPG's digital components in the open for Midlands teams",
            3,
            "components",
            d(-30),
        ),
    ));
    s.push(step(
        &cs,
        120,
        make(
            "solihull-placements",
            "solihull-college",
            "training_or_placements",
            "Student placements with public sector digital teams",
            10,
            "placements",
            d(120),
        ),
    ));
    s.push(step(
        &cs,
        110,
        make(
            "police-hack",
            "wm-police",
            "event_hosting",
            "Host a hack event on shared case data",
            1,
            "event",
            d(-10),
        ),
    ));
    let c = |id: &str, action: &str| format!("{cs}/{id}/{action}");
    s.push(step(
        c("gds-secondees", "record-delivery"),
        40,
        json!({"quantity": 1, "note": "First secondee started"}),
    ));
    s.push(step(
        c("opg-components", "record-delivery"),
        70,
        json!({"quantity": 2, "note": "Form builder and address lookup"}),
    ));
    s.push(step(
        c("opg-components", "record-delivery"),
        35,
        json!({"quantity": 2, "note": "Case timeline and notifications; one more than promised"}),
    ));
    s.push(step(c("opg-components", "fulfil"), 34, json!({})));
    s.push(step(
        c("solihull-placements", "record-delivery"),
        10,
        json!({"quantity": 4}),
    ));

    let ps = format!("{bp}/pledges");
    let pledge = |id: &str,
                  sponsor: &str,
                  resource: &str,
                  amount: u64,
                  ws: Option<&str>,
                  conditions: &str| {
        json!({"id": id, "sponsor": sponsor, "resource": resource, "amount": amount, "workstream": ws, "conditions": conditions})
    };
    s.push(step(
        &ps,
        150,
        pledge(
            "gds-academy",
            "gds",
            "money",
            25_000_000,
            Some("skills-pipeline"),
            "Illustrative amount. Academy places for at least 60 public servants in the region.",
        ),
    ));
    s.push(step(
        &ps,
        148,
        pledge(
            "mhclg-local-digital",
            "mhclg",
            "money",
            40_000_000,
            Some("shared-code"),
            "Illustrative amount. Open code reusable by other councils.",
        ),
    ));
    s.push(step(
        &ps,
        140,
        pledge(
            "wmca-skills",
            "wmca",
            "money",
            30_000_000,
            Some("skills-pipeline"),
            "Illustrative amount. Subject to combined authority board approval.",
        ),
    ));
    s.push(step(
        &ps,
        140,
        pledge(
            "hmcts-staff-time",
            "hmcts",
            "staff_time",
            15_000,
            Some("digital-hubs"),
            "Illustrative amount. Staff time to mentor hub recruits.",
        ),
    ));
    s.push(step(
        &ps,
        100,
        pledge(
            "bcc-venue",
            "birmingham-cc",
            "money",
            2_000_000,
            None,
            "Illustrative amount. Venue costs for community events.",
        ),
    ));
    let p = |id: &str, action: &str| format!("{ps}/{id}/{action}");
    s.push(step(
        p("gds-academy", "confirm"),
        120,
        json!({"amount": 20_000_000}),
    ));
    s.push(step(
        p("gds-academy", "disburse"),
        90,
        json!({"amount": 8_000_000, "note": "First tranche"}),
    ));
    s.push(step(
        p("gds-academy", "disburse"),
        30,
        json!({"amount": 4_000_000, "note": "Second tranche"}),
    ));
    s.push(step(
        p("mhclg-local-digital", "confirm"),
        110,
        json!({"amount": 40_000_000}),
    ));
    s.push(step(
        p("mhclg-local-digital", "disburse"),
        60,
        json!({"amount": 10_000_000}),
    ));
    s.push(step(
        p("hmcts-staff-time", "confirm"),
        100,
        json!({"amount": 15_000}),
    ));
    s.push(step(
        p("hmcts-staff-time", "disburse"),
        20,
        json!({"amount": 4_000, "note": "Mentoring for the first 22 roles"}),
    ));
    s.push(step(
        p("bcc-venue", "withdraw"),
        50,
        json!({"reason": "Council House offered free of charge instead"}),
    ));
    s
}

/// Whether the demo blueprint is already recorded.
pub async fn exists(client: &ApiClient) -> Result<bool, ClientError> {
    match client
        .get(&format!("/api/v1/blueprints/{DEMO_BLUEPRINT}"))
        .await
    {
        Ok(_) => Ok(true),
        Err(ClientError::Rejected { status: 404, .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Facts recorded after the rest of the demo although they happened weeks before: a programme
/// office catching up, so that "as known at" an earlier instant differs from "as of" a date.
fn corrections() -> Vec<Step> {
    let bp = "/api/v1/blueprints/wm-digital";
    vec![
        step(
            format!("{bp}/commitments/gds-secondees/record-delivery"),
            25,
            json!({"quantity": 1, "note": "Second secondee started; recorded late"}),
        ),
        step(
            format!("{bp}/milestones/gds-academy/report-progress"),
            45,
            json!({"percent": 55, "note": "Trainers booked; recorded late"}),
        ),
    ]
}

/// What recording the demo did.
#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    /// Commands sent.
    pub commands: usize,
    /// An instant after the main history was recorded and before the back-dated corrections:
    /// `known_at` for a view without them.
    pub before_corrections: chrono::DateTime<chrono::Utc>,
}

/// Records the demo through the API, dated back from `today`. Each step has a fixed idempotency key,
/// so an interrupted run repeated with the same `today` records nothing twice (`waymark dev` keeps
/// that day in its data folder until the demo is complete). The back-dated corrections go last, in a
/// later second than the rest, so that a whole-second `known_at` tells them apart.
pub async fn record(client: &ApiClient, today: NaiveDate) -> Result<Recorded, ClientError> {
    let steps = steps(today);
    send(client, today, &steps, "demo-v1").await?;
    let now = chrono::Utc::now();
    let before_corrections = now.with_nanosecond(0).unwrap_or(now) + chrono::Duration::seconds(1);
    let wait = (before_corrections - now).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(10)).await;
    let corrections = corrections();
    send(client, today, &corrections, "demo-v1-correction").await?;
    Ok(Recorded {
        commands: steps.len() + corrections.len(),
        before_corrections,
    })
}

async fn send(
    client: &ApiClient,
    today: NaiveDate,
    steps: &[Step],
    key_prefix: &str,
) -> Result<(), ClientError> {
    for (i, s) in steps.iter().enumerate() {
        let mut body = s.body.clone();
        if let Value::Object(map) = &mut body {
            map.insert(
                "occurred_on".to_owned(),
                Value::String(date(today, -(s.days_ago as i64))),
            );
        }
        client
            .post(&s.path, &body, &format!("{key_prefix}-{i}"))
            .await?;
    }
    Ok(())
}
