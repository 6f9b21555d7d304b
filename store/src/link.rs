//! The `server_link` row — where and how this device syncs — and its credential, which lives in
//! the keystore when the store was given one ([`Store::use_vault`]). The row then holds
//! `"credential": null, "credential_in": "keystore", "account": …`.

use std::sync::Arc;

use serde_json::Value;

use crate::sync::ServerLink;
use crate::vault::{self, CredentialPlace, Vault};
use crate::{Error, Result, Store, read_meta, write_meta};

const KEY: &str = "server_link";

/// The keystore account a stored row names, when its credential is kept there.
fn kept_in_keystore(row: &Value) -> Option<String> {
    (row.get("credential_in")?.as_str()? == "keystore")
        .then(|| row.get("account")?.as_str().map(str::to_owned))
        .flatten()
}

impl Store {
    /// Keeps the credential in `vault` from now on; a credential still in the row moves there
    /// (written to the keystore first, then taken out of the row and the file's free space).
    /// A keystore that refuses leaves it in the row.
    pub fn use_vault(&mut self, vault: Arc<dyn Vault>) -> Result<()> {
        self.vault = Some(vault);
        let row: Option<Value> = read_meta(&self.conn, KEY)?;
        if row.as_ref().is_some_and(|r| kept_in_keystore(r).is_none())
            && let Some(link) = self.server_link()?
        {
            self.set_server_link(&link)?;
        }
        Ok(())
    }

    /// Where this store's credential is kept.
    pub fn credential_place(&self) -> Result<CredentialPlace> {
        let row: Option<Value> = read_meta(&self.conn, KEY)?;
        Ok(match row {
            None => CredentialPlace::None,
            Some(r) if kept_in_keystore(&r).is_some() => CredentialPlace::Keystore(
                self.vault
                    .as_ref()
                    .map_or("keystore".to_owned(), |v| v.name().to_owned()),
            ),
            Some(_) => CredentialPlace::Row,
        })
    }

    /// Where and how this device syncs (set at enrolment), with its credential.
    /// [`Error::CredentialMissing`] when the keystore does not hold it (the file came from
    /// elsewhere), [`Error::Keystore`] when the keystore fails or the store was opened without one.
    pub fn server_link(&self) -> Result<Option<ServerLink>> {
        let Some(mut row) = read_meta::<Value>(&self.conn, KEY)? else {
            return Ok(None);
        };
        if let Some(account) = kept_in_keystore(&row) {
            let vault = self.vault.as_ref().ok_or_else(|| {
                Error::Keystore("the store was opened without its keystore".into())
            })?;
            let secret = vault
                .get(&account)
                .map_err(|e| Error::Keystore(e.to_string()))?
                .ok_or(Error::CredentialMissing)?;
            row["credential"] = Value::String(secret);
        }
        // The error names the field, never a value: the row holds the credential.
        serde_json::from_value(row)
            .map(Some)
            .map_err(|_| Error::CorruptStore("meta server_link is not a server link".into()))
    }

    /// Remembers where and how this device syncs (enrolment, renewal, a new server address):
    /// the credential in the keystore when there is one that takes it, else in the row.
    pub fn set_server_link(&self, link: &ServerLink) -> Result<()> {
        let before = read_meta::<Value>(&self.conn, KEY)?
            .as_ref()
            .and_then(kept_in_keystore);
        let mut row = serde_json::to_value(link)
            .map_err(|_| Error::CorruptStore("cannot encode the server link".into()))?;
        let mut kept = None;
        if let Some(vault) = &self.vault {
            let account = self.identity.as_ref().map_or_else(
                || format!("store-{}", self.session),
                |i| vault::account(&i.device),
            );
            if vault.put(&account, link.credential.expose()).is_ok() {
                row["credential"] = Value::Null;
                row["credential_in"] = Value::from("keystore");
                row["account"] = Value::from(account.clone());
                kept = Some(account);
            }
        }
        let moved = before.is_none() && kept.is_some();
        if moved {
            // The credential leaves the row: its bytes must not stay in the page's free space.
            self.conn.pragma_update(None, "secure_delete", true)?;
        }
        write_meta(&self.conn, KEY, &row)?;
        if moved {
            self.conn.pragma_update(None, "secure_delete", false)?;
            // …nor in the journal's copy of the old page.
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        if let (Some(vault), Some(old)) = (&self.vault, before)
            && kept.as_deref() != Some(old.as_str())
        {
            // The previous credential (an earlier device id, or the row now holds it): forgotten.
            let _ = vault.delete(&old);
        }
        Ok(())
    }

    /// Forgets the credential, in the keystore too (a reset).
    pub(crate) fn forget_credential(&self) -> Result<()> {
        let row: Option<Value> = read_meta(&self.conn, KEY)?;
        if let (Some(vault), Some(account)) = (&self.vault, row.as_ref().and_then(kept_in_keystore))
        {
            vault
                .delete(&account)
                .map_err(|e| Error::Keystore(e.to_string()))?;
        }
        Ok(())
    }
}
