//! Figures computed from the read models, kept while nothing they are computed from changes.
//!
//! What a blueprint's pages and JSON reads show is a pure function of the blueprint's commits,
//! the window and the RAG rules (which are fixed for a process). Computing it folds the whole
//! blueprint (and, for charts and the direction of travel, its log at earlier dates), which is far
//! dearer than serving it; so a reader computes it once and later readers take the same value.
//!
//! A value is keyed by the blueprint, the window, and a [`Stamp`] that changes whenever what it
//! was computed from may have: the blueprint's `updated_seq` (the stream sequence of the last
//! commit on it or any of its things; the projector raises it with every such commit), the read
//! models' revision (raised by every write that is not the projector's forward apply, such as a
//! quarantine replay, which applies an old commit in place and so leaves `updated_seq` alone), and
//! the file's generation (raised when a rebuilt file is swapped in). The stamp is read in the same
//! read transaction as the data, so a reader never takes a value computed from another state of
//! the blueprint than the one it reads. Figures do not depend on the organisations' names (pages
//! look those up themselves) nor on other blueprints.
//!
//! The cache is bounded by weight (about one unit per thing in the blueprint), so a portfolio of
//! large blueprints cannot grow it without limit; what falls out is computed again when asked for.

use std::any::Any;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::figures::{BlueprintFigures, Progression};
use crate::fold::Window;
use crate::views::BlueprintView;

/// What a cached value was computed from, besides the blueprint and the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stamp {
    pub generation: u64,
    pub revision: u64,
    pub updated_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    blueprint: String,
    stamp: Stamp,
    as_of: NaiveDate,
    known_at: Option<DateTime<Utc>>,
}

impl Key {
    fn new(bp: &str, stamp: Stamp, window: &Window) -> Self {
        Self {
            blueprint: bp.to_owned(),
            stamp,
            as_of: window.as_of,
            known_at: window.known_at,
        }
    }
}

/// About one unit per thing the figures list (`None`: the blueprint had not been drafted in the
/// window), or per few points of a progression.
#[derive(Clone)]
struct ByThings;

impl quick_cache::Weighter<Key, Option<Arc<BlueprintFigures>>> for ByThings {
    fn weight(&self, _: &Key, value: &Option<Arc<BlueprintFigures>>) -> u64 {
        1 + value.as_ref().map_or(0, |f| {
            (f.milestones.len() + f.commitments.len() + f.pledges.len()) as u64
        })
    }
}

impl quick_cache::Weighter<Key, Arc<Progression>> for ByThings {
    fn weight(&self, _: &Key, value: &Arc<Progression>) -> u64 {
        1 + value.points.len() as u64 / 4
    }
}

/// What a caller makes of a blueprint's figures (rendered charts, say), by its own name, with
/// its weight.
#[derive(Clone)]
struct Derived {
    value: Arc<dyn Any + Send + Sync>,
    weight: u64,
}

/// A derived value's weight, unless its caller says: it counts as a mid-sized blueprint's
/// figures.
pub const DERIVED_WEIGHT: u64 = 64;

/// Bytes of rendered text that weigh as much as one thing's figures.
pub const BYTES_PER_WEIGHT: u64 = 1024;

