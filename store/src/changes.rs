//! Documents and their changes as stored: loaded on first use (snapshot, then the changes beside
//! it), read, applied, looked up by hash, and compacted into a snapshot that keeps every change
//! readable for sync.

use std::collections::HashMap;

use automerge::{ActorId, Automerge, Change, ChangeHash};
use gridvoice_core::ids::DocId;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{ApplyReport, Error, Result, Store, chunks, decode_chunks};

impl Store {
    /// Compacts documents whose change count has grown past the threshold.
    pub fn maybe_compact(&mut self) -> Result<()> {
        let due: Vec<DocId> = self
            .change_counts
            .iter()
            .filter(|(_, n)| **n >= self.compact_after)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.compact(&id)?;
        }
        Ok(())
    }

    /// Writes a snapshot of a document and deletes the changes it covers, in one transaction.
    pub fn compact(&mut self, id: &DocId) -> Result<()> {
        self.write(None, |b| {
            let hashes: Vec<Vec<u8>> = {
                let mut stmt = b
                    .sql
                    .prepare("SELECT hash FROM changes WHERE doc_id = ?1")?;
                let rows = stmt.query_map([id.to_string()], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let doc = b.doc(id)?;
            let bytes = doc.save();
            let covered: Vec<Vec<u8>> = hashes
                .into_iter()
                .filter(|h| {
                    ChangeHash::try_from(h.as_slice())
                        .is_ok_and(|h| doc.get_change_meta_by_hash(&h).is_some())
                })
                .collect();
            let sql = &b.sql;
            sql.execute(
                "INSERT INTO snapshots (doc_id, bytes) VALUES (?1, ?2)
                 ON CONFLICT (doc_id) DO UPDATE SET bytes = excluded.bytes",
                params![id.to_string(), bytes],
            )?;
            let mut del = sql.prepare("DELETE FROM changes WHERE doc_id = ?1 AND hash = ?2")?;
            for h in covered {
                del.execute(params![id.to_string(), h])?;
            }
            Ok(())
        })?;
        self.change_counts.insert(*id, 0);
        Ok(())
    }

    /// A document, loaded from disk on first use.
    pub fn doc(&mut self, id: &DocId) -> Result<&Automerge> {
        let actor = self.actor();
        Ok(&*load_into(&self.conn, &mut self.docs, id, actor.as_ref())?)
    }

    /// The documents this store holds, with their kind and owner.
    pub fn documents(&self) -> Result<Vec<(DocId, String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc_id, kind, owner FROM documents ORDER BY doc_id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, owner) = row?;
            let id = id
                .parse()
                .map_err(|_| Error::CorruptStore(format!("bad doc id {id}")))?;
            out.push((id, kind, owner));
        }
        Ok(out)
    }

    /// The heads of a document (empty when it is not held here).
    pub fn heads(&mut self, id: &DocId) -> Result<Vec<ChangeHash>> {
        if !self.has_doc(id)? {
            return Ok(Vec::new());
        }
        Ok(self.doc(id)?.get_heads())
    }

    pub fn has_doc(&self, id: &DocId) -> Result<bool> {
        holds_document(&self.conn, id)
    }

    /// The changes of a document that a peer with `have` heads lacks, encoded.
    pub fn changes_since(&mut self, id: &DocId, have: &[ChangeHash]) -> Result<Vec<Vec<u8>>> {
        if !self.has_doc(id)? {
            return Ok(Vec::new());
        }
        let doc = self.doc(id)?;
        Ok(doc
            .get_changes(have)
            .into_iter()
            .map(|mut c| c.bytes().into_owned())
            .collect())
    }

    /// Stores and applies what a peer sent, and brings the projections of every record it touched
    /// up to date, in one transaction. Each chunk is a change or a whole saved document (sync
    /// sends a document when most of it is missing; a snapshot is one too). Bytes that do not
    /// decode are refused whole.
    pub fn apply_changes(&mut self, id: &DocId, encoded: &[Vec<u8>]) -> Result<ApplyReport> {
        let changes = decode_chunks(encoded)?;
        self.write(None, |b| b.apply(id, changes))
    }

    /// Which of these changes this store holds durably (what a server answers a receipt query with).
    pub fn has_changes(&mut self, doc: &DocId, hashes: &[ChangeHash]) -> Result<Vec<ChangeHash>> {
        if !self.has_doc(doc)? {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let mut missing = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT 1 FROM changes WHERE doc_id = ?1 AND hash = ?2")?;
            for h in hashes {
                if stmt.exists(params![doc.to_string(), h.0.as_slice()])? {
                    out.push(*h);
                } else {
                    missing.push(*h);
                }
            }
        }
        // After compaction a change lives in the snapshot, which is durable too.
        if !missing.is_empty() {
            let d = self.doc(doc)?;
            out.extend(
                missing
                    .into_iter()
                    .filter(|h| d.get_change_meta_by_hash(h).is_some()),
            );
        }
        Ok(out)
    }

    /// Applies what peers sent to several documents in ONE transaction (a server's group commit).
    pub fn apply_many(&mut self, batch: &[(DocId, Vec<Vec<u8>>)]) -> Result<Vec<ApplyReport>> {
        let mut decoded = Vec::with_capacity(batch.len());
        for (id, chunks) in batch {
            decoded.push((*id, decode_chunks(chunks)?));
        }
        self.write(None, |b| {
            let mut reports = Vec::with_capacity(decoded.len());
            for (id, changes) in decoded {
                reports.push(b.apply(&id, changes)?);
            }
            Ok(reports)
        })
    }

    /// A document's compacted snapshot, if it has one.
    pub fn snapshot(&self, id: &DocId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT bytes FROM snapshots WHERE doc_id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every stored change of a document, by hash.
    pub fn change_rows(&self, id: &DocId) -> Result<Vec<(ChangeHash, Vec<u8>)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hash, bytes FROM changes WHERE doc_id = ?1")?;
        let rows = stmt.query_map([id.to_string()], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (h, bytes) = row?;
            let h = ChangeHash::try_from(h.as_slice())
                .map_err(|_| Error::CorruptStore("bad change hash".into()))?;
            out.push((h, bytes));
        }
        Ok(out)
    }

    /// One stored change.
    pub fn change_row(&self, id: &DocId, hash: &ChangeHash) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT bytes FROM changes WHERE doc_id = ?1 AND hash = ?2")?
            .query_row(params![id.to_string(), hash.0.as_slice()], |r| r.get(0))
            .optional()?)
    }

    /// Whether any document of this store holds a change (servers relay changes they already hold).
    pub fn holds_change(&self, hash: &ChangeHash) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM changes WHERE hash = ?1 LIMIT 1")?
            .exists([hash.0.as_slice()])?)
    }

    /// Whether this store holds a change of `doc`, stored on its own or compacted into the
    /// document's snapshot.
    pub fn holds_change_in(&mut self, doc: &DocId, hash: &ChangeHash) -> Result<bool> {
        if self.holds_change(hash)? {
            return Ok(true);
        }
        Ok(self.doc(doc)?.get_change_meta_by_hash(hash).is_some())
    }

    /// Compacts a document once this many changes are stored beside its snapshot (the default
    /// is 2,000).
    pub fn set_compact_after(&mut self, changes: usize) {
        self.compact_after = changes.max(1);
    }
}

