//! Offline tools: project into a fresh file up to a sequence, and a digest of the read models so
//! that replicas (or a replica and a fresh rebuild) at the same checkpoint can be compared.

use std::path::Path;

use eventstore::{StoreError, StreamReader};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use sha2::{Digest, Sha256};

use crate::db::{self, DbError};
use crate::views::QuarantineEntry;
use crate::{apply_batch_as, next_batch};

/// Why an offline rebuild or verification failed. Nothing is swapped in on failure; the message
/// says what to fix before running it again.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// A read-model file could not be opened, read or written.
    #[error(transparent)]
    ReadModels(#[from] DbError),
    /// The stream could not be read: NATS is unreachable.
    #[error(transparent)]
    Stream(#[from] StoreError),
    /// The stream holds fewer commits than the projection must reach (it was read from another
    /// stream, or commits were lost).
    #[error("the stream ended at {checkpoint}, before {target}")]
    StreamEnded { checkpoint: u64, target: u64 },
    /// A file beside the read models could not be made or renamed.
    #[error(transparent)]
    Files(#[from] std::io::Error),
    /// Another rebuild of the same read models is under way.
    #[error("a rebuild of these read models is already under way")]
    RebuildRunning,
}

/// Projects every commit up to `target` into `db`, which must be at a checkpoint below it.
pub async fn project_until(
    db: &Database,
    stream: &StreamReader,
    target: u64,
) -> Result<u64, OfflineError> {
    let mut checkpoint = db::checkpoint(db)?;
    if checkpoint >= target {
        return Ok(checkpoint);
    }
    let mut commits = stream.follow(checkpoint + 1).await?;
    // The next batch is gathered (each message's metadata read) by a task of its own while this
    // one applies the last; at most one waits between them.
    let (ready, mut batches) = tokio::sync::mpsc::channel(1);
    let gather = tokio::spawn(async move {
        while let Some(batch) = next_batch(&mut commits).await {
            if ready.send(batch).await.is_err() {
                break;
            }
        }
    });
    let _stop_gathering = AbortOnDrop(gather);
    while checkpoint < target {
        let Some(batch) = batches.recv().await else {
            return Err(OfflineError::StreamEnded { checkpoint, target });
        };
        let mut batch = batch?;
        batch.retain(|r| r.seq <= target);
        if batch.is_empty() {
            break;
        }
        // No flush per batch; the durable commit below persists them all.
        checkpoint = apply_batch_as(db, &batch, redb::Durability::None)?.checkpoint;
    }
    db::persist(db)?;
    Ok(checkpoint)
}

/// Aborts its task when dropped: a projection that ends, or fails, stops gathering.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn hash_table(
    txn: &redb::ReadTransaction,
    table: TableDefinition<&str, &[u8]>,
    hasher: &mut Sha256,
) -> Result<(), DbError> {
    let t = txn.open_table(table)?;
    hasher.update(table.name().as_bytes());
    for entry in t.iter()? {
        let (k, v) = entry?;
        hasher.update((k.value().len() as u64).to_le_bytes());
        hasher.update(k.value().as_bytes());
        hasher.update((v.value().len() as u64).to_le_bytes());
        hasher.update(v.value());
    }
    Ok(())
}

/// A digest of everything the read models hold at their checkpoint (quarantine entries without
/// the wall-clock time they were quarantined at), as lower-case hex.
pub fn digest(db: &Database) -> Result<String, DbError> {
    Ok(checkpoint_and_digest(db)?.1)
}

/// The checkpoint and the digest of the read models, read together in one transaction.
pub fn checkpoint_and_digest(db: &Database) -> Result<(u64, String), DbError> {
    let txn = db.begin_read()?;
    digest_in(&txn)
}

fn digest_in(txn: &redb::ReadTransaction) -> Result<(u64, String), DbError> {
    let mut hasher = Sha256::new();
    let checkpoint = txn
        .open_table(db::META)?
        .get(db::CHECKPOINT_KEY)?
        .map(|v| v.value())
        .unwrap_or(0);
    hasher.update(checkpoint.to_le_bytes());
    for table in db::VIEWS {
        hash_table(txn, table, &mut hasher)?;
    }
    let history = txn.open_table(db::HISTORY)?;
    for entry in history.iter()? {
        let (k, v) = entry?;
        let (_, subject, seq) = k.value();
        hasher.update(subject.as_bytes());
        hasher.update(seq.to_le_bytes());
        hasher.update(v.value());
    }
    let quarantine = txn.open_table(db::QUARANTINE)?;
    for entry in quarantine.iter()? {
        let (_, v) = entry?;
        let q: QuarantineEntry = db::decode(v.value())?;
        hasher.update(q.seq.to_le_bytes());
        hasher.update(q.subject.as_bytes());
        hasher.update(q.reason.as_bytes());
        if let Some(void) = &q.voided {
            hasher.update(void.by_seq.to_le_bytes());
        }
    }
    let digest = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((checkpoint, digest))
}

/// Writes a consistent copy of `db` to a new file at `out`, from one read transaction, so the
/// copy stands at one checkpoint whatever the projector does meanwhile. A replica started on the
/// copy catches up from that checkpoint instead of replaying the stream. Returns the checkpoint.
pub fn snapshot(db: &Database, out: &Path) -> Result<u64, DbError> {
    db::write_packed(db, out)
}

/// Replaces the file at `path`, which `db` has open, with a packed copy ([`db::write_packed`]),
/// and opens that.
fn pack(db: Database, path: &Path) -> Result<Database, OfflineError> {
    let packed = path.with_extension("packed");
    db::write_packed(&db, &packed)?;
    drop(db);
    std::fs::rename(&packed, path)?;
    Ok(db::open(path)?)
}

/// What a verification found: the live read models' digest at their checkpoint, and a fresh
/// projection's to the same checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verified {
    pub checkpoint: u64,
    pub digest: String,
    pub fresh_digest: String,
    /// The two agree.
    pub ok: bool,
}

