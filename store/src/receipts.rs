//! Per-record receipts: which local change carried a record (or an event on it), and when the
//! server confirmed it had committed that change. What a device shows as "not yet synced".

use automerge::ChangeHash;
use gridvoice_core::ids::DocId;
use rusqlite::{OptionalExtension, params};

use crate::{Error, Result, Store};

/// The per-record receipt: which local change carried a record, and when the server confirmed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub doc: DocId,
    pub hash: ChangeHash,
    pub record: String,
    pub created_at: gridvoice_core::clock::Timestamp,
    pub synced_at: Option<gridvoice_core::clock::Timestamp>,
}

impl Store {
    /// Records that a local change carries a record the server must confirm (the per-record
    /// receipt): stored with the capture, marked when the server says it has committed the change.
    pub fn pending_receipts(&self) -> Result<Vec<Receipt>> {
        let mut stmt = self.conn.prepare(
            "SELECT doc_id, hash, record, created_at FROM receipts WHERE synced_at IS NULL
             ORDER BY created_at, record",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (doc, hash, record, created_at) = row?;
            out.push(Receipt {
                doc: doc
                    .parse()
                    .map_err(|_| Error::CorruptStore(format!("bad doc id {doc}")))?,
                hash: ChangeHash::try_from(hash.as_slice())
                    .map_err(|_| Error::CorruptStore("bad change hash".into()))?,
                record,
                created_at: gridvoice_core::clock::Timestamp(created_at),
                synced_at: None,
            });
        }
        Ok(out)
    }

    /// Marks the receipts of these changes as confirmed by the server at `at`.
    pub fn confirm_receipts(
        &mut self,
        doc: &DocId,
        hashes: &[ChangeHash],
        at: gridvoice_core::clock::Timestamp,
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE receipts SET synced_at = ?3 WHERE doc_id = ?1 AND hash = ?2 AND synced_at IS NULL",
            )?;
            for h in hashes {
                n += stmt.execute(params![doc.to_string(), h.0.as_slice(), at.0])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// The receipt of one record (`None` when it was not recorded on this device).
    pub fn receipt(&self, record: &str) -> Result<Option<Receipt>> {
        let row = self
            .conn
            .query_row(
                "SELECT doc_id, hash, created_at, synced_at FROM receipts WHERE record = ?1
                 ORDER BY created_at LIMIT 1",
                [record],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((doc, hash, created_at, synced_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Receipt {
            doc: doc
                .parse()
                .map_err(|_| Error::CorruptStore(format!("bad doc id {doc}")))?,
            hash: ChangeHash::try_from(hash.as_slice())
                .map_err(|_| Error::CorruptStore("bad change hash".into()))?,
            record: record.to_owned(),
            created_at: gridvoice_core::clock::Timestamp(created_at),
            synced_at: synced_at.map(gridvoice_core::clock::Timestamp),
        }))
    }
}
