//! Stories of the street office closing the loop (交办 → 答复 → 回访): a suggestion routed to a
//! lead unit and an assisting one, each unit's answer, call-back tasks on the devices of the
//! delegates who hold each resident, and a resident's 不满意 reopening the case.

use gridvoice_core::access::{Person, Principal, Role};
use gridvoice_core::api::{
    ApiError, CallBackTask, Case, FormSuggestion, Request, Response, RouteCase,
};
use gridvoice_core::deadline::Stage;
use gridvoice_core::error::ErrorCode;
use gridvoice_core::ids::{DemandId, DeviceId, DocId};
use gridvoice_core::workflow::{DemandStatus, Satisfaction};
use gridvoice_store::service::{Ctx, apply};

use crate::{Device, GRID_A1};

/// Every change one device holds of S01's document, taken in by another.
fn catch_up(to: &mut Device, from: &mut Device) {
    let doc = DocId::for_station(&"S01".into());
    let changes = from.store.changes_since(&doc, &[]).unwrap();
    to.store.apply_changes(&doc, &changes).unwrap();
}

/// A request by the office's staff member office-1, served on a store holding S01's document
/// (as the server serves it), its effects committed there.
fn as_office(d: &mut Device, req: Request) -> Result<Response, ApiError> {
    d.clock.0.0 += 60_000;
    let who = Principal {
        device: DeviceId(uuid::Uuid::from_u128(0x0ff1ce)),
        person: Person::Staff("office-1".into()),
        role: Role::Office,
        station: None,
    };
    let now = d.clock.0;
    let mut ctx = Ctx {
        clock: &d.clock,
        ids: &mut d.ids,
    };
    let outcome = gridvoice_core::service::handle(&mut d.store, &who, &mut ctx, req)?;
    apply(&mut d.store, &outcome.effects, now).map_err(ApiError::from)?;
    Ok(outcome.response)
}

fn tasks(d: &mut Device) -> Vec<CallBackTask> {
    match d.call(Request::CallBacks).unwrap() {
        Response::CallBacks { items } => items,
        other => panic!("{other:?}"),
    }
}

fn view(d: &mut Device, id: DemandId) -> gridvoice_core::api::DemandView {
    match d.call(Request::GetDemand { id }).unwrap() {
        Response::Demand(v) => *v,
        other => panic!("{other:?}"),
    }
}

fn answer(case: Case, unit: &str, text: &str) -> Request {
    Request::Answer {
        case,
        unit: unit.into(),
        text: text.into(),
        resolved: true,
    }
}

