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

use serde::{Deserialize, Serialize};

use crate::access::{Person, Principal, Role};
use crate::clock::Timestamp;
use crate::error::Error;
use crate::ids::{DelegateId, StationId};
use crate::service::State;
use crate::territory::Territory;

mod tables;
use tables::{duty_book, opinions, suggestions, visits};

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

#[cfg(test)]
mod tests {
    use super::tables::contact_cells;
    use super::*;
    use crate::model::Contact;

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
