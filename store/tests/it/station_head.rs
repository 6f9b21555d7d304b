//! Stories of a station head deciding on the demands the station's delegates recorded
//! (分析研判): review, join a duplicate, form a delegate suggestion, set its level, whistle.

use gridvoice_core::api::{DemandFilter, FormSuggestion, Request, Response, SuggestionView};
use gridvoice_core::error::ErrorCode;
use gridvoice_core::ids::DocId;
use gridvoice_core::model::WhistleRoute;
use gridvoice_core::territory::HandlingLevel;
use gridvoice_core::workflow::{Actor, DemandStatus, EventKind};

use crate::{Device, GRID_A1, GRID_A2, GRID_B1};

/// The head's device takes in everything another device of the station wrote.
fn catch_up(head: &mut Device, from: &mut Device, station: &str) {
    let doc = DocId::for_station(&station.into());
    let changes = from.store.changes_since(&doc, &[]).unwrap();
    head.store.apply_changes(&doc, &changes).unwrap();
}

fn suggestion(r: Response) -> SuggestionView {
    match r {
        Response::Suggestion(s) => *s,
        other => panic!("not a suggestion: {other:?}"),
    }
}

fn status(d: &mut Device, id: gridvoice_core::ids::DemandId) -> DemandStatus {
    match d.call(Request::GetDemand { id }).unwrap() {
        Response::Demand(v) => v.state.status,
        other => panic!("{other:?}"),
    }
}

/// 赵 (D03) records two lift demands and a parking one in S01's grids; 王建国 (D01), the head of
/// S01, reads them at the station, joins the repeated lift demand into the first, forms a
/// suggestion from the lift and parking demands with a drafted title, raises its level to the
/// district and whistles it for supervision. A plain delegate cannot do any of it.
#[test]
fn the_head_joins_a_duplicate_and_turns_demands_into_a_suggestion_and_whistles_it() {
    let mut zhao = Device::in_memory("D03", 51);
    let mut wang = Device::in_memory("D01", 52);
    let lift = zhao.record("3号楼电梯经常停运，老人上下楼困难", "电梯维保", GRID_A1);
    let again = zhao.record("三号楼电梯又坏了，老人出不了门", "电梯维保", GRID_A1);
    let parking = zhao.record("小区停车位不足，消防通道被占", "停车", GRID_A2);
    catch_up(&mut wang, &mut zhao, "S01");

    // A delegate of the station may record but not decide.
    let refused = zhao
        .call(Request::Review {
            demand: lift.demand.id,
            note: None,
        })
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotPermitted);

    // The head reviews the first and joins the repeat into it.
    match wang
        .call(Request::Review {
            demand: lift.demand.id,
            note: Some("已电话核实".into()),
        })
        .unwrap()
    {
        Response::Demand(v) => assert_eq!(v.state.status, DemandStatus::Reviewed),
        other => panic!("{other:?}"),
    }
    let joined = wang
        .call(Request::Join {
            demand: again.demand.id,
            into: lift.demand.id,
        })
        .unwrap();
    match joined {
        Response::Demand(v) => {
            assert_eq!(v.state.status, DemandStatus::Joined);
            assert_eq!(v.state.joined_into, Some(lift.demand.id));
        }
        other => panic!("{other:?}"),
    }
    // A joined demand takes no more decisions, and a demand does not join itself.
    let settled = wang
        .call(Request::Join {
            demand: again.demand.id,
            into: parking.demand.id,
        })
        .unwrap_err();
    assert_eq!(settled.code, ErrorCode::DemandSettled);
    assert!(settled.message.contains("已合并"), "{}", settled.message);
    let selfish = wang
        .call(Request::Join {
            demand: parking.demand.id,
            into: parking.demand.id,
        })
        .unwrap_err();
    assert_eq!(selfish.code, ErrorCode::JoinSelf);

    // The suggestion: drafted from the two open demands, at the street level the rule suggests
    // (lift and parking need the street's departments).
    let s = suggestion(
        wang.call(Request::FormSuggestion(FormSuggestion {
            demands: vec![lift.demand.id, parking.demand.id],
            title: None,
            text: None,
            level: None,
            id: None,
        }))
        .unwrap(),
    );
    assert_eq!(s.suggestion.level, HandlingLevel::Street);
    assert_eq!(
        s.suggestion.demands,
        vec![lift.demand.id, parking.demand.id]
    );
    assert!(
        s.suggestion.title.starts_with("关于"),
        "{}",
        s.suggestion.title
    );
    assert!(s.suggestion.text.contains("2 条"), "{}", s.suggestion.text);
    assert!(
        s.suggestion.text.contains("3号楼电梯"),
        "{}",
        s.suggestion.text
    );
    assert_eq!(
        status(&mut wang, lift.demand.id),
        DemandStatus::InSuggestion
    );
    assert_eq!(
        status(&mut wang, parking.demand.id),
        DemandStatus::InSuggestion
    );
    let id = s.suggestion.id;

    // Supervision is for district matters: refused at the street level, fine once classified.
    let misfit = wang
        .call(Request::Whistle {
            suggestion: id,
            route: WhistleRoute::SupervisionTracking,
            note: None,
        })
        .unwrap_err();
    assert_eq!(misfit.code, ErrorCode::RouteDoesNotFit);
    assert!(misfit.message.contains("街道"), "{}", misfit.message);
    let classified = suggestion(
        wang.call(Request::Classify {
            suggestion: id,
            level: HandlingLevel::District,
        })
        .unwrap(),
    );
    assert_eq!(classified.state.level, Some(HandlingLevel::District));
    let whistled = suggestion(
        wang.call(Request::Whistle {
            suggestion: id,
            route: WhistleRoute::SupervisionTracking,
            note: Some("区人大城建环保委".into()),
        })
        .unwrap(),
    );
    assert_eq!(
        whistled.state.whistles,
        vec![WhistleRoute::SupervisionTracking]
    );

    // The delegate's device learns what became of the demands at its next sync.
    let doc = DocId::for_station(&"S01".into());
    let back = wang.store.changes_since(&doc, &[]).unwrap();
    zhao.store.apply_changes(&doc, &back).unwrap();
    assert_eq!(
        status(&mut zhao, lift.demand.id),
        DemandStatus::InSuggestion
    );
    assert_eq!(status(&mut zhao, again.demand.id), DemandStatus::Joined);

    // A demand already in a suggestion cannot go into another, and a suggestion needs demands.
    let twice = wang
        .call(Request::FormSuggestion(FormSuggestion {
            demands: vec![lift.demand.id],
            title: None,
            text: None,
            level: None,
            id: None,
        }))
        .unwrap_err();
    assert_eq!(twice.code, ErrorCode::DemandSettled);
    let empty = wang
        .call(Request::FormSuggestion(FormSuggestion {
            demands: Vec::new(),
            title: None,
            text: None,
            level: None,
            id: None,
        }))
        .unwrap_err();
    assert_eq!(empty.code, ErrorCode::EmptySuggestion);
}

