use super::*;
use crate::access::{Person, Role};
use crate::clock::Timestamp;
use crate::ids::{DemandId, DeviceId, EventId};
use crate::territory::sample;
use crate::workflow::{Actor, EventKind};
use automerge::transaction::Transactable;
use uuid::Uuid;

/// 赵 (D03), a delegate of S01, on her phone.
fn zhao() -> Principal {
    Principal {
        device: DeviceId(Uuid::from_u128(3)),
        person: Person::Delegate("D03".into()),
        role: Role::Delegate,
        station: Some("S01".into()),
    }
}

fn demand(id: u128, station: &str, by: &str) -> Demand {
    serde_json::from_value(serde_json::json!({
        "id": DemandId(Uuid::from_u128(id)),
        "station": station,
        "text": "楼道灯坏了",
        "category": "livability",
        "grid": "110118003001001",
        "location": null,
        "recorded_at": 1,
        "recorded_by": by,
        "device": DeviceId(Uuid::from_u128(3)),
        "visit": null,
    }))
    .unwrap()
}

/// S01's document as the server holds it, with one demand 赵 recorded.
fn s01() -> Automerge {
    let mut doc = doc::station_genesis(&"S01".into()).unwrap();
    doc.set_actor(DeviceId(Uuid::from_u128(3)).actor());
    let mut tx = doc.transaction();
    doc::put_record(
        &mut tx,
        Collection::Demands,
        &key(1),
        &demand(1, "S01", "D03"),
    )
    .unwrap();
    tx.commit();
    doc
}

fn key(id: u128) -> String {
    DemandId(Uuid::from_u128(id)).to_string()
}

/// The changes a device makes with `f` on its copy of `base`.
fn made(
    base: &Automerge,
    f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) -> Vec<Change> {
    let mut doc = base.fork().with_actor(DeviceId(Uuid::from_u128(3)).actor());
    let heads = base.get_heads();
    let mut tx = doc.transaction();
    f(&mut tx);
    tx.commit();
    doc.get_changes(&heads)
}

fn event(by: Actor, device: u128, what: EventKind) -> Event {
    Event {
        id: EventId(Uuid::from_u128(900)),
        at: Timestamp(2),
        by,
        device: DeviceId(Uuid::from_u128(device)),
        prev: vec![],
        what,
    }
}

fn verdict(base: &Automerge, changes: &[Change]) -> Result<(), Refusal> {
    let t = sample::small();
    let elsewhere = |_: Collection, id: &str| id == key(77);
    judge(
        base,
        changes,
        Writer {
            who: &zhao(),
            territory: &t,
        },
        &elsewhere,
    )
}

#[test]
fn an_honest_delegate_records_a_demand_and_attaches_her_contact() {
    let base = s01();
    let put = made(&base, |tx| {
        doc::put_record(tx, Collection::Demands, &key(2), &demand(2, "S01", "D03")).unwrap();
    });
    assert_eq!(verdict(&base, &put), Ok(()));
    let attach = made(&base, |tx| {
        let e = event(
            Actor::Delegate("D03".into()),
            3,
            EventKind::ContactAttached {
                delegate: "D03".into(),
            },
        );
        doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
    });
    assert_eq!(verdict(&base, &attach), Ok(()));
    // Changes the receiver already holds are not judged again.
    assert_eq!(verdict(&base, &base.get_changes(&[])), Ok(()));
}

#[test]
fn a_device_that_skips_its_own_checks_stores_no_more_than_capture_allows() {
    use crate::limits::MAX_TEXT_CHARS;
    let base = s01();
    let with_text = |n: usize| {
        let mut d = demand(2, "S01", "D03");
        d.text = "字".repeat(n);
        made(&base, |tx| {
            doc::put_record(tx, Collection::Demands, &key(2), &d).unwrap();
        })
    };
    assert_eq!(verdict(&base, &with_text(MAX_TEXT_CHARS)), Ok(()));
    assert_eq!(
        verdict(&base, &with_text(MAX_TEXT_CHARS + 1)),
        Err(Refusal::TooLarge)
    );
    let long_note = made(&base, |tx| {
        let e = event(
            Actor::Delegate("D03".into()),
            3,
            EventKind::Note {
                text: "字".repeat(MAX_TEXT_CHARS + 1),
            },
        );
        doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
    });
    assert_eq!(verdict(&base, &long_note), Err(Refusal::TooLarge));
}

