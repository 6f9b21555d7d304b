//! What a server takes of a device's photos: only a photo a demand of the uploader's station
//! names (the demand synced first), and no more bytes a day per device than its quota (by
//! default `limits::MAX_PHOTO_BYTES_PER_DAY`). Each accepted upload is counted against the device that sent it.

use gridvoice_core::Error as CoreError;
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::{DeviceId, StationId};
use rusqlite::OptionalExtension;

use crate::{Error, Result, Store};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Store {
    /// Takes a photo `device` of `station` uploads under `name`: refused (nothing stored) when no
    /// demand of the station names it, when the bytes are not the name, or when the device has
    /// used its day's `quota` (bytes). The same photo again is not charged twice.
    pub fn accept_upload(
        &self,
        (device, station): (&DeviceId, &StationId),
        name: &str,
        bytes: &[u8],
        quota: u64,
        now: Timestamp,
    ) -> Result<String> {
        if !gridvoice_core::capture::is_photo_hash(name) {
            return Err(CoreError::InvalidPhoto("照片编号格式不正确".into()).into());
        }
        let named = self
            .connection()
            .prepare_cached(
                "SELECT 1 FROM demands, json_each(demands.view, '$.attachments') AS a
                 WHERE demands.station = ?1 AND a.value = ?2 LIMIT 1",
            )?
            .query_row((station.as_str(), name), |_| Ok(()))
            .optional()?
            .is_some();
        if !named {
            return Err(CoreError::InvalidPhoto(
                "没有本站的诉求引用这张照片（请先同步诉求再上传照片）".into(),
            )
            .into());
        }
        let again = self
            .connection()
            .prepare_cached("SELECT 1 FROM photo_uploads WHERE device = ?1 AND hash = ?2")?
            .query_row((device.to_string(), name), |_| Ok(()))
            .optional()?
            .is_some();
        if !again {
            let used: i64 = self.connection().query_row(
                "SELECT COALESCE(SUM(bytes), 0) FROM photo_uploads WHERE device = ?1 AND at > ?2",
                (device.to_string(), now.0 - DAY_MS),
                |r| r.get(0),
            )?;
            let len = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
            if used.saturating_add(len) > i64::try_from(quota).unwrap_or(i64::MAX) {
                return Err(Error::QuotaExceeded);
            }
        }
        let hash = self.put_named_photo(name, bytes, Some(station), now)?;
        if !again {
            self.connection().execute(
                "INSERT OR IGNORE INTO photo_uploads (device, hash, bytes, at) VALUES (?1, ?2, ?3, ?4)",
                (device.to_string(), &hash, bytes.len() as i64, now.0),
            )?;
        }
        Ok(hash)
    }
}