/// A head decides only for their own station: a demand of another station is out of sight, and
/// nothing is written by a refused request.
#[test]
fn a_head_cannot_decide_on_another_stations_demand() {
    let mut li = Device::in_memory("D02", 61);
    let mut wang = Device::in_memory("D01", 62);
    let theirs = li.record("路灯不亮，晚上出行不安全", "安全性", GRID_B1);
    catch_up(&mut wang, &mut li, "S02");
    let doc = DocId::for_station(&"S02".into());
    let before = wang.store.heads(&doc).unwrap();

    let refused = wang
        .call(Request::Review {
            demand: theirs.demand.id,
            note: None,
        })
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotFound);
    let mine = wang.record("楼道灯坏了", "安全性", GRID_A1);
    let across = wang
        .call(Request::Join {
            demand: mine.demand.id,
            into: theirs.demand.id,
        })
        .unwrap_err();
    assert_eq!(across.code, ErrorCode::JoinAcrossStations);
    assert_eq!(wang.store.heads(&doc).unwrap(), before, "nothing written");
}

/// 王建国 decides on his laptop at the station and, offline, on his phone: one joins a repeated
/// demand into another, the other takes it into a suggestion. Once the two devices meet, the
/// demand needs a decision, on both, with both versions and who made them; he keeps the join,
/// and both devices settle on it. A delegate cannot settle a head's decision.
#[test]
fn two_contradicting_decisions_made_offline_are_listed_and_settled_by_one_more() {
    let mut zhao = Device::in_memory("D03", 71);
    let mut laptop = Device::in_memory("D01", 72);
    let mut phone = Device::in_memory("D01", 73);
    let lift = zhao.record("3号楼电梯经常停运，老人上下楼困难", "电梯维保", GRID_A1);
    let again = zhao.record("三号楼电梯又坏了，老人出不了门", "电梯维保", GRID_A1);
    catch_up(&mut laptop, &mut zhao, "S01");
    catch_up(&mut phone, &mut zhao, "S01");

    laptop
        .call(Request::Join {
            demand: again.demand.id,
            into: lift.demand.id,
        })
        .unwrap();
    suggestion(
        phone
            .call(Request::FormSuggestion(FormSuggestion {
                demands: vec![again.demand.id],
                title: None,
                text: None,
                level: None,
                id: None,
            }))
            .unwrap(),
    );
    catch_up(&mut laptop, &mut phone, "S01");
    catch_up(&mut phone, &mut laptop, "S01");
    catch_up(&mut zhao, &mut laptop, "S01");

    let listed = |d: &mut Device| match d
        .call(Request::ListDemands(DemandFilter {
            needs_decision: Some(true),
            ..DemandFilter::default()
        }))
        .unwrap()
    {
        Response::Demands { items, .. } => items,
        other => panic!("{other:?}"),
    };
    for d in [&mut laptop, &mut phone] {
        let items = listed(d);
        assert_eq!(items.len(), 1, "only the contradicted demand");
        let v = &items[0];
        assert_eq!(v.demand.id, again.demand.id);
        assert_eq!(v.state.conflicting.len(), 2);
        // Both versions, and who made them, are in the demand's history.
        let versions: Vec<_> = v
            .history
            .iter()
            .filter(|e| v.state.conflicting.contains(&e.id))
            .collect();
        assert!(
            versions
                .iter()
                .any(|e| matches!(e.what, EventKind::JoinedInto { .. }))
        );
        assert!(
            versions
                .iter()
                .any(|e| matches!(e.what, EventKind::AddedToSuggestion { .. }))
        );
        assert!(
            versions
                .iter()
                .all(|e| e.by == Actor::Delegate("D01".into()))
        );
    }
    let join = listed(&mut laptop)[0]
        .history
        .iter()
        .find(|e| matches!(e.what, EventKind::JoinedInto { .. }))
        .unwrap()
        .id;

    // A delegate may not settle a head's decision; the head may.
    let refused = zhao
        .call(Request::Resolve {
            demand: again.demand.id,
            keep: join,
        })
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotPermitted);
    match laptop
        .call(Request::Resolve {
            demand: again.demand.id,
            keep: join,
        })
        .unwrap()
    {
        Response::Demand(v) => {
            assert!(!v.state.needs_decision);
            assert_eq!(v.state.status, DemandStatus::Joined);
            assert_eq!(v.state.joined_into, Some(lift.demand.id));
        }
        other => panic!("{other:?}"),
    }
    catch_up(&mut phone, &mut laptop, "S01");
    assert!(listed(&mut phone).is_empty(), "settled on the phone too");
    assert_eq!(status(&mut phone, again.demand.id), DemandStatus::Joined);
    let nothing = laptop
        .call(Request::Resolve {
            demand: again.demand.id,
            keep: join,
        })
        .unwrap_err();
    assert_eq!(nothing.code, ErrorCode::NothingToResolve);
}

