//! The authority table as a test: every event kind × role × own/other station and record.

use super::*;
use crate::clock::Timestamp;
use crate::doc::Collection::Contacts;
use crate::ids::{DemandId, HandlingUnitId, SuggestionId};
use crate::model::WhistleRoute;
use crate::territory::{HandlingLevel, sample};
use uuid::Uuid;

/// One example of every event kind, with the delegate it would name where it names one.
fn every_kind(delegate: &DelegateId) -> Vec<EventKind> {
    vec![
        EventKind::Reviewed { note: None },
        EventKind::JoinedInto {
            target: DemandId(Uuid::nil()),
        },
        EventKind::AddedToSuggestion {
            suggestion: SuggestionId(Uuid::nil()),
        },
        EventKind::ContactAttached {
            delegate: delegate.clone(),
        },
        EventKind::Withdrawn { reason: "r".into() },
        EventKind::AnsweredOnSpot { answer: "a".into() },
        EventKind::HandedToWorkroom {
            workroom: crate::ids::WorkroomId::new("W1"),
            note: None,
        },
        EventKind::OutOfScope { reason: "r".into() },
        EventKind::Routed {
            unit: HandlingUnitId::new("U1"),
            deadline: Timestamp(1),
            assisting: vec![],
            reason: None,
        },
        EventKind::Answered {
            text: "a".into(),
            resolved: true,
            unit: None,
        },
        EventKind::FedBack {
            satisfied: Some(true),
            note: None,
        },
        EventKind::Returned {
            unit: HandlingUnitId::new("U1"),
            reason: "r".into(),
        },
        EventKind::Answered {
            text: "a".into(),
            resolved: false,
            unit: Some(HandlingUnitId::new("U1")),
        },
        EventKind::Paused { reason: "r".into() },
        EventKind::Resumed { note: None },
        EventKind::Extended {
            deadline: Timestamp(2),
            reason: "r".into(),
        },
        EventKind::CalledBack {
            cosigner: DemandId(Uuid::nil()),
            outcome: crate::workflow::Satisfaction::Dissatisfied,
            note: None,
        },
        EventKind::Urgency {
            urgent: true,
            reason: None,
        },
        EventKind::Closed { note: None },
        EventKind::Reopened { reason: "r".into() },
        EventKind::Note { text: "n".into() },
        EventKind::Classified {
            level: HandlingLevel::Street,
        },
        EventKind::Whistled {
            route: WhistleRoute::OnSiteCoordination,
            note: None,
        },
        EventKind::VisitEnded {
            attendance: 3,
            delegates: vec![],
        },
    ]
}

/// The table, written out as people say it, for every kind × role × own/other station ×
/// own/other record × collection.
fn expected(role: Role, kind: &str, on: Collection, own_station: bool, own_record: bool) -> bool {
    let delegate_may = match (kind, on) {
        ("visit_ended" | "note", Visits) => own_station,
        ("contact_attached" | "fed_back" | "called_back" | "note", Demands) => own_station,
        ("withdrawn" | "urgency", Demands) => own_station && own_record,
        _ => false,
    };
    let head_may = delegate_may
        || match (kind, on) {
            (
                "reviewed"
                | "joined_into"
                | "added_to_suggestion"
                | "withdrawn"
                | "answered_on_spot"
                | "handed_to_workroom"
                | "out_of_scope"
                | "urgency",
                Demands,
            ) => own_station,
            ("classified" | "whistled" | "fed_back" | "note", Suggestions) => own_station,
            _ => false,
        };
    let office_may = matches!(
        (kind, on),
        (
            "routed"
                | "returned"
                | "answered"
                | "paused"
                | "resumed"
                | "extended"
                | "urgency"
                | "closed"
                | "reopened"
                | "note",
            Demands
        ) | (
            "classified"
                | "routed"
                | "returned"
                | "answered"
                | "paused"
                | "resumed"
                | "extended"
                | "closed"
                | "reopened"
                | "note",
            Suggestions
        ) | ("note", Visits)
    );
    match role {
        Delegate => delegate_may,
        StationHead => head_may,
        Office => office_may,
        Role::Admin => false,
    }
}

