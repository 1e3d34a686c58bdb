//! Queries over the read models, each in one MVCC read transaction (so a page never mixes two
//! checkpoints), for a window of time: the facts that had happened by a date and, optionally,
//! been recorded by an instant (see [`Window`]).

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use redb::{Database, ReadableDatabase};
use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::cache::{FiguresCache, Stamp};
use crate::db::{
    self, BLUEPRINT_LOG, BLUEPRINTS, COMMITMENTS, DbError, HISTORY, META, MILESTONES,
    ORGANISATIONS, PLEDGES, REVISION_KEY,
};
use crate::figures::{self, BlueprintFigures, Trend};
use crate::fold::{self, BlueprintModel, Logged, Window};
use crate::status::{Assessed, Rag, RagRules};
use crate::views::*;

/// A blueprint with its milestones' RAG counts and delivery confidence as of a date.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlueprintSummary {
    #[serde(flatten)]
    pub blueprint: BlueprintView,
    /// The figures are as they stood at the end of this day.
    pub as_of: NaiveDate,
    /// When given, only what had been recorded by this instant is counted.
    pub known_at: Option<DateTime<Utc>>,
    pub rag: BTreeMap<String, u64>,
    pub confidence: Assessed,
    /// Sum of forecast minus baseline over open and done milestones, in days.
    pub total_slippage_days: i64,
    /// Milestones done out of those not cancelled.
    pub progress: Progress,
    pub checkpoint: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// A milestone with its RAG as of a date.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessedMilestone {
    #[serde(flatten)]
    pub milestone: MilestoneView,
    pub rag: Rag,
    pub rag_reasons: Vec<String>,
    pub slippage_days: i64,
}

/// A commitment with whether it is overdue as of a date.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessedCommitment {
    #[serde(flatten)]
    pub commitment: CommitmentView,
    pub overdue: bool,
}

/// Reads from one read transaction.
pub struct Reader {
    txn: redb::ReadTransaction,
    /// Blueprints' logs decoded so far in this transaction: a page folds one log several times
    /// (now, 30 days back, each charted date) and lists its activity, but decodes it once.
    logs: Mutex<HashMap<String, Arc<Vec<Logged>>>>,
    /// Blueprints' views decoded so far in this transaction.
    views: Mutex<HashMap<String, Option<Arc<BlueprintView>>>>,
    /// Figures shared with the other readers of the same read models, and the generation of the
    /// file this transaction reads; without it every figure is computed afresh.
    shared: Option<(Arc<FiguresCache>, u64)>,
}

impl Reader {
    /// A reader that computes every figure it is asked for.
    pub fn new(db: &Database) -> Result<Self, DbError> {
        Self::with(db, None)
    }

    /// A reader that takes figures from `cache` when they were computed from the state it reads,
    /// and leaves there those it computes; `generation` is that of the file `db` was opened
    /// from (see [`crate::cache`]).
    pub fn shared(
        db: &Database,
        cache: Arc<FiguresCache>,
        generation: u64,
    ) -> Result<Self, DbError> {
        Self::with(db, Some((cache, generation)))
    }

    fn with(db: &Database, shared: Option<(Arc<FiguresCache>, u64)>) -> Result<Self, DbError> {
        Ok(Self {
            txn: db.begin_read()?,
            logs: Mutex::default(),
            views: Mutex::default(),
            shared,
        })
    }

    /// The shared cache and what the figures of `bp` are computed from, as this transaction
    /// sees it; `None` for a reader of its own, or a blueprint that does not exist.
    fn cached(&self, bp: &str) -> Result<Option<(&FiguresCache, Stamp)>, DbError> {
        let (Some((cache, generation)), Some(blueprint)) = (&self.shared, self.blueprint_view(bp)?)
        else {
            return Ok(None);
        };
        let revision = self
            .txn
            .open_table(META)?
            .get(REVISION_KEY)?
            .map_or(0, |v| v.value());
        let stamp = Stamp {
            generation: *generation,
            revision,
            updated_seq: blueprint.updated_seq,
        };
        Ok(Some((cache, stamp)))
    }

