//! The four registers' tables: what each lists, in which columns, for whom. Built from the one
//! service's reads ([`State`]); each returns its columns, rows (without serial numbers) and footer.

use std::collections::HashMap;

use super::{Column, Period, col, count, day};
use crate::access::{Access, Principal, access};
use crate::api::{DemandView, ParsedFilter, VisitView};
use crate::clock::Timestamp;
use crate::doc::DocKind;
use crate::ids::{DelegateId, DemandId, StationId};
use crate::model::Contact;
use crate::service::State;
use crate::territory::Territory;

pub(super) type Table = (Vec<Column>, Vec<Vec<String>>, Vec<String>);

fn footer(signers: &[&str]) -> Vec<String> {
    signers
        .iter()
        .map(|s| format!("{s}（签字）"))
        .chain(["日期".to_owned()])
        .collect()
}

fn grid_name(t: &Territory, g: &crate::ids::GridId) -> String {
    t.grid(g).map_or_else(|| g.to_string(), |g| g.name.clone())
}

fn names(t: &Territory, ds: &[DelegateId]) -> String {
    ds.iter()
        .map(|d| {
            t.delegate(d)
                .map_or_else(|| d.to_string(), |x| x.name.clone())
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn station_visits<S: State>(
    state: &mut S,
    station: &StationId,
    period: Period,
) -> Result<Vec<VisitView>, S::Error> {
    let mut v: Vec<VisitView> = state
        .list_visits(Some(station))?
        .into_iter()
        .filter(|v| period.holds(v.visit.started_at))
        .collect();
    v.sort_by_key(|v| (v.visit.started_at.0, v.visit.id.to_string()));
    Ok(v)
}

/// Every demand of the station recorded in the period, oldest first (one read, unpaged).
fn station_demands<S: State>(
    state: &mut S,
    station: &StationId,
    period: Period,
) -> Result<Vec<DemandView>, S::Error> {
    let f = ParsedFilter {
        station: Some(station.clone()),
        grid: None,
        status: None,
        category: None,
        from: Some(period.start),
        until: Some(period.until),
        visit: None,
        recorded_by: None,
        needs_decision: None,
        limit: u32::MAX,
        offset: 0,
    };
    let (mut out, _) = state.list_demands(&f)?;
    out.sort_by_key(|d| (d.demand.recorded_at.0, d.demand.id.to_string()));
    Ok(out)
}

pub(super) fn visits<S: State>(
    state: &mut S,
    t: &Territory,
    station: &StationId,
    period: Period,
) -> Result<Table, S::Error> {
    let demands = station_demands(state, station, period)?;
    let mut per_visit: HashMap<crate::ids::VisitId, usize> = HashMap::new();
    for d in &demands {
        if let Some(v) = d.demand.visit {
            *per_visit.entry(v).or_default() += 1;
        }
    }
    let rows = station_visits(state, station, period)?
        .into_iter()
        .map(|v| {
            vec![
                v.visit.started_at.beijing(),
                grid_name(t, &v.visit.grid),
                v.visit.place.clone(),
                v.visit.topic.clone(),
                names(t, &v.state.delegates),
                v.state
                    .attendance
                    .map_or_else(String::new, |n| n.to_string()),
                per_visit.get(&v.visit.id).copied().unwrap_or(0).to_string(),
                v.state
                    .ended_at
                    .map_or_else(|| "进行中".to_owned(), Timestamp::beijing),
                String::new(),
            ]
        })
        .collect();
    let g = Some("活动情况");
    let columns = vec![
        col(g, "开始时间", 17),
        col(g, "网格", 18),
        col(g, "地点", 18),
        col(g, "主题", 24),
        col(None, "参加代表", 18),
        count(Some("群众与意见"), "参加群众（人）", 10),
        count(Some("群众与意见"), "收集意见（条）", 10),
        col(None, "结束时间", 17),
        col(None, "代表签字", 12),
    ];
    Ok((columns, rows, footer(&["登记人", "站长"])))
}

/// A resident's name and phone as `who` may see them.
pub(super) fn contact_cells(visible: bool, c: &Contact) -> (String, String) {
    if visible && c.consent {
        return (c.name.clone(), c.phone.clone());
    }
    let name: String = c
        .name
        .chars()
        .enumerate()
        .map(|(i, ch)| if i == 0 { ch } else { '*' })
        .collect();
    let digits: Vec<char> = c.phone.chars().collect();
    let phone = if digits.len() > 7 {
        let tail: String = digits[digits.len() - 4..].iter().collect();
        format!("{}****{tail}", digits[..3].iter().collect::<String>())
    } else {
        "****".to_owned()
    };
    (name, phone)
}

pub(super) fn opinions<S: State>(
    state: &mut S,
    who: &Principal,
    t: &Territory,
    station: &StationId,
    period: Period,
) -> Result<Table, S::Error> {
    let demands = station_demands(state, station, period)?;
    // A joined demand names the row it joined (its serial number here), a suggestion its title.
    let serial: HashMap<DemandId, usize> = demands
        .iter()
        .enumerate()
        .map(|(i, d)| (d.demand.id, i + 1))
        .collect();
    let titles: HashMap<crate::ids::SuggestionId, String> = state
        .list_suggestions(station)?
        .into_iter()
        .map(|s| (s.suggestion.id, s.suggestion.title))
        .collect();
    // Each holder's contacts read once, by demand; shown only to those who may read that holder's.
    let mut held: HashMap<DelegateId, (bool, HashMap<DemandId, Vec<Contact>>)> = HashMap::new();
    let mut rows = Vec::with_capacity(demands.len());
    for d in &demands {
        let mut holders: Vec<DelegateId> = d.demand.contacts_in.iter().cloned().collect();
        holders.extend(d.state.contacts_in.iter().cloned());
        holders.sort();
        holders.dedup();
        let (mut names_, mut phones) = (Vec::new(), Vec::new());
        for h in holders {
            if !held.contains_key(&h) {
                let visible = access(who, DocKind::Contacts, h.as_str(), t) != Access::None;
                let mut by_demand: HashMap<DemandId, Vec<Contact>> = HashMap::new();
                for c in state.contacts_held_by(&h)? {
                    by_demand.entry(c.demand).or_default().push(c);
                }
                held.insert(h.clone(), (visible, by_demand));
            }
            let Some((visible, by_demand)) = held.get(&h) else {
                continue;
            };
            for c in by_demand.get(&d.demand.id).into_iter().flatten() {
                let (n, p) = contact_cells(*visible, c);
                names_.push(n);
                phones.push(p);
            }
        }
        let s = &d.state;
        let handling = match (s.joined_into, s.suggestion, &s.workroom) {
            (Some(into), _, _) => match serial.get(&into) {
                Some(n) => format!("并入第{n}条"),
                None => format!("并入 {}", short(&into.to_string())),
            },
            (_, Some(sug), _) => match titles.get(&sug) {
                Some(t) => format!("纳入建议《{t}》"),
                None => format!("纳入建议 {}", short(&sug.to_string())),
            },
            (_, _, Some(w)) => format!(
                "转{}",
                t.workrooms
                    .iter()
                    .find(|x| &x.id == w)
                    .map_or_else(|| w.to_string(), |x| x.name.clone())
            ),
            _ => String::new(),
        };
        rows.push(vec![
            d.demand.recorded_at.beijing(),
            names(t, std::slice::from_ref(&d.demand.recorded_by)),
            grid_name(t, &d.demand.grid),
            names_.join("、"),
            phones.join("、"),
            d.demand.text.clone(),
            d.demand.category.zh().to_owned(),
            d.joined.len().to_string(),
            s.status.zh().to_owned(),
            handling,
            s.answer.clone().unwrap_or_default(),
            String::new(),
        ]);
    }
    let columns = vec![
        col(None, "登记时间", 17),
        col(None, "代表", 10),
        col(None, "网格", 18),
        col(Some("群众信息"), "姓名", 10),
        col(Some("群众信息"), "联系电话", 14),
        col(None, "意见建议内容", 40),
        col(None, "类别", 10),
        count(None, "附议（条）", 8),
        col(Some("办理情况"), "状态", 10),
        col(Some("办理情况"), "处理方式", 16),
        col(Some("办理情况"), "答复内容", 30),
        col(None, "备注", 12),
    ];
    Ok((columns, rows, footer(&["登记人", "站长"])))
}

/// The first eight characters of an id, as people read it aloud.
fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

pub(super) fn suggestions<S: State>(
    state: &mut S,
    t: &Territory,
    station: &StationId,
    period: Period,
) -> Result<Table, S::Error> {
    let mut items: Vec<_> = state
        .list_suggestions(station)?
        .into_iter()
        .filter(|s| period.holds(s.suggestion.formed_at))
        .collect();
    items.sort_by_key(|s| (s.suggestion.formed_at.0, s.suggestion.id.to_string()));
    let rows = items
        .into_iter()
        .map(|v| {
            let s = &v.state;
            let status = if s.closed {
                "已办结"
            } else if s.answered {
                "已答复"
            } else if s.unit.is_some() {
                "办理中"
            } else if !s.whistles.is_empty() {
                "已吹哨"
            } else {
                "已形成"
            };
            vec![
                day(v.suggestion.formed_at),
                v.suggestion.title.clone(),
                v.suggestion.text.clone(),
                v.suggestion.demands.len().to_string(),
                names(t, std::slice::from_ref(&v.suggestion.formed_by)),
                s.level.unwrap_or(v.suggestion.level).zh().to_owned(),
                s.whistles
                    .iter()
                    .map(|w| w.zh())
                    .collect::<Vec<_>>()
                    .join("；"),
                s.unit
                    .as_ref()
                    .map(|u| {
                        t.handling_units
                            .iter()
                            .find(|x| &x.id == u)
                            .map_or_else(|| u.to_string(), |x| x.name.clone())
                    })
                    .unwrap_or_default(),
                s.deadline.map(day).unwrap_or_default(),
                status.to_owned(),
                String::new(),
                String::new(),
            ]
        })
        .collect();
    let g = Some("代表建议");
    let h = Some("办理情况");
    let columns = vec![
        col(None, "形成日期", 12),
        col(g, "标题", 24),
        col(g, "内容", 40),
        count(g, "涉及诉求（条）", 10),
        col(g, "提出代表", 10),
        col(h, "办理层级", 8),
        col(h, "吹哨路径", 20),
        col(h, "承办单位", 18),
        col(h, "办理时限", 12),
        col(h, "状态", 8),
        col(None, "经办人签字", 12),
        col(None, "签收日期", 12),
    ];
    Ok((columns, rows, footer(&["经办人", "站长"])))
}

pub(super) fn duty_book<S: State>(
    state: &mut S,
    t: &Territory,
    station: &StationId,
    delegate: &DelegateId,
    period: Period,
) -> Result<Table, S::Error> {
    let mut entries: Vec<(Timestamp, Vec<String>)> = Vec::new();
    for v in station_visits(state, station, period)? {
        if v.state.delegates.contains(delegate) {
            entries.push((
                v.visit.started_at,
                vec![
                    "联系选民".into(),
                    format!("{}：{}", v.visit.place, v.visit.topic),
                    grid_name(t, &v.visit.grid),
                    v.state
                        .attendance
                        .map_or_else(String::new, |n| format!("{n}人参加")),
                ],
            ));
        }
    }
    for d in station_demands(state, station, period)? {
        if &d.demand.recorded_by == delegate {
            entries.push((
                d.demand.recorded_at,
                vec![
                    "收集意见".into(),
                    d.demand.text.clone(),
                    grid_name(t, &d.demand.grid),
                    d.state.status.zh().into(),
                ],
            ));
        }
    }
    for s in state.list_suggestions(station)? {
        if &s.suggestion.formed_by == delegate && period.holds(s.suggestion.formed_at) {
            entries.push((
                s.suggestion.formed_at,
                vec![
                    "形成建议".into(),
                    s.suggestion.title.clone(),
                    String::new(),
                    format!("{}级", s.suggestion.level.zh()),
                ],
            ));
        }
    }
    entries.sort_by_key(|(at, _)| at.0);
    let rows = entries
        .into_iter()
        .map(|(at, mut r)| {
            r.insert(0, at.beijing());
            r.push(String::new());
            r
        })
        .collect();
    let g = Some("履职情况");
    let columns = vec![
        col(None, "时间", 17),
        col(g, "履职事项", 10),
        col(g, "内容", 40),
        col(g, "网格", 18),
        col(g, "结果", 14),
        col(None, "备注", 12),
    ];
    Ok((columns, rows, footer(&["代表", "站长"])))
}