/// Loads a document into the cache if it is not there: snapshot, then the stored changes.
pub(crate) fn load_into<'d>(
    conn: &Connection,
    docs: &'d mut HashMap<DocId, Automerge>,
    id: &DocId,
    actor: Option<&ActorId>,
) -> Result<&'d mut Automerge> {
    use std::collections::hash_map::Entry;
    match docs.entry(*id) {
        Entry::Occupied(e) => Ok(e.into_mut()),
        Entry::Vacant(e) => {
            let known = holds_document(conn, id)?;
            if !known {
                return Err(gridvoice_core::Error::NotFound(format!("document {id}")).into());
            }
            let corrupt = |what: String| gridvoice_core::Error::CorruptDocument(what);
            let snapshot: Option<Vec<u8>> = conn
                .query_row(
                    "SELECT bytes FROM snapshots WHERE doc_id = ?1",
                    [id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            let mut doc = match snapshot {
                Some(bytes) => chunks::guarded("a snapshot", || Automerge::load(&bytes))?
                    .map_err(|e| corrupt(format!("snapshot: {e}")))?,
                None => Automerge::new(),
            };
            let mut stmt = conn.prepare("SELECT bytes FROM changes WHERE doc_id = ?1")?;
            let rows = stmt.query_map([id.to_string()], |r| r.get::<_, Vec<u8>>(0))?;
            let mut changes = Vec::new();
            for row in rows {
                changes
                    .push(Change::from_bytes(row?).map_err(|e| corrupt(format!("change: {e}")))?);
            }
            doc.apply_changes(changes)
                .map_err(|e| corrupt(format!("apply: {e}")))?;
            if let Some(actor) = actor {
                doc.set_actor(actor.clone());
            }
            Ok(e.insert(doc))
        }
    }
}

/// Whether this store holds a document.
pub(crate) fn holds_document(conn: &Connection, id: &DocId) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM documents WHERE doc_id = ?1")?
        .exists([id.to_string()])?)
}