    pub fn checkpoint(&self) -> Result<u64, DbError> {
        Ok(self
            .txn
            .open_table(META)?
            .get(db::CHECKPOINT_KEY)?
            .map(|v| v.value())
            .unwrap_or(0))
    }

    /// The stream sequence of the last commit applied to an organisation (0 before any): a
    /// value that shows organisations' names is current while this stands.
    pub fn organisations_seq(&self) -> Result<u64, DbError> {
        Ok(self
            .txn
            .open_table(META)?
            .get(db::ORGANISATIONS_KEY)?
            .map_or(0, |v| v.value()))
    }

    pub fn organisations(&self) -> Result<Vec<OrganisationView>, DbError> {
        db::scan_all(&self.txn.open_table(ORGANISATIONS)?)
    }

    pub fn organisation(&self, id: &str) -> Result<Option<OrganisationView>, DbError> {
        db::get(&self.txn.open_table(ORGANISATIONS)?, id)
    }

    pub fn blueprints(&self) -> Result<Vec<BlueprintView>, DbError> {
        db::scan_all(&self.txn.open_table(BLUEPRINTS)?)
    }

    pub fn blueprint(&self, id: &str) -> Result<Option<BlueprintView>, DbError> {
        Ok(self.blueprint_view(id)?.map(|b| (*b).clone()))
    }

    /// As [`Reader::blueprint`], shared with this reader's other reads of it instead of copied.
    pub fn blueprint_shared(&self, id: &str) -> Result<Option<Arc<BlueprintView>>, DbError> {
        self.blueprint_view(id)
    }

    /// The blueprint's view, decoded once per transaction however many reads of a page ask.
    fn blueprint_view(&self, id: &str) -> Result<Option<Arc<BlueprintView>>, DbError> {
        if let Some(found) = self.views.lock().ok().and_then(|v| v.get(id).cloned()) {
            return Ok(found);
        }
        let table = self.txn.open_table(BLUEPRINTS)?;
        let found = match table.get(id)? {
            None => None,
            Some(stored) => {
                let bytes = stored.value();
                Some(match &self.shared {
                    Some((cache, _)) => cache.blueprint_view(id, bytes, || db::decode(bytes))?,
                    None => Arc::new(db::decode(bytes)?),
                })
            }
        };
        if let Ok(mut views) = self.views.lock() {
            views.insert(id.to_owned(), found.clone());
        }
        Ok(found)
    }

    pub fn milestones(&self, bp: &str) -> Result<Vec<MilestoneView>, DbError> {
        db::scan_prefix(&self.txn.open_table(MILESTONES)?, bp)
    }

    pub fn milestone(&self, bp: &str, id: &str) -> Result<Option<MilestoneView>, DbError> {
        db::get(&self.txn.open_table(MILESTONES)?, &format!("{bp}/{id}"))
    }

    pub fn commitments(&self, bp: &str) -> Result<Vec<CommitmentView>, DbError> {
        db::scan_prefix(&self.txn.open_table(COMMITMENTS)?, bp)
    }

    pub fn commitment(&self, bp: &str, id: &str) -> Result<Option<CommitmentView>, DbError> {
        db::get(&self.txn.open_table(COMMITMENTS)?, &format!("{bp}/{id}"))
    }

    pub fn pledges(&self, bp: &str) -> Result<Vec<PledgeView>, DbError> {
        db::scan_prefix(&self.txn.open_table(PLEDGES)?, bp)
    }

    pub fn pledge(&self, bp: &str, id: &str) -> Result<Option<PledgeView>, DbError> {
        db::get(&self.txn.open_table(PLEDGES)?, &format!("{bp}/{id}"))
    }

