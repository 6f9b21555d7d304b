//! Inputs the fuzzer found crashing the server's sync door (`scripts/fuzz`), kept: each goes
//! through the door as a device's frame would — the frame read, the message measured and decoded,
//! the changes judged under the authority rule — and is refused, with no panic anywhere.
//!
//! `sync_message-op-order.bin` (the target's mode byte, then a sync message) and
//! `ws_frame-op-order.bin` (a whole frame) each carry a forged genesis-like change writing the
//! document's root and a demand under it: applying them tripped Automerge 0.12's own op-order
//! invariant. They are now refused before anything is applied (no device writes the root).

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
