//! The delegate app end to end, in the real Tauri webview (WebKitGTK) under Xvfb, driven over
//! WebDriver: 王建国 enrols his phone at the station; out in the streets (the server is down) he
//! records one demand on a grid boundary, with a resident's contact given with consent and a
//! photo, and one
//! where his phone has no position, picking the grid on the map (the app is closed mid-form and
//! reopened on the way: what he typed is still there); the sync page shows both
//! pending and explains why the sync fails; back at the station (the server is up again) he
//! syncs, both get their receipts, and the station head finds them, with the contact and the
//! photo, on the server. Last, the office revokes the phone: the app says so and offers
//! re-enrolment; a demand recorded meanwhile reaches the station once a new code binds the phone
//! again.
//!
//! Needs the UI built first (`scripts/build-ui`: the app embeds `dist/` when it compiles);
//! `scripts/test` does that. Screenshots of each screen: tests/artifacts/app/*.png.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

#[path = "support/webdriver.rs"]
#[allow(dead_code, reason = "the harness serves the bench too")]
mod webdriver;

#[path = "support/app.rs"]
#[allow(dead_code, reason = "shared by the app's stories")]
mod app;

use std::path::Path;

use app::{App, app_binary, code_for, head_request, shots, start_server};
use gridvoice_core::access::Role;
use gridvoice_core::api::{DemandFilter, Request, Response};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::geography::locate::Locator;
use gridvoice_core::ids::{DemandId, GridId};
use gridvoice_core::territory::{Grid, Territory};
use gridvoice_server::auth::AuthDb;
use serde_json::{Value, json};
use webdriver::Desktop;

fn centroid(g: &Grid) -> [f64; 2] {
    let ring = &g.boundary.0[0];
    let n = (ring.len() - 1) as f64;
    let (x, y) = ring[..ring.len() - 1]
        .iter()
        .fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
    [x / n, y / n]
}

