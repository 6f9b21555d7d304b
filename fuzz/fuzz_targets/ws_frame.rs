//! A WebSocket frame at the server: the CBOR envelope read for its type, document and data, and
//! a sync frame's data taken through the sync door.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gridvoice_fuzz::quiet_caught_panics();
    if let Some(frame) = gridvoice_server::ws::frame_fields(data)
        && let Some(inner) = frame.data
    {
        gridvoice_fuzz::sync_message(&inner);
    }
});
