//! Gridvoice's durable store: Automerge documents and the projections read from them, in SQLite.
//!
//! **Acknowledged means durable.** Every write goes through a [`Batch`]: the Automerge change(s)
//! and the projection rows they imply are written in one SQLite transaction (WAL,
//! `synchronous=FULL`), and the caller hears "saved" only after that commit returns. If anything
//! fails, the SQLite transaction rolls back and the in-memory documents it touched are dropped, to
//! be reloaded from disk: memory never runs ahead of the disk.
//!
//! Changes are stored content-addressed (`INSERT OR IGNORE` by hash), so receiving a change twice
//! stores it once; compaction writes a snapshot and deletes the changes it covers in one
//! transaction.

mod batch;
mod blobs;
mod changes;
use changes::{holds_document, load_into};
pub mod chunks;
mod error;
mod files;
pub use files::owner_only;
mod link;
mod receipts;
mod recovery;
mod reset;
mod uploads;
pub mod vault;
pub use blobs::{Photo, photo_hash};
pub use reset::Wiped;
pub mod import;
pub mod projection;
mod schema;
pub mod service;
pub use recovery::Recovered;
mod sync;
pub mod system;
pub use batch::{ApplyReport, Batch};
pub use chunks::decode_chunks;
pub use receipts::Receipt;
pub use sync::ServerLink;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use automerge::{ActorId, Automerge};
use gridvoice_core::doc::{self, Collection, DocKind};
use gridvoice_core::geography::locate::Locator;
use gridvoice_core::ids::{DelegateId, DeviceId, DocId, StationId};
use gridvoice_core::territory::Territory;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

pub use error::{Error, Result};
pub use schema::VERSION as SCHEMA_VERSION;

/// Once a document has this many stored changes, a local write compacts it.
const COMPACT_AFTER_CHANGES: usize = 2_000;

/// Who this device is: set once at initialisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceIdentity {
    pub device: DeviceId,
    pub delegate: DelegateId,
    pub station: StationId,
}

/// The store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    docs: HashMap<DocId, Automerge>,
    /// Stored changes per document since its last snapshot (for compaction).
    change_counts: HashMap<DocId, usize>,
    /// Bumped each time the device starts over after a refusal (see `recovery`).
    actor_epoch: u32,
    /// Drawn at random each time the store is opened: the actor this device writes under is
    /// derived from it, so a store restored from a backup (or copied to another phone) never
    /// writes a change under an actor and sequence number it already used.
    session: uuid::Uuid,
    /// Stored changes of a document beside its snapshot that make the next compaction due.
    compact_after: usize,
    identity: Option<DeviceIdentity>,
    territory: Option<Territory>,
    /// Point → grid index over the territory, built on first use.
    locator: Option<Locator>,
    /// An office's working-day calendar, when this side loaded one (else the carried one).
    calendar: Option<gridvoice_core::calendar::Calendar>,
    policy: Option<gridvoice_core::deadline::Policy>,
    /// Where the device credential is kept when not in the `server_link` row (`link.rs`).
    vault: Option<std::sync::Arc<dyn vault::Vault>>,
}