impl quick_cache::Weighter<(Key, &'static str, String), Derived> for ByThings {
    fn weight(&self, _: &(Key, &'static str, String), value: &Derived) -> u64 {
        value.weight
    }
}

type Bounded<V, K = Key> = quick_cache::sync::Cache<K, V, ByThings>;

/// A blueprint's view as decoded, with the bytes it was decoded from.
type DecodedView = (Arc<[u8]>, Arc<BlueprintView>);

/// Computed figures shared by every reader of one set of read models.
pub struct FiguresCache {
    figures: Bounded<Option<Arc<BlueprintFigures>>>,
    progressions: Bounded<Arc<Progression>>,
    derived: Bounded<Derived, (Key, &'static str, String)>,
    /// Blueprints' views as last decoded, by id: every read of a blueprint reads its view, and
    /// decoding it was half the cost of a summary served from the cache.
    views: quick_cache::sync::Cache<String, DecodedView>,
}

/// Blueprints whose decoded views are kept; one more is decoded on each read.
const VIEWS: usize = 4096;

/// Weight each kind of value may hold at most: about that many things' worth of figures. A
/// thing's assessed view is well under a kilobyte, so the figures stay within tens of megabytes
/// (25 windows of a 2,000-milestone blueprint), inside the dashboard's memory budget however many
/// dates and pages are asked for.
const CAPACITY: u64 = 50_000;

impl Default for FiguresCache {
    fn default() -> Self {
        Self {
            figures: Bounded::with_weighter(1024, CAPACITY, ByThings),
            progressions: Bounded::with_weighter(1024, CAPACITY, ByThings),
            derived: Bounded::with_weighter(1024, CAPACITY, ByThings),
            views: quick_cache::sync::Cache::new(VIEWS),
        }
    }
}

impl FiguresCache {
    /// The view of blueprint `bp` stored as `bytes`, decoded by `decode` unless the view held
    /// was decoded from the same bytes. Keyed by its bytes, it needs no stamp: the same bytes
    /// are the same view, in any file.
    pub fn blueprint_view<E>(
        &self,
        bp: &str,
        bytes: &[u8],
        decode: impl FnOnce() -> Result<BlueprintView, E>,
    ) -> Result<Arc<BlueprintView>, E> {
        if let Some((held, view)) = self.views.get(bp)
            && *held == *bytes
        {
            return Ok(view);
        }
        let view = Arc::new(decode()?);
        self.views
            .insert(bp.to_owned(), (Arc::from(bytes), view.clone()));
        Ok(view)
    }

    /// The figures of `bp` for `window` at `stamp`, computed by `compute` when not held.
    pub fn figures<E>(
        &self,
        bp: &str,
        stamp: Stamp,
        window: &Window,
        compute: impl FnOnce() -> Result<Option<BlueprintFigures>, E>,
    ) -> Result<Option<Arc<BlueprintFigures>>, E> {
        self.figures
            .get_or_insert_with(
                &Key::new(bp, stamp, window),
                || Ok(compute()?.map(Arc::new)),
            )
    }

    /// Puts `figures` in place of what is held for `bp`, `window` and `stamp`.
    pub fn replace_figures(
        &self,
        bp: &str,
        stamp: Stamp,
        window: &Window,
        figures: Arc<BlueprintFigures>,
    ) {
        self.figures
            .insert(Key::new(bp, stamp, window), Some(figures));
    }

    /// The progression of `bp` for `window` at `stamp`, computed by `compute` when not held.
    pub fn progression<E>(
        &self,
        bp: &str,
        stamp: Stamp,
        window: &Window,
        compute: impl FnOnce() -> Result<Progression, E>,
    ) -> Result<Arc<Progression>, E> {
        self.progressions
            .get_or_insert_with(&Key::new(bp, stamp, window), || Ok(Arc::new(compute()?)))
    }

    /// What `compute` derives from the state of `bp` for `window` at `stamp`, kept under `what`
    /// (one name per kind of value, so a name always holds a `T`) and `detail`, weighing
    /// `weight` of it.
    pub fn derived<T: Send + Sync + 'static, E>(
        &self,
        bp: &str,
        stamp: Stamp,
        window: &Window,
        (what, detail): (&'static str, &str),
        weight: impl FnOnce(&T) -> u64,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let key = (Key::new(bp, stamp, window), what, detail.to_owned());
        if let Some(found) = self
            .derived
            .get(&key)
            .and_then(|v| v.value.downcast::<T>().ok())
        {
            return Ok(found);
        }
        let value = Arc::new(compute()?);
        let weight = weight(&value).max(1);
        self.derived.insert(
            key,
            Derived {
                value: value.clone(),
                weight,
            },
        );
        Ok(value)
    }
}
