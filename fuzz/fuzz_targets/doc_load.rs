//! A stored document: loaded the way the store reads what it holds (chunks decoded into changes),
//! then read the way projections read it (schema, every record of every collection).
#![no_main]

use gridvoice_core::doc::{self, Collection};
use gridvoice_store::chunks::measure::{Bounds, measure};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gridvoice_fuzz::quiet_caught_panics();
    let chunks = [data.to_vec()];
    let _ = gridvoice_store::decode_chunks(&chunks);
    // Loaded whole only within the limits a device's message is held to.
    if measure(&chunks, Bounds::default()).is_err() {
        return;
    }
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
