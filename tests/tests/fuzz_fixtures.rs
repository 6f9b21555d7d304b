//! Inputs the fuzzer found crashing the server's sync door (`scripts/fuzz`), kept: each goes
//! through the door as a device's frame would — the frame read, the message measured and decoded,
//! the changes judged under the authority rule — and is refused, with no panic anywhere.
//!
//! `sync_message-op-order.bin` (the target's mode byte, then a sync message) and
//! `ws_frame-op-order.bin` (a whole frame) each carry a forged genesis-like change writing the
//! document's root and a demand under it: applying them tripped Automerge 0.12's own op-order
//! invariant. They are now refused before anything is applied (no device writes the root).
//!
//! `sync_message-2.bin` (found by the run after that fix) is one compressed change whose
//! operation names an actor missing from the change's actor table: Automerge's decoder, which the
//! root check calls, unwrapped it and panicked; `ws_frame-2.bin` is the same class in a frame.
//! Such a change is now refused as unreadable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_core::access::changes::{Writer, judge};
use gridvoice_core::access::{Person, Principal, Refusal, Role};
use gridvoice_core::ids::DeviceId;

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/fuzz")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The server's door for one sync message's data, as `gridvoice-fuzz` drives it.
fn through_the_door(message: &[u8]) -> Result<(), Refusal> {
    let changes = gridvoice_server::ws::changes_of(message, Default::default())?;
    let zhao = Principal {
        device: DeviceId(uuid::Uuid::from_u128(3)),
        person: Person::Delegate("D03".into()),
        role: Role::Delegate,
        station: Some("S01".into()),
    };
    let t = gridvoice_core::territory::sample::small();
    let base = gridvoice_core::doc::station_genesis(&"S01".into()).unwrap();
    let writer = Writer {
        who: &zhao,
        territory: &t,
    };
    judge(&base, &changes, writer, &|_, _| false)
}

#[test]
fn changes_that_broke_automerges_op_order_are_refused_before_they_are_applied() {
    let data = fixture("sync_message-op-order.bin");
    let (mode, message) = data.split_first().unwrap();
    assert_eq!(mode % 2, 0, "the target's mode byte: a whole message");
    assert_eq!(through_the_door(message), Err(Refusal::FixedFieldChanged));

    let frame = gridvoice_server::ws::frame_fields(&fixture("ws_frame-op-order.bin"))
        .expect("the frame reads");
    assert_eq!(frame.ty, "sync");
    assert_eq!(
        through_the_door(&frame.data.unwrap()),
        Err(Refusal::FixedFieldChanged)
    );
}

#[test]
fn a_compressed_change_the_fuzzer_found_is_judged_without_a_panic() {
    let data = fixture("sync_message-2.bin");
    let (mode, chunk) = data.split_first().unwrap();
    assert_eq!(
        mode % 2,
        1,
        "the target's mode byte: one chunk in a message"
    );
    let message = automerge::sync::Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: vec![chunk.to_vec()].into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    assert_eq!(
        through_the_door(&message.encode()),
        Err(Refusal::Unreadable),
        "a change whose operations name an actor it does not list"
    );
}

#[test]
fn a_frame_the_fuzzer_found_after_the_root_fix_is_refused_without_a_panic() {
    let frame =
        gridvoice_server::ws::frame_fields(&fixture("ws_frame-2.bin")).expect("the frame reads");
    assert_eq!(
        through_the_door(&frame.data.expect("it carries data")),
        Err(Refusal::Unreadable)
    );
}

#[test]
fn a_change_nesting_objects_without_end_is_refused_before_automerge_builds_its_patches() {
    let frame =
        gridvoice_server::ws::frame_fields(&fixture("ws_frame-3.bin")).expect("the frame reads");
    let r = through_the_door(&frame.data.expect("it carries data"));
    assert!(
        matches!(r, Err(Refusal::TooLarge | Refusal::Unreadable)),
        "refused as too deep or looping: {r:?}"
    );
}
