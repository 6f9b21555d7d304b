//! Stories of delegates using their device.

use gridvoice_core::api::{DemandFilter, Request, Response, StartVisit};
use gridvoice_core::model::{Location, LocationSource};
use gridvoice_core::workflow::DemandStatus;
use gridvoice_store::Store;

use crate::{Device, GRID_A1, GRID_A2, demand};

fn list(d: &mut Device, f: DemandFilter) -> (Vec<String>, u64) {
    match d.call(Request::ListDemands(f)).unwrap() {
        Response::Demands { items, total } => {
            (items.into_iter().map(|v| v.demand.text).collect(), total)
        }
        other => panic!("{other:?}"),
    }
}

fn search(d: &mut Device, q: &str) -> Vec<String> {
    match d
        .call(Request::Search {
            query: q.into(),
            limit: None,
        })
        .unwrap()
    {
        Response::Demands { items, .. } => items.into_iter().map(|v| v.demand.text).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_delegate_records_three_demands_offline_during_a_visit_and_finds_them_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.sqlite");
    let mut wang = Device::new(Store::open(&path).unwrap(), "D01", 1);

    // 王建国 starts a visit in his grid, with no network anywhere in this test.
    let visit = match wang
        .call(Request::StartVisit(StartVisit {
            grid: GRID_A1.into(),
            place: "东菜园社区党群服务中心".into(),
            topic: "老旧小区改造意见征集".into(),
            delegates: vec!["D03".into()],
        }))
        .unwrap()
    {
        Response::Visit(v) => v.visit.id,
        other => panic!("{other:?}"),
    };

    // Three residents speak to him.
    let mut lift = demand("3号楼电梯经常停运，老人上下楼困难", "电梯维保", GRID_A1);
    lift.visit = Some(visit);
    lift.location = Some(Location {
        lat: 40.3712,
        lon: 116.8405,
        accuracy_m: Some(12.0),
        source: LocationSource::Gps,
    });
    let mut parking = demand("小区停车位严重不足，消防通道被占", "停车", GRID_A1);
    parking.visit = Some(visit);
    let mut pipes = demand(
        "老旧小区供暖管道老化，冬天暖气不热",
        "old_estate_renovation",
        GRID_A2,
    );
    pipes.visit = Some(visit);
    for r in [lift, parking, pipes] {
        wang.call(Request::RecordDemand(r)).unwrap();
    }
    wang.call(Request::EndVisit {
        visit,
        attendance: 23,
        delegates: vec![],
    })
    .unwrap();

    let (all, total) = list(&mut wang, DemandFilter::default());
    assert_eq!(total, 3);
    assert_eq!(all[0], "老旧小区供暖管道老化，冬天暖气不热", "newest first");

    // Search by Chinese substrings, short and long.
    assert_eq!(
        search(&mut wang, "电梯"),
        vec!["3号楼电梯经常停运，老人上下楼困难"]
    );
    assert_eq!(
        search(&mut wang, "消防通道"),
        vec!["小区停车位严重不足，消防通道被占"]
    );
    assert_eq!(
        search(&mut wang, "暖气 管道"),
        vec!["老旧小区供暖管道老化，冬天暖气不热"]
    );
    assert!(search(&mut wang, "垃圾分类").is_empty());

    // The phone is switched off and on again: everything is still there.
    drop(wang);
    let mut again = Device::reopen(&path, 1);
    let (_, total) = list(&mut again, DemandFilter::default());
    assert_eq!(total, 3);
    let (in_grid, n) = list(
        &mut again,
        DemandFilter {
            grid: Some(GRID_A1.into()),
            ..Default::default()
        },
    );
    assert_eq!(n, 2, "{in_grid:?}");
    let (lifts, _) = list(
        &mut again,
        DemandFilter {
            category: Some("lift_maintenance".into()),
            ..Default::default()
        },
    );
    assert_eq!(lifts, vec!["3号楼电梯经常停运，老人上下楼困难"]);
    let (by_visit, _) = list(
        &mut again,
        DemandFilter {
            visit: Some(visit),
            ..Default::default()
        },
    );
    assert_eq!(by_visit.len(), 3);
    let (recorded, _) = list(
        &mut again,
        DemandFilter {
            status: Some("已记录".into()),
            ..Default::default()
        },
    );
    assert_eq!(recorded.len(), 3);
    let (none_yet, _) = list(
        &mut again,
        DemandFilter {
            from: Some("2030-01-01".into()),
            ..Default::default()
        },
    );
    assert!(none_yet.is_empty());
    match again
        .call(Request::ListVisits {
            limit: None,
            offset: None,
        })
        .unwrap()
    {
        Response::Visits { items, .. } => {
            assert_eq!(items.len(), 1);
            assert_eq!(items[0].state.attendance, Some(23));
            assert_eq!(items[0].visit.delegates, vec!["D01".into(), "D03".into()]);
        }
        other => panic!("{other:?}"),
    }
    // A recapture of the same id (a retry after a timeout) does not make a second record.
    let first = search(&mut again, "电梯");
    assert_eq!(first.len(), 1);
}

#[test]
fn a_resident_leaves_a_contact_afterwards_and_the_demand_shows_it() {
    let mut d = Device::in_memory("D01", 2);
    let v = d.record("楼道声控灯坏了", "宜居性", GRID_A1);
    assert!(!v.has_contact());
    d.call(Request::AttachContact {
        demand: v.demand.id,
        contact: gridvoice_core::api::NewContact {
            name: "刘大妈".into(),
            phone: "13912345678".into(),
            consent: true,
        },
    })
    .unwrap();
    let Response::Demand(after) = d.call(Request::GetDemand { id: v.demand.id }).unwrap() else {
        panic!()
    };
    assert!(after.has_contact());
    assert_eq!(after.state.status, DemandStatus::Recorded);
    let contacts = gridvoice_store::service::contacts_of(&mut d.store, &v.demand.id).unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].masked_phone(), "139****5678");
}

