//! Store schema and its migrations, versioned with `PRAGMA user_version`.

use rusqlite::Connection;

use crate::error::{Error, Result};

/// Migrations in order; migration `i` takes the store from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
-- Key/value settings of this store: device identity, territory.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

-- Automerge documents held here.
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    kind   TEXT NOT NULL,       -- station | contacts | unknown (until its genesis arrives)
    owner  TEXT NOT NULL
) STRICT;

-- A compacted document; changes below it were deleted in the same transaction.
CREATE TABLE snapshots (
    doc_id TEXT PRIMARY KEY REFERENCES documents(doc_id),
    bytes  BLOB NOT NULL
) STRICT;

-- Changes, content-addressed: inserting one that is already here does nothing.
CREATE TABLE changes (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    hash   BLOB NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (doc_id, hash)
) STRICT, WITHOUT ROWID;

-- Automerge sync state per (document, peer), so reconnects resume.
CREATE TABLE sync_states (
    doc_id TEXT NOT NULL,
    peer   TEXT NOT NULL,
    state  BLOB NOT NULL,
    PRIMARY KEY (doc_id, peer)
) STRICT, WITHOUT ROWID;

-- Content-addressed attachments (photos), by SHA-256.
CREATE TABLE blobs (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL) STRICT;

-- Projections: derived from the documents, rebuilt at will; every list and search reads these.
CREATE TABLE demands (
    seq            INTEGER PRIMARY KEY,  -- stable rowid for the full-text index
    id             TEXT NOT NULL UNIQUE,
    doc_id         TEXT NOT NULL,
    station        TEXT NOT NULL,
    grid           TEXT NOT NULL,
    category       TEXT NOT NULL,
    status         TEXT NOT NULL,
    text           TEXT NOT NULL,
    recorded_at    INTEGER NOT NULL,
    recorded_by    TEXT NOT NULL,
    visit          TEXT,
    has_contact    INTEGER NOT NULL,
    needs_decision INTEGER NOT NULL,
    deadline       INTEGER,
    view           TEXT NOT NULL         -- JSON of the DemandView
) STRICT;
CREATE INDEX demands_station_status ON demands(station, status, recorded_at);
CREATE INDEX demands_grid ON demands(grid, recorded_at);
CREATE INDEX demands_recorded ON demands(recorded_at);

-- Trigram full-text index: Chinese has no spaces, trigrams find any substring of 3+ characters.
-- Filled lazily: a capture only writes its row; the rows past `fts_indexed` (in meta) are indexed
-- in one batch before the next search, which keeps the capture's commit small.
CREATE VIRTUAL TABLE demands_fts USING fts5(
    text, content='demands', content_rowid='seq', tokenize='trigram'
);

CREATE TABLE visits (
    id          TEXT PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    station     TEXT NOT NULL,
    grid        TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    view        TEXT NOT NULL
) STRICT;
CREATE INDEX visits_started ON visits(station, started_at);

CREATE TABLE suggestions (
    id         TEXT PRIMARY KEY,
    doc_id     TEXT NOT NULL,
    station    TEXT NOT NULL,
    level      TEXT NOT NULL,
    formed_at  INTEGER NOT NULL,
    view       TEXT NOT NULL
) STRICT;
"#,
    r#"
-- Per-record receipts: the local change that carried a record, and when the server confirmed it
-- had committed that change. A record is "synced" only then.
CREATE TABLE receipts (
    doc_id     TEXT NOT NULL,
    hash       BLOB NOT NULL,
    record     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    synced_at  INTEGER,
    PRIMARY KEY (doc_id, hash, record)
) STRICT, WITHOUT ROWID;
CREATE INDEX receipts_pending ON receipts(synced_at, created_at);
CREATE INDEX receipts_record ON receipts(record);
"#,
    r#"
-- Photos: their media type; on a server, the station of the device that uploaded one (who may
-- read it); on a device, when the server confirmed it holds the photo (its receipt).
ALTER TABLE blobs ADD COLUMN mime TEXT NOT NULL DEFAULT 'application/octet-stream';
ALTER TABLE blobs ADD COLUMN station TEXT;
ALTER TABLE blobs ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE blobs ADD COLUMN uploaded_at INTEGER;
CREATE INDEX blobs_to_upload ON blobs(uploaded_at, created_at);
"#,
    r#"
