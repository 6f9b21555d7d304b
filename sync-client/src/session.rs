//! One sync session as a state machine, without IO: frames in, frames out.
//!
//! The device opens with `join`; the server answers `peer`. Then, for every document the store
//! holds, the device sends an Automerge sync message (`sync`) generated from the store's document
//! and the sync state persisted for (document, server peer). Each `sync` that arrives is stored
//! durably *before* the sync state sees it ([`Store::receive_sync_message`]); the answer is
//! generated from the store's document again. A document is done when the server's heads equal
//! ours (both hold the same changes) or the server said `doc-unavailable`. The session is finished
//! when every document is done; the driver then closes the socket.

use std::collections::BTreeMap;

use automerge::sync;
use gridvoice_core::ids::DocId;
use gridvoice_store::Store;

use crate::error::{Error, Result};
use crate::wire::{PROTOCOL_VERSION, WireMessage, doc_from_wire, doc_to_wire};

/// Where a document stands in this session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Syncing,
    Done,
    Unavailable,
}

#[derive(Debug)]
struct DocSync {
    wire_id: String,
    state: sync::State,
    phase: Phase,
}

/// Counters of one session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionStats {
    pub changes_received: usize,
    pub records_updated: usize,
    pub unreadable_records: usize,
}

/// The session state machine.
#[derive(Debug)]
pub struct Session<'s> {
    store: &'s mut Store,
    our_peer: String,
    /// The server's peer id as enrolment reported it; the `peer` message must match.
    expected_server: Option<String>,
    server_peer: Option<String>,
    docs: BTreeMap<DocId, DocSync>,
    pub stats: SessionStats,
}

