//! 王建国's phone credential has a term; the phone renews it during an ordinary sync once it is a
//! month old, without him noticing; a phone left unsynced past the term must be enrolled again.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use gridvoice_server::Config;
use gridvoice_store::Store;
use gridvoice_sync::{Error, SyncConfig, enrol, sync_once};

const DAY: i64 = 24 * 60 * 60 * 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_renews_its_credential_while_it_syncs_and_a_forgotten_one_expires() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    gridvoice_server::init_data(&data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    let server = gridvoice_server::start(Config::new(&data, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let url = format!("http://{}", server.addr);
    let auth = rusqlite::Connection::open(gridvoice_server::auth_path(&data)).unwrap();
    let now = gridvoice_core::clock::Clock::now(&gridvoice_store::system::SystemClock).0;

    let mut wang = Store::open(dir.path().join("wang.sqlite")).unwrap();
    let code = gridvoice_tests::enrolment_code(&data, "D01").unwrap();
    enrol(&mut wang, &url, &code, "wang").await.unwrap();
    let cfg = SyncConfig::from_store(&wang).unwrap();
    // A fresh credential is not renewed.
    sync_once(&mut wang, &cfg, &mut |_| {}).await.unwrap();
    let fresh = wang.server_link().unwrap().unwrap();
    assert_eq!(fresh.credential, cfg.credential);

    // Forty days on (by the phone's and the server's books).
    let mut link = fresh.clone();
    link.issued_at = Some(now - 40 * DAY);
    wang.set_server_link(&link).unwrap();
    auth.execute("UPDATE devices SET issued_at = ?1", [now - 40 * DAY])
        .unwrap();
    gridvoice_tests::record_on_device(&mut wang, 1, "3号楼电梯经常停运", "other", None).unwrap();
    let report = sync_once(&mut wang, &cfg, &mut |_| {}).await.unwrap();
    assert_eq!(report.receipts_confirmed, 1);
    let renewed = wang.server_link().unwrap().unwrap();
    assert_ne!(
        renewed.credential, fresh.credential,
        "renewed during the sync"
    );
    assert!(renewed.issued_at.unwrap() >= now);
    // The old credential, used by nobody now, is refused; the phone syncs on with the new one
    // even when its caller still holds the old configuration.
    gridvoice_sync::install_crypto_provider();
    let ask = |key: String| {
        reqwest::Client::new()
            .post(format!("{url}/api/request"))
            .bearer_auth(key)
            .json(&gridvoice_core::api::Request::ListVisits {
                limit: None,
                offset: None,
            })
            .send()
    };
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(ask(fresh.credential.expose().to_owned()).await.unwrap()),
        401
    );
    assert_eq!(
        status(ask(renewed.credential.expose().to_owned()).await.unwrap()),
        200
    );
    sync_once(&mut wang, &cfg, &mut |_| {}).await.unwrap();

    // li's phone was left in a drawer past the term: refused, and told to enrol again.
    let mut li = Store::open(dir.path().join("li.sqlite")).unwrap();
    let code = gridvoice_tests::enrolment_code(&data, "D02").unwrap();
    enrol(&mut li, &url, &code, "li").await.unwrap();
    let li_device = li.identity().unwrap().device.to_string();
    auth.execute(
        "UPDATE devices SET issued_at = ?1 WHERE id = ?2",
        (now - 181 * DAY, &li_device),
    )
    .unwrap();
    let li_cfg = SyncConfig::from_store(&li).unwrap();
    let e = sync_once(&mut li, &li_cfg, &mut |_| {}).await.unwrap_err();
    assert!(matches!(e, Error::CredentialRefused), "{e:?}");
    server.stop().await;
}