impl Store {
    /// Opens (creating if needed) a store file. A file that is not a store, or is corrupt, gets
    /// [`Error::CorruptStore`] and is left untouched.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        owner_only(path.as_ref())?;
        let conn = Connection::open(path).map_err(Error::from_sqlite_open)?;
        Store::setup(conn)
    }

    /// Counts deadlines on `calendar` instead of the one this build carries (a server given an
    /// office's newer file; it was checked when read).
    pub fn set_calendar(&mut self, calendar: gridvoice_core::calendar::Calendar) {
        self.calendar = Some(calendar);
    }

    /// The working-day calendar deadlines count on here.
    pub fn calendar(&self) -> &gridvoice_core::calendar::Calendar {
        self.calendar
            .as_ref()
            .unwrap_or_else(|| gridvoice_core::calendar::carried())
    }

    /// Counts stages' working days by an office's `policy` instead of the default one (it was
    /// checked when read).
    pub fn set_policy(&mut self, policy: gridvoice_core::deadline::Policy) {
        self.policy = Some(policy);
    }

    /// The time limits counted here, when an office gave its own.
    pub fn policy(&self) -> Option<&gridvoice_core::deadline::Policy> {
        self.policy.as_ref()
    }

    /// A store that lives in memory only (tests, simulations).
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Store> {
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(Error::from_sqlite_open)?;
        if mode != "wal" && mode != "memory" {
            return Err(Error::CorruptStore(format!("cannot use WAL (got {mode})")));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&mut conn)?;
        let identity = read_meta(&conn, "identity")?;
        let territory = read_meta(&conn, "territory")?;
        let actor_epoch = read_meta(&conn, "actor_epoch")?.unwrap_or(0);
        let mut store = Store {
            conn,
            docs: HashMap::new(),
            change_counts: HashMap::new(),
            actor_epoch,
            compact_after: COMPACT_AFTER_CHANGES,
            session: gridvoice_core::clock::IdSource::next_uuid(
                &mut system::OsIds,
                gridvoice_core::clock::Clock::now(&system::SystemClock),
            ),
            identity,
            territory,
            locator: None,
            calendar: None,
            policy: None,
            vault: None,
        };
        // A migration that changed how records are projected asks for every document again.
        if read_meta::<serde_json::Value>(&store.conn, "reproject")?.is_some() {
            store.reproject_all()?;
            store
                .conn
                .execute("DELETE FROM meta WHERE key = 'reproject'", [])?;
        }
        Ok(store)
    }

    /// Projects every document again (after a migration or a territory change: who holds which
    /// role decides which events count).
    pub fn reproject_all(&mut self) -> Result<()> {
        for (id, _, _) in self.documents()? {
            self.rebuild_projections(&id)?;
        }
        Ok(())
    }

    /// Binds this store to a device of a delegate, with the territory it validates against, and
    /// creates the delegate's station and contacts documents.
    pub fn init_device(&mut self, identity: DeviceIdentity, territory: Territory) -> Result<()> {
        if self.identity.is_some() {
            return Err(Error::AlreadyInitialised);
        }
        territory.check_references()?;
        let delegate = territory
            .delegate(&identity.delegate)
            .ok_or_else(|| gridvoice_core::Error::UnknownDelegate(identity.delegate.to_string()))?;
        if delegate.station != identity.station {
            return Err(gridvoice_core::Error::UnknownStation(identity.station.to_string()).into());
        }
        let actor = self.session_actor();
        self.write(Some(actor), |b| {
            write_meta(&b.sql, "identity", &identity)?;
            write_meta(&b.sql, "territory", &territory)?;
            b.ensure_doc(DocKind::Station, identity.station.as_str())?;
            b.ensure_doc(DocKind::Contacts, identity.delegate.as_str())?;
            Ok(())
        })?;
        self.identity = Some(identity);
        self.territory = Some(territory);
        Ok(())
    }

    /// Re-enrolment: the same delegate at the same station, under a new device credential (the
    /// old one was revoked). The documents stay; the device id, and so the actor of new changes,
    /// is the new one's.
    pub fn rebind_device(&mut self, identity: DeviceIdentity, territory: Territory) -> Result<()> {
        let Some(old) = &self.identity else {
            return Err(Error::NotInitialised);
        };
        if old.delegate != identity.delegate || old.station != identity.station {
            return Err(Error::AlreadyInitialised);
        }
        territory.check_references()?;
        self.write(None, |b| {
            write_meta(&b.sql, "identity", &identity)?;
            write_meta(&b.sql, "territory", &territory)?;
            Ok(())
        })?;
        // Loaded documents carry the old actor: reload them with the new one.
        self.docs.clear();
        self.identity = Some(identity);
        let changed = self.territory.as_ref() != Some(&territory);
        self.territory = Some(territory);
        if changed {
            self.reproject_all()?;
        }
        self.locator = None;
        Ok(())
    }

    /// Replaces the territory (the office edited it).
    pub fn set_territory(&mut self, territory: Territory) -> Result<()> {
        territory.check_references()?;
        let changed = self.territory.as_ref() != Some(&territory);
        write_meta(&self.conn, "territory", &territory)?;
        self.territory = Some(territory);
        self.locator = None;
        // Who heads a station or staffs the office decides which events count.
        if changed {
            self.reproject_all()?;
        }
        Ok(())
    }

    /// The grid a location lies in (the nearest grid when it is outside the street).
    pub fn locate(
        &mut self,
        loc: &gridvoice_core::model::Location,
    ) -> Result<gridvoice_core::geography::locate::Placement> {
        if self.locator.is_none() {
            let t = self.territory.as_ref().ok_or(Error::NotInitialised)?;
            self.locator = Some(Locator::new(t)?);
        }
        let locator = self.locator.as_ref().ok_or(Error::NotInitialised)?;
        Ok(locator.locate_location(loc)?)
    }

    pub fn identity(&self) -> Option<&DeviceIdentity> {
        self.identity.as_ref()
    }

    pub fn territory(&self) -> Option<&Territory> {
        self.territory.as_ref()
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` as one durable unit: its document changes and projection rows commit together or
    /// not at all.
    pub fn write<T>(
        &mut self,
        actor: Option<ActorId>,
        f: impl FnOnce(&mut Batch<'_>) -> Result<T>,
    ) -> Result<T> {
        let actor = actor.or_else(|| self.actor());
        let sql = self.conn.transaction()?;
        let mut batch = Batch {
            sql,
            docs: &mut self.docs,
            territory: self.territory.as_ref(),
            actor,
            dirty: Vec::new(),
            stored: Vec::new(),
        };
        let result = f(&mut batch);
        let Batch {
            sql,
            docs,
            territory: _,
            dirty,
            stored,
            ..
        } = batch;
        let committed = match result {
            Ok(v) => sql.commit().map(|()| v).map_err(Error::from),
            Err(e) => Err(e), // `sql` rolls back on drop
        };
        match committed {
            Ok(v) => {
                for (id, n) in stored {
                    *self.change_counts.entry(id).or_insert(0) += n;
                }
                Ok(v)
            }
            Err(e) => {
                for id in dirty {
                    docs.remove(&id);
                }
                Err(e)
            }
        }
    }

    /// Whether the database answers (for a health check).
    pub fn check(&self) -> Result<()> {
        self.conn
            .query_row("SELECT count(*) FROM meta", [], |r| r.get::<_, i64>(0))?;
        Ok(())
    }

    /// A free-form setting of this store.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Makes the station and contacts documents of a territory that this store does not hold yet
    /// (a server seeds them at set-up, so the office sees every station from the start).
    pub fn seed_documents(&mut self, territory: &Territory) -> Result<usize> {
        let before = self.documents()?.len();
        self.write(None, |b| {
            for s in &territory.stations {
                b.ensure_doc(DocKind::Station, s.id.as_str())?;
            }
            for d in &territory.delegates {
                b.ensure_doc(DocKind::Contacts, d.id.as_str())?;
            }
            Ok(())
        })?;
        Ok(self.documents()?.len() - before)
    }

    /// Sets the territory without binding the store to a device (a server's store).
    pub fn set_server_territory(&mut self, territory: Territory) -> Result<()> {
        self.set_territory(territory)
    }

    /// Recomputes every projection row of a document from the document itself.
    pub fn rebuild_projections(&mut self, id: &DocId) -> Result<()> {
        self.write(None, |b| {
            projection::clear(&b.sql, id)?;
            let doc = load_into(&b.sql, b.docs, id, b.actor.as_ref())?;
            if doc::info(doc).map(|i| i.kind) != Ok(DocKind::Station) {
                return Ok(());
            }
            for c in [
                Collection::Visits,
                Collection::Demands,
                Collection::Suggestions,
            ] {
                for rid in doc::record_ids(doc, c)? {
                    projection::project_record(&b.sql, id, doc, c, &rid, b.territory)?;
                }
            }
            Ok(())
        })
    }

    /// The persisted sync state for a (document, peer).
    pub fn sync_state(&self, id: &DocId, peer: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT state FROM sync_states WHERE doc_id = ?1 AND peer = ?2",
                params![id.to_string(), peer],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn put_sync_state(&self, id: &DocId, peer: &str, state: &[u8]) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_states (doc_id, peer, state) VALUES (?1, ?2, ?3)
             ON CONFLICT (doc_id, peer) DO UPDATE SET state = excluded.state",
            params![id.to_string(), peer, state],
        )?;
        Ok(())
    }
}

fn read_meta<T: serde::de::DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>> {
    let raw: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .map_err(Error::from_sqlite_open)?;
    match raw {
        None => Ok(None),
        Some(s) => serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| Error::CorruptStore(format!("meta {key}: {e}"))),
    }
}

fn write_meta<T: Serialize>(conn: &Connection, key: &str, value: &T) -> Result<()> {
    let json = serde_json::to_string(value)
        .map_err(|e| Error::CorruptStore(format!("cannot encode {key}: {e}")))?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, json],
    )?;
    Ok(())
}

/// Records touched, as returned by [`doc::touched`].
pub type Touched = BTreeSet<(Collection, String)>;
