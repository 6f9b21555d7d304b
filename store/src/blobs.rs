//! Photos, stored content-addressed by SHA-256 beside the documents and synced on their own
//! (the documents carry only the hashes). On a device each photo has a receipt: it counts as
//! synced once the server has confirmed it holds the bytes.

use gridvoice_core::Error as CoreError;
use gridvoice_core::capture::{check_photo, is_photo_hash};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::StationId;
use rusqlite::OptionalExtension;
use sha2::{Digest, Sha256};

use crate::{Result, Store};

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub hash: String,
    pub mime: String,
    pub bytes: Vec<u8>,
    /// On a server: the stations whose devices uploaded it (who may read it follows from them).
    pub stations: Vec<StationId>,
}

/// A photo's name: the SHA-256 of its bytes, lowercase hex.
pub fn photo_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Store {
    /// Checks and stores a photo; storing the same bytes again changes nothing. Returns its hash.
    pub fn put_photo(
        &self,
        bytes: &[u8],
        station: Option<&StationId>,
        now: Timestamp,
    ) -> Result<String> {
        let mime = check_photo(bytes)?;
        let hash = photo_hash(bytes);
        // The bytes and the uploader's station land together: a photo is never on the server
        // without a station that may read it.
        let tx = self.connection().unchecked_transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO blobs (hash, bytes, mime, created_at) VALUES (?1, ?2, ?3, ?4)",
            (&hash, bytes, mime, now.0),
        )?;
        if let Some(s) = station {
            tx.execute(
                "INSERT OR IGNORE INTO blob_stations (hash, station) VALUES (?1, ?2)",
                (&hash, s.as_str()),
            )?;
        }
        tx.commit()?;
        Ok(hash)
    }

    /// Stores a photo that arrived under a name (an upload): the name must be a photo hash and
    /// the bytes must hash to it, else nothing is stored.
    pub fn put_named_photo(
        &self,
        name: &str,
        bytes: &[u8],
        station: Option<&StationId>,
        now: Timestamp,
    ) -> Result<String> {
        if !is_photo_hash(name) {
            return Err(CoreError::InvalidPhoto("照片编号格式不正确".into()).into());
        }
        check_photo(bytes)?;
        if photo_hash(bytes) != name {
            return Err(CoreError::InvalidPhoto(
                "照片内容与编号不符（传输中损坏？请重新同步）".into(),
            )
            .into());
        }
        self.put_photo(bytes, station, now)
    }

    /// Keeps a photo fetched from the server (the bytes must hash to its name): stored as already
    /// uploaded, so this device never sends it back.
    pub fn keep_fetched_photo(&self, name: &str, bytes: &[u8], now: Timestamp) -> Result<()> {
        self.put_named_photo(name, bytes, None, now)?;
        self.confirm_photo(name, now)
    }

    /// Whether the photo is here.
    pub fn has_photo(&self, hash: &str) -> Result<bool> {
        if !is_photo_hash(hash) {
            return Ok(false);
        }
        Ok(self
            .connection()
            .query_row("SELECT 1 FROM blobs WHERE hash = ?1", [hash], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// A stored photo.
    pub fn photo(&self, hash: &str) -> Result<Option<Photo>> {
        if !is_photo_hash(hash) {
            return Err(CoreError::InvalidPhoto("照片编号格式不正确".into()).into());
        }
        let found = self
            .connection()
            .query_row(
                "SELECT bytes, mime FROM blobs WHERE hash = ?1",
                [hash],
                |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?;
        let Some((bytes, mime)) = found else {
            return Ok(None);
        };
        let stations = self
            .connection()
            .prepare_cached("SELECT station FROM blob_stations WHERE hash = ?1 ORDER BY station")?
            .query_map([hash], |r| r.get::<_, String>(0))?
            .map(|s| s.map(StationId::new))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Some(Photo {
            hash: hash.to_owned(),
            mime,
            bytes,
            stations,
        }))
    }

    /// Photos a saved demand names that the server has not yet confirmed, oldest first:
    /// (hash, stored at). A photo taken for a form that was never saved stays on the device.
    pub fn photos_to_upload(&self) -> Result<Vec<(String, Timestamp)>> {
        let mut st = self.connection().prepare_cached(
            "SELECT hash, created_at FROM blobs
             WHERE uploaded_at IS NULL
               AND EXISTS (SELECT 1 FROM demands, json_each(demands.view, '$.attachments') AS a
                           WHERE a.value = blobs.hash)
             ORDER BY created_at, hash",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, Timestamp(r.get(1)?))))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The server confirmed it holds the photo.
    pub fn confirm_photo(&self, hash: &str, now: Timestamp) -> Result<()> {
        self.connection().execute(
            "UPDATE blobs SET uploaded_at = ?2 WHERE hash = ?1 AND uploaded_at IS NULL",
            (hash, now.0),
        )?;
        Ok(())
    }
}