/// A point of one of `grids` about 5 m from a vertex it shares with another grid: the app must
/// ask the delegate to confirm the grid there.
fn near_boundary_point(t: &Territory, locator: &Locator, grids: &[GridId]) -> (GridId, f64, f64) {
    for id in grids {
        let g = t.grid(id).unwrap();
        let c = centroid(g);
        for v in &g.boundary.0[0] {
            let shared = t.grids.iter().any(|o| {
                o.id != g.id
                    && o.boundary.0[0]
                        .iter()
                        .any(|w| (w[0] - v[0]).abs() < 1e-9 && (w[1] - v[1]).abs() < 1e-9)
            });
            if !shared {
                continue;
            }
            let (dx, dy) = (c[0] - v[0], c[1] - v[1]);
            let metres = (dx * 111_320.0 * v[1].to_radians().cos()).hypot(dy * 110_540.0);
            let (lon, lat) = (v[0] + dx * 5.0 / metres, v[1] + dy * 5.0 / metres);
            let p = locator.locate(lon, lat, Some(8.0)).unwrap();
            if p.grid == *id && p.near_boundary && !p.outside {
                return (id.clone(), lat, lon);
            }
        }
    }
    panic!("no grid of {grids:?} has a vertex shared with another grid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegate_records_offline_in_the_app_and_the_station_sees_it_after_sync() {
    let binary = app_binary();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let territory = gridvoice_core::demo::gulou().unwrap();
    gridvoice_server::init_data(&data, &territory).unwrap();
    let server = start_server(&data, "127.0.0.1:0".parse().unwrap()).await;
    let addr = server.addr;
    let base = format!("http://{addr}");

    let me = territory
        .delegates
        .iter()
        .find(|d| d.id.as_str() == "D01")
        .unwrap()
        .clone();
    let locator = Locator::new(&territory).unwrap();
    let (boundary_grid, lat, lon) = near_boundary_point(&territory, &locator, &me.grids);
    // The grid he will pick by hand: another grid of his station.
    let picked: GridId = territory
        .grids
        .iter()
        .find(|g| g.station == me.station && g.id != boundary_grid)
        .unwrap()
        .id
        .clone();

    // The phone's storage: the device store, and the webview's own (drafts, settings) under
    // the XDG directories, so no run sees another's.
    let phone = dir.path().join("phone");
    let var = |sub: &str| phone.join(sub).to_str().unwrap().to_owned();
    let (store_dir, xdg_data, xdg_cache, xdg_config) =
        (var("store"), var("data"), var("cache"), var("config"));
    let env = [
        ("GRIDVOICE_APP_DATA", store_dir.as_str()),
        ("XDG_DATA_HOME", xdg_data.as_str()),
        ("XDG_CACHE_HOME", xdg_cache.as_str()),
        ("XDG_CONFIG_HOME", xdg_config.as_str()),
    ];
    let d = Desktop::launch(&binary, &env).await.unwrap();
    let mut app = App { d, shots: shots() };
    let d = &app.d;

    // A new phone: not enrolled yet.
    app.see("[data-testid=not-enrolled]").await;
    app.shot("01-home-not-enrolled").await;

    // Enrolment: a wrong code is refused in plain words, the right one binds the phone.
    d.click("[data-testid=go-enrol]").await.unwrap();
    app.see("[data-testid=page-enrol]").await;
    d.type_into("#enrol-server", &base).await.unwrap();
    d.type_into("#enrol-code", "AAAA-BBBB-CCCC").await.unwrap();
    d.click("#enrol-submit").await.unwrap();
    let refused = d.text("[data-testid=enrol-error]").await.unwrap();
    assert!(
        refused
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{refused}"
    );
    let code = code_for(&data, "D01", Role::Delegate, me.station.as_str());
    d.type_into("#enrol-code", &code).await.unwrap();
    d.click("#enrol-submit").await.unwrap();
    // Bound: the app goes home, which names him, his station and his grids.
    app.see("[data-testid=delegate-name]").await;
    app.until("grid names instead of codes", "const g = document.querySelector('[data-testid=my-grids]'); return g && !/\\d{15}/.test(g.textContent);").await;
    assert_eq!(
        d.text("[data-testid=delegate-name]").await.unwrap(),
        me.name
    );
    let station = territory.station(&me.station).unwrap().name.clone();
    assert_eq!(d.text("[data-testid=station-name]").await.unwrap(), station);
    // The store now holds his credential: nobody else on the machine may read it.
    let mode = |p: &Path| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(p).unwrap().permissions())
            & 0o777
    };
    assert_eq!(mode(Path::new(&store_dir)), 0o700);
    assert_eq!(mode(&Path::new(&store_dir).join("device.sqlite")), 0o600);
    app.shot("02-home-enrolled").await;

    // Out in the streets: no server.
    server.stop().await;

    // Demand 1: on a grid boundary; the app asks which grid, he confirms; a resident leaves
    // her name and phone, and agrees to be called back.
    app.set_location(json!({ "lat": lat, "lon": lon, "accuracy_m": 8.0 }))
        .await;
    app.go("record", "record").await;
    app.see("[data-testid=boundary-confirm]").await;
    assert_eq!(
        d.attr("[data-testid=placement]", "data-grid")
            .await
            .unwrap(),
        Some(boundary_grid.to_string())
    );
    // Saving an empty form names what is missing, next to the fields.
    d.click("#save-demand").await.unwrap();
    app.see("[data-testid=save-error]").await;
    assert!(
        app.count(".field-error").await >= 2,
        "field errors expected"
    );
    assert!(!d.present("[data-testid=saved]").await.unwrap());
    app.shot("04-record-validation").await;

    let text1 = "小区东门路灯坏了两个月，晚上出入很不安全";
    d.type_into("#demand-text", text1).await.unwrap();
    d.click("[data-testid='chip-safety']").await.unwrap();
    d.click("#confirm-grid").await.unwrap();
    app.see("[data-testid=grid-confirmed]").await;
    // Adding a contact means the resident agreed: the tick comes with it.
    d.click("#contact-add").await.unwrap();
    d.type_into("#contact-name", "李秀英").await.unwrap();
    d.type_into("#contact-phone", "13812345678").await.unwrap();
    // Without the consent tick the contact is refused.
    d.click("#contact-consent").await.unwrap();
    d.click("#save-demand").await.unwrap();
    app.see("#contact-consent-error").await;
    d.click("#contact-consent").await.unwrap();
    // A photo of the dark gate. A file that is not a picture is refused first, in plain words.
    app.choose_file(None).await;
    app.see("#demand-photo-error").await;
    app.choose_file(Some("#2c3e50")).await;
    app.see("[data-testid=photo-item]").await;
    assert!(!app.d.present("#demand-photo-error").await.unwrap());
    let photo_hash = d
        .attr("[data-testid=photo-item]", "data-hash")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(photo_hash.len(), 64);
    app.shot("05-record-boundary").await;
    let first = app.save_demand().await;
    app.shot("06-saved").await;

    // Demand 2: no position at all. He starts typing, and the phone is put away mid-form
    // (the app closes); opened again, still offline, the form holds what he typed.
    app.set_location(json!("none")).await;
    app.go("home", "home").await;
    app.go("record", "record").await;
    app.see("[data-testid=no-fix]").await;
    let text2 = "希望在社区增设老年助餐点，老人吃饭难";
    d.type_into("#demand-text", text2).await.unwrap();
    d.click("[data-testid='chip-elderly_care']").await.unwrap();
    app.d.close().await.unwrap();
    app.d = Desktop::launch(&binary, &env).await.unwrap();
    let d = &app.d;
    app.see("[data-testid=delegate-name]").await;
    app.go("record", "record").await;
    app.see("[data-testid=no-fix]").await;
    let kept = d
        .run(
            "return [document.querySelector('#demand-text').value, \
                     document.querySelector('[data-testid=chip-elderly_care]').getAttribute('aria-pressed')];",
            json!([]),
        )
        .await
        .unwrap();
    assert_eq!(
        kept,
        json!([text2, "true"]),
        "the draft did not survive closing the app"
    );

    // He picks the grid on the offline map.
    app.see("#grid-map").await;
    d.click(&format!("#grid-map [data-grid='{picked}']"))
        .await
        .unwrap();
    app.until(
        "the picked grid shows",
        "const p = document.querySelector('[data-testid=placement]'); return p && p.dataset.grid;",
    )
    .await;
    assert_eq!(
        d.attr("[data-testid=placement]", "data-grid")
            .await
            .unwrap(),
        Some(picked.to_string())
    );
    app.shot("07-record-map-pick").await;
    let second = app.save_demand().await;
    assert_ne!(first, second);

    // The goal: with a good fix inside his own grid, a demand with a resident's contact takes
    // at most 6 taps besides typing — the position comes without a tap.
    let (goal_grid, glon, glat) = me
        .grids
        .iter()
        .find_map(|id| {
            let [x, y] = centroid(territory.grid(id)?);
            let p = locator.locate(x, y, Some(8.0)).ok()?;
            (p.grid == *id && !p.near_boundary && !p.outside).then(|| (id.clone(), x, y))
        })
        .expect("a grid of his whose centre is well inside it");
    app.set_location(json!({ "lat": glat, "lon": glon, "accuracy_m": 8.0 }))
        .await;
    app.go("home", "home").await;
    let mut taps = Vec::new();
    app.tap(&mut taps, "[data-testid=home-record]").await;
    app.see("[data-testid=page-record]").await;
    d.type_into("#demand-text", "楼道里电动车充电，担心起火")
        .await
        .unwrap();
    app.tap(&mut taps, "[data-testid='chip-safety']").await;
    app.tap(&mut taps, "#contact-add").await;
    d.type_into("#contact-name", "周师傅").await.unwrap();
    app.tap(&mut taps, "#contact-phone").await;
    d.type_into("#contact-phone", "13700001111").await.unwrap();
    app.see("[data-testid=detected-grid]").await;
    app.tap(&mut taps, "#save-demand").await;
    app.see("[data-testid=saved]").await;
    println!("goal: {} taps ({})", taps.len(), taps.join(", "));
    assert!(taps.len() <= 6, "{} taps: {taps:?}", taps.len());
    let goal: DemandId = d
        .attr("[data-testid=saved]", "data-demand-id")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    app.shot("07b-goal-saved").await;

    // All wait for the server, and a sync now says why it cannot happen.
    app.go("home", "home").await;
    let pending = d
        .attr("[data-testid=pending-count]", "data-count")
        .await
        .unwrap();
    assert_ne!(pending.as_deref(), Some("0"));
    app.go("sync", "sync").await;
    let records: Vec<String> = d
        .run(
            "return [...document.querySelectorAll('[data-testid=pending-item]')].map(e => e.dataset.record);",
            json!([]),
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    for id in [first, second, goal] {
        assert!(
            records.contains(&id.to_string()),
            "{id} not pending in {records:?}"
        );
    }
    assert!(
        records.contains(&format!("photo:{photo_hash}")),
        "the photo is not pending in {records:?}"
    );
    app.shot("08-pending").await;
    d.click("#sync-now").await.unwrap();
    let why = d.text("[data-testid=sync-error]").await.unwrap();
    assert!(
        why.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{why}"
    );
    app.shot("09-sync-failed").await;

    // Back at the station: the server is up again; retry.
    let server = start_server(&data, addr).await;
    d.click("#sync-retry").await.unwrap();
    app.see("[data-testid=sync-ok]").await;
    app.see("[data-testid=pending-empty]").await;
    assert_eq!(app.count("[data-testid=pending-item]").await, 0);
    app.shot("10-synced").await;

    app.go("demands", "demands").await;
    app.see(&format!("[data-demand-id='{first}']")).await;
    app.see(&format!("[data-demand-id='{second}']")).await;
    app.shot("11-my-demands").await;

    // The phone is reported lost and the office revokes it: the next sync says so and offers
    // re-enrolment instead of retrying.
    let auth = AuthDb::open(&gridvoice_server::auth_path(&data)).unwrap();
    let phone_device = auth
        .devices()
        .unwrap()
        .into_iter()
        .find(|r| r.role == Role::Delegate && r.revoked_at.is_none())
        .unwrap()
        .device;
    auth.revoke(&phone_device, Timestamp(1)).unwrap();
    app.go("sync", "sync").await;
    app.until(
        "the revoked credential is refused",
        "if (document.querySelector('#sync-reenrol')) return true; \
         if (!document.querySelector('[data-testid=sync-running]')) document.querySelector('#sync-now').click(); \
         return false;",
    )
    .await;
    assert!(!d.present("#sync-retry").await.unwrap());
    app.shot("12-revoked").await;

    // The phone turns up again. Before he re-enrols it he records one more demand; then the
    // office's new code binds it anew, and that demand still reaches the station.
    app.set_location(json!({ "lat": lat, "lon": lon, "accuracy_m": 8.0 }))
        .await;
    app.go("record", "record").await;
    app.see("#confirm-grid").await;
    let text3 = "东门外人行道砖松动，雨天溅水";
    d.type_into("#demand-text", text3).await.unwrap();
    d.click("[data-testid='chip-convenience']").await.unwrap();
    d.click("#confirm-grid").await.unwrap();
    let third = app.save_demand().await;
    app.go("sync", "sync").await;
    d.click("[data-testid=sync-now]").await.unwrap();
    app.see("#sync-reenrol").await;
    d.click("#sync-reenrol").await.unwrap();
    app.see("[data-testid=page-enrol]").await;
    let again = code_for(&data, "D01", Role::Delegate, me.station.as_str());
    d.type_into("#enrol-server", &base).await.unwrap();
    d.type_into("#enrol-code", &again).await.unwrap();
    d.click("#enrol-submit").await.unwrap();
    app.see("[data-testid=delegate-name]").await;
    app.go("sync", "sync").await;
    app.until("everything confirmed under the new credential", "if (document.querySelector('[data-testid=sync-ok]') && document.querySelector('[data-testid=pending-empty]')) return true; \
         if (!document.querySelector('[data-testid=sync-running]')) document.querySelector('#sync-now').click(); \
         return false;").await;
    app.shot("13-enrolled-again").await;
    app.d.quit().await.unwrap();

    // The station head, on the server, sees both demands and the resident's contact.
    gridvoice_sync::install_crypto_provider();
    let http = reqwest::Client::new();
    let head_code = code_for(&data, "D01", Role::StationHead, me.station.as_str());
    let enrolled: Value = http
        .post(format!("{base}/api/enrol"))
        .json(&json!({ "code": head_code, "device_name": "站长电脑" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let credential = enrolled["credential"].as_str().unwrap().to_owned();
    let Response::Demands { items, .. } = head_request(
        &http,
        &base,
        &credential,
        &Request::ListDemands(DemandFilter {
            limit: Some(500),
            ..DemandFilter::default()
        }),
    )
    .await
    else {
        panic!("not a demand list")
    };
    let one = items.iter().find(|v| v.demand.id == first).unwrap();
    assert_eq!(one.demand.text, text1);
    assert_eq!(one.demand.grid, boundary_grid);
    assert_eq!(one.demand.attachments, vec![photo_hash.clone()]);
    // The photo itself reached the server, whole, and its station's head may see it.
    let photo = http
        .get(format!("{base}/api/photos/{photo_hash}"))
        .bearer_auth(&credential)
        .send()
        .await
        .unwrap();
    assert_eq!(photo.status().as_u16(), 200);
    assert_eq!(
        photo.headers()["content-type"].to_str().unwrap(),
        "image/jpeg"
    );
    let bytes = photo.bytes().await.unwrap();
    assert_eq!(gridvoice_store::photo_hash(&bytes), photo_hash);
    let three = items.iter().find(|v| v.demand.id == third).unwrap();
    assert_eq!(three.demand.text, text3);
    let two = items.iter().find(|v| v.demand.id == second).unwrap();
    assert_eq!(two.demand.text, text2);
    assert_eq!(two.demand.grid, picked);
    let Response::Contacts { items: contacts } = head_request(
        &http,
        &base,
        &credential,
        &Request::ContactsOf { demand: first },
    )
    .await
    else {
        panic!("not a contact list")
    };
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].name, "李秀英");
    assert!(contacts[0].consent);
    let filed = items.iter().find(|v| v.demand.id == goal).unwrap();
    assert_eq!(filed.demand.grid, goal_grid);
    let Response::Contacts { items: contacts } = head_request(
        &http,
        &base,
        &credential,
        &Request::ContactsOf { demand: goal },
    )
    .await
    else {
        panic!("not a contact list")
    };
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].name, "周师傅");
    assert!(contacts[0].consent);
    server.stop().await;
}
