//! The form's draft: what survives the app being closed mid-form, and the demand's id made once
//! per draft.

use gridvoice_core::category::Category;
use gridvoice_core::ids::DemandId;
use serde::{Deserialize, Serialize};

use crate::widgets::now_ms;

/// What survives the app being closed mid-form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Draft {
    /// The demand's id, made once per draft, so a retried save stores the record once.
    pub(super) id: String,
    pub(super) text: String,
    pub(super) category: Option<Category>,
    pub(super) name: String,
    pub(super) phone: String,
    pub(super) consent: bool,
    /// Photos already stored on the device, by hash.
    #[serde(default)]
    pub(super) photos: Vec<String>,
}

/// A fresh UUIDv7 (time-ordered, like the core's ids), from the browser's clock and randomness.
pub(super) fn new_demand_id() -> DemandId {
    let mut rand = [0u8; 10];
    // crypto.getRandomValues cannot fail for 10 bytes; on the odd failure the time part alone
    // still makes the id unique enough for one device's drafts.
    let _ = getrandom_fill(&mut rand);
    let ms = u64::try_from(now_ms()).unwrap_or_default();
    DemandId(uuid::Builder::from_unix_timestamp_millis(ms, &rand).into_uuid())
}

#[cfg(target_arch = "wasm32")]
fn getrandom_fill(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    getrandom::fill(buf)
}

#[cfg(not(target_arch = "wasm32"))]
fn getrandom_fill(buf: &mut [u8]) -> Result<(), ()> {
    // Host builds only type-check the UI; it never runs there.
    for (i, b) in buf.iter_mut().enumerate() {
        *b = u8::try_from(i).unwrap_or_default();
    }
    Ok(())
}
