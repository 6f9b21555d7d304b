//! The sync bookkeeping against the store's documents, and the server link.

use automerge::sync::State;
use gridvoice_core::ids::{DocId, StationId};
use gridvoice_store::ServerLink;

use crate::{Device, GRID_A1};

/// Runs the Automerge sync protocol between two stores until neither has anything to say.
fn sync_pair(a: &mut Device, b: &mut Device, doc: &DocId) -> usize {
    let (mut sa, mut sb) = (State::new(), State::new());
    let mut messages = 0;
    for _ in 0..20 {
        let mut quiet = true;
        if let Some(m) = a.store.generate_sync_message(doc, &mut sa).unwrap() {
            b.store.receive_sync_message(doc, &mut sb, m).unwrap();
            quiet = false;
            messages += 1;
        }
        if let Some(m) = b.store.generate_sync_message(doc, &mut sb).unwrap() {
            a.store.receive_sync_message(doc, &mut sa, m).unwrap();
            quiet = false;
            messages += 1;
        }
        if quiet {
            return messages;
        }
    }
    panic!("sync did not go quiet");
}

#[test]
fn two_stores_sync_through_the_store_and_project_what_arrives() {
    let mut alice = Device::in_memory("D01", 1);
    let mut bob = Device::in_memory("D03", 2);
    let doc = DocId::for_station(&StationId::new("S01"));
    let v = alice.record("路灯坏了", "safety", GRID_A1);
    sync_pair(&mut alice, &mut bob, &doc);
    assert_eq!(
        alice.store.heads(&doc).unwrap(),
        bob.store.heads(&doc).unwrap()
    );
    let seen: i64 = bob
        .store
        .connection()
        .query_row(
            "SELECT count(*) FROM demands WHERE id = ?1",
            [v.demand.id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        seen, 1,
        "the received demand is projected in the same transaction"
    );
}

#[test]
fn a_sync_message_that_does_not_decode_applies_nothing() {
    let mut alice = Device::in_memory("D01", 1);
    let doc = DocId::for_station(&StationId::new("S01"));
    let before = alice.store.heads(&doc).unwrap();
    let mut m = automerge::sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: vec![vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3]].into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    assert!(
        alice
            .store
            .receive_sync_message(&doc, &mut State::new(), m.clone())
            .is_err()
    );
    m.changes = vec![b"garbage".to_vec()].into();
    assert!(
        alice
            .store
            .receive_sync_message(&doc, &mut State::new(), m)
            .is_err()
    );
    assert_eq!(alice.store.heads(&doc).unwrap(), before);
}

#[test]
fn the_server_link_is_kept_and_its_credential_never_printed() {
    let alice = Device::in_memory("D01", 1);
    assert_eq!(alice.store.server_link().unwrap(), None);
    let link = ServerLink {
        server: "http://127.0.0.1:1".into(),
        credential: gridvoice_core::boundary::Credential::new("s3cret-credential"),
        server_peer_id: Some("srv-1".into()),
        role: "delegate".into(),
        server_id: None,
        issued_at: None,
    };
    alice.store.set_server_link(&link).unwrap();
    assert_eq!(alice.store.server_link().unwrap(), Some(link.clone()));
    assert!(!format!("{link:?}").contains("s3cret"));
}
