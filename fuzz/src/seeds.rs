//! Writes each target's seed corpus (`fuzz/corpus/<target>/`): real traffic the fuzzer mutates
//! from, made by the code that makes it in the field.

use std::path::Path;

use gridvoice_core::api::{RecordDemand, Request};
use gridvoice_core::clock::{FixedClock, SeededIds, Timestamp};
use gridvoice_core::ids::DocId;
use gridvoice_store::{DeviceIdentity, Store};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).expect("corpus directory");
    std::fs::write(dir.join(name), bytes).expect("seed file");
}

fn message(chunks: Vec<Vec<u8>>) -> Vec<u8> {
    automerge::sync::Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: chunks.into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    }
    .encode()
}

fn main() {
    // 赵's phone records a demand; its changes are what her sync carries.
    let who = gridvoice_fuzz::zhao();
    let mut s = Store::open_in_memory().expect("store");
    s.init_device(
        DeviceIdentity {
            device: who.device,
            delegate: "D03".into(),
            station: "S01".into(),
        },
        gridvoice_fuzz::territory(),
    )
    .expect("device");
    let clock = FixedClock(Timestamp(1_614_556_800_000));
    let mut ids = SeededIds::new(1);
    let mut ctx = gridvoice_store::service::Ctx {
        clock: &clock,
        ids: &mut ids,
    };
    let grid = gridvoice_fuzz::territory()
        .delegate(&"D03".into())
        .map(|d| d.grids[0].clone())
        .expect("a grid");
    let req = Request::RecordDemand(RecordDemand {
        text: "楼道灯坏了".into(),
        category: "livability".into(),
        grid: Some(grid),
        location: None,
        visit: None,
        contact: None,
        id: None,
        attachments: Vec::new(),
    });
    let json = serde_json::to_string(&req).expect("json");
    gridvoice_store::service::handle(&mut s, &mut ctx, req).expect("recorded");
    let station = DocId::for_station(&"S01".into());
    let changes = s.changes_since(&station, &[]).expect("changes");
    let msg = message(changes.clone());

    let mut with_mode = vec![0];
    with_mode.extend(&msg);
    write("sync_message", "demand", &with_mode);
    for (i, c) in changes.iter().enumerate() {
        let mut one = vec![1];
        one.extend(c);
        write("sync_message", &format!("change-{i}"), &one);
        write("doc_load", &format!("change-{i}"), c);
    }
    if let Ok(doc) = automerge::Automerge::load(&changes.concat()) {
        write("doc_load", "station", &doc.save());
    }

    // The frame a device sends: {"type": "sync", "documentId": …, "data": …}.
    let mut e = minicbor::Encoder::new(Vec::new());
    let frame = e
        .map(5)
        .and_then(|e| e.str("type")?.str("sync"))
        .and_then(|e| {
            e.str("senderId")?
                .str("dev-00000000-0000-0000-0000-000000000003")
        })
        .and_then(|e| e.str("targetId")?.str("gridvoice-server"))
        .and_then(|e| e.str("documentId")?.bytes(station.0.as_bytes()))
        .and_then(|e| e.str("data")?.bytes(&msg))
        .map(|_| ());
    if frame.is_ok() {
        write("ws_frame", "sync", &e.into_writer());
    }

    let files = gridvoice_core::geography::geojson::export_files(&gridvoice_fuzz::territory());
    let mut grids = vec![3];
    grids.extend(files.grids.as_bytes());
    write("territory", "grids", &grids);
    let mut org = vec![5];
    org.extend(files.organisation.as_bytes());
    write("territory", "organisation", &org);

    write("route_json", "record_demand", json.as_bytes());
    write("route_json", "list", br#"{"op":"list_demands","limit":5}"#);
    write(
        "route_json",
        "enrol",
        br#"{"code":"AB12-CD34-EF56","device_name":"phone"}"#,
    );
    write(
        "route_json",
        "policy",
        br#"{"default":{"review":3,"respond":5,"handle":15,"feedback":3,"call_back":5}}"#,
    );
    write(
        "route_json",
        "calendar",
        "2025-10-01,holiday,国庆节\n".as_bytes(),
    );
}
