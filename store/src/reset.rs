//! Starting a device over: everything it holds wiped, as a fresh install. The one way to enrol a
//! device at another server than the one it is pinned to (`ServerLink::server_id`), so a new
//! server never receives the old one's documents — residents' contacts among them.

use crate::{Error, Result, Store};

/// What a reset threw away that the server had not confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wiped {
    pub unsent_records: usize,
    pub unsent_photos: usize,
}

impl Store {
    /// Wipes every document, record, photo, receipt, credential and the device's identity, then
    /// compacts the file so the deleted pages do not linger in it. While records or photos still
    /// wait for the server it refuses ([`Error::Unsent`]) unless `discard_unsent`.
    pub fn reset_device(&mut self, discard_unsent: bool) -> Result<Wiped> {
        let wiped = Wiped {
            unsent_records: self.pending_receipts()?.len(),
            unsent_photos: self.photos_to_upload()?.len(),
        };
        if !discard_unsent && wiped != Wiped::default() {
            return Err(Error::Unsent {
                records: wiped.unsent_records,
                photos: wiped.unsent_photos,
            });
        }
        // The credential first: a keystore that cannot forget it stops the reset before anything
        // is wiped (unlock it and reset again), so no credential outlives its store.
        self.forget_credential()?;
        let tables: Vec<String> = self
            .conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                   AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'demands_fts%'",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let tx = self.conn.transaction()?;
        // Every table ends empty: references are checked at the commit, not table by table.
        tx.execute_batch("PRAGMA defer_foreign_keys = ON;")?;
        // The full-text index follows its content table; emptied through its own command.
        tx.execute_batch("INSERT INTO demands_fts(demands_fts) VALUES ('delete-all');")?;
        for t in &tables {
            tx.execute_batch(&format!("DELETE FROM \"{}\";", t.replace('"', "\"\"")))?;
        }
        tx.commit()?;
        self.conn
            .execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
        self.docs.clear();
        self.change_counts.clear();
        self.actor_epoch = 0;
        self.identity = None;
        self.territory = None;
        self.locator = None;
        Ok(wiped)
    }
}
