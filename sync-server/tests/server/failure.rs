//! A server whose storage fails says so and acknowledges nothing: a chunk it could not store is
//! never reported stored (samod acknowledges nothing of it), storage is raised as failed, and
//! `/healthz` answers 503 so the supervisor restarts the server; a handler that panicked while
//! holding the store leaves it poisoned, which `/healthz` reports too.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use gridvoice_server::storage::{Fatal, StoreStorage, document_id};
use gridvoice_store::Store;
use http_body_util::BodyExt;
use samod::storage::{Storage, StorageKey};
use tower::ServiceExt;

use crate::{app, station_doc};

async fn health(router: &axum::Router) -> (StatusCode, serde_json::Value) {
    let resp = router
        .clone()
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn a_chunk_that_cannot_be_stored_is_never_acknowledged_and_storage_is_raised_failed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.sqlite")).unwrap();
    let fatal = Fatal::default();
    let storage = StoreStorage::new(
        Arc::new(Mutex::new(store)),
        Arc::new(gridvoice_server::metrics::Metrics::default()),
        tokio::sync::broadcast::channel(4).0,
        fatal.clone(),
    );
    let doc = document_id(&station_doc("S01")).unwrap().to_string();
    let key = StorageKey::from_parts([doc.as_str(), "incremental", "0badc0de"]).unwrap();
    let acknowledged = tokio::time::timeout(
        Duration::from_secs(3),
        storage.put(key, b"not an automerge chunk".to_vec()),
    )
    .await;
    assert!(
        acknowledged.is_err(),
        "the put resolved: it would be acknowledged"
    );
    // The writer has raised it by now; on a loaded machine, give it a while.
    for _ in 0..300 {
        if fatal.reason().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fatal.reason(), Some("a chunk could not be stored"));
}

#[tokio::test]
async fn healthz_fails_once_the_store_is_poisoned() {
    let dir = tempfile::tempdir().unwrap();
    let t = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(dir.path(), &t).unwrap();
    let app = app(dir.path()).await;
    let router = gridvoice_server::http::router(app.clone());
    let (status, body) = health(&router).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    // A handler panics while it holds the store.
    let store = app.store.clone();
    let _ = std::thread::spawn(move || {
        let _held = store.lock().unwrap();
        panic!("injected: a handler fails while writing");
    })
    .join();
    let (status, body) = health(&router).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["status"].as_str().unwrap().contains("poisoned"),
        "{body}"
    );
}
