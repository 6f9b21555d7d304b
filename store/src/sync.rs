//! The store's side of sync: Automerge sync messages generated and received against the store's
//! own documents (no second copy in a sync library), and the server this device syncs with.

use crate::load_into;
use gridvoice_core::ids::DocId;
use serde::{Deserialize, Serialize};

use crate::{ApplyReport, Result, Store};

/// The sync side of the store: the device syncs the documents the store owns (no second copy in a
/// sync library), so the Automerge sync bookkeeping runs against the store's cached documents.
impl Store {
    /// The next sync message for a peer whose sync state is `state` (`None` when there is nothing
    /// to say). Reads the document only.
    pub fn generate_sync_message(
        &mut self,
        id: &DocId,
        state: &mut automerge::sync::State,
    ) -> Result<Option<automerge::sync::Message>> {
        use automerge::sync::SyncDoc;
        Ok(self.doc(id)?.generate_sync_message(state))
    }

    /// Takes a sync message from a peer. Its changes are stored and projected durably first (one
    /// transaction, as [`Store::apply_changes`]); only then does the in-memory sync state see the
    /// message, so memory never runs ahead of the disk: the changes it carries are already in the
    /// document and Automerge skips them. Bytes that do not decode, or that would decode to more
    /// than `core::limits` allows (measured first: a server is not trusted with the phone's
    /// memory either), are refused whole, nothing applied.
    pub fn receive_sync_message(
        &mut self,
        id: &DocId,
        state: &mut automerge::sync::State,
        message: automerge::sync::Message,
    ) -> Result<ApplyReport> {
        use automerge::sync::SyncDoc;
        let chunks: Vec<Vec<u8>> = message.changes.iter().map(<[u8]>::to_vec).collect();
        let report = if chunks.is_empty() {
            ApplyReport::default()
        } else {
            crate::chunks::measure::measure(&chunks, Default::default()).map_err(|o| {
                crate::Error::from(gridvoice_core::Error::CorruptDocument(format!(
                    "a sync message over the limits: {o:?}"
                )))
            })?;
            self.apply_changes(id, &chunks)?
        };
        let actor = self.actor();
        let doc = load_into(&self.conn, &mut self.docs, id, actor.as_ref())?;
        if let Err(e) = doc.receive_sync_message(state, message) {
            // The durable part committed; a failure here is about the bookkeeping. Drop the cached
            // document so it is reloaded from disk rather than trusted half-updated.
            self.docs.remove(id);
            return Err(gridvoice_core::Error::from(e).into());
        }
        Ok(report)
    }
}

/// The server this device syncs with and its credential for it. `Debug` redacts the credential,
/// which must never reach a log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerLink {
    /// Base URL, e.g. `https://sync.example.cn` (the sync socket is `<server>/sync`).
    pub server: String,
    pub credential: gridvoice_core::boundary::Credential,
    /// The server's peer id as enrolment reported it (`None`: accept what its `peer` message says).
    pub server_peer_id: Option<String>,
    /// The role the credential is bound to (`gridvoice_core::access::Role` code).
    pub role: String,
    /// The server's identity as its enrolment reported it, pinned (`EnrolResponse::server_id`).
    #[serde(default)]
    pub server_id: Option<String>,
    /// When the credential was issued, by this device's clock (Unix ms): renewed during sync
    /// once older than `limits::CREDENTIAL_RENEW_AFTER`. `None`: renewed at the next sync.
    #[serde(default)]
    pub issued_at: Option<i64>,
}

impl std::fmt::Debug for ServerLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerLink")
            .field("server", &self.server)
            .field("credential", &"<redacted>")
            .field("server_peer_id", &self.server_peer_id)
            .field("role", &self.role)
            .field("server_id", &self.server_id)
            .field("issued_at", &self.issued_at)
            .finish()
    }
}
