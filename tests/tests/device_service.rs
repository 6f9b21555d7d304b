//! The device service behind the app shell: a delegate enrols, records, sees the record pending,
//! syncs, sees it confirmed; a wrong code and an unreachable server are explained in plain words.
//! A fellow delegate of the station opens that demand's photo: fetched from the server once, then
//! kept on the phone for when the network is gone.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::path::{Path, PathBuf};

use gridvoice_core::api::{RecordDemand, Request, Response};
use gridvoice_core::device::{EnrolInput, PhotoInput, PhotoRef};
use gridvoice_sync::device::DeviceService;

/// A real server on a loopback port with the Gulou territory: (server, data dir, base URL).
async fn server(dir: &Path) -> (gridvoice_server::Running, PathBuf, String) {
    let data = dir.join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let server = gridvoice_server::start(gridvoice_server::Config::new(
        &data,
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let url = format!("http://{}", server.addr);
    (server, data, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegate_enrols_records_and_sees_the_receipt_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let (server, data, url) = server(dir.path()).await;
    let device = DeviceService::open(&dir.path().join("phone.sqlite")).unwrap();
    assert!(!device.status().await.enrolled);

    let wrong = device
        .enrol(EnrolInput {
            server: url.clone(),
            code: "AAAA-BBBB-CCCC".into(),
            device_name: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(wrong.code.as_str(), "ENROLMENT_INVALID");
    assert!(!wrong.message.is_empty());

    let code = gridvoice_tests::enrolment_code(&data, "D01").unwrap();
    let status = device
        .enrol(EnrolInput {
            server: url,
            code,
            device_name: "王建国的手机".into(),
        })
        .await
        .unwrap();
    assert!(status.enrolled);
    assert_eq!(status.delegate_name.as_deref(), Some("王建国"));
    assert_eq!(status.station_name.as_deref(), Some("东菜园代表工作站"));
    assert!(!status.grids.is_empty());

    let grid = status.grids[0].clone();
    let r = device
        .request(Request::RecordDemand(RecordDemand {
            text: "楼道声控灯坏了".into(),
            category: "宜居性".into(),
            grid: Some(grid),
            location: None,
            visit: None,
            contact: None,
            id: None,
            attachments: Vec::new(),
        }))
        .await
        .unwrap();
    let Response::Demand(v) = r else { panic!() };
    assert_eq!(device.status().await.pending, 1);
    assert_eq!(
        device.pending().await.unwrap()[0].record,
        v.demand.id.to_string()
    );

    let done = device.sync_now().await;
    assert!(done.ok, "{done:?}");
    assert_eq!(done.pending_left, 0);
    let status = device.status().await;
    assert_eq!(status.pending, 0);
    assert!(status.online && status.last_sync.is_some());

    // The server goes away: the next sync says why, in Chinese, and offers no re-enrolment.
    server.stop().await;
    let failed = device.sync_now().await;
    assert!(!failed.ok);
    let why = failed.error.unwrap();
    assert!(!why.reenrol);
    assert!(
        why.message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{why:?}"
    );
    assert!(!device.status().await.online);
    assert_eq!(device.territory().await.unwrap().grids.len(), 79);
}

/// A delegate's phone, enrolled.
async fn enrolled(dir: &Path, data: &Path, url: &str, delegate: &str) -> DeviceService {
    let device = DeviceService::open(&dir.join(format!("{delegate}.sqlite"))).unwrap();
    device
        .enrol(EnrolInput {
            server: url.to_owned(),
            code: gridvoice_tests::enrolment_code(data, delegate).unwrap(),
            device_name: String::new(),
        })
        .await
        .unwrap();
    device
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fellow_delegate_opens_a_photo_from_the_server_and_keeps_it_for_offline() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = tempfile::tempdir().unwrap();
    let (server, data, url) = server(dir.path()).await;
    let territory = gridvoice_core::demo::gulou().unwrap();
    let fellow = territory
        .delegates
        .iter()
        .find(|d| d.station.as_str() == "S01" && d.id.as_str() != "D01")
        .expect("station S01 has a second delegate");

    // 王建国 photographs a broken street lamp and records the demand with it, then syncs.
    let wang = enrolled(dir.path(), &data, &url, "D01").await;
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    jpeg.extend((0..3000u32).map(|i| (i * 7 % 251) as u8));
    let saved = wang
        .put_photo(PhotoInput {
            data_base64: b64.encode(&jpeg),
        })
        .await
        .unwrap();
    let grid = wang.status().await.grids[0].clone();
    wang.request(Request::RecordDemand(RecordDemand {
        text: "路灯坏了，晚上很黑".into(),
        category: "安全性".into(),
        grid: Some(grid),
        location: None,
        visit: None,
        contact: None,
        id: None,
        attachments: vec![saved.hash.clone()],
    }))
    .await
    .unwrap();
    assert!(wang.sync_now().await.ok);
    assert_eq!(wang.status().await.pending, 0, "record and photo confirmed");

    // A fellow delegate of the station syncs, sees the demand, and opens its photo.
    let fellow_phone = enrolled(dir.path(), &data, &url, fellow.id.as_str()).await;
    assert!(fellow_phone.sync_now().await.ok);
    let shown = fellow_phone
        .photo(PhotoRef {
            hash: saved.hash.clone(),
        })
        .await
        .unwrap();
    assert_eq!(shown.mime, "image/jpeg");
    assert_eq!(b64.decode(&shown.data_base64).unwrap(), jpeg);
    assert_eq!(
        fellow_phone.status().await.pending,
        0,
        "a fetched photo is not sent back"
    );
    // A photo nobody uploaded: the server says it has none.
    let missing = "ab".repeat(32);
    let none = fellow_phone
        .photo(PhotoRef {
            hash: missing.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(none.code.as_str(), "NOT_FOUND");

    // The network goes: the photo already opened still shows; another one cannot, and says why.
    server.stop().await;
    let again = fellow_phone
        .photo(PhotoRef {
            hash: saved.hash.clone(),
        })
        .await
        .unwrap();
    assert_eq!(b64.decode(&again.data_base64).unwrap(), jpeg);
    let offline = fellow_phone
        .photo(PhotoRef { hash: missing })
        .await
        .unwrap_err();
    assert_eq!(offline.code.as_str(), "OFFLINE");
    assert!(offline.message.contains("联网"), "{offline:?}");
    // A name that is not a photo's is refused before anything is looked up.
    let bad = fellow_phone
        .photo(PhotoRef {
            hash: "../../etc/passwd".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code.as_str(), "INVALID_PHOTO");
}