/// Verifies the read models `models` serves, while they serve: the digest at the checkpoint of one
/// read transaction against a fresh projection, beside the live file, to that checkpoint.
pub async fn verify_live(
    models: &crate::models::ReadModels,
    stream: &StreamReader,
) -> Result<Verified, OfflineError> {
    let (checkpoint, ours) = checkpoint_and_digest(&models.current())?;
    let dir = tempdir_near(models.path())?;
    let result = async {
        let fresh = db::open(&dir.join("verify.redb"))?;
        project_until(&fresh, stream, checkpoint).await?;
        Ok::<_, OfflineError>(digest(&fresh)?)
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let theirs = result?;
    Ok(Verified {
        checkpoint,
        ok: ours == theirs,
        digest: ours,
        fresh_digest: theirs,
    })
}

/// Rebuilds the read models `models` serves, while they serve: projects the whole stream into a
/// file beside the live one, brings it up to the live checkpoint with projection paused, and
/// swaps it in. Reads go on throughout; the projector resumes on the new file. Returns the new
/// file's checkpoint.
pub async fn rebuild_live(
    models: &crate::models::ReadModels,
    stream: &StreamReader,
) -> Result<u64, OfflineError> {
    let _rebuilding = models
        .try_rebuilding()
        .ok_or(OfflineError::RebuildRunning)?;
    let fresh_path = models.path().with_extension("rebuild");
    let _ = std::fs::remove_file(&fresh_path);
    let fresh = db::open(&fresh_path)?;
    let target = stream.stream_last_seq().await?;
    project_until(&fresh, stream, target).await?;
    let fresh = pack(fresh, &fresh_path)?;
    let applying = models.applying().await;
    let live = db::checkpoint(&models.current())?;
    let checkpoint = project_until(&fresh, stream, live).await?;
    models.swap(&applying, fresh, &fresh_path)?;
    tracing::info!(checkpoint, "read models rebuilt and swapped in");
    Ok(checkpoint)
}

/// Rebuilds the read models at `path` from sequence 1 into a fresh file, then swaps it in.
/// The dashboard using `path` must be stopped first (redb allows one process per file).
pub async fn rebuild(path: &Path, stream: &StreamReader) -> Result<u64, OfflineError> {
    let fresh = path.with_extension("rebuild");
    let _ = std::fs::remove_file(&fresh);
    let target = stream.stream_last_seq().await?;
    let checkpoint = build(&fresh, stream, target).await?;
    std::fs::rename(&fresh, path)?;
    Ok(checkpoint)
}

/// Projects every commit up to `target` into a new file at `path`, packed once written: what a
/// rebuild does before it swaps the file in.
pub async fn build(path: &Path, stream: &StreamReader, target: u64) -> Result<u64, OfflineError> {
    let db = db::open(path)?;
    let checkpoint = project_until(&db, stream, target).await?;
    pack(db, path)?;
    Ok(checkpoint)
}

/// Compares the read models at `path` with a fresh projection to the same checkpoint; returns
/// both digests.
pub async fn verify(path: &Path, stream: &StreamReader) -> Result<(String, String), OfflineError> {
    let existing = db::open(path)?;
    let checkpoint = db::checkpoint(&existing)?;
    let ours = digest(&existing)?;
    drop(existing);
    let dir = tempdir_near(path)?;
    let fresh = db::open(&dir.join("verify.redb"))?;
    project_until(&fresh, stream, checkpoint).await?;
    let theirs = digest(&fresh)?;
    drop(fresh);
    let _ = std::fs::remove_dir_all(&dir);
    Ok((ours, theirs))
}

fn tempdir_near(path: &Path) -> std::io::Result<std::path::PathBuf> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = parent.join(format!(".waymark-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
