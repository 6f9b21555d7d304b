//! The station's registers 三簿一册: the visit register 联系选民活动登记簿, the opinions register
//! 群众意见建议登记簿, the suggestion-handling register 代表建议办理登记簿 and each delegate's duty
//! book 代表履职登记册. Built from what the one request service reads ([`State`]), for a period of
//! days, as a table laid out the way offices file them: a title, the unit and period, grouped
//! headers, serial numbers, signature and date columns, and a footer to sign. The XLSX file is
//! written from this table by `gridvoice-xlsx`; the screen shows the same table.
//!
//! Who may ask: a station head for their own station, the office for any station it names, and a
//! delegate for their own duty book only (their head and the office may read it too). Residents'
//! names and phones appear only where the asker may read the contacts document holding them and
//! the resident consented; elsewhere they are masked.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::access::{Access, Person, Principal, Role, access};
use crate::api::{DemandView, ParsedFilter, VisitView};
use crate::clock::Timestamp;
use crate::doc::DocKind;
use crate::error::Error;
use crate::ids::{DelegateId, DemandId, StationId};
use crate::model::Contact;
use crate::service::State;
use crate::territory::Territory;

const DAY_MS: i64 = 24 * 3_600_000;

/// Which register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegisterKind {
    Visits,
    Opinions,
    Suggestions,
    DutyBook,
}

impl RegisterKind {
    pub const ALL: [RegisterKind; 4] = [
        RegisterKind::Visits,
        RegisterKind::Opinions,
        RegisterKind::Suggestions,
        RegisterKind::DutyBook,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RegisterKind::Visits => "visits",
            RegisterKind::Opinions => "opinions",
            RegisterKind::Suggestions => "suggestions",
            RegisterKind::DutyBook => "duty_book",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            RegisterKind::Visits => "联系选民活动登记簿",
            RegisterKind::Opinions => "群众意见建议登记簿",
            RegisterKind::Suggestions => "代表建议办理登记簿",
            RegisterKind::DutyBook => "代表履职登记册",
        }
    }

    pub fn parse(s: &str) -> Option<RegisterKind> {
        RegisterKind::ALL
            .into_iter()
            .find(|k| k.code() == s.trim() || k.title() == s.trim())
    }
}

/// What to put in a register: which one, whose, and the days it covers (`YYYY-MM-DD`, both
/// inclusive, Beijing time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    pub kind: RegisterKind,
    /// The station (the office names it; a station's people get their own).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub station: Option<StationId>,
    /// The delegate whose duty book (a delegate's own when left out).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub delegate: Option<DelegateId>,
    pub from: String,
    pub to: String,
}

/// One column: its header, the group header above it (merged across the group's columns), and
/// its width in characters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Column {
    pub group: Option<String>,
    pub name: String,
    pub width: u16,
    /// Its cells are counts (written as numbers in a workbook).
    #[serde(default)]
    pub numeric: bool,
}

/// A register, ready to show or to write as a workbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Register {
    pub kind: RegisterKind,
    pub title: String,
    /// Who keeps it: the station (and, for a duty book, the delegate).
    pub unit: String,
    /// `2026年11月1日至2026年11月30日`.
    pub period: String,
    pub columns: Vec<Column>,
    /// One row per entry; the first cell is the serial number 序号.
    pub rows: Vec<Vec<String>>,
    /// What the footer asks to be signed and dated.
    pub footer: Vec<String>,
}

fn col(group: Option<&str>, name: &str, width: u16) -> Column {
    Column {
        group: group.map(str::to_owned),
        name: name.to_owned(),
        width,
        numeric: false,
    }
}

/// A column of counts.
fn count(group: Option<&str>, name: &str, width: u16) -> Column {
    Column {
        numeric: true,
        ..col(group, name, width)
    }
}

/// A period of whole days, Beijing time: `[start, until)`.
#[derive(Debug, Clone, Copy)]
struct Period {
    start: Timestamp,
    until: Timestamp,
}

impl Period {
    fn parse(from: &str, to: &str) -> Result<Period, Error> {
        let day = |s: &str| Timestamp::parse_date(s).ok_or_else(|| Error::InvalidDate(s.into()));
        let (start, end) = (day(from)?, day(to)?);
        if end.0 < start.0 {
            return Err(Error::PeriodReversed {
                from: from.into(),
                to: to.into(),
            });
        }
        Ok(Period {
            start,
            until: Timestamp(end.0 + DAY_MS),
        })
    }

    fn holds(self, t: Timestamp) -> bool {
        self.start.0 <= t.0 && t.0 < self.until.0
    }

    fn label(self) -> String {
        format!(
            "{}至{}",
            zh_date(self.start),
            zh_date(Timestamp(self.until.0 - DAY_MS))
        )
    }
}

/// `2026年11月1日`.
fn zh_date(t: Timestamp) -> String {
    let s = t.beijing();
    let mut parts = s[..10.min(s.len())]
        .split('-')
        .map(|p| p.trim_start_matches('0'));
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) => format!("{y}年{m}月{d}日"),
        _ => s,
    }
}

/// `YYYY-MM-DD`, the date a register's rows carry.
fn day(t: Timestamp) -> String {
    t.beijing().chars().take(10).collect()
}

