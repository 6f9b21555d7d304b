//! samod's storage, backed by the Gridvoice store.
//!
//! samod hands us chunks under keys `<doc>/incremental/<change hash>` (one change) and
//! `<doc>/snapshot/<name>` (a saved document). Every chunk goes to [`Store::apply_many`], which
//! stores its changes content-addressed and brings the station and office projections up to date in
//! the same SQLite transaction, so what samod has persisted is what the views show.
//!
//! Writes are group-committed: a writer thread drains every pending `put` and commits them together,
//! and a `put` resolves only after that commit. Loads answer from the same tables (a snapshot under
//! one key, every stored change under its hash). `delete` is a no-op: the store's changes are the
//! durable truth, and the writer compacts them itself (`Config::compact_after`: a snapshot, and
//! the changes it covers deleted, after the commit's acknowledgements); a chunk samod sees again
//! on load is de-duplicated by Automerge.
//!
//! The trait cannot return errors, so the storage fails loudly instead: a write that fails on the
//! database is retried with backoff, never reported as done; a chunk that does not decode
//! (Automerge produced it, so this means a bug or a bit flip), a poisoned store lock or a writer
//! that stopped raise [`Fatal`] — the `put`s concerned never resolve (nothing is acknowledged),
//! `/healthz` answers 503, and `gridvoice-server serve` exits non-zero for its supervisor to
//! restart it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use gridvoice_core::ids::DocId;
use gridvoice_store::Store;
use samod::DocumentId;
use samod::storage::{Storage, StorageKey};

use crate::metrics::Metrics;

const STORAGE_ID_KEY: &str = "samod_storage_id";

/// Raised once storage can no longer be trusted to hold what it is given.
#[derive(Debug, Clone, Default)]
pub struct Fatal(Arc<std::sync::OnceLock<&'static str>>);

impl Fatal {
    /// Raises it, with why (the first reason is kept).
    pub fn raise(&self, why: &'static str) {
        if self.0.set(why).is_ok() {
            tracing::error!(
                why,
                "storage can no longer be trusted: the server must stop"
            );
        }
    }

    /// Why it was raised, if it was.
    pub fn reason(&self) -> Option<&'static str> {
        self.0.get().copied()
    }
}

/// Converts between samod's document ids (bs58check of 16 bytes) and ours (the same UUID).
pub fn doc_id(d: &DocumentId) -> Option<DocId> {
    uuid::Uuid::from_slice(d.as_bytes()).ok().map(DocId)
}

pub fn document_id(d: &DocId) -> Option<DocumentId> {
    DocumentId::try_from(d.0.as_bytes().to_vec()).ok()
}

struct Put {
    doc: DocId,
    data: Vec<u8>,
    done: tokio::sync::oneshot::Sender<()>,
}

#[derive(Clone)]
pub struct StoreStorage {
    store: Arc<Mutex<Store>>,
    writer: mpsc::Sender<Put>,
    fatal: Fatal,
}

impl std::fmt::Debug for StoreStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreStorage")
    }
}

impl StoreStorage {
    /// `changed` hears of each document once its changes are committed.
    /// `fatal` is raised when storage can no longer be trusted.
    pub fn new(
        store: Arc<Mutex<Store>>,
        metrics: Arc<Metrics>,
        changed: tokio::sync::broadcast::Sender<DocId>,
        fatal: Fatal,
    ) -> StoreStorage {
        let (tx, rx) = mpsc::channel::<Put>();
        let writer_store = store.clone();
        let writer_fatal = fatal.clone();
        std::thread::Builder::new()
            .name("gridvoice-writer".into())
            .spawn(move || {
                write_loop(&writer_store, &rx, &metrics, &changed, &writer_fatal);
                writer_fatal.raise("the storage writer stopped");
            })
            .map(|_| ())
            .unwrap_or_else(|_| fatal.raise("the storage writer could not start"));
        StoreStorage {
            store,
            writer: tx,
            fatal,
        }
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> Option<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.lock().ok().map(|mut s| f(&mut s)))
            .await
            .ok()
            .flatten()
    }
}

