//! The JSON body of every route: each boundary type read from the same bytes, the office's files
//! parsed, and a request that reads served by the one request service on a device's store.
#![no_main]

use std::sync::{Mutex, OnceLock};

use gridvoice_core::api::Request;
use gridvoice_core::boundary::{
    EnrolRequest, FileUpload, NewEnrolment, ReceiptsRequest, SessionRequest, TerritoryUpload,
};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_store::{DeviceIdentity, Store};
use libfuzzer_sys::fuzz_target;

fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut s = Store::open_in_memory().unwrap_or_else(|_| std::process::abort());
        let who = gridvoice_fuzz::zhao();
        let _ = s.init_device(
            DeviceIdentity {
                device: who.device,
                delegate: "D03".into(),
                station: "S01".into(),
            },
            gridvoice_fuzz::territory(),
        );
        Mutex::new(s)
    })
}

fuzz_target!(|data: &[u8]| {
    gridvoice_fuzz::quiet_caught_panics();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = serde_json::from_str::<EnrolRequest>(text);
    let _ = serde_json::from_str::<ReceiptsRequest>(text);
    let _ = serde_json::from_str::<SessionRequest>(text);
    let _ = serde_json::from_str::<NewEnrolment>(text);
    let _ = serde_json::from_str::<TerritoryUpload>(text);
    let _ = serde_json::from_str::<FileUpload>(text);
    let _ = gridvoice_core::deadline::Policy::parse(text);
    let _ = gridvoice_core::calendar::Calendar::parse(text);
    let Ok(req) = serde_json::from_str::<Request>(text) else {
        return;
    };
    let Ok(mut s) = store().lock() else {
        return;
    };
    let clock = FixedClock(Timestamp(1_614_556_800_000));
    let mut ids = SeededIds::new(7);
    let mut ctx = gridvoice_store::service::Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    let _ = gridvoice_store::service::handle(&mut s, &mut ctx, req);
});
