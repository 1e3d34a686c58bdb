//! The read-model file a replica serves, as a handle that can be swapped while it serves: a file
//! rebuilt beside the live one takes its place without a restart.
//!
//! Readers take the current database for each read ([`ReadModels::current`]); the projector
//! applies each batch to the current one while holding [`ReadModels::applying`], and a swap holds
//! it too, so a batch never lands on a file that is being replaced. A swapped-in file must be at or
//! past the live checkpoint (the projector skips commits at or below a file's checkpoint, so
//! nothing is applied twice and, since it is not behind, nothing is skipped).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use redb::Database;

use crate::cache::FiguresCache;
use crate::db::{self, DbError};
use crate::read::Reader;

pub struct ReadModels {
    path: PathBuf,
    /// The file served now and its generation, raised by each swap.
    current: RwLock<(Arc<Database>, u64)>,
    applying: tokio::sync::Mutex<()>,
    /// Held by the rebuild under way: a rebuild writes one file beside the live one.
    rebuilding: tokio::sync::Mutex<()>,
    /// Figures computed by readers of these read models (see [`crate::cache`]).
    cache: Arc<FiguresCache>,
}

impl ReadModels {
    /// Opens (or creates) the read models at `path`.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        Ok(Self::new(path, db::open(path)?))
    }

    /// A handle on `db`, which was opened from `path`.
    pub fn new(path: &Path, db: Database) -> Self {
        Self {
            path: path.to_path_buf(),
            current: RwLock::new((Arc::new(db), 0)),
            applying: tokio::sync::Mutex::new(()),
            rebuilding: tokio::sync::Mutex::new(()),
            cache: Arc::default(),
        }
    }

    /// The database to read now. A read keeps the one it took even if a swap happens meanwhile.
    pub fn current(&self) -> Arc<Database> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// A read transaction on the current database whose figures are computed once per state of
    /// a blueprint and shared with every other reader of these read models.
    pub fn reader(&self) -> Result<Reader, DbError> {
        let (db, generation) = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Reader::shared(&db, self.cache.clone(), generation)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The right to rebuild, unless a rebuild is under way.
    pub fn try_rebuilding(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        self.rebuilding.try_lock().ok()
    }

    /// Held while a batch is applied or the file is swapped.
    pub async fn applying(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.applying.lock().await
    }

    /// Puts `fresh`, opened from `fresh_path` beside the live file, in the live file's place:
    /// renamed over it and served from now on. The caller holds [`ReadModels::applying`] and has
    /// brought `fresh` at least to the live checkpoint. Readers of the old file finish on it.
    pub fn swap(
        &self,
        _applying: &tokio::sync::MutexGuard<'_, ()>,
        fresh: Database,
        fresh_path: &Path,
    ) -> std::io::Result<()> {
        std::fs::rename(fresh_path, &self.path)?;
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        *current = (Arc::new(fresh), current.1 + 1);
        Ok(())
    }
}
