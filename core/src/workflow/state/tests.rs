//! Derivations of records' states from their events.

use super::super::{Actor, heads};
use super::*;
use crate::ids::DeviceId;
use uuid::Uuid;

fn ev(n: u128, prev: &[u128], what: EventKind) -> Event {
    Event {
        id: EventId(Uuid::from_u128(n)),
        at: Timestamp(i64::try_from(n).unwrap() * 1000),
        by: Actor::Staff("office".into()),
        device: DeviceId(Uuid::nil()),
        prev: prev.iter().map(|p| EventId(Uuid::from_u128(*p))).collect(),
        what,
    }
}

fn routed() -> EventKind {
    EventKind::Routed {
        unit: "U01".into(),
        deadline: Timestamp(9_000),
        assisting: vec![],
        reason: None,
    }
}

#[test]
fn the_office_routes_answers_and_closes_a_demand_in_sequence() {
    let events = vec![
        ev(1, &[], EventKind::Reviewed { note: None }),
        ev(2, &[1], routed()),
        ev(
            3,
            &[2],
            EventKind::Answered {
                text: "已维修".into(),
                resolved: true,
                unit: None,
            },
        ),
        ev(
            4,
            &[3],
            EventKind::FedBack {
                satisfied: Some(true),
                note: None,
            },
        ),
        ev(5, &[4], EventKind::Closed { note: None }),
    ];
    let s = derive_demand(&events);
    assert_eq!(s.status, DemandStatus::Closed);
    assert_eq!(s.resolved, Some(true));
    assert_eq!(s.satisfied, Some(true));
    assert!(!s.needs_decision);
    assert_eq!(heads(&events), vec![EventId(Uuid::from_u128(5))]);
}

#[test]
fn causal_order_beats_clock_skew() {
    // The device that answered had its clock an hour behind: causality still puts the answer
    // after the routing it had seen.
    let mut answer = ev(
        3,
        &[2],
        EventKind::Answered {
            text: "好".into(),
            resolved: false,
            unit: None,
        },
    );
    answer.at = Timestamp(0);
    let events = vec![answer, ev(2, &[], routed())];
    assert_eq!(derive_demand(&events).status, DemandStatus::Answered);
}

#[test]
fn a_station_head_and_the_office_decide_differently_offline() {
    let events = vec![
        ev(1, &[], EventKind::Reviewed { note: None }),
        ev(
            2,
            &[1],
            EventKind::AddedToSuggestion {
                suggestion: SuggestionId(Uuid::from_u128(77)),
            },
        ),
        ev(
            3,
            &[1],
            EventKind::Withdrawn {
                reason: "居民撤回".into(),
            },
        ),
    ];
    let s = derive_demand(&events);
    assert!(s.needs_decision);
    assert_eq!(s.conflicting.len(), 2);
    // Both decisions are kept in the history; a later decision that saw both settles it.
    let mut settled = events;
    settled.push(ev(
        4,
        &[2, 3],
        EventKind::Reopened {
            reason: "继续办理".into(),
        },
    ));
    let s = derive_demand(&settled);
    assert!(!s.needs_decision);
    assert_eq!(s.status, DemandStatus::InSuggestion);
}

#[test]
fn the_same_decision_made_twice_concurrently_is_not_a_conflict() {
    let events = vec![
        ev(1, &[], EventKind::Closed { note: None }),
        ev(2, &[], EventKind::Closed { note: None }),
        ev(
            3,
            &[],
            EventKind::Note {
                text: "备注".into(),
            },
        ),
    ];
    assert!(!derive_demand(&events).needs_decision);
}

#[test]
fn unknown_kinds_and_dangling_prev_are_tolerated() {
    let json = r#"{"id":"00000000-0000-0000-0000-000000000001","at":5,
        "by":{"role":"staff","id":"x"},"device":"00000000-0000-0000-0000-000000000000",
        "prev":["00000000-0000-0000-0000-0000000000ff"],"kind":"from_the_future","extra":1}"#;
    let e: Event = serde_json::from_str(json).unwrap();
    assert_eq!(e.what, EventKind::Unknown);
    let s = derive_demand(&[e]);
    assert_eq!(s.status, DemandStatus::Recorded);
}

#[test]
fn events_round_trip_through_json() {
    let e = ev(
        9,
        &[1, 2],
        EventKind::Whistled {
            route: WhistleRoute::LawEnforcement,
            note: None,
        },
    );
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains("\"kind\":\"whistled\""), "{json}");
    assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
}
