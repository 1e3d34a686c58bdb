//! Who may do what. API tokens carry a role (viewer, recorder, admin), optionally limited to one
//! organisation (a partner records only its own commitments and pledges) and to chosen
//! blueprints. Tokens are random, shown once, and stored only as SHA-256 hashes in a JSON file the
//! dashboard reads (and reads again when it changes); a presented token is hashed and compared in
//! constant time.
//!
//! Reads of a published (or closed) blueprint need no token; drafts need a viewer token.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use proto::{BlueprintId, OrgId, ThingKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::problem::ApiError;

/// What a token allows, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read drafts as well as published blueprints.
    Viewer,
    /// Record milestones, commitments, pledges, workstreams, partners and targets.
    Recorder,
    /// Also register organisations and draft, publish and close blueprints.
    Admin,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Recorder => "recorder",
            Role::Admin => "admin",
        }
    }
}

/// One token as stored: never the token itself, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Recorded as the actor of every event written with the token.
    pub name: String,
    pub role: Role,
    /// When set, the token records only for this organisation.
    #[serde(default)]
    pub org: Option<OrgId>,
    /// When not empty, the token reaches only these blueprints.
    #[serde(default)]
    pub blueprints: Vec<BlueprintId>,
    /// Lower-case hex SHA-256 of the token.
    pub sha256: String,
}

/// The file of tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFile {
    pub tokens: Vec<TokenRecord>,
}

/// Failures reading or writing the tokens file.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    #[error("failed to read tokens file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("failed to write tokens file {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("a token named {0:?} already exists")]
    Duplicate(String),
    #[error("failed to make a random token: {0}")]
    Random(#[source] NoRandomness),
}

/// Writes `bytes` to `path` atomically, readable by its owner only from the first byte: into a new
/// file of an unguessable name beside it, created exclusively (so a link planted there is never
/// followed) with mode 0600, synced, then renamed over `path`.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| std::io::Error::other(e.to_string()))?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = path.with_extension(format!("tmp-{suffix}"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

impl TokenFile {
    /// Reads the file; a missing file is an empty one.
    pub fn read(path: &Path) -> Result<Self, TokenFileError> {
        let fail = |reason: String| TokenFileError::Read {
            path: path.display().to_string(),
            reason,
        };
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(fail(e.to_string())),
        }
    }

    /// Writes the file atomically, readable by its owner only.
    pub fn write(&self, path: &Path) -> Result<(), TokenFileError> {
        let fail = |reason: String| TokenFileError::Write {
            path: path.display().to_string(),
            reason,
        };
        let json = serde_json::to_vec_pretty(self).map_err(|e| fail(e.to_string()))?;
        write_private(path, &json).map_err(|e| fail(e.to_string()))
    }

    /// Adds a new random token; returns the token, which is not stored anywhere.
    pub fn create(
        &mut self,
        name: &str,
        role: Role,
        org: Option<OrgId>,
        blueprints: Vec<BlueprintId>,
    ) -> Result<String, TokenFileError> {
        if self.tokens.iter().any(|t| t.name == name) {
            return Err(TokenFileError::Duplicate(name.to_owned()));
        }
        let token = new_token().map_err(TokenFileError::Random)?;
        self.tokens.push(TokenRecord {
            name: name.to_owned(),
            role,
            org,
            blueprints,
            sha256: hash_token(&token),
        });
        Ok(token)
    }
}

/// The operating system gave no random bytes, so no token or session id can be made; retrying
/// may help, but a machine without a random source needs fixing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoRandomness(pub getrandom::Error);

