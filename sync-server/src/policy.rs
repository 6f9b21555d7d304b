//! The share policy: who may sync which document, decided per (document, peer) from the active
//! devices and the territory, and changed live when a device is enrolled or revoked.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use gridvoice_core::access::{Access, Principal, access};
use gridvoice_core::doc::DocKind;
use gridvoice_core::ids::{DelegateId, DocId, StationId};
use gridvoice_core::territory::Territory;
use samod::{DocumentId, PeerId, ShareConfig, SharePolicy};
use tokio::sync::watch;
use tokio_stream::wrappers::WatchStream;

use crate::storage::doc_id;

/// The peer id a device must announce: bound to its credential at the WebSocket upgrade.
pub fn peer_id_of(p: &Principal) -> String {
    format!("dev-{}", p.device)
}

/// Everything the policy decides from.
#[derive(Debug, Default)]
pub struct AclTable {
    peers: HashMap<String, Principal>,
    docs: HashMap<DocId, (DocKind, String)>,
    territory: Option<Arc<Territory>>,
}

impl AclTable {
    pub fn new(territory: Arc<Territory>, devices: Vec<Principal>) -> AclTable {
        let mut docs = HashMap::new();
        for s in &territory.stations {
            docs.insert(
                DocId::for_station(&s.id),
                (DocKind::Station, s.id.to_string()),
            );
        }
        for d in &territory.delegates {
            docs.insert(
                DocId::for_contacts(&d.id),
                (DocKind::Contacts, d.id.to_string()),
            );
        }
        let peers = devices.into_iter().map(|p| (peer_id_of(&p), p)).collect();
        AclTable {
            peers,
            docs,
            territory: Some(territory),
        }
    }

    /// The access a peer has to a document. Unknown peers and unknown documents get nothing,
    /// which samod answers exactly like a document that does not exist.
    pub fn access(&self, doc: &DocId, peer: &str) -> Access {
        let (Some(p), Some((kind, owner)), Some(t)) = (
            self.peers.get(peer),
            self.docs.get(doc),
            self.territory.as_ref(),
        ) else {
            return Access::None;
        };
        access(p, *kind, owner, t)
    }

    pub fn has_document(&self, id: &DocId) -> bool {
        self.docs.contains_key(id)
    }

    /// A territory document's kind and owner.
    pub fn document(&self, id: &DocId) -> Option<(DocKind, String)> {
        self.docs.get(id).cloned()
    }

    pub fn principal(&self, peer: &str) -> Option<&Principal> {
        self.peers.get(peer)
    }

    /// The documents a principal may read, with their kind and owner.
    pub fn readable(&self, p: &Principal) -> Vec<(DocId, DocKind, String)> {
        let Some(t) = self.territory.as_ref() else {
            return Vec::new();
        };
        let mut out: Vec<(DocId, DocKind, String)> = self
            .docs
            .iter()
            .filter(|(_, (k, o))| access(p, *k, o, t).can_read())
            .map(|(id, (k, o))| (*id, *k, o.clone()))
            .collect();
        out.sort_by(|a, b| a.2.cmp(&b.2));
        out
    }

    pub fn station_doc(&self, s: &StationId) -> DocId {
        DocId::for_station(s)
    }

    pub fn contacts_doc(&self, d: &DelegateId) -> DocId {
        DocId::for_contacts(d)
    }
}

/// samod's view of the table: a stream per (document, peer) that yields the current decision and
/// every change of it, so a revocation applies to open connections at once.
#[derive(Clone, Debug)]
pub struct Acl {
    rx: watch::Receiver<Arc<AclTable>>,
}

impl Acl {
    pub fn new(rx: watch::Receiver<Arc<AclTable>>) -> Acl {
        Acl { rx }
    }
}

fn config(a: Access) -> ShareConfig {
    // The server never offers documents on its own: devices ask for what they hold.
    match a {
        Access::None => ShareConfig::none(),
        Access::ReadOnly => ShareConfig::read_only().with_announce(false),
        Access::ReadWrite => ShareConfig::read_write().with_announce(false),
    }
}

impl SharePolicy for Acl {
    fn share(
        &self,
        doc: DocumentId,
        peer: PeerId,
    ) -> impl Stream<Item = ShareConfig> + Send + 'static {
        let id = doc_id(&doc);
        WatchStream::new(self.rx.clone()).map(move |t| match &id {
            Some(id) => config(t.access(id, peer.as_str())),
            None => ShareConfig::none(),
        })
    }
}