/// Not every demand needs a suggestion: the head explains a policy on the spot, and tells
/// another resident the matter is a court's. Each is an event with its words; a blank answer
/// is refused, and a closed demand takes no more decisions. A territory without a 12345
/// workroom for the community cannot take a hand-over.
#[test]
fn the_head_answers_on_the_spot_or_says_why_it_is_out_of_scope() {
    let mut zhao = Device::in_memory("D03", 81);
    let mut wang = Device::in_memory("D01", 82);
    let policy = zhao.record("老年卡怎么办理？去哪里申请", "老有所养", GRID_A1);
    let dispute = zhao.record("邻居欠我钱不还，请代表帮忙要回来", "其他", GRID_A1);
    let small = zhao.record("楼下垃圾桶满了没人清", "垃圾分类", GRID_A1);
    catch_up(&mut wang, &mut zhao, "S01");

    let blank = wang
        .call(Request::AnswerOnSpot {
            demand: policy.demand.id,
            answer: "  ".into(),
        })
        .unwrap_err();
    assert_eq!(blank.code, ErrorCode::MissingField);
    match wang
        .call(Request::AnswerOnSpot {
            demand: policy.demand.id,
            answer: "带身份证到社区服务站办理，当场可取".into(),
        })
        .unwrap()
    {
        Response::Demand(v) => {
            assert_eq!(v.state.status, DemandStatus::Closed);
            assert_eq!(
                v.state.answer.as_deref(),
                Some("带身份证到社区服务站办理，当场可取")
            );
        }
        other => panic!("{other:?}"),
    }
    match wang
        .call(Request::OutOfScope {
            demand: dispute.demand.id,
            reason: "个人债务纠纷，建议通过人民调解或法院解决".into(),
        })
        .unwrap()
    {
        Response::Demand(v) => {
            assert_eq!(v.state.status, DemandStatus::Closed);
            assert!(v.history.iter().any(|e| matches!(
                &e.what,
                EventKind::OutOfScope { reason } if reason.contains("人民调解")
            )));
        }
        other => panic!("{other:?}"),
    }
    let again = wang
        .call(Request::OutOfScope {
            demand: policy.demand.id,
            reason: "重复".into(),
        })
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::DemandSettled);
    let no_workroom = wang
        .call(Request::HandToWorkroom {
            demand: small.demand.id,
            note: None,
        })
        .unwrap_err();
    assert_eq!(no_workroom.code, ErrorCode::NotFound);
    assert_eq!(status(&mut wang, small.demand.id), DemandStatus::Recorded);
    // The delegate may not decide these either.
    let refused = zhao
        .call(Request::AnswerOnSpot {
            demand: small.demand.id,
            answer: "已经通知物业".into(),
        })
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotPermitted);
}

