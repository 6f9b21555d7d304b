//! The stage clocks on real calendars.

use time::macros::date;

use super::*;
use crate::ids::{DeviceId, EventId};
use crate::workflow::Actor;

fn at(d: Date) -> Timestamp {
    // 10:00 Beijing.
    let t = d
        .with_hms(10, 0, 0)
        .unwrap()
        .assume_offset(time::macros::offset!(+8));
    Timestamp((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn event(n: u128, day: Date, what: EventKind, prev: Vec<EventId>) -> Event {
    Event {
        id: EventId(uuid::Uuid::from_u128(n)),
        at: at(day),
        by: Actor::Staff("S1".into()),
        device: DeviceId(uuid::Uuid::from_u128(1)),
        prev,
        what,
    }
}

fn subject(received: Date, level: Option<HandlingLevel>) -> Subject {
    Subject {
        received: at(received),
        level,
        category: Category::LiftMaintenance,
        urgent: false,
        cosigners: 1,
    }
}

#[test]
fn a_street_answer_due_after_national_day_is_red_on_the_right_working_day() {
    let cn = Calendar::china().unwrap();
    let policy = Policy::default();
    // Received Friday 26 September 2025, classified and routed on Sunday 28 September (a
    // make-up working day); the unit's first word on Monday 29 September. Resolving gets 7
    // working days from 29 September: 30 Sep, then (1–8 October off) 9, 10, 11 (Saturday,
    // worked), 13, 14, 15 October.
    let s = subject(date!(2025 - 09 - 26), Some(HandlingLevel::Street));
    let routed = event(
        1,
        date!(2025 - 09 - 28),
        EventKind::Routed {
            unit: "U1".into(),
            deadline: at(date!(2025 - 10 - 15)),
            assisting: vec![],
            reason: None,
        },
        vec![],
    );
    let first = event(
        2,
        date!(2025 - 09 - 29),
        EventKind::Answered {
            text: "已受理".into(),
            resolved: false,
            unit: None,
        },
        vec![routed.id],
    );
    let events = [routed, first];
    let on = |d| clock(&s, &events, &policy, &cn, d).unwrap();
    let c = on(date!(2025 - 10 - 08));
    assert_eq!(c.stage, Stage::Resolve);
    assert_eq!(c.due, date!(2025 - 10 - 15));
    assert_eq!(c.light, Light::Green, "{c:?}");
    // Saturday 11 October is worked: counted as a day gone.
    assert_eq!(on(date!(2025 - 10 - 11)).left, 3);
    assert_eq!(on(date!(2025 - 10 - 14)).light, Light::Yellow);
    assert_eq!(on(date!(2025 - 10 - 15)).light, Light::Yellow);
    let late = on(date!(2025 - 10 - 16));
    assert_eq!(late.light, Light::Red);
    assert_eq!(late.left, -1);
}

#[test]
fn a_resolving_answer_moves_the_clock_to_feedback_and_the_call_back_stops_it() {
    let cn = Calendar::china().unwrap();
    let policy = Policy::default();
    let s = subject(date!(2026 - 03 - 02), None);
    let answered = event(
        1,
        date!(2026 - 03 - 02),
        EventKind::Answered {
            text: "已维修".into(),
            resolved: true,
            unit: None,
        },
        vec![],
    );
    let c = clock(
        &s,
        std::slice::from_ref(&answered),
        &policy,
        &cn,
        date!(2026 - 03 - 03),
    )
    .unwrap();
    assert_eq!(c.stage, Stage::FeedBack);
    assert_eq!(c.due, date!(2026 - 03 - 04));
    let called = event(
        2,
        date!(2026 - 03 - 03),
        EventKind::FedBack {
            satisfied: Some(true),
            note: None,
        },
        vec![answered.id],
    );
    assert_eq!(
        clock(&s, &[answered, called], &policy, &cn, date!(2026 - 03 - 09)),
        None
    );
}

#[test]
fn an_answer_on_the_spot_stops_the_clock() {
    let cn = Calendar::china().unwrap();
    let s = subject(date!(2026 - 03 - 02), None);
    let spot = event(
        1,
        date!(2026 - 03 - 02),
        EventKind::AnsweredOnSpot {
            answer: "已解释政策".into(),
        },
        vec![],
    );
    assert_eq!(
        clock(&s, &[spot], &Policy::default(), &cn, date!(2026 - 03 - 20)),
        None
    );
    // Nothing decided: the classifying clock, 2 working days from Monday.
    let c = clock(&s, &[], &Policy::default(), &cn, date!(2026 - 03 - 05)).unwrap();
    assert_eq!(
        (c.stage, c.due, c.light),
        (Stage::Classify, date!(2026 - 03 - 04), Light::Red)
    );
}

#[test]
fn a_reopening_runs_the_resolving_clock_again_from_that_day() {
    let cn = Calendar::china().unwrap();
    let policy = Policy::default();
    let s = subject(date!(2026 - 04 - 01), Some(HandlingLevel::District));
    let done = event(
        1,
        date!(2026 - 04 - 02),
        EventKind::FedBack {
            satisfied: Some(false),
            note: None,
        },
        vec![],
    );
    let reopened = event(
        2,
        date!(2026 - 04 - 03),
        EventKind::Reopened {
            reason: "居民不满意".into(),
        },
        vec![done.id],
    );
    let c = clock(&s, &[done, reopened], &policy, &cn, date!(2026 - 04 - 07)).unwrap();
    assert_eq!(c.stage, Stage::Resolve);
    assert_eq!(c.started, date!(2026 - 04 - 03));
    // District: 15 working days from Friday 3 April (4–6 April 清明 off).
    assert_eq!(c.due, cn.add_working_days(date!(2026 - 04 - 03), 15));
    assert_eq!(c.due, date!(2026 - 04 - 27));
}

#[test]
fn a_clock_travels_as_plain_days() {
    let c = StageClock {
        stage: Stage::Respond,
        started: date!(2026 - 02 - 13),
        due: date!(2026 - 02 - 24),
        left: -2,
        light: Light::Red,
        paused: false,
    };
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(
        json,
        r#"{"stage":"respond","started":"2026-02-13","due":"2026-02-24","left":-2,"light":"red"}"#
    );
    assert_eq!(serde_json::from_str::<StageClock>(&json).unwrap(), c);
    assert!(serde_json::from_str::<StageClock>(&json.replace("02-24", "02-30")).is_err());
}

#[test]
fn the_most_specific_rule_wins() {
    let mut p = Policy::default();
    p.rules.push(Rule {
        level: Some(HandlingLevel::District),
        category: Some(Category::LiftMaintenance),
        urgent: None,
        limits: [1, 1, 3, 1, 1],
    });
    assert_eq!(
        p.limits(
            Some(HandlingLevel::District),
            Category::LiftMaintenance,
            false
        )[2],
        3
    );
    assert_eq!(
        p.limits(Some(HandlingLevel::District), Category::Parking, false)[2],
        15
    );
    assert_eq!(p.limits(None, Category::Parking, false)[2], 7);
    assert_eq!(p.limits(None, Category::Parking, true)[2], 1);
}

#[test]
fn two_units_a_pause_and_an_extension_move_the_due_day_and_a_dissatisfied_call_reopens() {
    let cn = Calendar::china().unwrap();
    let policy = Policy::default();
    let s = subject(date!(2026 - 03 - 02), Some(HandlingLevel::Street));
    let unit = |u: &str| crate::ids::HandlingUnitId::new(u);
    let answer = |n, d, u: &str, prev| {
        event(
            n,
            d,
            EventKind::Answered {
                text: "已处理".into(),
                resolved: true,
                unit: Some(unit(u)),
            },
            prev,
        )
    };
    let routed = event(
        1,
        date!(2026 - 03 - 02),
        EventKind::Routed {
            unit: unit("U1"),
            deadline: at(date!(2026 - 03 - 12)),
            assisting: vec![unit("U2")],
            reason: None,
        },
        vec![],
    );
    let lead = answer(2, date!(2026 - 03 - 03), "U1", vec![routed.id]);
    // Paused Wednesday 4 March, resumed Monday 9 March: 5, 6 and 9 March stood still.
    let paused = event(
        3,
        date!(2026 - 03 - 04),
        EventKind::Paused {
            reason: "等待业主表决".into(),
        },
        vec![lead.id],
    );
    let on = |events: &[Event], d| clock(&s, events, &policy, &cn, d);
    let mut events = vec![routed, lead, paused];
    let stood = on(&events, date!(2026 - 03 - 20)).unwrap();
    assert!(stood.paused);
    assert_eq!(stood.stage, Stage::Resolve, "one unit of two has answered");
    assert_eq!(
        stood.light,
        Light::Green,
        "a paused clock does not run late"
    );
    let resumed = event(
        4,
        date!(2026 - 03 - 09),
        EventKind::Resumed { note: None },
        vec![3.into_id()],
    );
    events.push(resumed);
    let c = on(&events, date!(2026 - 03 - 10)).unwrap();
    assert!(!c.paused);
    assert_eq!(
        c.due,
        date!(2026 - 03 - 17),
        "12 March plus the three days paused"
    );
    let extended = event(
        5,
        date!(2026 - 03 - 10),
        EventKind::Extended {
            deadline: at(date!(2026 - 03 - 20)),
            reason: "需区里协调资金".into(),
        },
        vec![4.into_id()],
    );
    events.push(extended);
    assert_eq!(
        on(&events, date!(2026 - 03 - 10)).unwrap().due,
        date!(2026 - 03 - 25)
    );
    events.push(answer(6, date!(2026 - 03 - 11), "U2", vec![5.into_id()]));
    let fb = on(&events, date!(2026 - 03 - 11)).unwrap();
    assert_eq!(fb.stage, Stage::FeedBack, "both units answered");
    events.push(event(
        7,
        date!(2026 - 03 - 12),
        EventKind::CalledBack {
            cosigner: crate::ids::DemandId(uuid::Uuid::from_u128(70)),
            outcome: Satisfaction::Dissatisfied,
            note: None,
        },
        vec![6.into_id()],
    ));
    let again = on(&events, date!(2026 - 03 - 12)).unwrap();
    assert_eq!(again.stage, Stage::Resolve);
    assert_eq!(again.started, date!(2026 - 03 - 12));
}

trait IntoId {
    fn into_id(self) -> EventId;
}

impl IntoId for u128 {
    fn into_id(self) -> EventId {
        EventId(uuid::Uuid::from_u128(self))
    }
}