    /// The history of the thing stored on `subject`, oldest first.
    pub fn history(&self, subject: &str) -> Result<Vec<HistoryEntry>, DbError> {
        let table = self.txn.open_table(HISTORY)?;
        let mut out = Vec::new();
        db::visit_history(&table, subject, 0, false, |_, bytes| {
            out.push(db::decode(bytes)?);
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }

    /// Every commit logged for a blueprint and its things, decoded, in stream order.
    pub fn log(&self, bp: &str) -> Result<Arc<Vec<Logged>>, DbError> {
        if let Some(log) = self.logs.lock().ok().and_then(|l| l.get(bp).cloned()) {
            return Ok(log);
        }
        let table = self.txn.open_table(BLUEPRINT_LOG)?;
        let mut out = Vec::new();
        for entry in table.range((bp, 0u64)..=(bp, u64::MAX))? {
            let (k, v) = entry?;
            out.extend(Logged::decode(k.value().1, v.value()));
        }
        let log = Arc::new(out);
        if let Ok(mut logs) = self.logs.lock() {
            logs.insert(bp.to_owned(), log.clone());
        }
        Ok(log)
    }

    /// The blueprint and its things for `window`: the stored views when the window sees every
    /// fact recorded (today's view, or a date after the last fact), otherwise a fold of the
    /// blueprint's log. `None` when the blueprint does not exist, or had not been drafted in
    /// the window.
    pub fn model(&self, bp: &str, window: &Window) -> Result<Option<BlueprintModel>, DbError> {
        let Some(blueprint) = self.blueprint(bp)? else {
            return Ok(None);
        };
        if !window.sees_all_of(&blueprint) {
            return Ok(fold::fold(self.log(bp)?.iter(), window));
        }
        Ok(Some(BlueprintModel {
            milestones: by_id(self.milestones(bp)?),
            commitments: by_id(self.commitments(bp)?),
            pledges: by_id(self.pledges(bp)?),
            blueprint,
        }))
    }

    /// What `compute` derives from the blueprint's state for the window (its rendered charts,
    /// say), computed once per state of the blueprint like its figures and kept under `what`
    /// (the kind of value, and what tells one of that kind from another, such as a page's
    /// query) for every reader of the same read models; computed each time by a reader of its
    /// own.
    pub fn derived<T: Send + Sync + 'static, E: From<DbError>>(
        &self,
        bp: &str,
        window: &Window,
        what: (&'static str, &str),
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        self.derived_weighing(bp, window, what, |_| crate::cache::DERIVED_WEIGHT, compute)
    }

    /// As [`Reader::derived`], for a value whose weight in the cache `weight` tells (see
    /// [`crate::cache::BYTES_PER_WEIGHT`] for rendered text).
    pub fn derived_weighing<T: Send + Sync + 'static, E: From<DbError>>(
        &self,
        bp: &str,
        window: &Window,
        what: (&'static str, &str),
        weight: impl FnOnce(&T) -> u64,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        match self.cached(bp)? {
            Some((cache, stamp)) => cache.derived(bp, stamp, window, what, weight, compute),
            None => compute().map(Arc::new),
        }
    }

    /// The latest `limit` commits (every one when `None`) on the thing on `subject` that the
    /// window sees (recorded by `known_at`, with the events that had happened by `as_of`),
    /// oldest first, and whether it sees older ones too. Only as many entries are decoded as are
    /// returned, and one more.
    pub fn latest_history(
        &self,
        subject: &str,
        window: &Window,
        limit: Option<usize>,
    ) -> Result<(Vec<HistoryEntry>, bool), DbError> {
        let table = self.txn.open_table(HISTORY)?;
        let mut out = Vec::new();
        let mut earlier = false;
        db::visit_history(&table, subject, 0, true, |_, bytes| {
            let mut h: HistoryEntry = db::decode(bytes)?;
            if window.known_at.is_some_and(|k| h.recorded_at > k) {
                return Ok(ControlFlow::Continue(()));
            }
            h.events.retain(|e| e.occurred_on <= window.as_of);
            if h.events.is_empty() {
                return Ok(ControlFlow::Continue(()));
            }
            if limit.is_some_and(|l| out.len() == l) {
                earlier = true;
                return Ok(ControlFlow::Break(()));
            }
            out.push(h);
            Ok(ControlFlow::Continue(()))
        })?;
        out.reverse();
        Ok((out, earlier))
    }

    /// The history of the thing on `subject` as the window sees it: commits recorded by
    /// `known_at`, and in them the events that had happened by `as_of`.
    pub fn history_in(&self, subject: &str, window: &Window) -> Result<Vec<HistoryEntry>, DbError> {
        Ok(self.latest_history(subject, window, None)?.0)
    }

    /// Milestones of a blueprint with their RAG, as of the window.
    pub fn assessed_milestones(
        &self,
        bp: &str,
        window: &Window,
        rules: &RagRules,
    ) -> Result<Vec<AssessedMilestone>, DbError> {
        Ok(self
            .figures(bp, window, rules)?
            .map(|f| f.milestones.clone())
            .unwrap_or_default())
    }

    /// One milestone with its RAG, as of the window: read with just the milestones it depends
    /// on when the window sees every fact (the cost of a read does not grow with the blueprint),
    /// otherwise taken from the blueprint's figures for the window.
    pub fn assessed_milestone(
        &self,
        bp: &str,
        id: &str,
        window: &Window,
        rules: &RagRules,
    ) -> Result<Option<AssessedMilestone>, DbError> {
        if !self.sees_all(bp, window)? {
            return Ok(self
                .figures(bp, window, rules)?
                .and_then(|f| f.milestones.iter().find(|m| m.milestone.id == id).cloned()));
        }
        let Some(milestone) = self.milestone(bp, id)? else {
            return Ok(None);
        };
        let mut with_deps = Vec::with_capacity(1 + milestone.depends_on.len());
        for dep in &milestone.depends_on {
            with_deps.extend(self.milestone(bp, dep)?);
        }
        with_deps.insert(0, milestone);
        Ok(figures::assess(with_deps, window.as_of, rules)
            .into_iter()
            .next())
    }

    /// One commitment with whether it is overdue, as of the window.
    pub fn assessed_commitment(
        &self,
        bp: &str,
        id: &str,
        window: &Window,
    ) -> Result<Option<AssessedCommitment>, DbError> {
        self.one_in(
            bp,
            window,
            || {
                Ok(self
                    .commitment(bp, id)?
                    .map(|c| figures::assessed_commitment(c, window.as_of)))
            },
            || self.assessed_commitments(bp, window),
            |c| c.commitment.id == id,
        )
    }

    /// One pledge, as of the window.
    pub fn pledge_in(
        &self,
        bp: &str,
        id: &str,
        window: &Window,
    ) -> Result<Option<PledgeView>, DbError> {
        self.one_in(
            bp,
            window,
            || self.pledge(bp, id),
            || self.pledges_in(bp, window),
            |p| p.id == id,
        )
    }

    /// One thing of a blueprint as the window sees it: as `stored` reads it when the window sees
    /// every fact, otherwise the one of `all` (the things folded for the window) that `is` it.
    fn one_in<T>(
        &self,
        bp: &str,
        window: &Window,
        stored: impl FnOnce() -> Result<Option<T>, DbError>,
        all: impl FnOnce() -> Result<Vec<T>, DbError>,
        is: impl Fn(&T) -> bool,
    ) -> Result<Option<T>, DbError> {
        match self.sees_all(bp, window)? {
            true => stored(),
            false => Ok(all()?.into_iter().find(is)),
        }
    }

    /// Whether the window sees every fact of the blueprint, so the stored views are its view.
    fn sees_all(&self, bp: &str, window: &Window) -> Result<bool, DbError> {
        Ok(self
            .blueprint_view(bp)?
            .is_some_and(|b| window.sees_all_of(&b)))
    }

    /// Commitments of a blueprint with whether each is overdue, as of the window.
    pub fn assessed_commitments(
        &self,
        bp: &str,
        window: &Window,
    ) -> Result<Vec<AssessedCommitment>, DbError> {
        Ok(self
            .model(bp, window)?
            .map(|m| figures::assessed_commitments(&m, window.as_of))
            .unwrap_or_default())
    }

    /// Pledges of a blueprint, as of the window.
    pub fn pledges_in(&self, bp: &str, window: &Window) -> Result<Vec<PledgeView>, DbError> {
        Ok(self
            .model(bp, window)?
            .map(|m| m.pledges.into_values().collect())
            .unwrap_or_default())
    }

    /// The summary of a blueprint, as of the window.
    pub fn summary(
        &self,
        bp: &str,
        window: &Window,
        rules: &RagRules,
    ) -> Result<Option<BlueprintSummary>, DbError> {
        Ok(self.figures(bp, window, rules)?.map(|f| f.summary.clone()))
    }

    /// Everything the blueprint page shows, as of the window, with the checkpoint this
    /// transaction reads at.
    pub fn figures(
        &self,
        bp: &str,
        window: &Window,
        rules: &RagRules,
    ) -> Result<Option<Arc<BlueprintFigures>>, DbError> {
        let checkpoint = self.checkpoint()?;
        let compute = || -> Result<_, DbError> {
            Ok(self
                .model(bp, window)?
                .map(|m| figures::blueprint_figures(&m, window, rules, checkpoint)))
        };
        let Some((cache, stamp)) = self.cached(bp)? else {
            return Ok(compute()?.map(Arc::new));
        };
        let Some(found) = cache.figures(bp, stamp, window, compute)? else {
            return Ok(None);
        };
        if found.summary.checkpoint == checkpoint {
            return Ok(Some(found));
        }
        // Computed at an earlier checkpoint: the same figures, read at this one.
        let mut now = (*found).clone();
        now.summary.checkpoint = checkpoint;
        let now = Arc::new(now);
        cache.replace_figures(bp, stamp, window, now.clone());
        Ok(Some(now))
    }

    /// How the blueprint's figures moved up to the window's date, for charts.
    pub fn progression(
        &self,
        bp: &str,
        window: &Window,
    ) -> Result<Arc<figures::Progression>, DbError> {
        let compute = || -> Result<_, DbError> { Ok(figures::progression(&self.log(bp)?, window)) };
        match self.cached(bp)? {
            Some((cache, stamp)) => cache.progression(bp, stamp, window, compute),
            None => compute().map(Arc::new),
        }
    }

    /// The latest `limit` commits on a blueprint and its things that the window sees, newest
    /// first, as history entries.
    pub fn recent_activity(
        &self,
        bp: &str,
        window: &Window,
        limit: usize,
        only: Option<proto::ThingKind>,
    ) -> Result<Vec<(proto::ThingRef, HistoryEntry)>, DbError> {
        self.activity(bp, window, Some(limit), only)
    }

    /// Commits on a blueprint and its things that the window sees (of one kind of thing, when
    /// `only` is given), newest first, at most `limit` of them.
    pub fn activity(
        &self,
        bp: &str,
        window: &Window,
        limit: Option<usize>,
        only: Option<proto::ThingKind>,
    ) -> Result<Vec<(proto::ThingRef, HistoryEntry)>, DbError> {
        let history = self.txn.open_table(HISTORY)?;
        let log = self.txn.open_table(BLUEPRINT_LOG)?;
        let mut out = Vec::new();
        // Newest first, decoding only as far back as the limit needs.
        for logged in log.range((bp, 0u64)..=(bp, u64::MAX))?.rev() {
            if limit.is_some_and(|l| out.len() == l) {
                break;
            }
            let (k, v) = logged?;
            let seq = k.value().1;
            let Some(Logged { commit, .. }) = Logged::decode(seq, v.value()) else {
                continue;
            };
            if window.known_at.is_some_and(|k| commit.recorded_at > k)
                || only.is_some_and(|kind| commit.thing.kind != kind)
            {
                continue;
            }
            let subject = commit.thing.subject();
            let Some(v) = history.get(db::history_key(&subject, seq))? else {
                continue;
            };
            let mut entry: HistoryEntry = db::decode(v.value())?;
            entry.events.retain(|e| e.occurred_on <= window.as_of);
            if !entry.events.is_empty() {
                out.push((commit.thing, entry));
            }
        }
        Ok(out)
    }

    /// The portfolio: every blueprint `visible` lets through that had been drafted in the
    /// window, with its headline figures and direction of travel, in title order.
    pub fn portfolio(
        &self,
        window: &Window,
        rules: &RagRules,
        visible: impl Fn(&BlueprintView) -> bool,
    ) -> Result<Vec<figures::PortfolioEntry>, DbError> {
        // Kept per state of each blueprint like its figures, so a portfolio read does not fold
        // every blueprint again: the figures of a large blueprint weigh more than the figures
        // cache holds in one piece, and its direction of travel folds its log at an earlier date.
        let mut out = self.each_visible(visible, |b| {
            let entry = self.derived(&b.id, window, ("portfolio entry", ""), || {
                let found = self.figures_with_trend(&b.id, window, rules)?;
                Ok::<_, DbError>(found.map(|(f, trend)| figures::portfolio_entry(&f, trend)))
            })?;
            Ok(entry.as_ref().clone())
        })?;
        out.sort_by(|a, b| a.title.cmp(&b.title));
        Ok(out)
    }

    /// What changed in a blueprint between the end of `from` and the end of `window.as_of`,
    /// both as known at `window.known_at`. `None` when it had not been drafted by then.
    pub fn board_report(
        &self,
        bp: &str,
        from: chrono::NaiveDate,
        window: &Window,
        rules: &RagRules,
    ) -> Result<Option<figures::BoardReport>, DbError> {
        let Some(after) = self.figures(bp, window, rules)? else {
            return Ok(None);
        };
        let earlier = Window {
            as_of: from,
            known_at: window.known_at,
        };
        let before = self.figures(bp, &earlier, rules)?;
        let mut report = figures::board_report(before.as_deref(), &after);
        report.from = from;
        Ok(Some(report))
    }

    /// What an organisation does in every blueprint `visible` lets through, as of the window.
    pub fn involvement(
        &self,
        org: &str,
        window: &Window,
        rules: &RagRules,
        visible: impl Fn(&BlueprintView) -> bool,
    ) -> Result<Vec<figures::Involvement>, DbError> {
        self.each_visible(visible, |b| {
            let found = self.figures(&b.id, window, rules)?;
            Ok(found.and_then(|f| figures::involvement(&f, org)))
        })
    }

    /// What `pick` makes of each blueprint `visible` lets through, where it makes anything.
    fn each_visible<T>(
        &self,
        visible: impl Fn(&BlueprintView) -> bool,
        mut pick: impl FnMut(&BlueprintView) -> Result<Option<T>, DbError>,
    ) -> Result<Vec<T>, DbError> {
        let mut out = Vec::new();
        for b in self.blueprints()?.iter().filter(|b| visible(b)) {
            out.extend(pick(b)?);
        }
        Ok(out)
    }

    /// A blueprint's figures for the window and the direction of travel against `TREND_DAYS`
    /// earlier.
    pub fn figures_with_trend(
        &self,
        bp: &str,
        window: &Window,
        rules: &RagRules,
    ) -> Result<Option<(Arc<BlueprintFigures>, Trend)>, DbError> {
        let Some(now) = self.figures(bp, window, rules)? else {
            return Ok(None);
        };
        let earlier = figures::earlier(window, figures::TREND_DAYS);
        let before = self.figures(bp, &earlier, rules)?;
        let trend = figures::trend(&now, before.as_deref(), earlier.as_of);
        Ok(Some((now, trend)))
    }
}

/// Things of a blueprint keyed by their ids.
fn by_id<V: AsCreated>(things: Vec<V>) -> BTreeMap<String, V> {
    things
        .into_iter()
        .map(|v| (v.thing_id().to_owned(), v))
        .collect()
}
