//! Photos on a delegate's device: stored once by their SHA-256, named by the demand, waiting for
//! the server until it confirms them; anything that is not a picture, or a name that is not
//! stored here, is refused with nothing saved.

use gridvoice_core::api::{Request, Response};
use gridvoice_core::clock::Timestamp;

use crate::{Device, GRID_A1, demand};

/// A tiny JPEG-looking file (the store sniffs the header; it does not decode).
fn jpeg(tag: u8) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    b.extend(std::iter::repeat_n(tag, 200));
    b
}

#[test]
fn a_photo_is_stored_once_named_by_the_demand_and_waits_for_the_server() {
    let mut d = Device::in_memory("D01", 1);
    let now = Timestamp(1_614_556_800_000);
    let h = d.store.put_photo(&jpeg(1), None, now).unwrap();
    assert_eq!(h, gridvoice_store::photo_hash(&jpeg(1)));
    // The same bytes again: the same name, one row.
    assert_eq!(d.store.put_photo(&jpeg(1), None, now).unwrap(), h);
    let stored = d.store.photo(&h).unwrap().unwrap();
    assert_eq!(stored.mime, "image/jpeg");
    assert_eq!(stored.bytes, jpeg(1));

    // Taken, but the form was abandoned: it never leaves the device.
    let abandoned = d.store.put_photo(&jpeg(2), None, now).unwrap();
    assert!(d.store.photos_to_upload().unwrap().is_empty());

    let mut req = demand("路灯不亮，门口很黑", "安全性", GRID_A1);
    req.attachments = vec![h.clone()];
    let Response::Demand(v) = d.call(Request::RecordDemand(req)).unwrap() else {
        panic!("not a demand")
    };
    assert_eq!(v.demand.attachments, vec![h.clone()]);
    let waiting: Vec<String> = d
        .store
        .photos_to_upload()
        .unwrap()
        .into_iter()
        .map(|(h, _)| h)
        .collect();
    assert_eq!(waiting, vec![h.clone()]);
    assert!(!waiting.contains(&abandoned));

    d.store.confirm_photo(&h, now).unwrap();
    assert!(d.store.photos_to_upload().unwrap().is_empty());
}

#[test]
fn a_picture_forwarded_to_two_stations_belongs_to_both() {
    let d = Device::in_memory("D01", 3);
    let now = Timestamp(0);
    let (a, b) = (
        gridvoice_core::ids::StationId::new("S01"),
        gridvoice_core::ids::StationId::new("S02"),
    );
    let h = d.store.put_photo(&jpeg(3), Some(&b), now).unwrap();
    d.store.put_photo(&jpeg(3), Some(&a), now).unwrap();
    d.store.put_photo(&jpeg(3), Some(&a), now).unwrap();
    let stored = d.store.photo(&h).unwrap().unwrap();
    assert_eq!(stored.stations, vec![a, b]);
    assert_eq!(stored.bytes, jpeg(3));
    // On a device (no station given) a photo names no station.
    let mine = d.store.put_photo(&jpeg(4), None, now).unwrap();
    assert!(d.store.photo(&mine).unwrap().unwrap().stations.is_empty());
}

#[test]
fn what_is_not_a_stored_picture_is_refused_and_nothing_is_saved() {
    let mut d = Device::in_memory("D01", 2);
    let now = Timestamp(0);
    for bad in [&b""[..], b"GIF89a....", b"<svg/>"] {
        let e = d.store.put_photo(bad, None, now).unwrap_err();
        assert_eq!(
            gridvoice_core::api::ApiError::from(e).code.as_str(),
            "INVALID_PHOTO"
        );
    }
    assert!(d.store.photo("../etc/passwd").is_err());

    // A demand naming a photo this device does not hold is refused whole.
    let mut req = demand("路灯不亮", "安全性", GRID_A1);
    req.attachments = vec!["ab".repeat(32)];
    let e = d.call(Request::RecordDemand(req)).unwrap_err();
    assert_eq!(e.code.as_str(), "INVALID_PHOTO");
    assert!(e.message.contains("照片"));
    let Response::Demands { total, .. } = d.call(Request::ListDemands(Default::default())).unwrap()
    else {
        panic!("not a list")
    };
    assert_eq!(total, 0);
}
