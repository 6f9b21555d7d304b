//! A device's sync message at the server: measured before decoding, decoded, and judged under
//! the authority rule against S01's document (`ws::changes_of`, `access::changes::judge`). The
//! first byte chooses whether the rest is a whole message or one chunk carried in a message.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gridvoice_fuzz::quiet_caught_panics();
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        gridvoice_fuzz::sync_message(rest);
    } else {
        let message = automerge::sync::Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: Vec::new(),
            changes: vec![rest.to_vec()].into(),
            flags: None,
            version: automerge::sync::MessageVersion::V1,
        };
        gridvoice_fuzz::sync_message(&message.encode());
    }
});
