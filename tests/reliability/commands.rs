//! Commands sent over HTTP as a client would send them, retried with the same idempotency key
//! while the answer is a retryable 503, and checked afterwards against the stream itself: every
//! acknowledged command stored exactly once, under the sequence it was acknowledged with, and none
//! that a rule refused stored at all.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use tests::Answer;
use tests::cluster::ClusterApp;
use tests::evidence::Run;
use tokio::sync::watch;

/// How long one command may stay unanswered by anything but retryable 503s.
const COMMAND_WITHIN: Duration = Duration::from_secs(120);

/// The final answer to one command.
#[derive(Debug, Clone)]
pub enum Fate {
    /// Acknowledged, with the sequence of its commit.
    Accepted(u64),
    /// Refused by a rule, with the rule's code.
    Refused(String),
}

/// One command a writer sent, and what became of it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub key: String,
    /// The code of the rule the command was written to break, if any.
    pub breaks: Option<&'static str>,
    pub fate: Fate,
}

/// What a writer met on the way.
#[derive(Debug, Default)]
pub struct Tally {
    /// 503 answers with `Retry-After`: the client is told to retry, and did.
    pub retried: u64,
    /// 5xx answers of any other kind, and 503s without `Retry-After`.
    pub server_errors: u64,
    /// Refusals the command was not written to meet.
    pub unexpected: u64,
    pub notes: Vec<String>,
}

/// How a writer reaches the dashboard: its HTTP client, base URL and token.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Client {
    pub fn of(app: &ClusterApp) -> Self {
        Self {
            http: app.http.clone(),
            base: app.bases[0].clone(),
            token: app.admin_token.clone(),
        }
    }
}

/// Sends `body` to `path` with `key` until it is answered with anything but a retryable failure.
async fn send_until_answered(
    client: &Client,
    path: &str,
    body: &Value,
    key: &str,
    tally: &mut Tally,
) -> Answer {
    let deadline = tokio::time::Instant::now() + COMMAND_WITHIN;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "command {key} got no final answer within {COMMAND_WITHIN:?}"
        );
        let sent = client
            .http
            .post(format!("{}{path}", client.base))
            .bearer_auth(&client.token)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                tally.server_errors += 1;
                tally.notes.push(format!("{key}: no HTTP answer: {e}"));
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let answer = Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        };
        if status < 500 {
            return answer;
        }
        let retry_after = answer
            .header("retry-after")
            .and_then(|s| s.parse::<u64>().ok());
        match (status, retry_after) {
            (503, Some(secs)) => {
                tally.retried += 1;
                tokio::time::sleep(Duration::from_secs(secs.min(1))).await;
            }
            _ => {
                tally.server_errors += 1;
                tally.notes.push(format!("{key}: {status} {}", answer.body));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// The `j`th command of writer `w` on blueprint `bp`: the writer's milestone is planned first,
/// then progress is reported on it; one command in ten plans it again, which the rules refuse.
fn command(bp: &str, w: usize, j: usize) -> (String, Value, Option<&'static str>) {
    let plan = json!({"id": format!("m{w}"), "workstream": "skills", "title": format!("Milestone {w}"),
                      "owner": "gds", "due": "2027-03-31"});
    match j {
        0 => (format!("/api/v1/blueprints/{bp}/milestones"), plan, None),
        j if j % 10 == 5 => (
            format!("/api/v1/blueprints/{bp}/milestones"),
            plan,
            Some("milestone.already_planned"),
        ),
        j => (
            format!("/api/v1/blueprints/{bp}/milestones/m{w}/report-progress"),
            json!({"percent": j % 100, "note": format!("writer {w}, report {j}")}),
            None,
        ),
    }
}

/// A writer sending its commands one after another, counting acknowledgements on `accepted`.
pub async fn writer(
    client: Client,
    bp: String,
    w: usize,
    commands: usize,
    accepted: watch::Sender<u64>,
) -> (Vec<Sent>, Tally) {
    let mut sent = Vec::with_capacity(commands);
    let mut tally = Tally::default();
    for j in 0..commands {
        let (path, body, breaks) = command(&bp, w, j);
        let key = format!("{bp}-w{w}-{j}");
        let answer = send_until_answered(&client, &path, &body, &key, &mut tally).await;
        let fate = match answer.status {
            200 | 201 => {
                accepted.send_modify(|n| *n += 1);
                Fate::Accepted(answer.seq())
            }
            _ => {
                let code = answer.body["code"].as_str().unwrap_or_default().to_owned();
                if breaks != Some(code.as_str()) {
                    tally.unexpected += 1;
                    tally
                        .notes
                        .push(format!("{key}: {} {}", answer.status, answer.body));
                }
                Fate::Refused(code)
            }
        };
        if let (Some(rule), Fate::Accepted(_)) = (breaks, &fate) {
            tally.unexpected += 1;
            tally
                .notes
                .push(format!("{key}: accepted though it breaks {rule}"));
        }
        sent.push(Sent { key, breaks, fate });
    }
    (sent, tally)
}

/// Every commit's idempotency key in the stream up to its last sequence, with the sequences it is
/// stored at.
pub async fn stored_keys(app: &ClusterApp) -> (HashMap<String, Vec<u64>>, u64) {
    let reader = app.store.reader();
    let last = reader.stream_last_seq().await.expect("stream info");
    let mut keys: HashMap<String, Vec<u64>> = HashMap::new();
    if last == 0 {
        return (keys, 0);
    }
    let mut follow = reader.follow(1).await.expect("follow the stream");
    while let Some(received) = tokio::time::timeout(Duration::from_secs(30), follow.next())
        .await
        .expect("the stream is read back in time")
    {
        let received = received.expect("a commit");
        if let Ok(commit) = proto::Commit::decode(&received.payload) {
            keys.entry(commit.idempotency_key)
                .or_default()
                .push(received.seq);
        }
        if received.seq >= last {
            break;
        }
    }
    (keys, last)
}

/// Compares what the writers were told with what the stream holds, into `run`.
pub fn check_against_stream(sent: &[Sent], stored: &HashMap<String, Vec<u64>>, run: &mut Run) {
    for s in sent {
        let found = stored.get(&s.key).map_or(&[][..], Vec::as_slice);
        run.checked += 1;
        match &s.fate {
            Fate::Accepted(seq) => match found {
                [] => run.lost += 1,
                [one] if one == seq => {}
                [_] => {
                    run.unexpected += 1;
                    run.note.push_str(&format!(
                        "{} acknowledged as {seq}, stored at {found:?}; ",
                        s.key
                    ));
                }
                _ => run.doubled += found.len() as u64 - 1,
            },
            Fate::Refused(_) => run.stored_though_refused += found.len() as u64,
        }
    }
}
