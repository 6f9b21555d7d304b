//! The device service behind the app shell: a delegate enrols, records, sees the record pending,
//! syncs, sees it confirmed; a wrong code and an unreachable server are explained in plain words.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_core::access::{Person, Role};
use gridvoice_core::api::{RecordDemand, Request, Response};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::device::EnrolInput;
use gridvoice_core::ids::StationId;
use gridvoice_server::auth::AuthDb;
use gridvoice_sync::device::DeviceService;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegate_enrols_records_and_sees_the_receipt_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let server = gridvoice_server::start(gridvoice_server::Config::new(
        &data,
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let url = format!("http://{}", server.addr);
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

    let code = AuthDb::open(&gridvoice_server::auth_path(&data))
        .unwrap()
        .create_enrolment(
            &Person::Delegate("D01".into()),
            Role::Delegate,
            Some(&StationId::new("S01")),
            Timestamp(0),
            i64::MAX / 4,
        )
        .unwrap();
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