-- Receipts keyed by record (a record's receipt is a key prefix), and only the pending ones in a
-- second index: a capture now touches two pages of receipts instead of three.
CREATE TABLE receipts_by_record (
    record     TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    hash       BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    synced_at  INTEGER,
    PRIMARY KEY (record, doc_id, hash)
) STRICT, WITHOUT ROWID;
INSERT INTO receipts_by_record (record, doc_id, hash, created_at, synced_at)
    SELECT record, doc_id, hash, created_at, synced_at FROM receipts;
DROP TABLE receipts;
ALTER TABLE receipts_by_record RENAME TO receipts;
CREATE INDEX receipts_pending ON receipts(doc_id, hash) WHERE synced_at IS NULL;
"#,
    r#"
-- On a server: every station that uploaded a photo (the same picture forwarded to delegates of
-- two stations is each station's), not only the first.
CREATE TABLE blob_stations (
    hash    TEXT NOT NULL,
    station TEXT NOT NULL,
    PRIMARY KEY (hash, station)
) STRICT, WITHOUT ROWID;
INSERT INTO blob_stations (hash, station) SELECT hash, station FROM blobs WHERE station IS NOT NULL;
ALTER TABLE blobs DROP COLUMN station;
"#,
    r#"
-- Projection rows are keyed by (document, id): a record is believed only in the document that
-- holds it. Rows keep their `seq` (the full-text index's rowid); every document is projected
-- again at the next open, under the authority rule (see `Store::setup`).
CREATE TABLE demands_v6 (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL,
    doc_id         TEXT NOT NULL,
    station        TEXT NOT NULL,
    grid           TEXT NOT NULL,
    category       TEXT NOT NULL,
    status         TEXT NOT NULL,
    text           TEXT NOT NULL,
    recorded_at    INTEGER NOT NULL,
    recorded_by    TEXT NOT NULL,
    visit          TEXT,
    has_contact    INTEGER NOT NULL,
    needs_decision INTEGER NOT NULL,
    deadline       INTEGER,
    view           TEXT NOT NULL,
    UNIQUE (doc_id, id)
) STRICT;
INSERT INTO demands_v6 SELECT seq, id, doc_id, station, grid, category, status, text, recorded_at,
    recorded_by, visit, has_contact, needs_decision, deadline, view FROM demands;
DROP TABLE demands;
ALTER TABLE demands_v6 RENAME TO demands;
CREATE INDEX demands_id ON demands(id);
CREATE INDEX demands_station_status ON demands(station, status, recorded_at);
CREATE INDEX demands_grid ON demands(grid, recorded_at);
CREATE INDEX demands_recorded ON demands(recorded_at);
CREATE TABLE visits_v6 (
    id          TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    station     TEXT NOT NULL,
    grid        TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    view        TEXT NOT NULL,
    PRIMARY KEY (doc_id, id)
) STRICT;
INSERT INTO visits_v6 SELECT id, doc_id, station, grid, started_at, ended_at, view FROM visits;
DROP TABLE visits;
ALTER TABLE visits_v6 RENAME TO visits;
CREATE INDEX visits_started ON visits(station, started_at);
CREATE INDEX visits_id ON visits(id);
CREATE TABLE suggestions_v6 (
    id         TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    station    TEXT NOT NULL,
    level      TEXT NOT NULL,
    formed_at  INTEGER NOT NULL,
    view       TEXT NOT NULL,
    PRIMARY KEY (doc_id, id)
) STRICT;
INSERT INTO suggestions_v6 SELECT id, doc_id, station, level, formed_at, view FROM suggestions;
DROP TABLE suggestions;
ALTER TABLE suggestions_v6 RENAME TO suggestions;
CREATE INDEX suggestions_id ON suggestions(id);
INSERT INTO meta (key, value) VALUES ('reproject', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"#,
    r#"
-- A device starting over after the server refused one of its changes keeps what it held here
-- (each document saved whole) until its own records are written again on top of the server's.
CREATE TABLE stash (
    doc_id TEXT PRIMARY KEY,
    bytes  BLOB NOT NULL
) STRICT;
"#,
    r#"
-- A station's inbox pages newest first, whole or by grid or category: read from an index in its
-- order, not sorted from the whole station (ids break ties, in the same direction).
CREATE INDEX demands_station_recorded ON demands(station, recorded_at, id);
CREATE INDEX demands_station_grid ON demands(station, grid, recorded_at, id);
CREATE INDEX demands_station_category ON demands(station, category, recorded_at, id);
"#,
    r#"
-- The demand each one was joined into (附议): a view lists the demands joined into it.
ALTER TABLE demands ADD COLUMN joined_into TEXT;
CREATE INDEX demands_joined ON demands(joined_into, station) WHERE joined_into IS NOT NULL;
INSERT INTO meta (key, value) VALUES ('reproject', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"#,
    r#"
-- The office's loop: a view now carries each unit routed with its answer, pauses, reopenings and
-- call-backs; the views are derived again from the events.
INSERT INTO meta (key, value) VALUES ('reproject', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"#,
    r#"
-- A change is looked up by its hash alone when the server judges an incoming one (is it held in
-- another document?): an index instead of a scan of every change under the store's lock.
CREATE INDEX changes_hash ON changes(hash);
"#,
    r#"
-- A server counts each device's photo uploads against its daily quota.
CREATE TABLE photo_uploads (
    device TEXT NOT NULL,
    hash   TEXT NOT NULL,
    bytes  INTEGER NOT NULL,
    at     INTEGER NOT NULL,
    PRIMARY KEY (device, hash)
) STRICT;
CREATE INDEX photo_uploads_at ON photo_uploads(device, at);
"#,
];

/// The schema version this program writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the store up to [`VERSION`], one transaction per migration.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(Error::from_sqlite_open)?;
    if found > VERSION {
        return Err(Error::NewerStore {
            found,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store as an older program left it: the first `version` migrations only.
    fn at_version(version: usize) -> Result<Connection> {
        let conn = Connection::open_in_memory()?;
        for (i, sql) in MIGRATIONS[..version].iter().enumerate() {
            conn.execute_batch(sql)?;
            conn.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        Ok(conn)
    }

    /// A phone that recorded under schema 3 (one receipt confirmed, one still pending) updates
    /// the app: both receipts survive the move to the record-keyed table, and only the pending
    /// one is in the pending index.
    #[test]
    fn receipts_made_before_the_record_keyed_table_survive_the_update() -> Result<()> {
        let mut conn = at_version(3)?;
        conn.execute_batch(
            "INSERT INTO receipts (doc_id, hash, record, created_at, synced_at)
             VALUES ('doc-a', x'01', 'demand-1', 10, 20), ('doc-a', x'02', 'demand-2', 11, NULL);",
        )?;
        migrate(&mut conn)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        assert_eq!(version, VERSION);
        let rows: Vec<(String, Option<i64>)> = conn
            .prepare("SELECT record, synced_at FROM receipts ORDER BY record")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        assert_eq!(
            rows,
            vec![("demand-1".into(), Some(20)), ("demand-2".into(), None)]
        );
        let plan: String = conn.query_row(
            "EXPLAIN QUERY PLAN SELECT record FROM receipts
             WHERE doc_id = 'doc-a' AND hash = x'02' AND synced_at IS NULL",
            [],
            |r| r.get(3),
        )?;
        assert!(plan.contains("receipts_pending"), "{plan}");
        Ok(())
    }

    /// A server that stored photos under schema 4 (one station per photo) keeps each photo's
    /// station after the update.
    #[test]
    fn photos_stored_before_blob_stations_keep_their_station() -> Result<()> {
        let mut conn = at_version(4)?;
        conn.execute_batch(
            "INSERT INTO blobs (hash, bytes, station) VALUES ('h1', x'00', 'S03'), ('h2', x'00', NULL);",
        )?;
        migrate(&mut conn)?;
        let rows: Vec<(String, String)> = conn
            .prepare("SELECT hash, station FROM blob_stations")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        assert_eq!(rows, vec![("h1".into(), "S03".into())]);
        // One place says whose a photo is: the old column is gone.
        let old: i64 = conn.query_row(
            "SELECT count(*) FROM pragma_table_info('blobs') WHERE name = 'station'",
            [],
            |r| r.get(0),
        )?;
        assert_eq!(old, 0);
        Ok(())
    }

    /// A station's server upgraded from schema 5: its projection rows survive, keyed now by
    /// (document, id), so the same id in two documents is two rows, and the store asks for every
    /// document to be projected again under the authority rule.
    #[test]
    fn projection_rows_are_keyed_by_document_after_the_update() -> Result<()> {
        let mut conn = at_version(5)?;
        conn.execute_batch(
            "INSERT INTO meta (key, value) VALUES ('territory', '{}');
             INSERT INTO demands (id, doc_id, station, grid, category, status, text, recorded_at,
                 recorded_by, has_contact, needs_decision, view)
             VALUES ('d-1', 'doc-a', 'S01', 'g', 'c', 'recorded', '楼道灯坏了', 1, 'D01', 0, 0, '{}');",
        )?;
        migrate(&mut conn)?;
        conn.execute(
            "INSERT INTO demands (id, doc_id, station, grid, category, status, text, recorded_at,
                 recorded_by, has_contact, needs_decision, view)
             VALUES ('d-1', 'doc-b', 'S02', 'g', 'c', 'recorded', '同号', 1, 'D02', 0, 0, '{}')",
            [],
        )?;
        let rows: i64 =
            conn.query_row("SELECT count(*) FROM demands WHERE id = 'd-1'", [], |r| {
                r.get(0)
            })?;
        assert_eq!(rows, 2);
        let again = conn.execute(
            "INSERT INTO demands (id, doc_id, station, grid, category, status, text, recorded_at,
                 recorded_by, has_contact, needs_decision, view)
             VALUES ('d-1', 'doc-a', 'S01', 'g', 'c', 'recorded', 'x', 1, 'D01', 0, 0, '{}')",
            [],
        );
        assert!(again.is_err(), "one row per (document, id)");
        let flag: String =
            conn.query_row("SELECT value FROM meta WHERE key = 'reproject'", [], |r| {
                r.get(0)
            })?;
        assert_eq!(flag, "1");
        Ok(())
    }
}