fn write_loop(
    store: &Mutex<Store>,
    rx: &mpsc::Receiver<Put>,
    metrics: &Metrics,
    changed: &tokio::sync::broadcast::Sender<DocId>,
    fatal: &Fatal,
) {
    while let Ok(first) = rx.recv() {
        let mut puts = vec![first];
        while let Ok(more) = rx.try_recv() {
            puts.push(more);
            if puts.len() >= 1_000 {
                break;
            }
        }
        let batch: Vec<(DocId, Vec<Vec<u8>>)> =
            puts.iter().map(|p| (p.doc, vec![p.data.clone()])).collect();
        let mut delay = Duration::from_millis(50);
        loop {
            let result = match store.lock() {
                Ok(mut s) => s.apply_many(&batch),
                Err(_) => {
                    // Nothing of this batch is acknowledged: its puts never resolve.
                    fatal.raise("the store lock is poisoned");
                    return;
                }
            };
            match result {
                Ok(_) => {
                    metrics.commits.inc();
                    break;
                }
                Err(gridvoice_store::Error::Core(e)) => {
                    // One undecodable chunk must not hold up the others: apply them one by one,
                    // acknowledging only those stored.
                    tracing::error!(
                        code = e.code().as_str(),
                        "a stored chunk does not decode; applying one by one"
                    );
                    let Ok(mut s) = store.lock() else {
                        fatal.raise("the store lock is poisoned");
                        return;
                    };
                    let mut stored = Vec::new();
                    for (item, put) in batch.iter().zip(puts) {
                        match s.apply_many(std::slice::from_ref(item)) {
                            Ok(_) => stored.push(put),
                            Err(e) => {
                                metrics.errors.inc();
                                tracing::error!(doc = %item.0, error = %e, "a chunk was not stored");
                                fatal.raise("a chunk could not be stored");
                                // Its put is dropped unanswered: never acknowledged.
                            }
                        }
                    }
                    drop(s);
                    puts = stored;
                    break;
                }
                Err(e) => {
                    metrics.errors.inc();
                    tracing::error!(error = %e, "storage write failed; retrying");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
        let mut docs: Vec<DocId> = puts.iter().map(|p| p.doc).collect();
        docs.sort_unstable();
        docs.dedup();
        for p in puts {
            let _ = p.done.send(());
        }
        // Nobody listening is fine: the pages are told only while they are open.
        for d in docs {
            let _ = changed.send(d);
        }
        // After the acknowledgements: a document with many changes beside its snapshot is
        // compacted (a new snapshot, the changes it covers deleted, in one transaction); every
        // change stays readable for sync, from the snapshot. A failed compaction leaves all as it
        // was and is tried again after the next commit.
        if let Ok(mut s) = store.lock()
            && let Err(e) = s.maybe_compact()
        {
            metrics.errors.inc();
            tracing::warn!(error = %e, "compaction failed; left for the next commit");
        }
    }
}

/// What a key names.
enum Key {
    StorageId,
    Doc(DocId, Option<Part>),
    Other,
}

#[derive(PartialEq)]
enum Part {
    Snapshot,
    Incremental(Option<String>),
}

fn parse(key: &StorageKey) -> Key {
    let parts: Vec<&String> = key.into_iter().collect();
    match parts.as_slice() {
        [one] if one.as_str() == "storage-adapter-id" => Key::StorageId,
        [doc, rest @ ..] => {
            let Some(id) = doc.parse::<DocumentId>().ok().as_ref().and_then(doc_id) else {
                return Key::Other;
            };
            match rest {
                [] => Key::Doc(id, None),
                [s, ..] if s.as_str() == "snapshot" => Key::Doc(id, Some(Part::Snapshot)),
                [i] if i.as_str() == "incremental" => Key::Doc(id, Some(Part::Incremental(None))),
                [i, h] if i.as_str() == "incremental" => {
                    Key::Doc(id, Some(Part::Incremental(Some((*h).clone()))))
                }
                _ => Key::Other,
            }
        }
        _ => Key::Other,
    }
}

fn key(parts: &[String]) -> Option<StorageKey> {
    StorageKey::from_parts(parts.iter()).ok()
}

impl Storage for StoreStorage {
    async fn load(&self, key: StorageKey) -> Option<Vec<u8>> {
        match parse(&key) {
            Key::StorageId => self
                .read(|s| s.meta(STORAGE_ID_KEY).ok().flatten())
                .await
                .flatten()
                .map(String::into_bytes),
            Key::Doc(id, Some(Part::Snapshot)) => self
                .read(move |s| s.snapshot(&id).ok().flatten())
                .await
                .flatten(),
            Key::Doc(id, Some(Part::Incremental(Some(h)))) => {
                let hash: automerge::ChangeHash = h.parse().ok()?;
                self.read(move |s| s.change_row(&id, &hash).ok().flatten())
                    .await
                    .flatten()
            }
            _ => None,
        }
    }

    async fn load_range(&self, prefix: StorageKey) -> HashMap<StorageKey, Vec<u8>> {
        let Key::Doc(id, part) = parse(&prefix) else {
            return HashMap::new();
        };
        let bs58 = document_id(&id).map(|d| d.to_string()).unwrap_or_default();
        self.read(move |s| {
            let mut out = HashMap::new();
            if (part.is_none() || part == Some(Part::Snapshot))
                && let Ok(Some(bytes)) = s.snapshot(&id)
                && let Some(k) = key(&[bs58.clone(), "snapshot".into(), "store".into()])
            {
                out.insert(k, bytes);
            }
            if part.is_none() || matches!(part, Some(Part::Incremental(None))) {
                for (h, bytes) in s.change_rows(&id).unwrap_or_default() {
                    if let Some(k) = key(&[bs58.clone(), "incremental".into(), h.to_string()]) {
                        out.insert(k, bytes);
                    }
                }
            }
            out
        })
        .await
        .unwrap_or_default()
    }

    async fn put(&self, key: StorageKey, data: Vec<u8>) {
        match parse(&key) {
            Key::StorageId => {
                let value = String::from_utf8_lossy(&data).into_owned();
                let _ = self.read(move |s| s.set_meta(STORAGE_ID_KEY, &value)).await;
            }
            Key::Doc(doc, Some(_)) => {
                let (done, wait) = tokio::sync::oneshot::channel();
                if self.writer.send(Put { doc, data, done }).is_err() {
                    self.fatal.raise("the storage writer stopped");
                }
                // Resolved only once committed. A put that was not stored (the writer stopped,
                // the chunk was refused) never resolves: samod acknowledges nothing of it, and
                // the server is stopping.
                if wait.await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            _ => tracing::warn!(%key, "put under an unknown key ignored"),
        }
    }

    async fn delete(&self, _key: StorageKey) {}
}
