//! Working days on mainland China's calendar: Monday to Friday, except the public holidays, plus
//! the Saturdays and Sundays worked in exchange (调休). The holidays and make-up days are data
//! (`data/calendar/cn-workdays.csv`, one line per day: `date,type,name`), as the State Council
//! publishes them each year; an office may load a newer file, and [`Calendar::parse`] checks it
//! first, line by line, refusing the whole file on any problem (nothing half-loaded).
//!
//! Deadlines are counted in working days ([`Calendar::add_working_days`],
//! [`Calendar::working_days_between`]). Outside the years the file covers, the week alone
//! decides (a working day is Monday to Friday): the years covered are reported
//! ([`Calendar::years`]) so that a screen can say when a deadline is beyond the known calendar.
//!
//! ```
//! use gridvoice_core::calendar::Calendar;
//! use time::macros::date;
//! let cn = Calendar::china().unwrap();
//! // 2024's National Day: 1–7 October off, Saturday 12 October worked.
//! assert!(!cn.is_working_day(date!(2024 - 10 - 01)));
//! assert!(cn.is_working_day(date!(2024 - 10 - 12)));
//! // Three working days after Monday 30 September 2024: 8, 9 and 10 October.
//! assert_eq!(cn.add_working_days(date!(2024 - 09 - 30), 3), date!(2024 - 10 - 10));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;

use time::{Date, Duration, Weekday};

/// The calendar this build carries: 2019–2027 (2027's statutory days only, until published).
pub const CHINA_CSV: &str = include_str!("../../data/calendar/cn-workdays.csv");

/// What a listed day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayType {
    /// 放假: no work, whatever the weekday.
    Holiday,
    /// 调休上班: a Saturday or Sunday worked.
    Workday,
}

impl DayType {
    pub fn code(self) -> &'static str {
        match self {
            DayType::Holiday => "holiday",
            DayType::Workday => "workday",
        }
    }

    pub fn parse(s: &str) -> Option<DayType> {
        match s.trim() {
            "holiday" | "放假" => Some(DayType::Holiday),
            "workday" | "调休上班" | "上班" => Some(DayType::Workday),
            _ => None,
        }
    }
}

/// What is wrong with a line of a calendar file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not three fields `date,type,name`.
    Shape,
    /// Not a `YYYY-MM-DD` date that exists.
    BadDate(String),
    /// Neither `holiday` nor `workday`.
    UnknownType(String),
    /// A day listed twice.
    Twice(Date),
    /// A make-up working day that is a weekday (it is a working day anyway: a typo).
    WorkdayOnWeekday(Date),
    /// No day at all.
    Empty,
}

/// A problem with a line of a calendar file (`line` counts from 1; 0 for the whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "第 {} 行：", self.line)?;
        }
        match &self.kind {
            ProblemKind::Shape => write!(f, "应为“日期,类型,名称”三项"),
            ProblemKind::BadDate(d) => write!(f, "日期“{d}”无效（应为 YYYY-MM-DD 格式的真实日期）"),
            ProblemKind::UnknownType(t) => {
                write!(
                    f,
                    "类型“{t}”无法识别（应为 holiday 放假 或 workday 调休上班）"
                )
            }
            ProblemKind::Twice(d) => write!(f, "{d} 重复列出"),
            ProblemKind::WorkdayOnWeekday(d) => {
                write!(
                    f,
                    "{d} 是工作日，不需要列为调休上班（调休上班日应为周六或周日）"
                )
            }
            ProblemKind::Empty => write!(f, "文件中没有任何日期"),
        }
    }
}

/// The working-day calendar: listed days over the week's rule, with the working days counted
/// ahead of time over the years listed so that each question is a lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    listed: BTreeMap<Date, (DayType, String)>,
    /// 1 January of the first year listed.
    start: Date,
    /// Working days before each day since `start` (to 31 December of the last year listed, plus
    /// one entry for the day after it).
    before: Vec<u32>,
}