/// A new random token: `wm_` and 32 random bytes in hex.
pub fn new_token() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(NoRandomness)?;
    Ok(format!("wm_{}", hex(&bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex SHA-256 of a token.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Equal in time that depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The tokens the dashboard accepts, reloaded when the file changes.
pub struct Tokens {
    path: Option<PathBuf>,
    loaded: RwLock<(Option<SystemTime>, TokenFile)>,
}

impl Tokens {
    /// Reads the tokens file; with no file, no token is accepted (every write is refused).
    pub fn load(path: Option<PathBuf>) -> Result<Self, TokenFileError> {
        let (modified, file) = match &path {
            Some(p) => (modified(p), TokenFile::read(p)?),
            None => (None, TokenFile::default()),
        };
        Ok(Self {
            path,
            loaded: RwLock::new((modified, file)),
        })
    }

    fn refresh(&self) {
        let Some(path) = &self.path else { return };
        let now = modified(path);
        let stale = self.loaded.read().map(|l| l.0 != now).unwrap_or(false);
        if stale {
            match TokenFile::read(path) {
                Ok(file) => {
                    if let Ok(mut l) = self.loaded.write() {
                        *l = (now, file);
                        tracing::info!(path = %path.display(), "tokens file reloaded");
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "tokens file not reloaded; keeping the previous tokens")
                }
            }
        }
    }

    /// The principal a presented token stands for, if any.
    pub fn authenticate(&self, token: &str) -> Option<Principal> {
        self.principal_for_hash(&hash_token(token))
    }

    /// The principal of the token with this hash, if it is still in the file.
    pub fn principal_for_hash(&self, presented: &str) -> Option<Principal> {
        self.refresh();
        let loaded = self.loaded.read().ok()?;
        // Compare against every record so the time taken does not say which one matched.
        let mut found = None;
        for record in &loaded.1.tokens {
            if constant_time_eq(record.sha256.as_bytes(), presented.as_bytes()) {
                found = Some(record);
            }
        }
        found.map(|r| Principal {
            name: r.name.clone(),
            role: r.role,
            org: r.org.clone(),
            blueprints: r.blueprints.clone(),
        })
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Who is calling, as proven by a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub org: Option<OrgId>,
    pub blueprints: Vec<BlueprintId>,
}

impl Principal {
    /// Whether an organisation-limited token (with no blueprint list) reaches `blueprint`: only
    /// when its organisation leads the blueprint or is one of its partners. Other tokens reach
    /// every blueprint their list allows.
    pub fn involved_in(&self, blueprint: &projector::views::BlueprintView) -> bool {
        match &self.org {
            Some(org) if self.blueprints.is_empty() => {
                blueprint.lead_org == *org || blueprint.partners.contains(org)
            }
            _ => self.reaches(Some(&blueprint.id)),
        }
    }

    fn reaches(&self, blueprint: Option<&str>) -> bool {
        match blueprint {
            Some(bp) if !self.blueprints.is_empty() => {
                self.blueprints.iter().any(|b| b.as_str() == bp)
            }
            _ => true,
        }
    }
}

/// The caller of a request: a principal, or nobody (no `Authorization` header).
#[derive(Debug, Clone)]
pub struct Caller(pub Option<Principal>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(Caller(None));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| unauthorised("the Authorization header must be `Bearer <token>`"))?;
        match state.tokens.authenticate(token) {
            Some(p) => Ok(Caller(Some(p))),
            None => {
                tracing::warn!("request with an unknown token refused");
                Err(unauthorised(
                    "the token is not valid; ask an administrator for a new one",
                ))
            }
        }
    }
}

fn unauthorised(detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "auth.unauthenticated", detail)
}

fn forbidden(detail: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "auth.forbidden", detail)
}

/// Actions only an administrator may take.
fn admin_only(kind: ThingKind, action: &str) -> bool {
    match kind {
        ThingKind::Organisation => true,
        ThingKind::Blueprint => matches!(action, "draft" | "publish" | "close"),
        _ => false,
    }
}

impl Caller {
    /// The principal, or 401.
    pub fn require(&self) -> Result<&Principal, ApiError> {
        self.0.as_ref().ok_or_else(|| {
            unauthorised("recording needs a token: send `Authorization: Bearer <token>`")
        })
    }

    /// The caller, when it holds an admin token that no organisation or blueprint list limits:
    /// operator work (quarantine, voids) spans every blueprint.
    pub fn require_operator(&self) -> Result<&Principal, ApiError> {
        let p = self.require()?;
        if p.role < Role::Admin || p.org.is_some() || !p.blueprints.is_empty() {
            return Err(forbidden(format!(
                "token {} cannot do operator work: it needs the admin role with no organisation \
                 or blueprint limit",
                p.name
            )));
        }
        Ok(p)
    }

    /// Whether the caller may write `action` on a thing of `kind` in `blueprint`.
    pub fn authorise_write(
        &self,
        kind: ThingKind,
        action: &str,
        blueprint: Option<&str>,
    ) -> Result<&Principal, ApiError> {
        let p = self.require()?;
        let needed = if admin_only(kind, action) {
            Role::Admin
        } else {
            Role::Recorder
        };
        if p.role < needed {
            return Err(forbidden(format!(
                "token {} has the {} role; this needs the {} role",
                p.name,
                p.role.label(),
                needed.label()
            )));
        }
        if !p.reaches(blueprint) {
            return Err(forbidden(format!(
                "token {} does not reach blueprint {}",
                p.name,
                blueprint.unwrap_or("")
            )));
        }
        if let Some(org) = &p.org
            && !matches!(kind, ThingKind::Commitment | ThingKind::Pledge)
        {
            return Err(forbidden(format!(
                "token {} records for {org} only: its own commitments and pledges",
                p.name
            )));
        }
        Ok(p)
    }

