//! One durable unit of work: the Automerge edits or received changes and the projection rows
//! they imply, committed in one SQLite transaction (see `Store::write`).

use std::collections::HashMap;

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};
use gridvoice_core::doc::{self, Collection, DocKind};
use gridvoice_core::ids::{DelegateId, DocId, StationId};
use gridvoice_core::territory::Territory;
use rusqlite::params;

use crate::{Result, holds_document, load_into, projection};

/// Outcome of applying received changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Changes that were new to this store.
    pub new_changes: usize,
    /// Records whose projection was brought up to date.
    pub records: usize,
    /// Records a peer wrote in a form this program cannot read (skipped, not fatal).
    pub unreadable: usize,
}

/// One durable unit of work (see [`Store::write`]).
#[derive(Debug)]
pub struct Batch<'a> {
    pub sql: rusqlite::Transaction<'a>,
    pub(crate) docs: &'a mut HashMap<DocId, Automerge>,
    /// Whom the authority rule knows (projections derive state from admitted events only).
    pub(crate) territory: Option<&'a Territory>,
    pub(crate) actor: Option<ActorId>,
    /// Documents changed in memory by this batch: dropped if it does not commit.
    pub(crate) dirty: Vec<DocId>,
    /// Change rows stored per document.
    pub(crate) stored: Vec<(DocId, usize)>,
}

impl Batch<'_> {
    /// Makes a document if this store does not hold it yet (by its deterministic genesis).
    pub fn ensure_doc(&mut self, kind: DocKind, owner: &str) -> Result<DocId> {
        let id = match kind {
            DocKind::Station => DocId::for_station(&StationId::new(owner)),
            DocKind::Contacts => DocId::for_contacts(&DelegateId::new(owner)),
        };
        let exists = holds_document(&self.sql, &id)?;
        if !exists {
            let genesis = match kind {
                DocKind::Station => doc::station_genesis(&StationId::new(owner))?,
                DocKind::Contacts => doc::contacts_genesis(&DelegateId::new(owner))?,
            };
            self.sql.execute(
                "INSERT INTO documents (doc_id, kind, owner) VALUES (?1, ?2, ?3)",
                params![id.to_string(), kind.code(), owner],
            )?;
            let changes: Vec<Vec<u8>> = genesis
                .get_changes(&[])
                .into_iter()
                .map(|mut c| c.bytes().into_owned())
                .collect();
            for bytes in changes {
                let change = Change::from_bytes(bytes)
                    .map_err(|e| gridvoice_core::Error::CorruptDocument(e.to_string()))?;
                self.store_change(&id, &change)?;
            }
            self.docs.remove(&id);
        }
        Ok(id)
    }

    /// A document, loaded on first use.
    pub fn doc(&mut self, id: &DocId) -> Result<&Automerge> {
        Ok(&*load_into(&self.sql, self.docs, id, self.actor.as_ref())?)
    }

    /// Makes a local change to a document and stores it. `f` works on an Automerge transaction;
    /// if it fails, the transaction is rolled back and nothing is stored.
    pub fn edit(
        &mut self,
        id: &DocId,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> gridvoice_core::Result<()>,
    ) -> Result<Option<ChangeHash>> {
        let doc = load_into(&self.sql, self.docs, id, self.actor.as_ref())?;
        let mut tx = doc.transaction();
        if let Err(e) = f(&mut tx) {
            tx.rollback();
            return Err(e.into());
        }
        self.dirty.push(*id);
        let (hash, _) = tx.commit();
        let Some(hash) = hash else { return Ok(None) };
        let change = doc.get_change_by_hash(&hash).ok_or_else(|| {
            gridvoice_core::Error::CorruptDocument("committed change missing".into())
        })?;
        self.store_change(id, &change)?;
        Ok(Some(hash))
    }

    /// Notes that `hash` carries `record`, for the per-record receipt.
    pub fn expect_receipt(
        &mut self,
        id: &DocId,
        hash: ChangeHash,
        record: &str,
        at: gridvoice_core::clock::Timestamp,
    ) -> Result<()> {
        self.sql
            .prepare_cached(
                "INSERT OR IGNORE INTO receipts (doc_id, hash, record, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![id.to_string(), hash.0.as_slice(), record, at.0])?;
        Ok(())
    }

    fn store_change(&mut self, id: &DocId, change: &Change) -> Result<()> {
        let hash = change.hash();
        let n = self
            .sql
            .prepare_cached(
                "INSERT OR IGNORE INTO changes (doc_id, hash, bytes) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![
                id.to_string(),
                hash.0.as_slice(),
                change.raw_bytes()
            ])?;
        self.stored.push((*id, n));
        Ok(())
    }

    /// Brings the projection of one record up to date from its document.
    pub fn project(&mut self, id: &DocId, c: Collection, record: &str) -> Result<()> {
        let doc = load_into(&self.sql, self.docs, id, self.actor.as_ref())?;
        projection::project_record(&self.sql, id, doc, c, record, self.territory)?;
        Ok(())
    }

    pub(crate) fn apply(&mut self, id: &DocId, changes: Vec<Change>) -> Result<ApplyReport> {
        let mut report = ApplyReport::default();
        let known = holds_document(&self.sql, id)?;
        if !known {
            self.sql.execute(
                "INSERT INTO documents (doc_id, kind, owner) VALUES (?1, 'unknown', '')",
                [id.to_string()],
            )?;
        }
        // Load the document (if it is not cached) before the new changes are in its table, or
        // they would already be in `before` and their records would never be projected.
        let before = load_into(&self.sql, self.docs, id, self.actor.as_ref())?.get_heads();
        let before_count = self.stored.len();
        for change in &changes {
            self.store_change(id, change)?;
        }
        report.new_changes = self.stored[before_count..].iter().map(|(_, n)| n).sum();
        let doc = load_into(&self.sql, self.docs, id, self.actor.as_ref())?;
        self.dirty.push(*id);
        doc.apply_changes(changes)
            .map_err(gridvoice_core::Error::from)?;
        let after = doc.get_heads();
        // The document's kind is known once its genesis change has arrived.
        if let Ok(info) = doc::info(doc) {
            self.sql.execute(
                "UPDATE documents SET kind = ?2, owner = ?3 WHERE doc_id = ?1 AND kind = 'unknown'",
                params![id.to_string(), info.kind.code(), info.owner],
            )?;
        }
        if before == after {
            return Ok(report);
        }
        for (c, record) in doc::touched(doc, &before, &after) {
            report.records += 1;
            if !projection::project_record(&self.sql, id, doc, c, &record, self.territory)? {
                report.unreadable += 1;
            }
        }
        Ok(report)
    }
}