/// At the station, 王建国 reads one delegate's demands alone (赵敏's, his own), and the station's suggestions, each
/// naming the demands it carries; the office must say which station it means. A decision he
/// makes on his device waits for the server like a record does.
#[test]
fn the_head_lists_one_delegates_demands_and_the_stations_suggestions() {
    let mut zhao = Device::in_memory("D03", 61);
    let mut wang = Device::in_memory("D01", 63);
    let lift = zhao.record("3号楼电梯经常停运，老人上下楼困难", "电梯维保", GRID_A1);
    let lamp = wang.record("小区门口路灯不亮，晚上出行不便", "宜居性", GRID_A2);
    catch_up(&mut wang, &mut zhao, "S01");

    let by = |d: &str| {
        Request::ListDemands(DemandFilter {
            recorded_by: Some(d.into()),
            ..DemandFilter::default()
        })
    };
    let Response::Demands { items, total } = wang.call(by("D03")).unwrap() else {
        panic!("not demands")
    };
    assert_eq!(total, 1);
    assert_eq!(items[0].demand.id, lift.demand.id);
    let Response::Demands { items, total } = wang.call(by("D01")).unwrap() else {
        panic!("not demands")
    };
    assert_eq!(total, 1, "the one the head recorded himself");
    assert_eq!(items[0].demand.id, lamp.demand.id);
    let Response::Demands { total, .. } = wang.call(by("D02")).unwrap() else {
        panic!("not demands")
    };
    assert_eq!(total, 0, "李秀英 records for another station");

    let Response::Suggestions { items, .. } = wang
        .call(Request::ListSuggestions {
            station: None,
            limit: None,
            offset: None,
        })
        .unwrap()
    else {
        panic!("not suggestions")
    };
    assert!(items.is_empty());
    let before = wang.store.pending_receipts().unwrap().len();
    let formed = suggestion(
        wang.call(Request::FormSuggestion(FormSuggestion {
            demands: vec![lift.demand.id, lamp.demand.id],
            title: Some("关于改善小区设施的建议".into()),
            text: None,
            level: None,
            id: None,
        }))
        .unwrap(),
    );
    let Response::Suggestions { items, .. } = wang
        .call(Request::ListSuggestions {
            station: None,
            limit: None,
            offset: None,
        })
        .unwrap()
    else {
        panic!("not suggestions")
    };
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].suggestion.id, formed.suggestion.id);
    assert_eq!(
        items[0].suggestion.demands,
        vec![lift.demand.id, lamp.demand.id]
    );
    // The suggestion and the two demands' events wait for the server.
    let waiting = wang.store.pending_receipts().unwrap();
    assert!(
        waiting.len() >= before + 3,
        "{} then {}",
        before,
        waiting.len()
    );
    for id in [lift.demand.id, lamp.demand.id] {
        assert!(
            waiting.iter().any(|r| r.record == id.to_string()),
            "the decision on {id} waits"
        );
    }
}
