//! A document from outside: measured, decoded into changes and loaded the way the store reads
//! what it holds, then read the way projections read it (schema, every record of every
//! collection).
#![no_main]

use gridvoice_core::doc::{self, Collection};
use gridvoice_store::chunks::measure::{Bounds, measure};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gridvoice_fuzz::quiet_caught_panics();
    // Decoded (and loaded whole) only within the limits a device's message is held to, as at
    // the server's door.
    let chunks = [data.to_vec()];
    if measure(&chunks, Bounds::default()).is_err() {
        return;
    }
    let _ = gridvoice_store::decode_chunks(&chunks);
    let Ok(Ok(d)) =
        gridvoice_store::chunks::guarded("a document", || automerge::Automerge::load(data))
    else {
        return;
    };
    let _ = doc::info(&d);
    for c in [
        Collection::Visits,
        Collection::Demands,
        Collection::Suggestions,
        Collection::Contacts,
    ] {
        for id in doc::record_ids(&d, c).unwrap_or_default() {
            let _ = doc::read_record::<serde_json::Value>(&d, c, &id);
        }
    }
});