impl<'s> Session<'s> {
    /// A session over every document the store holds.
    pub fn new(
        store: &'s mut Store,
        our_peer: String,
        expected_server: Option<String>,
    ) -> Result<Session<'s>> {
        let docs = store
            .documents()?
            .into_iter()
            .map(|(id, _, _)| {
                (
                    id,
                    DocSync {
                        wire_id: doc_to_wire(&id),
                        state: sync::State::new(),
                        phase: Phase::Syncing,
                    },
                )
            })
            .collect();
        Ok(Session {
            store,
            our_peer,
            expected_server,
            server_peer: None,
            docs,
            stats: SessionStats::default(),
        })
    }

    /// The opening frame.
    pub fn join(&self) -> Result<Vec<u8>> {
        Ok(WireMessage::Join {
            sender_id: self.our_peer.clone(),
            supported_protocol_versions: vec![PROTOCOL_VERSION.to_owned()],
        }
        .encode()?)
    }

    /// (documents done or unavailable, documents in the session)
    pub fn progress(&self) -> (usize, usize) {
        let done = self
            .docs
            .values()
            .filter(|d| d.phase != Phase::Syncing)
            .count();
        (done, self.docs.len())
    }

    /// Every document is done or unavailable (and the handshake happened).
    pub fn finished(&self) -> bool {
        self.server_peer.is_some() && self.docs.values().all(|d| d.phase != Phase::Syncing)
    }

    /// Documents that synced to the end in this session.
    pub fn synced(&self) -> Vec<DocId> {
        self.docs
            .iter()
            .filter(|(_, d)| d.phase == Phase::Done)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Documents the server said it does not have or will not share.
    pub fn unavailable(&self) -> Vec<DocId> {
        self.docs
            .iter()
            .filter(|(_, d)| d.phase == Phase::Unavailable)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Handles one binary frame from the server; returns the frames to send back.
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>> {
        let msg = WireMessage::decode(frame)?;
        let Some(server) = self.server_peer.clone() else {
            return self.on_handshake(msg);
        };
        match msg {
            WireMessage::Sync {
                document_id,
                sender_id,
                target_id,
                data,
            }
            | WireMessage::Request {
                document_id,
                sender_id,
                target_id,
                data,
            } => {
                if !self.addressed_to_us(&sender_id, &target_id, &server)? {
                    return Ok(Vec::new());
                }
                self.on_sync(&server, &document_id, &data)
            }
            WireMessage::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                if !self.addressed_to_us(&sender_id, &target_id, &server)? {
                    return Ok(Vec::new());
                }
                let id = doc_from_wire(&document_id)?;
                if let Some(d) = self.docs.get_mut(&id) {
                    tracing::info!(doc = %id, "server has no such document for us");
                    d.phase = Phase::Unavailable;
                }
                Ok(Vec::new())
            }
            WireMessage::Error { message } => Err(Error::from_server_message(&message)),
            WireMessage::Leave { .. } => Err(Error::Network("server left the session".into())),
            WireMessage::Join { .. } | WireMessage::Peer { .. } => Err(Error::Protocol(
                "handshake message after the handshake".into(),
            )),
            WireMessage::Other { kind } => {
                tracing::debug!(%kind, "ignoring message type");
                Ok(Vec::new())
            }
        }
    }

    /// Frames for every document, sent once the server has answered `join`.
    fn on_handshake(&mut self, msg: WireMessage) -> Result<Vec<Vec<u8>>> {
        match msg {
            WireMessage::Peer {
                sender_id,
                target_id,
                selected_protocol_version,
            } => {
                if target_id != self.our_peer {
                    return Err(Error::Protocol(
                        "peer message addressed to another peer".into(),
                    ));
                }
                if selected_protocol_version != PROTOCOL_VERSION {
                    return Err(Error::Protocol(format!(
                        "unsupported protocol version {}",
                        clip(&selected_protocol_version)
                    )));
                }
                if let Some(expected) = &self.expected_server
                    && *expected != sender_id
                {
                    return Err(Error::Protocol(format!(
                        "server peer id {} is not the enrolled {expected}",
                        clip(&sender_id)
                    )));
                }
                let mut out = Vec::new();
                let ids: Vec<DocId> = self.docs.keys().copied().collect();
                for id in ids {
                    // A persisted state lets the first message say "we last agreed on these
                    // heads", so only what is new since travels. A state that does not decode
                    // is dropped: a fresh one costs bytes, not correctness.
                    let state = match self.store.sync_state(&id, &sender_id)? {
                        Some(bytes) => sync::State::decode(&bytes).unwrap_or_else(|e| {
                            tracing::warn!(doc = %id, err = %e, "dropping undecodable sync state");
                            sync::State::new()
                        }),
                        None => sync::State::new(),
                    };
                    if let Some(d) = self.docs.get_mut(&id) {
                        d.state = state;
                    }
                    out.extend(self.next_message(&sender_id, &id)?);
                }
                self.server_peer = Some(sender_id);
                Ok(out)
            }
            WireMessage::Error { message } => Err(Error::from_server_message(&message)),
            WireMessage::Other { .. } => Ok(Vec::new()),
            _ => Err(Error::Protocol("message before the handshake".into())),
        }
    }

    /// Whether a direct message is for us. A message from anyone but the server is a protocol
    /// error (the server is our only peer); one for another target is dropped, as samod does.
    fn addressed_to_us(&self, sender: &str, target: &str, server: &str) -> Result<bool> {
        if sender != server {
            return Err(Error::Protocol(format!(
                "message from unexpected peer {}",
                clip(sender)
            )));
        }
        Ok(target == self.our_peer)
    }

    fn on_sync(&mut self, server: &str, document_id: &str, data: &[u8]) -> Result<Vec<Vec<u8>>> {
        let id = doc_from_wire(document_id)?;
        if !self.docs.contains_key(&id) {
            // We sync only the documents this device holds; anything else is not ours to take.
            return Ok(vec![
                WireMessage::DocUnavailable {
                    sender_id: self.our_peer.clone(),
                    target_id: server.to_owned(),
                    document_id: document_id.to_owned(),
                }
                .encode()?,
            ]);
        }
        let message = sync::Message::decode(data)
            .map_err(|e| Error::Protocol(format!("sync message does not decode: {e}")))?;
        let Some(d) = self.docs.get_mut(&id) else {
            return Ok(Vec::new());
        };
        // Durable first (inside the store), then the bookkeeping; then remember the state so a
        // reconnect resumes from here even if this session breaks.
        let report = self
            .store
            .receive_sync_message(&id, &mut d.state, message)?;
        self.store.put_sync_state(&id, server, &d.state.encode())?;
        self.stats.changes_received += report.new_changes;
        self.stats.records_updated += report.records;
        self.stats.unreadable_records += report.unreadable;
        let out = self.next_message(server, &id)?;
        let ours = self.store.heads(&id)?;
        if let Some(d) = self.docs.get_mut(&id) {
            let theirs = d.state.their_heads.as_deref().map(sorted);
            if theirs.as_deref() == Some(sorted(&ours).as_slice()) {
                d.phase = Phase::Done;
            } else if d.phase == Phase::Done {
                // Someone else's changes reached the server meanwhile: keep going.
                d.phase = Phase::Syncing;
            }
        }
        Ok(out)
    }

    fn next_message(&mut self, server: &str, id: &DocId) -> Result<Vec<Vec<u8>>> {
        let Some(d) = self.docs.get_mut(id) else {
            return Ok(Vec::new());
        };
        let Some(msg) = self.store.generate_sync_message(id, &mut d.state)? else {
            return Ok(Vec::new());
        };
        Ok(vec![
            WireMessage::Sync {
                document_id: d.wire_id.clone(),
                sender_id: self.our_peer.clone(),
                target_id: server.to_owned(),
                data: msg.encode(),
            }
            .encode()?,
        ])
    }
}

fn sorted(h: &[automerge::ChangeHash]) -> Vec<automerge::ChangeHash> {
    let mut v = h.to_vec();
    v.sort_unstable();
    v
}

/// Server-supplied text is untrusted: keep it short and printable before it reaches a log or UI.
fn clip(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(200).collect()
}