/// 赵敏 (D03) and 王建国 (D01, the head) each met a resident about the same broken lift; 王 joins
/// his into 赵's and forms a suggestion. The office routes it to the street's city-management
/// office (lead) with the district housing commission assisting; each answers; 赵 and 王 each find
/// a call-back task for their resident; 赵's resident is satisfied, 王's is not — and once the
/// devices have each other's changes, the case is back with the units, counted as reopened.
#[test]
fn two_units_answer_two_residents_are_called_back_and_one_reopens_the_case() {
    let mut zhao = Device::in_memory("D03", 71);
    let mut wang = Device::in_memory("D01", 72);
    let mut office = Device::in_memory("D03", 73);
    let lift = zhao.record("5号楼电梯停运一周，老人下不了楼", "电梯维保", GRID_A1);
    let again = wang.record("五号楼电梯坏了很久没人修", "电梯维保", GRID_A1);
    catch_up(&mut wang, &mut zhao);
    wang.call(Request::Join {
        demand: again.demand.id,
        into: lift.demand.id,
    })
    .unwrap();
    let s = match wang
        .call(Request::FormSuggestion(FormSuggestion {
            demands: vec![lift.demand.id],
            title: None,
            text: None,
            level: None,
            id: None,
        }))
        .unwrap()
    {
        Response::Suggestion(s) => s.suggestion.id,
        other => panic!("{other:?}"),
    };
    catch_up(&mut office, &mut wang);
    let case = Case::Suggestion(s);

    // Bad routings are refused whole: an unknown unit, a due day before today, a reassignment
    // with no reason; a delegate may not route at all.
    let route = |lead: &str, due: Option<&str>| {
        Request::Route(RouteCase {
            case,
            lead: lead.into(),
            assisting: vec!["U-D04".into()],
            due: due.map(str::to_owned),
            reason: None,
        })
    };
    let unknown = as_office(&mut office, route("U-NOPE", None)).unwrap_err();
    assert_eq!(unknown.code, ErrorCode::UnknownUnit);
    let early = as_office(&mut office, route("U-S02", Some("2021-02-26"))).unwrap_err();
    assert_eq!(early.code, ErrorCode::InvalidDeadline);
    assert!(early.message.contains("2021-02-26"), "{}", early.message);

    // Routed with the policy's due day: street level, 1 + 7 working days from Monday 1 March.
    as_office(&mut office, route("U-S02", None)).unwrap();
    let routed = view(&mut office, lift.demand.id);
    assert_eq!(routed.state.status, DemandStatus::Routed);
    assert_eq!(routed.state.units.len(), 2);
    assert!(routed.state.units[0].lead);
    let reassign = as_office(&mut office, route("U-S03", None)).unwrap_err();
    assert_eq!(reassign.code, ErrorCode::MissingField);

    // No call-back before an answer; no answer from a unit it was not routed to.
    catch_up(&mut zhao, &mut office);
    assert!(tasks(&mut zhao).is_empty());
    assert_eq!(
        zhao.call(route("U-S02", None)).unwrap_err().code,
        ErrorCode::NotPermitted
    );
    let early_call = zhao
        .call(Request::CallBack {
            demand: lift.demand.id,
            outcome: Satisfaction::Satisfied,
            note: None,
        })
        .unwrap_err();
    assert_eq!(early_call.code, ErrorCode::NoAnswerYet);
    let stranger = as_office(&mut office, answer(case, "U-S03", "不归我们")).unwrap_err();
    assert_eq!(stranger.code, ErrorCode::NotRouted);
    assert!(stranger.message.contains("街道社区建设办公室"));

    // The lead answers; the case waits on the assisting unit, then both have answered.
    as_office(
        &mut office,
        answer(case, "U-S02", "已联系维保单位更换曳引机，本周五恢复运行"),
    )
    .unwrap();
    assert_eq!(
        view(&mut office, lift.demand.id).state.status,
        DemandStatus::Routed
    );
    as_office(&mut office, answer(case, "U-D04", "已督促物业落实维保资金")).unwrap();
    let answered = view(&mut office, lift.demand.id);
    assert_eq!(answered.state.status, DemandStatus::Answered);
    assert_eq!(
        answered.state.answer.as_deref(),
        Some("已联系维保单位更换曳引机，本周五恢复运行")
    );
    assert_eq!(answered.clock.as_ref().unwrap().stage, Stage::FeedBack);

    // Each delegate's device, after taking in the office's changes, lists its own resident.
    catch_up(&mut zhao, &mut office);
    catch_up(&mut wang, &mut office);
    let z = tasks(&mut zhao);
    assert_eq!(z.len(), 1, "{z:?}");
    assert_eq!(z[0].demand, lift.demand.id);
    assert_eq!(z[0].answer, "已联系维保单位更换曳引机，本周五恢复运行");
    assert_eq!(z[0].units.len(), 2);
    assert!(z[0].due.is_some());
    let w = tasks(&mut wang);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(
        w[0].demand, again.demand.id,
        "王's resident is his joined demand"
    );
    assert_eq!(w[0].case, lift.demand.id);

    // Offline, each records what their resident said.
    let after = match zhao
        .call(Request::CallBack {
            demand: lift.demand.id,
            outcome: Satisfaction::Satisfied,
            note: Some("居民表示感谢".into()),
        })
        .unwrap()
    {
        Response::Demand(v) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(after.state.status, DemandStatus::FedBack);
    assert!(tasks(&mut zhao).is_empty());
    // 王 cannot answer for 赵's resident.
    let not_his = wang
        .call(Request::CallBack {
            demand: lift.demand.id,
            outcome: Satisfaction::Satisfied,
            note: None,
        })
        .unwrap_err();
    assert_eq!(not_his.code, ErrorCode::NotPermitted);
    wang.call(Request::CallBack {
        demand: again.demand.id,
        outcome: Satisfaction::Dissatisfied,
        note: Some("电梯仍有异响".into()),
    })
    .unwrap();

    // Every replica, once it holds both call-backs, has the case reopened and back with its units.
    catch_up(&mut zhao, &mut wang);
    catch_up(&mut wang, &mut zhao);
    catch_up(&mut office, &mut wang);
    for d in [&mut zhao, &mut wang, &mut office] {
        let v = view(d, lift.demand.id);
        assert_eq!(v.state.reopened, 1, "{:?}", v.state);
        assert_eq!(v.state.status, DemandStatus::Routed);
        assert_eq!(v.state.satisfied, Some(false));
        assert_eq!(v.clock.as_ref().unwrap().stage, Stage::Resolve);
        assert!(tasks(d).is_empty());
    }
}

/// A resident who cannot be reached is recorded as such, not as satisfied, and stays on the
/// list; an answer to a closed case is refused.
#[test]
fn an_unreachable_resident_stays_on_the_list_and_closed_cases_take_no_answers() {
    let mut zhao = Device::in_memory("D03", 81);
    let mut office = Device::in_memory("D03", 82);
    let d = zhao.record("小区路灯不亮", "宜居性", GRID_A1);
    catch_up(&mut office, &mut zhao);
    let case = Case::Demand(d.demand.id);
    as_office(
        &mut office,
        Request::Route(RouteCase {
            case,
            lead: "U-S02".into(),
            assisting: vec![],
            due: Some("2021-03-10".into()),
            reason: None,
        }),
    )
    .unwrap();
    as_office(&mut office, answer(case, "U-S02", "已更换灯泡")).unwrap();
    catch_up(&mut zhao, &mut office);
    zhao.call(Request::CallBack {
        demand: d.demand.id,
        outcome: Satisfaction::Unreachable,
        note: Some("电话无人接听".into()),
    })
    .unwrap();
    let t = tasks(&mut zhao);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].last, Some(Satisfaction::Unreachable));
    assert_eq!(view(&mut zhao, d.demand.id).state.satisfied, None);

    as_office(
        &mut office,
        Request::Close {
            case,
            note: Some("已办结".into()),
        },
    )
    .unwrap();
    let closed = as_office(&mut office, answer(case, "U-S02", "补充答复")).unwrap_err();
    assert_eq!(closed.code, ErrorCode::DemandSettled);
}