    /// Whether the caller may read `blueprint`: anyone a published or closed one, a draft only
    /// with a token that reaches it (its list names it; an organisation-limited token, when its
    /// organisation leads it or partners in it).
    pub fn may_read(&self, blueprint: &projector::views::BlueprintView) -> bool {
        crate::api::is_public(blueprint)
            || self
                .0
                .as_ref()
                .is_some_and(|p| p.reaches(Some(&blueprint.id)) && p.involved_in(blueprint))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_private_file_is_never_readable_by_others_nor_written_through_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("waymark-private-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let path = dir.join("tokens.json");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        write_private(&path, b"secret").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "secret");
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 2, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tokens_are_random_and_stored_as_hashes() {
        let mut file = TokenFile::default();
        let a = file.create("alice", Role::Recorder, None, vec![]).unwrap();
        let b = file.create("bob", Role::Viewer, None, vec![]).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("wm_") && a.len() == 67);
        let json = serde_json::to_string(&file).unwrap();
        assert!(!json.contains(&a[3..]), "the token itself is never stored");
        assert!(matches!(
            file.create("alice", Role::Admin, None, vec![]),
            Err(TokenFileError::Duplicate(_))
        ));
    }

    #[test]
    fn authentication_matches_the_hash_only() {
        let dir = std::env::temp_dir().join(format!("waymark-tokens-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokens.json");
        let mut file = TokenFile::default();
        let token = file
            .create(
                "alice",
                Role::Recorder,
                Some("gds".parse().unwrap()),
                vec![],
            )
            .unwrap();
        file.write(&path).unwrap();
        let tokens = Tokens::load(Some(path.clone())).unwrap();
        let p = tokens.authenticate(&token).unwrap();
        assert_eq!((p.name.as_str(), p.role), ("alice", Role::Recorder));
        assert!(tokens.authenticate("wm_not-a-token").is_none());
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A caller with `role`, limited to organisation `org` and to blueprints `bps` when given.
    fn caller(role: Role, org: Option<&str>, bps: &[&str]) -> Caller {
        Caller(Some(Principal {
            name: "t".into(),
            role,
            org: org.map(|o| o.parse().unwrap()),
            blueprints: bps.iter().map(|b| b.parse().unwrap()).collect(),
        }))
    }

    #[test]
    fn roles_and_limits() {
        use ThingKind::{Blueprint, Milestone, Organisation, Pledge};
        let viewer = caller(Role::Viewer, None, &[]);
        let recorder = caller(Role::Recorder, None, &[]);
        let admin = caller(Role::Admin, None, &[]);
        let elsewhere = caller(Role::Recorder, None, &["other"]);
        let of_gds = caller(Role::Recorder, Some("gds"), &[]);
        let cases = [
            // Who, writing what, in which blueprint, may.
            (Caller(None), Milestone, "plan", Some("wm"), false),
            (viewer, Milestone, "plan", Some("wm"), false),
            (recorder.clone(), Milestone, "plan", Some("wm"), true),
            (recorder.clone(), Blueprint, "draft", Some("wm"), false),
            (recorder, Blueprint, "add_workstream", Some("wm"), true),
            (admin, Organisation, "register", None, true),
            (elsewhere, Milestone, "plan", Some("wm"), false),
            (of_gds.clone(), Milestone, "plan", Some("wm"), false),
            (of_gds, Pledge, "make", Some("wm"), true),
        ];
        for (who, kind, action, bp, may) in cases {
            let answer = who.authorise_write(kind, action, bp);
            assert_eq!(answer.is_ok(), may, "{who:?} {kind:?} {action} in {bp:?}");
        }
    }

    #[test]
    fn drafts_are_read_only_with_a_token_that_reaches_them() {
        use projector::views::BlueprintStatus;
        let mut published = crate::openapi::examples::blueprint();
        published.status = BlueprintStatus::Published;
        let draft = projector::views::BlueprintView {
            status: BlueprintStatus::Draft,
            ..published.clone()
        };
        let (lead, partner) = (draft.lead_org.to_string(), draft.partners[1].to_string());
        let id = draft.id.clone();
        assert!(Caller(None).may_read(&published));
        assert!(!Caller(None).may_read(&draft));
        assert!(caller(Role::Viewer, None, &[]).may_read(&draft));
        assert!(caller(Role::Viewer, None, &[&id]).may_read(&draft));
        assert!(!caller(Role::Viewer, None, &["other"]).may_read(&draft));
        assert!(caller(Role::Recorder, Some(&lead), &[]).may_read(&draft));
        assert!(caller(Role::Recorder, Some(&partner), &[]).may_read(&draft));
        assert!(
            !caller(Role::Recorder, Some("stranger-org"), &[]).may_read(&draft),
            "an organisation's token does not reach others' drafts"
        );
        assert!(caller(Role::Recorder, Some("stranger-org"), &[]).may_read(&published));
    }
}
