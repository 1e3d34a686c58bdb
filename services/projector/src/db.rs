//! The redb tables of the read models and typed access to them.

use std::ops::ControlFlow;

use redb::{ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use serde::{Serialize, de::DeserializeOwned};

/// `checkpoint`: the stream sequence of the last commit applied.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub const ORGANISATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("organisations");
pub const BLUEPRINTS: TableDefinition<&str, &[u8]> = TableDefinition::new("blueprints");
/// Keyed `<blueprint>/<id>`; slugs have no `/`, so a blueprint's things are one key range.
pub const MILESTONES: TableDefinition<&str, &[u8]> = TableDefinition::new("milestones");
pub const COMMITMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("commitments");
pub const PLEDGES: TableDefinition<&str, &[u8]> = TableDefinition::new("pledges");
/// Each thing's history, keyed by (era of the commit, subject of the thing, stream sequence of
/// the commit): see [`history_era`].
pub const HISTORY: TableDefinition<(u64, &str, u64), &[u8]> = TableDefinition::new("history");
/// Every commit on a blueprint or one of its things, as stored in the stream, keyed by
/// (blueprint, stream sequence): what "as of" views fold.
pub const BLUEPRINT_LOG: TableDefinition<(&str, u64), &[u8]> =
    TableDefinition::new("blueprint_log");
/// Keyed by stream sequence.
pub const QUARANTINE: TableDefinition<u64, &[u8]> = TableDefinition::new("quarantine");

/// The tables of views keyed by id.
pub const VIEWS: [TableDefinition<&str, &[u8]>; 5] =
    [ORGANISATIONS, BLUEPRINTS, MILESTONES, COMMITMENTS, PLEDGES];

pub const CHECKPOINT_KEY: &str = "checkpoint";
/// `META` key of the layout the tables were written in.
pub const SCHEMA_KEY: &str = "schema";
/// Raised by every write that changes views other than by applying the next commits in order (a
/// quarantine replay applies an old commit in place), so computed figures are not taken for
/// current (see [`crate::cache`]). Absent means 0.
pub const REVISION_KEY: &str = "revision";
/// `META` key of the stream sequence of the last commit applied to an organisation: what a value
/// that shows organisations' names was computed from, besides its blueprint. Absent means 0.
pub const ORGANISATIONS_KEY: &str = "organisations";
/// The layout of the read models. Read models are derived, so a file written in another layout
/// is emptied when opened and projected again from the stream, never read or migrated.
pub const SCHEMA_VERSION: u64 = 7;

/// Failures of the read-model database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("failed to open the read models at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("read-model storage failed: {0}")]
    Storage(String),
    #[error("a stored read model could not be decoded: {0}")]
    Corrupt(String),
}

macro_rules! storage_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for DbError {
            fn from(e: $t) -> Self {
                DbError::Storage(e.to_string())
            }
        }
    )*};
}
storage_errors!(
    redb::Error,
    redb::TransactionError,
    redb::SetDurabilityError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::CompactionError
);

/// A read model's bytes: MessagePack with structs as arrays, not maps. Field names would be most
/// of the bytes of a history entry or a view, and nothing reads these bytes but this version: a
/// change of layout raises [`SCHEMA_VERSION`] and the read models are projected again.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, DbError> {
    rmp_serde::to_vec(value).map_err(|e| DbError::Corrupt(e.to_string()))
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DbError> {
    rmp_serde::from_slice(bytes).map_err(|e| DbError::Corrupt(e.to_string()))
}

/// Bytes of the read-model file redb keeps in memory. Its default (a gigabyte) let a dashboard's
/// memory grow with its file; the pages reads need most (blueprints, the newest history) are far
/// fewer, and the operating system's page cache holds the rest.
pub const CACHE_BYTES: usize = 48 * 1024 * 1024;

/// Stream sequences per era of [`HISTORY`], as a power of two.
///
/// Keyed by thing first, a batch's history rows went to as many places in the table as it had
/// things, each rewriting a leaf of its own: at 1,000,000 commits over 50,000 things that was
/// most of what catching up wrote. Keyed by era first, a batch writes into the newest era only,
/// a few thousand leaves wide and in the cache. A thing's history is one short range per era (16 eras
/// at 1,000,000 commits), read newest first for as far back as a page shows.
pub const HISTORY_ERA_BITS: u32 = 16;

/// The era of [`HISTORY`] the commit at `seq` is kept in.
pub const fn history_era(seq: u64) -> u64 {
    seq >> HISTORY_ERA_BITS
}

/// The [`HISTORY`] key of the commit at `seq` on the thing on `subject`.
pub fn history_key(subject: &str, seq: u64) -> (u64, &str, u64) {
    (history_era(seq), subject, seq)
}