/// Builds the register `req` asks for, as `who` may see it. `EMPTY_PERIOD` when nothing in the
/// period belongs in it.
pub fn build<S: State>(
    state: &mut S,
    who: &Principal,
    req: &RegisterRequest,
) -> Result<Register, S::Error> {
    let period = Period::parse(&req.from, &req.to)?;
    let t = state.territory()?.clone();
    let (station, delegate) = whose(who, req, &t)?;
    let station_name = t
        .station(&station)
        .map_or_else(|| station.to_string(), |s| s.name.clone());
    let delegate_name = |d: &DelegateId| {
        t.delegate(d)
            .map_or_else(|| d.to_string(), |x| x.name.clone())
    };
    let unit = match &delegate {
        Some(d) => format!("{station_name} · {}代表", delegate_name(d)),
        None => station_name,
    };
    let (columns, rows, footer) = match req.kind {
        RegisterKind::Visits => visits(state, &t, &station, period)?,
        RegisterKind::Opinions => opinions(state, who, &t, &station, period)?,
        RegisterKind::Suggestions => suggestions(state, &t, &station, period)?,
        RegisterKind::DutyBook => {
            let d = delegate
                .as_ref()
                .ok_or(Error::MissingField { field: "delegate" })?;
            duty_book(state, &t, &station, d, period)?
        }
    };
    if rows.is_empty() {
        return Err(Error::EmptyPeriod(period.label()).into());
    }
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.insert(0, (i + 1).to_string());
            r
        })
        .collect();
    let mut columns = columns;
    columns.insert(0, count(None, "序号", 6));
    Ok(Register {
        kind: req.kind,
        title: req.kind.title().to_owned(),
        unit,
        period: period.label(),
        columns,
        rows,
        footer,
    })
}

/// The station a register is of, and the delegate for a duty book, checked against who asks.
fn whose(
    who: &Principal,
    req: &RegisterRequest,
    t: &Territory,
) -> Result<(StationId, Option<DelegateId>), Error> {
    let refused = || Error::NotPermitted(crate::access::Refusal::RecordNotAllowed);
    if req.kind == RegisterKind::DutyBook {
        let d = match (&req.delegate, &who.person) {
            (Some(d), _) => d.clone(),
            (None, Person::Delegate(me)) => me.clone(),
            (None, _) => return Err(Error::MissingField { field: "delegate" }),
        };
        let delegate = t
            .delegate(&d)
            .ok_or_else(|| Error::UnknownDelegate(d.to_string()))?;
        let allowed = match who.role {
            Role::Office => true,
            Role::StationHead => who.station.as_ref() == Some(&delegate.station),
            Role::Delegate => who.person == Person::Delegate(d.clone()),
            Role::Admin => false,
        };
        if !allowed {
            return Err(refused());
        }
        return Ok((delegate.station.clone(), Some(d)));
    }
    let station = match who.role {
        Role::Office => req
            .station
            .clone()
            .ok_or(Error::MissingField { field: "station" })?,
        Role::StationHead => who.station.clone().ok_or_else(refused)?,
        Role::Delegate | Role::Admin => return Err(refused()),
    };
    if t.station(&station).is_none() {
        return Err(Error::UnknownStation(station.to_string()));
    }
    Ok((station, None))
}

type Table = (Vec<Column>, Vec<Vec<String>>, Vec<String>);

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
        needs_decision: None,
        limit: u32::MAX,
        offset: 0,
    };
    let (mut out, _) = state.list_demands(&f)?;
    out.sort_by_key(|d| (d.demand.recorded_at.0, d.demand.id.to_string()));
    Ok(out)
}

fn visits<S: State>(
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
fn contact_cells(visible: bool, c: &Contact) -> (String, String) {
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

fn opinions<S: State>(
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

fn suggestions<S: State>(
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

fn duty_book<S: State>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_whole_days_in_beijing_time_and_reads_in_chinese() {
        let p = Period::parse("2026-11-01", "2026-11-30").unwrap();
        assert_eq!(p.label(), "2026年11月1日至2026年11月30日");
        assert!(p.holds(Timestamp::parse_date("2026-11-30").unwrap()));
        assert!(!p.holds(Timestamp::parse_date("2026-12-01").unwrap()));
        assert!(matches!(
            Period::parse("2026-11-30", "2026-11-01"),
            Err(Error::PeriodReversed { .. })
        ));
        assert!(matches!(
            Period::parse("11/01", "2026-11-01"),
            Err(Error::InvalidDate(_))
        ));
    }

    #[test]
    fn a_contact_the_reader_may_not_see_keeps_only_its_first_character_and_the_phones_ends() {
        let c: Contact = serde_json::from_value(serde_json::json!({
            "id": "0190b3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
            "demand": "0190b3c4-5d6e-7f80-9a1b-2c3d4e5f6a7c",
            "name": "刘桂兰", "phone": "13812345678", "consent": true,
            "recorded_at": 0, "recorded_by": "D01"
        }))
        .unwrap();
        assert_eq!(
            contact_cells(true, &c),
            ("刘桂兰".into(), "13812345678".into())
        );
        assert_eq!(
            contact_cells(false, &c),
            ("刘**".into(), "138****5678".into())
        );
        let no_consent = Contact {
            consent: false,
            ..c
        };
        assert_eq!(contact_cells(true, &no_consent).1, "138****5678");
    }

    #[test]
    fn kinds_read_back_from_their_codes_and_titles() {
        for k in RegisterKind::ALL {
            assert_eq!(RegisterKind::parse(k.code()), Some(k));
            assert_eq!(RegisterKind::parse(k.title()), Some(k));
        }
        assert_eq!(RegisterKind::parse("ledger"), None);
    }
}
