use gridvoice_core::api::ApiError;
use gridvoice_core::{ErrorCode, error::Error as CoreError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The store's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store file is corrupt or not a Gridvoice store: {0}")]
    CorruptStore(String),
    #[error("store schema version {found} is newer than this program ({supported})")]
    NewerStore { found: i64, supported: i64 },
    #[error("this device is not initialised")]
    NotInitialised,
    #[error("this device is already initialised")]
    AlreadyInitialised,
    /// A reset asked for while the server has not confirmed everything.
    #[error("{records} records and {photos} photos are not yet on the server")]
    Unsent { records: usize, photos: usize },
    /// A device's photos today are over `limits::MAX_PHOTO_BYTES_PER_DAY`.
    #[error("the device's photo quota for today is used")]
    QuotaExceeded,
    /// The credential is kept in a keystore that does not hold it (the file was copied or
    /// restored from elsewhere, or the keystore was cleared).
    #[error("the device credential is not in the keystore")]
    CredentialMissing,
    /// The keystore holding the credential failed or did not answer (locked, not running), or
    /// the store was opened without it.
    #[error("keystore: {0}")]
    Keystore(String),
}

impl Error {
    /// Classifies SQLite's corruption errors apart from ordinary failures.
    pub(crate) fn from_sqlite_open(e: rusqlite::Error) -> Error {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
                Error::CorruptStore(e.to_string())
            }
            _ => Error::Sqlite(e),
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Core(c) => c.into(),
            Error::CorruptStore(_) => ApiError::new(
                ErrorCode::CorruptStore,
                "本机数据文件已损坏，无法打开。请联系代表工作室恢复数据",
            ),
            Error::NewerStore { .. } => ApiError::new(
                ErrorCode::UnsupportedSchema,
                "本机数据来自更新的版本，请先升级本应用",
            ),
            Error::NotInitialised => ApiError::new(
                ErrorCode::NotInitialised,
                "本设备尚未初始化，请先绑定代表身份",
            ),
            Error::AlreadyInitialised => {
                ApiError::new(ErrorCode::AlreadyInitialised, "本设备已经初始化过")
            }
            Error::QuotaExceeded => ApiError::new(
                ErrorCode::QuotaExceeded,
                "本设备今天上传的照片已达上限，明天将继续上传",
            ),
            Error::Unsent { records, photos } => ApiError::new(
                ErrorCode::Unsent,
                format!(
                    "还有 {records} 条记录、{photos} 张照片未同步到服务器；请先同步，或确认放弃这些内容后再重置"
                ),
            ),
            Error::CredentialMissing => ApiError::new(
                ErrorCode::Unauthorized,
                "本设备的凭据不在系统钥匙串中（数据文件可能复制自别处），请重新绑定设备",
            ),
            Error::Keystore(_) => ApiError::new(
                ErrorCode::Internal,
                "无法从系统钥匙串读取本设备的凭据，请解锁钥匙串后重试",
            ),
            Error::Sqlite(ref s) => match s.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
                    ApiError::new(ErrorCode::CorruptStore, "本机数据文件已损坏，无法读取")
                }
                Some(rusqlite::ErrorCode::DiskFull) => ApiError::new(
                    ErrorCode::Internal,
                    "存储空间已满，未能保存，请清理空间后重试",
                ),
                _ => ApiError::new(ErrorCode::Internal, "保存失败，请重试"),
            },
        }
    }
}
