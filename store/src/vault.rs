//! Where a device keeps its credential. With a keystore ([`Vault`]) the credential lives there and
//! the store's `server_link` row holds everything else, marked `credential_in: "keystore"`, so a
//! copy of the file (a backup, a file lifted off a laptop) does not sync as the delegate. Without
//! one — no keystore on the system, or one that does not answer — it stays in the row, in the
//! owner-only file, as before.
//!
//! The keystore of the operating system ([`system`], feature `os-keystore`): the Secret Service
//! on a Linux desktop (GNOME Keyring, KWallet), the login Keychain on macOS, the data-protection
//! Keychain on iOS, the Credential Manager on Windows. Android has none yet (a Tauri plugin over
//! the Android Keystore is needed): there the row, inside the app's sandbox.

use std::fmt::Debug;
use std::sync::Arc;

/// A place for secrets outside the store file, one secret per account name.
pub trait Vault: Send + Sync + Debug {
    /// What it is, as `gridvoice status` names it ("Secret Service").
    fn name(&self) -> &str;
    fn put(&self, account: &str, secret: &str) -> Result<(), VaultError>;
    /// The secret of `account`, or `None` when it holds none.
    fn get(&self, account: &str) -> Result<Option<String>, VaultError>;
    /// Forgets `account`'s secret (none held is not an error).
    fn delete(&self, account: &str) -> Result<(), VaultError>;
}

/// A keystore that failed or did not answer. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the keystore did not answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("the keystore failed: {0}")]
    Failed(String),
}

/// Where this store's credential is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialPlace {
    /// No credential (not enrolled).
    None,
    /// In the store's own row.
    Row,
    /// In the named keystore.
    Keystore(String),
}

/// The service name the credentials are filed under in a keystore.
pub const SERVICE: &str = "gridvoice";

/// The account a device's credential is filed under: its device id, so two stores on one
/// computer (two delegates, a test copy) never share an entry.
pub fn account(device: &gridvoice_core::ids::DeviceId) -> String {
    format!("device-{}", device.0)
}

/// The operating system's keystore, connected once per process; `None` where there is none, it
/// does not answer within [`os::PATIENCE`], or `GRIDVOICE_KEYSTORE=row` asks for the row.
pub fn system() -> Option<Arc<dyn Vault>> {
    #[cfg(feature = "os-keystore")]
    {
        static SYSTEM: std::sync::OnceLock<Option<Arc<dyn Vault>>> = std::sync::OnceLock::new();
        SYSTEM
            .get_or_init(|| {
                if std::env::var("GRIDVOICE_KEYSTORE").is_ok_and(|v| v == "row") {
                    return None;
                }
                os::OsKeystore::connect()
                    .ok()
                    .map(|k| Arc::new(k) as Arc<dyn Vault>)
            })
            .clone()
    }
    #[cfg(not(feature = "os-keystore"))]
    {
        None
    }
}

#[cfg(feature = "os-keystore")]
pub mod os {
    //! The OS keystore through `keyring-core` and the store crate of each platform. Each call
    //! runs on a thread of its own and is given up after [`PATIENCE`]: a Secret Service that
    //! waits on an unlock prompt nobody can answer (a headless session) must not hang a sync.

    use std::sync::Arc;
    use std::time::Duration;

    use keyring_core::{CredentialStore, Entry};

    use super::{SERVICE, Vault, VaultError};

    /// How long a keystore call may take.
    pub const PATIENCE: Duration = Duration::from_secs(5);

    /// A connected OS keystore.
    pub struct OsKeystore {
        store: Arc<CredentialStore>,
        name: &'static str,
    }

    impl std::fmt::Debug for OsKeystore {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("OsKeystore")
                .field("name", &self.name)
                .finish()
        }
    }

    /// Runs `f` on its own thread, waiting at most [`PATIENCE`] (a call that does not come back
    /// is left to finish on its own).
    fn within<T: Send + 'static>(
        f: impl FnOnce() -> Result<T, keyring_core::Error> + Send + 'static,
    ) -> Result<T, VaultError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("gridvoice-keystore".into())
            .spawn(move || {
                let _ = tx.send(f());
            })
            .map_err(|e| VaultError::Failed(e.to_string()))?;
        match rx.recv_timeout(PATIENCE) {
            Ok(r) => r.map_err(|e| VaultError::Failed(describe(&e))),
            Err(_) => Err(VaultError::Timeout(PATIENCE)),
        }
    }

    /// The kind of failure, without anything the error might quote.
    fn describe(e: &keyring_core::Error) -> String {
        use keyring_core::Error as E;
        match e {
            E::NoStorageAccess(inner) => format!("locked or no access ({inner})"),
            E::PlatformFailure(inner) => format!("platform failure ({inner})"),
            E::NoDefaultStore => "no keystore".into(),
            E::NoEntry => "no entry".into(),
            _ => "unexpected keystore error".into(),
        }
    }

    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    fn open_platform() -> Result<(Arc<CredentialStore>, &'static str), keyring_core::Error> {
        let s: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
        Ok((s, "Secret Service"))
    }

    #[cfg(target_os = "macos")]
    fn open_platform() -> Result<(Arc<CredentialStore>, &'static str), keyring_core::Error> {
        let s: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
        Ok((s, "macOS Keychain"))
    }

    #[cfg(target_os = "ios")]
    fn open_platform() -> Result<(Arc<CredentialStore>, &'static str), keyring_core::Error> {
        let s: Arc<CredentialStore> = apple_native_keyring_store::protected::Store::new()?;
        Ok((s, "iOS Keychain"))
    }

    #[cfg(windows)]
    fn open_platform() -> Result<(Arc<CredentialStore>, &'static str), keyring_core::Error> {
        let s: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
        Ok((s, "Windows Credential Manager"))
    }

    #[cfg(target_os = "android")]
    fn open_platform() -> Result<(Arc<CredentialStore>, &'static str), keyring_core::Error> {
        Err(keyring_core::Error::NoDefaultStore)
    }

    impl OsKeystore {
        /// Connects to this system's keystore and checks it answers (a read of an account
        /// nobody uses).
        pub fn connect() -> Result<OsKeystore, VaultError> {
            let (store, name) = within(open_platform)?;
            let k = OsKeystore { store, name };
            k.get("probe")?;
            Ok(k)
        }

        fn entry(&self, account: &str) -> Result<Entry, keyring_core::Error> {
            Entry::new_in_store(&self.store, SERVICE, account)
        }
    }

    impl Vault for OsKeystore {
        fn name(&self) -> &str {
            self.name
        }

        fn put(&self, account: &str, secret: &str) -> Result<(), VaultError> {
            let entry = self
                .entry(account)
                .map_err(|e| VaultError::Failed(describe(&e)))?;
            let secret = secret.to_owned();
            within(move || entry.set_password(&secret))
        }

        fn get(&self, account: &str) -> Result<Option<String>, VaultError> {
            let entry = self
                .entry(account)
                .map_err(|e| VaultError::Failed(describe(&e)))?;
            within(move || match entry.get_password() {
                Ok(s) => Ok(Some(s)),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(e),
            })
        }

        fn delete(&self, account: &str) -> Result<(), VaultError> {
            let entry = self
                .entry(account)
                .map_err(|e| VaultError::Failed(describe(&e)))?;
            within(move || match entry.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(e) => Err(e),
            })
        }
    }
}