/// Visits the history rows of the thing on `subject` with a sequence from `from`, each as its
/// sequence and bytes, oldest first (or newest first), until `visit` breaks.
pub fn visit_history(
    table: &impl ReadableTable<(u64, &'static str, u64), &'static [u8]>,
    subject: &str,
    from: u64,
    newest_first: bool,
    mut visit: impl FnMut(u64, &[u8]) -> Result<ControlFlow<()>, DbError>,
) -> Result<(), DbError> {
    let Some((last, _)) = table.last()? else {
        return Ok(());
    };
    let mut eras: Vec<u64> = (history_era(from)..=last.value().0).collect();
    if newest_first {
        eras.reverse();
    }
    for era in eras {
        let start = if era == history_era(from) { from } else { 0 };
        let rows = table.range((era, subject, start)..=(era, subject, u64::MAX))?;
        let rows: Box<dyn Iterator<Item = _>> = match newest_first {
            true => Box::new(rows.rev()),
            false => Box::new(rows),
        };
        for row in rows {
            let (k, v) = row?;
            if visit(k.value().2, v.value())?.is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Opens (or creates) the file, with the read models' cache, and nothing more.
fn create(path: &std::path::Path) -> Result<redb::Database, DbError> {
    redb::Builder::new()
        .set_cache_size(CACHE_BYTES)
        .create(path)
        .map_err(|e| DbError::Open {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

/// Opens (or creates) the database and its tables.
pub fn open(path: &std::path::Path) -> Result<redb::Database, DbError> {
    let db = create(path)?;
    let txn = db.begin_write()?;
    let schema = txn.open_table(META)?.get(SCHEMA_KEY)?.map(|v| v.value());
    if schema != Some(SCHEMA_VERSION) {
        let stale: Vec<_> = txn.list_tables()?.collect();
        // META was just opened to read the layout; only other tables say the file was in use.
        let had_tables = stale
            .iter()
            .any(|t| redb::TableHandle::name(t) != META.name());
        for table in stale {
            txn.delete_table(table)?;
        }
        if had_tables {
            tracing::info!(from = ?schema, to = SCHEMA_VERSION, "read models in an older layout; projecting again from the stream");
        }
        txn.open_table(META)?.insert(SCHEMA_KEY, SCHEMA_VERSION)?;
    }
    {
        txn.open_table(META)?;
        txn.open_table(ORGANISATIONS)?;
        txn.open_table(BLUEPRINTS)?;
        txn.open_table(MILESTONES)?;
        txn.open_table(COMMITMENTS)?;
        txn.open_table(PLEDGES)?;
        txn.open_table(HISTORY)?;
        txn.open_table(BLUEPRINT_LOG)?;
        txn.open_table(QUARANTINE)?;
    }
    txn.commit()?;
    Ok(db)
}

/// A durable commit of nothing: it persists every non-durable commit made before it.
pub fn persist(db: &redb::Database) -> Result<(), DbError> {
    db.begin_write()?.commit()?;
    Ok(())
}

/// Writes a copy of everything `from` holds, as one read transaction sees it, to a new file at
/// `out`, every table in key order through one cursor run, so its leaves are packed full. A
/// rebuild commits its batches over and over the same pages and splits leaves as it goes, so its
/// file ends with much of it free or half-empty; the packed copy holds what the read models hold
/// (redb's own compaction frees pages but keeps each leaf as full as it was). Returns the
/// copy's checkpoint.
pub fn write_packed(from: &redb::Database, out: &std::path::Path) -> Result<u64, DbError> {
    let _ = std::fs::remove_file(out);
    let txn = from.begin_read()?;
    let mut copy = create(out)?;
    let write = copy.begin_write()?;
    copy_packed(&txn, &write, META)?;
    for table in VIEWS {
        copy_packed(&txn, &write, table)?;
    }
    copy_packed(&txn, &write, HISTORY)?;
    copy_packed(&txn, &write, BLUEPRINT_LOG)?;
    copy_packed(&txn, &write, QUARANTINE)?;
    write.commit()?;
    // redb grows a file by regions ahead of what it holds; compaction gives the tail back.
    copy.compact()?;
    let checkpoint = txn.open_table(META)?.get(CHECKPOINT_KEY)?;
    Ok(checkpoint.map_or(0, |v| v.value()))
}

/// Copies every row of `table` as `from` sees it into `to`, appended in one cursor run.
fn copy_packed<K: redb::Key + 'static, V: redb::Value + 'static>(
    from: &redb::ReadTransaction,
    to: &redb::WriteTransaction,
    table: TableDefinition<K, V>,
) -> Result<(), DbError> {
    let source = from.open_table(table)?;
    let mut target = to.open_table(table)?;
    let mut cursor = target.upper_bound_mut(std::ops::Bound::<K::SelfType<'_>>::Unbounded)?;
    for entry in source.iter()? {
        let (k, v) = entry?;
        cursor
            .insert_before(k.value(), v.value())
            .map_err(redb::Error::from)?;
    }
    cursor.close()?;
    Ok(())
}

/// The checkpoint as of a read transaction.
pub fn checkpoint(db: &redb::Database) -> Result<u64, DbError> {
    let txn = db.begin_read()?;
    let meta = txn.open_table(META)?;
    Ok(meta.get(CHECKPOINT_KEY)?.map(|v| v.value()).unwrap_or(0))
}

/// Reads one value by key.
pub fn get<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<T>, DbError> {
    match table.get(key)? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
}

/// Reads every value whose key starts with `<prefix>/`.
pub fn scan_prefix<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    prefix: &str,
) -> Result<Vec<T>, DbError> {
    let start = format!("{prefix}/");
    // '0' is the character after '/', so this is exactly the keys that start with `prefix/`.
    let end = format!("{prefix}0");
    let mut out = Vec::new();
    for entry in table.range(start.as_str()..end.as_str())? {
        let (_, v) = entry?;
        out.push(decode(v.value())?);
    }
    Ok(out)
}

/// Reads every value of a table.
pub fn scan_all<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<T>, DbError> {
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (_, v) = entry?;
        out.push(decode(v.value())?);
    }
    Ok(out)
}