#[test]
fn every_event_kind_for_every_role_on_own_and_other_stations_follows_the_table() {
    let t = sample::small();
    // In the sample, D01 heads S01, D03 is a delegate of S01, D02 a delegate of S02.
    let people = [
        (Delegate, Person::Delegate("D03".into())),
        (StationHead, Person::Delegate("D01".into())),
        (Office, Person::Staff(t.office.staff[0].clone())),
    ];
    let s01 = StationId::new("S01");
    let s02 = StationId::new("S02");
    let mut checked = 0;
    for (role, person) in &people {
        let author = Author::of(person, &t).unwrap();
        assert_eq!(author.role, *role, "{person:?}");
        let me = match person {
            Person::Delegate(d) => d.clone(),
            Person::Staff(_) => DelegateId::new("D03"),
        };
        let other = DelegateId::new("D02");
        for kind in every_kind(&me) {
            let code = kind_code(&kind).unwrap();
            for on in [Visits, Demands, Suggestions] {
                for station in [&s01, &s02] {
                    for recorder in [&me, &other] {
                        let own_station = station == &s01;
                        let own_record = recorder == &me && !matches!(person, Person::Staff(_));
                        let target = Target {
                            collection: on,
                            station,
                            recorded_by: recorder,
                        };
                        let got = may_append(&author, &kind, target).is_ok();
                        let want = expected(*role, code, on, own_station, own_record);
                        assert_eq!(
                            got, want,
                            "{role:?} appending {code} to {on:?} of {station} recorded by {recorder}"
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 3 * 24 * 3 * 2 * 2);
    // Admins and people the territory does not know hold nothing.
    assert_eq!(Author::of(&Person::Staff("admin-1".into()), &t), None);
    assert_eq!(Author::of(&Person::Delegate("D99".into()), &t), None);
}

#[test]
fn a_contact_is_attached_only_by_the_delegate_who_holds_it() {
    let t = sample::small();
    let zhao = Author::of(&Person::Delegate("D03".into()), &t).unwrap();
    let target = Target {
        collection: Demands,
        station: &StationId::new("S01"),
        recorded_by: &DelegateId::new("D01"),
    };
    let as_other = EventKind::ContactAttached {
        delegate: DelegateId::new("D01"),
    };
    assert_eq!(
        may_append(&zhao, &as_other, target),
        Err(Refusal::NotTheAuthor)
    );
}

#[test]
fn records_are_added_by_their_roles_in_their_own_station_as_themselves() {
    let t = sample::small();
    let zhao = Author::of(&Person::Delegate("D03".into()), &t).unwrap();
    let wang = Author::of(&Person::Delegate("D01".into()), &t).unwrap();
    let office = Author::of(&Person::Staff(t.office.staff[0].clone()), &t).unwrap();
    let d03 = DelegateId::new("D03");
    let d01 = DelegateId::new("D01");
    assert_eq!(may_put(&zhao, Demands, "S01", &d03), Ok(()));
    assert_eq!(
        may_put(&zhao, Demands, "S02", &d03),
        Err(Refusal::OtherStation)
    );
    assert_eq!(
        may_put(&zhao, Demands, "S01", &d01),
        Err(Refusal::NotTheAuthor)
    );
    assert_eq!(may_put(&zhao, Contacts, "D03", &d03), Ok(()));
    assert_eq!(
        may_put(&zhao, Contacts, "D01", &d03),
        Err(Refusal::OtherStation)
    );
    assert_eq!(
        may_put(&zhao, Suggestions, "S01", &d03),
        Err(Refusal::RecordNotAllowed)
    );
    assert_eq!(may_put(&wang, Suggestions, "S01", &d01), Ok(()));
    assert_eq!(may_put(&wang, Visits, "S01", &d01), Ok(()));
    for c in [Visits, Demands, Suggestions, Contacts] {
        assert_eq!(
            may_put(&office, c, "S01", &d01),
            Err(Refusal::RecordNotAllowed)
        );
    }
}

#[test]
fn derivation_keeps_only_the_events_that_pass() {
    let t = sample::small();
    let ev = |n: u128, by: Actor, what| Event {
        id: crate::ids::EventId(Uuid::from_u128(n)),
        at: Timestamp(n as i64),
        by,
        device: crate::ids::DeviceId(Uuid::nil()),
        prev: vec![],
        what,
    };
    let staff = t.office.staff[0].clone();
    let events = vec![
        ev(
            1,
            Actor::Delegate("D01".into()),
            EventKind::Reviewed { note: None },
        ),
        // A delegate closing a demand: refused.
        ev(
            2,
            Actor::Delegate("D03".into()),
            EventKind::Closed { note: None },
        ),
        // A delegate of another station reviewing: refused.
        ev(
            3,
            Actor::Delegate("D02".into()),
            EventKind::Reviewed { note: None },
        ),
        ev(4, Actor::Staff(staff), EventKind::Closed { note: None }),
        // An admin or an unknown staff member: refused.
        ev(
            5,
            Actor::Staff("admin-1".into()),
            EventKind::Reopened { reason: "x".into() },
        ),
    ];
    let target = Target {
        collection: Demands,
        station: &StationId::new("S01"),
        recorded_by: &DelegateId::new("D03"),
    };
    let kept: Vec<u128> = admitted(&events, target, &t)
        .iter()
        .map(|e| e.id.0.as_u128())
        .collect();
    assert_eq!(kept, vec![1, 4]);
}
