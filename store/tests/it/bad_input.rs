//! Bad input gets a stable code and a Chinese message, and stores nothing at all.

use gridvoice_core::ErrorCode;
use gridvoice_core::api::{NewContact, Request, StartVisit};
use gridvoice_core::ids::{DemandId, VisitId};
use gridvoice_core::model::{Location, LocationSource};
use gridvoice_store::{Error, Store};

use crate::{Device, GRID_A1, GRID_B1, demand};

/// Counts every row a write could leave behind.
fn footprint(s: &Store) -> (i64, i64, i64) {
    let q = |sql: &str| {
        s.connection()
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    (
        q("SELECT count(*) FROM changes"),
        q("SELECT count(*) FROM demands"),
        q("SELECT count(*) FROM visits"),
    )
}

#[test]
fn every_kind_of_bad_demand_is_refused_with_its_code_and_nothing_is_stored() {
    let mut d = Device::in_memory("D01", 10);
    d.record("先记一条正常的", "other", GRID_A1);
    let before = footprint(&d.store);

    let gps = |lat, lon| {
        Some(Location {
            lat,
            lon,
            accuracy_m: Some(5.0),
            source: LocationSource::Gps,
        })
    };
    let cases: Vec<(gridvoice_core::api::RecordDemand, ErrorCode)> = vec![
        (demand("", "other", GRID_A1), ErrorCode::EmptyText),
        (demand(" \t\n　", "other", GRID_A1), ErrorCode::EmptyText),
        (
            demand(&"长".repeat(5_001), "other", GRID_A1),
            ErrorCode::TextTooLong,
        ),
        (
            demand("路灯", "weather", GRID_A1),
            ErrorCode::UnknownCategory,
        ),
        (
            demand("路灯", "other", "110118003999999"),
            ErrorCode::UnknownGrid,
        ),
        (
            {
                let mut r = demand("路灯", "other", GRID_A1);
                r.location = gps(f64::NAN, 116.8);
                r
            },
            ErrorCode::InvalidLocation,
        ),
        (
            {
                let mut r = demand("路灯", "other", GRID_A1);
                r.location = gps(40.3, 190.0);
                r
            },
            ErrorCode::InvalidLocation,
        ),
        (
            {
                let mut r = demand("路灯", "other", GRID_A1);
                r.location = gps(-90.5, 116.0);
                r
            },
            ErrorCode::InvalidLocation,
        ),
        (
            {
                let mut r = demand("路灯", "other", GRID_A1);
                r.visit = Some(VisitId(uuid::Uuid::from_u128(1)));
                r
            },
            ErrorCode::UnknownVisit,
        ),
        (
            {
                let mut r = demand("路灯", "other", GRID_A1);
                r.contact = Some(NewContact {
                    name: "张三".into(),
                    phone: "13800138000".into(),
                    consent: false,
                });
                r
            },
            ErrorCode::ConsentRequired,
        ),
        (
            {
                let mut r = demand("路灯", "other", GRID_A1);
                r.contact = Some(NewContact {
                    name: " ".into(),
                    phone: "13800138000".into(),
                    consent: true,
                });
                r
            },
            ErrorCode::MissingField,
        ),
        (
            {
                let mut r = demand("路灯", "other", GRID_A1);
                r.contact = Some(NewContact {
                    name: "张三".into(),
                    phone: "12".into(),
                    consent: true,
                });
                r
            },
            ErrorCode::InvalidPhone,
        ),
    ];
    for (req, code) in cases {
        let err = d.call(Request::RecordDemand(req)).unwrap_err();
        assert_eq!(err.code, code, "{}", err.message);
        assert!(!err.message.is_empty());
        assert!(!err.message.contains("13800138000"));
        assert_eq!(
            footprint(&d.store),
            before,
            "{code:?} left something behind"
        );
    }
}

#[test]
fn bad_visits_and_lookups_are_refused() {
    let mut d = Device::in_memory("D01", 11);
    let before = footprint(&d.store);
    let start = |grid: &str, place: &str| {
        Request::StartVisit(StartVisit {
            grid: grid.into(),
            place: place.into(),
            topic: "征求意见".into(),
            delegates: vec![],
        })
    };
    assert_eq!(
        d.call(start(GRID_B1, "西门")).unwrap_err().code,
        ErrorCode::GridNotInStation
    );
    assert_eq!(
        d.call(start(GRID_A1, "  ")).unwrap_err().code,
        ErrorCode::MissingField
    );
    assert_eq!(
        d.call(Request::EndVisit {
            visit: VisitId(uuid::Uuid::from_u128(5)),
            attendance: 1,
            delegates: vec![]
        })
        .unwrap_err()
        .code,
        ErrorCode::UnknownVisit
    );
    assert_eq!(
        d.call(Request::GetDemand {
            id: DemandId(uuid::Uuid::from_u128(5))
        })
        .unwrap_err()
        .code,
        ErrorCode::NotFound
    );
    let bad_date = gridvoice_core::api::DemandFilter {
        from: Some("2021-02-30".into()),
        ..Default::default()
    };
    assert_eq!(
        d.call(Request::ListDemands(bad_date)).unwrap_err().code,
        ErrorCode::InvalidDate
    );
    assert_eq!(footprint(&d.store), before);
}

#[test]
fn an_uninitialised_device_says_so() {
    let mut s = Store::open_in_memory().unwrap();
    let mut ctx = gridvoice_store::service::Ctx {
        clock: &gridvoice_core::clock::FixedClock(gridvoice_core::clock::Timestamp(0)),
        ids: &mut gridvoice_core::clock::SeededIds::new(0),
    };
    let err = gridvoice_store::service::handle(
        &mut s,
        &mut ctx,
        Request::RecordDemand(demand("x", "other", GRID_A1)),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotInitialised);
}

#[test]
fn a_file_that_is_not_a_store_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.sqlite");
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &garbage).unwrap();
    assert!(matches!(Store::open(&path), Err(Error::CorruptStore(_))));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file was not touched"
    );
}