#[test]
fn a_hostile_delegate_is_refused_for_each_kind_of_forgery() {
    let base = s01();
    let cases: Vec<(&str, Vec<Change>, Refusal)> = vec![
        (
            "a demand naming another station",
            made(&base, |tx| {
                doc::put_record(tx, Collection::Demands, &key(2), &demand(2, "S02", "D03"))
                    .unwrap();
            }),
            Refusal::WrongDocument,
        ),
        (
            "a demand under a key that is not its id",
            made(&base, |tx| {
                doc::put_record(tx, Collection::Demands, &key(3), &demand(2, "S01", "D03"))
                    .unwrap();
            }),
            Refusal::KeyMismatch,
        ),
        (
            "a demand reusing another document's id",
            made(&base, |tx| {
                doc::put_record(tx, Collection::Demands, &key(77), &demand(77, "S01", "D03"))
                    .unwrap();
            }),
            Refusal::KeyMismatch,
        ),
        (
            "a demand recorded as someone else",
            made(&base, |tx| {
                doc::put_record(tx, Collection::Demands, &key(2), &demand(2, "S01", "D01"))
                    .unwrap();
            }),
            Refusal::NotTheAuthor,
        ),
        (
            "an edited fixed field",
            made(&base, |tx| {
                let coll = tx.get(ROOT, "demands").unwrap().unwrap().1;
                let rec = tx.get(&coll, key(1)).unwrap().unwrap().1;
                let mut d = demand(1, "S01", "D03");
                d.text = "改过的内容".into();
                tx.put(&rec, "record", serde_json::to_string(&d).unwrap())
                    .unwrap();
            }),
            Refusal::FixedFieldChanged,
        ),
        (
            "a removed demand",
            made(&base, |tx| {
                let coll = tx.get(ROOT, "demands").unwrap().unwrap().1;
                tx.delete(&coll, key(1)).unwrap();
            }),
            Refusal::FixedFieldChanged,
        ),
        (
            "a rewritten owner",
            made(&base, |tx| {
                tx.put(ROOT, "owner", "S02").unwrap();
            }),
            Refusal::FixedFieldChanged,
        ),
        (
            "a closed event",
            made(&base, |tx| {
                let e = event(
                    Actor::Delegate("D03".into()),
                    3,
                    EventKind::Closed { note: None },
                );
                doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
            }),
            Refusal::KindNotAllowed,
        ),
        (
            "a routed event",
            made(&base, |tx| {
                let e = event(
                    Actor::Delegate("D03".into()),
                    3,
                    EventKind::Routed {
                        unit: "U1".into(),
                        deadline: Timestamp(9),
                        assisting: vec![],
                        reason: None,
                    },
                );
                doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
            }),
            Refusal::KindNotAllowed,
        ),
        (
            "an event in the office's name",
            made(&base, |tx| {
                let e = event(
                    Actor::Staff("office-1".into()),
                    3,
                    EventKind::Closed { note: None },
                );
                doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
            }),
            Refusal::NotTheAuthor,
        ),
        (
            "an event from another device",
            made(&base, |tx| {
                let e = event(
                    Actor::Delegate("D03".into()),
                    4,
                    EventKind::Note { text: "x".into() },
                );
                doc::append_event(tx, Collection::Demands, &key(1), &e).unwrap();
            }),
            Refusal::NotTheAuthor,
        ),
    ];
    for (what, changes, why) in cases {
        assert!(!changes.is_empty(), "{what}: no change made");
        assert_eq!(verdict(&base, &changes), Err(why), "{what}");
    }
}