fn weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn first_of(year: i32) -> Option<Date> {
    Date::from_calendar_date(year, time::Month::January, 1).ok()
}

/// The calendar this build carries, read once. Should the carried file ever fail its own check
/// (a test keeps it from shipping so), the week alone counts rather than nothing.
pub fn carried() -> &'static Calendar {
    static CARRIED: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
    CARRIED.get_or_init(|| Calendar::china().unwrap_or_else(|_| Calendar::weeks_only()))
}

impl Calendar {
    /// A calendar without holidays: Monday to Friday.
    pub fn weeks_only() -> Calendar {
        Calendar {
            listed: BTreeMap::new(),
            start: Date::MIN,
            before: Vec::new(),
        }
    }

    /// The calendar this build carries.
    pub fn china() -> Result<Calendar, Vec<Problem>> {
        Calendar::parse(CHINA_CSV)
    }

    /// Reads a calendar file: lines `date,type,name`; `#` comments, blank lines and a
    /// `date,type,name` header are skipped. Every problem is reported, each with its line.
    pub fn parse(text: &str) -> Result<Calendar, Vec<Problem>> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let mut listed = BTreeMap::new();
        let mut problems = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim().trim_start_matches('\u{feff}');
            if l.is_empty() || l.starts_with('#') || l.replace(' ', "") == "date,type,name" {
                continue;
            }
            let fields: Vec<&str> = l.splitn(3, ',').map(str::trim).collect();
            let [date, kind, name] = fields[..] else {
                problems.push(Problem {
                    line,
                    kind: ProblemKind::Shape,
                });
                continue;
            };
            let Ok(day) = Date::parse(date, &format) else {
                problems.push(Problem {
                    line,
                    kind: ProblemKind::BadDate(date.to_owned()),
                });
                continue;
            };
            let Some(kind) = DayType::parse(kind) else {
                problems.push(Problem {
                    line,
                    kind: ProblemKind::UnknownType(kind.to_owned()),
                });
                continue;
            };
            if kind == DayType::Workday && !weekend(day) {
                problems.push(Problem {
                    line,
                    kind: ProblemKind::WorkdayOnWeekday(day),
                });
                continue;
            }
            if listed.insert(day, (kind, name.to_owned())).is_some() {
                problems.push(Problem {
                    line,
                    kind: ProblemKind::Twice(day),
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let (Some(first), Some(last)) = (listed.keys().next(), listed.keys().next_back()) else {
            return Err(vec![Problem {
                line: 0,
                kind: ProblemKind::Empty,
            }]);
        };
        let (Some(start), Some(end)) = (first_of(first.year()), first_of(last.year() + 1)) else {
            return Err(vec![Problem {
                line: 0,
                kind: ProblemKind::Empty,
            }]);
        };
        let mut before = Vec::new();
        let mut n = 0u32;
        let mut d = start;
        while d <= end {
            before.push(n);
            let working = match listed.get(&d) {
                Some((DayType::Holiday, _)) => false,
                Some((DayType::Workday, _)) => true,
                None => !weekend(d),
            };
            n += u32::from(working);
            d += Duration::DAY;
        }
        Ok(Calendar {
            listed,
            start,
            before,
        })
    }

    /// The years whose holidays are listed (outside them only the week counts). A first day
    /// listed in December belongs to the next year's arrangement (元旦 often starts on 30 or 31
    /// December, with a make-up day before it).
    pub fn years(&self) -> RangeInclusive<i32> {
        let (Some(first), Some(last)) = (self.listed.keys().next(), self.listed.keys().next_back())
        else {
            return self.start.year()..=self.start.year();
        };
        let first = if first.month() == time::Month::December {
            first.year() + 1
        } else {
            first.year()
        };
        first..=last.year()
    }

    /// Whether the calendar knows this day's holidays.
    pub fn covers(&self, d: Date) -> bool {
        self.years().contains(&d.year())
    }

    /// The day's index in `before`, when the calendar counts it.
    fn index(&self, d: Date) -> Option<usize> {
        let i = usize::try_from((d - self.start).whole_days()).ok()?;
        (i + 1 < self.before.len()).then_some(i)
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        match self.listed.get(&d) {
            Some((DayType::Holiday, _)) => false,
            Some((DayType::Workday, _)) => true,
            None => !weekend(d),
        }
    }

    /// The holiday or make-up day's name (春节, 国庆节调休 …), if the day is listed.
    pub fn name(&self, d: Date) -> Option<(DayType, &str)> {
        self.listed.get(&d).map(|(k, n)| (*k, n.as_str()))
    }

    /// The `n`-th working day after `from` (`from` itself not counted; `n = 0` gives `from`).
    pub fn add_working_days(&self, from: Date, n: u32) -> Date {
        if n == 0 {
            return from;
        }
        if let Some(i) = self.index(from) {
            // The first day whose working days before it exceed those up to `from` by n - 1 and
            // which is itself a working day: the first index whose count *after* it reaches
            // before[i+1] + n - 1 + 1.
            let want = self.before[i + 1] + n;
            let j = self.before.partition_point(|&c| c < want);
            // before[j] == want: day j - 1 is the n-th working day.
            if j < self.before.len()
                && let Some(day) = self.start.checked_add(Duration::days(j as i64 - 1))
            {
                return day;
            }
        }
        // Beyond the counted years: step day by day.
        let mut d = from;
        let mut left = n;
        while left > 0 {
            let Some(next) = d.next_day() else { return d };
            d = next;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days after `from` up to and including `to`; negative when `to` is before `from`
    /// (the working days from `to` exclusive back to `from` inclusive, counted against).
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        match (self.index(from), self.index(to)) {
            (Some(a), Some(b)) => i64::from(self.before[b + 1]) - i64::from(self.before[a + 1]),
            _ => {
                let mut n = 0i64;
                let mut d = from;
                while d < to {
                    let Some(next) = d.next_day() else { break };
                    d = next;
                    n += i64::from(self.is_working_day(d));
                }
                n
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn cn() -> Calendar {
        Calendar::china().unwrap()
    }

    #[test]
    fn the_carried_calendar_reads_cleanly_and_covers_2019_to_2027() {
        let c = cn();
        assert_eq!(c.years(), 2019..=2027);
        assert!(c.covers(date!(2019 - 06 - 01)));
        assert!(!c.covers(date!(2028 - 01 - 03)));
    }

    #[test]
    fn spring_festival_and_its_make_up_days_2024_to_2026() {
        let c = cn();
        // 2024: 10–17 February off; Sunday 4 and Sunday 18 February worked.
        for d in [
            date!(2024 - 02 - 10),
            date!(2024 - 02 - 12),
            date!(2024 - 02 - 17),
        ] {
            assert!(!c.is_working_day(d), "{d}");
        }
        assert!(c.is_working_day(date!(2024 - 02 - 04)));
        assert!(c.is_working_day(date!(2024 - 02 - 18)));
        assert_eq!(
            c.name(date!(2024 - 02 - 18)),
            Some((DayType::Workday, "春节调休"))
        );
        // 2025: 28 January – 4 February off; Sunday 26 January and Saturday 8 February worked.
        assert!(!c.is_working_day(date!(2025 - 02 - 03)));
        assert!(c.is_working_day(date!(2025 - 01 - 26)));
        assert!(c.is_working_day(date!(2025 - 02 - 08)));
        // 2026: nine days, 15–23 February; Saturdays 14 and 28 February worked.
        assert!(!c.is_working_day(date!(2026 - 02 - 23)));
        assert!(c.is_working_day(date!(2026 - 02 - 14)));
        assert!(c.is_working_day(date!(2026 - 02 - 28)));
        // An ordinary Saturday is not.
        assert!(!c.is_working_day(date!(2026 - 03 - 07)));
    }

    #[test]
    fn deadlines_across_national_day_count_the_make_up_saturday() {
        let c = cn();
        // 2025: 1–8 October off, Sunday 28 September and Saturday 11 October worked. Five
        // working days from Friday 26 September: 28 Sep (Sun), 29, 30 Sep, 9, 10 Oct.
        assert_eq!(
            c.add_working_days(date!(2025 - 09 - 26), 5),
            date!(2025 - 10 - 10)
        );
        // Six: the make-up Saturday 11 October.
        assert_eq!(
            c.add_working_days(date!(2025 - 09 - 26), 6),
            date!(2025 - 10 - 11)
        );
        assert_eq!(
            c.working_days_between(date!(2025 - 09 - 26), date!(2025 - 10 - 11)),
            6
        );
        assert_eq!(
            c.working_days_between(date!(2025 - 10 - 11), date!(2025 - 09 - 26)),
            -6
        );
        // 2024: 1–7 October off, Sunday 29 September and Saturday 12 October worked.
        assert_eq!(
            c.add_working_days(date!(2024 - 09 - 27), 1),
            date!(2024 - 09 - 29)
        );
        assert_eq!(
            c.add_working_days(date!(2024 - 09 - 30), 4),
            date!(2024 - 10 - 11)
        );
        assert_eq!(
            c.add_working_days(date!(2024 - 09 - 30), 5),
            date!(2024 - 10 - 12)
        );
    }

    #[test]
    fn a_deadline_crosses_the_year_and_new_years_day() {
        let c = cn();
        // Wednesday 31 December 2025; 1–3 January 2026 off, Sunday 4 January worked.
        assert_eq!(
            c.add_working_days(date!(2025 - 12 - 31), 1),
            date!(2026 - 01 - 04)
        );
        assert_eq!(
            c.add_working_days(date!(2025 - 12 - 31), 2),
            date!(2026 - 01 - 05)
        );
        assert_eq!(
            c.working_days_between(date!(2025 - 12 - 29), date!(2026 - 01 - 05)),
            4
        );
        // Beyond the calendar: the week alone, the same answer from both ways of counting.
        let d = c.add_working_days(date!(2027 - 12 - 30), 3);
        assert_eq!(d, date!(2028 - 01 - 04));
        assert_eq!(c.working_days_between(date!(2027 - 12 - 30), d), 3);
    }

    #[test]
    fn counting_and_adding_agree_on_every_day_of_the_calendar() {
        let c = cn();
        let mut d = date!(2018 - 12 - 20);
        while d < date!(2028 - 01 - 10) {
            for n in [1u32, 3, 10, 15] {
                let due = c.add_working_days(d, n);
                assert!(c.is_working_day(due), "{d} + {n} = {due}");
                assert_eq!(c.working_days_between(d, due), i64::from(n), "{d} + {n}");
                assert_eq!(
                    c.working_days_between(d, due - Duration::DAY),
                    i64::from(n - 1),
                    "{d} + {n}: the day before is one short"
                );
            }
            d += Duration::DAY;
        }
    }

    #[test]
    fn a_bad_file_is_refused_whole_with_each_line_named() {
        let text = "date,type,name\n2026-02-30,holiday,春节\n2026-10-01,rest,国庆节\n\
                    2026-10-01,holiday,国庆节\n2026-10-01,holiday,国庆节\n2026-10-09,workday,调休\n\
                    just one field\n";
        let problems = Calendar::parse(text).unwrap_err();
        let kinds: Vec<_> = problems.iter().map(|p| (p.line, p.kind.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (2, ProblemKind::BadDate("2026-02-30".into())),
                (3, ProblemKind::UnknownType("rest".into())),
                (5, ProblemKind::Twice(date!(2026 - 10 - 01))),
                (6, ProblemKind::WorkdayOnWeekday(date!(2026 - 10 - 09))),
                (7, ProblemKind::Shape),
            ]
        );
        assert!(problems[0].to_string().contains("第 2 行"));
        assert!(problems[1].to_string().contains("无法识别"));
        assert_eq!(
            Calendar::parse("# nothing\n").unwrap_err()[0].kind,
            ProblemKind::Empty
        );
    }
}