#[test]
fn a_corrupted_document_is_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.sqlite");
    let mut d = Device::new(Store::open(&path).unwrap(), "D01", 12);
    d.record("正常记录", "other", GRID_A1);
    drop(d);
    // Someone (a disk fault, a bad copy) garbles one stored change.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("UPDATE changes SET bytes = x'856f4a83deadbeef' WHERE rowid IN (SELECT rowid FROM changes LIMIT 1)", [])
            .or_else(|_| conn.execute(
                "UPDATE changes SET bytes = x'856f4a83deadbeef' WHERE hash = (SELECT hash FROM changes ORDER BY hash LIMIT 1)", []))
            .unwrap();
    }
    let mut again = Device::reopen(&path, 12);
    // Reads from projections still work; touching the document reports corruption.
    let err = again
        .call(Request::RecordDemand(demand("再记一条", "other", GRID_A1)))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::CorruptDocument);
    assert!(
        again
            .call(Request::Search {
                query: "正常".into(),
                limit: None
            })
            .is_ok()
    );
}

#[test]
fn garbage_sync_bytes_are_refused_whole() {
    let mut d = Device::in_memory("D01", 13);
    let before = footprint(&d.store);
    let station = gridvoice_core::ids::DocId::for_station(&"S01".into());
    let err = d
        .store
        .apply_changes(&station, &[vec![1, 2, 3], vec![]])
        .unwrap_err();
    assert!(
        matches!(err, Error::Core(gridvoice_core::Error::CorruptDocument(_))),
        "{err}"
    );
    assert_eq!(footprint(&d.store), before);
}

/// Every input the fuzzer found crashing a decoder (`fuzz/`, `scripts/fuzz`), kept as a fixture:
/// refused as corrupt, nothing stored, nothing panics out of the store.
#[test]
fn chunks_the_fuzzer_found_are_refused_not_panicked_on() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut found = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let at_the_door = gridvoice_store::chunks::measure::measure(
            std::slice::from_ref(&bytes),
            Default::default(),
        );
        assert!(at_the_door.is_err(), "{at_the_door:?}");
        assert!(gridvoice_store::decode_chunks(std::slice::from_ref(&bytes)).is_err());
        let mut d = Device::in_memory("D01", 14);
        let before = footprint(&d.store);
        let station = gridvoice_core::ids::DocId::for_station(&"S01".into());
        assert!(d.store.apply_changes(&station, &[bytes]).is_err());
        assert_eq!(footprint(&d.store), before);
        found += 1;
    }
    assert!(found >= 1, "the fixtures are in {}", dir.display());
}

/// The store's files hold residents' contacts: readable by their owner only, whatever the
/// process's umask, the write-ahead log and its index included; a file made readable by others
/// is tightened again when it is opened.
#[cfg(unix)]
#[test]
fn the_store_files_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.sqlite");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    {
        let mut d = Device::new(Store::open(&path).unwrap(), "D01", 3);
        d.record("楼道灯坏了", "宜居性", GRID_A1);
        for suffix in ["", "-wal", "-shm"] {
            let p = dir.path().join(format!("device.sqlite{suffix}"));
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
}

/// The server asks, for every incoming change, whether another document holds it: by an index,
/// not by reading every change.
#[test]
fn a_change_is_found_by_its_hash_through_an_index() {
    let store = Store::open_in_memory().unwrap();
    let plan: Vec<String> = store
        .connection()
        .prepare("EXPLAIN QUERY PLAN SELECT 1 FROM changes WHERE hash = ?1 LIMIT 1")
        .unwrap()
        .query_map([b"x".as_slice()], |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        plan.iter().any(|p| p.contains("INDEX changes_hash")),
        "{plan:?}"
    );
}
