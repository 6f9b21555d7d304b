//! The store's files on disk: who may read them.

use std::path::Path;

use crate::{Error, Result};

/// Makes a database file readable and writable by its owner only (on Unix), creating it empty
/// when it is not there yet, before SQLite opens it: SQLite gives the `-wal` and `-shm` files it
/// makes the main file's permissions, so residents' contacts never sit in a file others may
/// read, whatever the process's umask. Elsewhere the platform's own per-user storage applies.
pub fn owner_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| Error::CorruptStore(format!("cannot open the store file: {e}")))?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::CorruptStore(format!("cannot restrict the store file: {e}")))?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let side = std::path::PathBuf::from(side);
            if side.exists() {
                std::fs::set_permissions(&side, std::fs::Permissions::from_mode(0o600)).map_err(
                    |e| Error::CorruptStore(format!("cannot restrict the store file: {e}")),
                )?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