#[test]
fn recording_the_same_id_twice_stores_it_once() {
    let mut d = Device::in_memory("D01", 3);
    let mut r = demand("路口红绿灯时间太短", "traffic", GRID_A1);
    r.id = Some(gridvoice_core::ids::DemandId(uuid::Uuid::from_u128(42)));
    d.call(Request::RecordDemand(r.clone())).unwrap();
    d.call(Request::RecordDemand(r)).unwrap();
    let (_, total) = list(&mut d, DemandFilter::default());
    assert_eq!(total, 1);
}

#[test]
fn compaction_keeps_every_demand_and_shrinks_the_change_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.sqlite");
    let mut d = Device::new(Store::open(&path).unwrap(), "D01", 4);
    for i in 0..30 {
        d.record(&format!("第{i}条诉求：健身器材损坏"), "livability", GRID_A1);
    }
    let station = gridvoice_core::ids::DocId::for_station(&"S01".into());
    let count = |s: &Store| -> i64 {
        s.connection()
            .query_row(
                "SELECT count(*) FROM changes WHERE doc_id = ?1",
                [station.to_string()],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert!(count(&d.store) >= 30);
    d.store.compact(&station).unwrap();
    assert_eq!(count(&d.store), 0);
    drop(d);
    let mut again = Device::reopen(&path, 4);
    let (_, total) = list(&mut again, DemandFilter::default());
    assert_eq!(total, 30);
    // And the document itself still holds all 30 after reload from the snapshot.
    let doc = again.store.doc(&station).unwrap();
    let ids =
        gridvoice_core::doc::record_ids(doc, gridvoice_core::doc::Collection::Demands).unwrap();
    assert_eq!(ids.len(), 30);
    // Recording goes on after compaction.
    again.record("新的诉求", "other", GRID_A1);
    let (_, total) = list(&mut again, DemandFilter::default());
    assert_eq!(total, 31);
}

#[test]
fn a_capture_is_pending_until_the_server_confirms_its_change() {
    let mut d = Device::in_memory("D01", 5);
    let mut r = demand("小区门口缺少无障碍坡道", "弱有所扶", GRID_A1);
    r.contact = Some(gridvoice_core::api::NewContact {
        name: "周先生".into(),
        phone: "13700001111".into(),
        consent: true,
    });
    let Response::Demand(v) = d.call(Request::RecordDemand(r)).unwrap() else {
        panic!()
    };
    let key = v.demand.id.to_string();
    let pending = d.store.pending_receipts().unwrap();
    assert_eq!(
        pending.len(),
        2,
        "the demand and its contact each wait for the server"
    );
    let receipt = d.store.receipt(&key).unwrap().unwrap();
    assert_eq!(receipt.synced_at, None);
    // The server answers which changes it has committed; only those are confirmed.
    let station = gridvoice_core::ids::DocId::for_station(&"S01".into());
    let at = gridvoice_core::clock::Timestamp(42);
    assert_eq!(
        d.store
            .confirm_receipts(&station, &[receipt.hash], at)
            .unwrap(),
        1
    );
    assert_eq!(d.store.receipt(&key).unwrap().unwrap().synced_at, Some(at));
    assert_eq!(
        d.store.pending_receipts().unwrap().len(),
        1,
        "the contact is still pending"
    );
    assert_eq!(
        d.store.has_changes(&station, &[receipt.hash]).unwrap(),
        vec![receipt.hash]
    );
}

/// Two delegates of station S01 record the same lift problem in one grid, in other words, offline;
/// a parking problem sits beside them. Back at the station the head's device holds all three and
/// asks for duplicate clusters: one cluster, the two lift demands.
#[test]
fn the_head_sees_the_same_lift_problem_from_two_delegates_as_one_cluster() {
    let mut zhao = Device::in_memory("D03", 41);
    let mut wang = Device::in_memory("D01", 42);
    let first = zhao.record(
        "3号楼电梯经常停运，老人上下楼困难，希望尽快维修",
        "电梯维保",
        GRID_A1,
    );
    let other = zhao.record(
        "小区停车位严重不足，晚上车辆乱停占用消防通道",
        "停车",
        GRID_A1,
    );
    let second = wang.record(
        "三号楼的电梯隔三差五就坏，老年人出门很不方便",
        "电梯维保",
        GRID_A1,
    );
    let station = gridvoice_core::ids::DocId::for_station(&"S01".into());
    let changes = zhao.store.changes_since(&station, &[]).unwrap();
    wang.store.apply_changes(&station, &changes).unwrap();
    let Response::Clusters { items } = wang.call(Request::Clusters { station: None }).unwrap()
    else {
        panic!("not clusters")
    };
    assert_eq!(items.len(), 1, "{items:?}");
    let mut got = items[0].demands.clone();
    got.sort();
    let mut want = vec![first.demand.id, second.demand.id];
    want.sort();
    assert_eq!(got, want);
    assert!(!items[0].demands.contains(&other.demand.id));
}

#[test]
fn a_delegate_pages_through_a_season_of_visits_newest_first() {
    let mut wang = Device::new(Store::open_in_memory().unwrap(), "D01", 1);
    let mut started = Vec::new();
    for (i, place) in ["东菜园社区", "西菜园社区", "南菜园社区"]
        .iter()
        .enumerate()
    {
        wang.clock.0 = gridvoice_core::clock::Timestamp(1_614_556_800_000 + i as i64 * 86_400_000);
        match wang
            .call(Request::StartVisit(StartVisit {
                grid: GRID_A1.into(),
                place: (*place).into(),
                topic: "意见征集".into(),
                delegates: vec![],
            }))
            .unwrap()
        {
            Response::Visit(v) => started.push(v.visit.id),
            other => panic!("{other:?}"),
        }
    }
    let page = |wang: &mut Device, limit, offset| match wang
        .call(Request::ListVisits {
            limit: Some(limit),
            offset: Some(offset),
        })
        .unwrap()
    {
        Response::Visits { items, total } => {
            (items.iter().map(|v| v.visit.id).collect::<Vec<_>>(), total)
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(page(&mut wang, 2, 0), (vec![started[2], started[1]], 3));
    assert_eq!(page(&mut wang, 2, 2), (vec![started[0]], 3));
    // No page is larger than the largest page.
    let (all, _) = page(&mut wang, 100_000, 0);
    assert_eq!(all.len(), 3);
}
