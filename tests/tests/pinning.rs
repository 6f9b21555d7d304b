//! "A message says the street has a new server, with a code": 王建国's phone is pinned to the server
//! it first enrolled at. Another address, or another server answering at the same address, gets
//! no enrolment from it (and so never the residents' contacts) until the phone is reset — and a
//! reset waits until the server has confirmed everything, or is told to throw it away.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_core::device::{EnrolInput, ResetDone, ResetInput};
use gridvoice_server::Config;
use gridvoice_store::Store;
use gridvoice_sync::device::DeviceService;
use gridvoice_sync::{SyncConfig, enrol, sync_once};

/// The phone's app asked to enrol (again) at `server` with `code`: refused as pinned elsewhere.
async fn refused_as_pinned(phone: &std::path::Path, server: &str, code: &str) {
    let app = DeviceService::open(phone).unwrap();
    let e = app
        .enrol(EnrolInput {
            server: server.into(),
            code: code.into(),
            device_name: "wang".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code.as_str(), "ALREADY_INITIALISED", "{e:?}");
    assert!(e.message.contains("另一台同步服务器"), "{}", e.message);
}

async fn server(data: &std::path::Path, at: &str) -> gridvoice_server::Running {
    if !data.exists() {
        gridvoice_server::init_data(data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    }
    gridvoice_server::start(Config::new(data, at.parse().unwrap()))
        .await
        .unwrap()
}

fn demands(store: &mut Store) -> u64 {
    match gridvoice_tests::ask_device(
        store,
        5,
        gridvoice_core::api::Request::ListDemands(Default::default()),
    )
    .unwrap()
    {
        gridvoice_core::api::Response::Demands { total, .. } => total,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_pinned_to_its_server_enrols_elsewhere_only_after_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let street = server(&dir.path().join("street"), "127.0.0.1:0").await;
    let other = server(&dir.path().join("other"), "127.0.0.1:0").await;
    let street_url = format!("http://{}", street.addr);
    let other_url = format!("http://{}", other.addr);

    let phone = dir.path().join("wang.sqlite");
    let mut wang = Store::open(&phone).unwrap();
    let code = gridvoice_tests::enrolment_code(&dir.path().join("street"), "D01").unwrap();
    enrol(&mut wang, &street_url, &code, "wang").await.unwrap();
    gridvoice_tests::record_on_device(&mut wang, 1, "3号楼电梯经常停运", "other", None).unwrap();
    drop(wang);

    // Another server's code: refused on the phone, before the code is sent anywhere.
    let elsewhere = gridvoice_tests::enrolment_code(&dir.path().join("other"), "D01").unwrap();
    refused_as_pinned(&phone, &other_url, &elsewhere).await;
    let unused = gridvoice_server::auth::AuthDb::open(&gridvoice_server::auth_path(
        &dir.path().join("other"),
    ))
    .unwrap()
    .active()
    .unwrap();
    assert!(unused.is_empty(), "the other server enrolled nobody");

    // The street's server is replaced by another one at the same address: not the server the
    // phone was pinned to, though the address is.
    let addr = street.addr.to_string();
    street.stop().await;
    let impostor = server(&dir.path().join("impostor"), &addr).await;
    let code = gridvoice_tests::enrolment_code(&dir.path().join("impostor"), "D01").unwrap();
    refused_as_pinned(&phone, &street_url, &code).await;
    impostor.stop().await;

    // The real one comes back; the phone syncs with it as ever.
    let street = server(&dir.path().join("street"), &addr).await;
    let mut wang = Store::open(&phone).unwrap();
    gridvoice_tests::record_on_device(&mut wang, 2, "小区停车位不足", "other", None).unwrap();

    // The app's reset: refused while the server has not confirmed everything; the records stay.
    drop(wang);
    let app = DeviceService::open(&phone).unwrap();
    let e = app
        .reset(ResetInput {
            discard_unsent: false,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code.as_str(), "UNSENT", "{e:?}");
    assert!(e.message.contains("还有 2 条记录"), "{}", e.message);
    assert!(app.status().await.enrolled, "nothing wiped");
    // Synced, the same tap wipes the phone: nothing was left unsent.
    let synced = app.sync_now().await;
    assert!(synced.ok, "{synced:?}");
    let done = app.reset(ResetInput::default()).await.unwrap();
    assert_eq!(done, ResetDone::default());
    let status = app.status().await;
    assert!(!status.enrolled && status.delegate.is_none(), "{status:?}");
    drop(app);
    let wang = Store::open(&phone).unwrap();
    assert!(wang.identity().is_none() && wang.server_link().unwrap().is_none());
    drop(wang);
    // Nothing of the street's records is left in the file.
    let bytes = std::fs::read(&phone).unwrap();
    assert!(
        !bytes.windows("电梯".len()).any(|w| w == "电梯".as_bytes()),
        "the wiped file still holds a demand's words"
    );

    // Now the phone may enrol at the other server, and holds only what that one gives it.
    let mut wang = Store::open(&phone).unwrap();
    enrol(&mut wang, &other_url, &elsewhere, "wang")
        .await
        .unwrap();
    let cfg = SyncConfig::from_store(&wang).unwrap();
    sync_once(&mut wang, &cfg, &mut |_| {}).await.unwrap();
    assert_eq!(demands(&mut wang), 0);
    street.stop().await;
    other.stop().await;
}
