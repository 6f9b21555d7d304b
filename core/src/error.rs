//! The core's errors. Every variant has a stable code (for the API and the CLI's exit) and a
//! Chinese message for people; neither ever contains a resident's name or phone.

use serde::{Deserialize, Serialize};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Error {
    #[error("demand text is empty")]
    EmptyText,
    #[error("text has {len} characters, more than {max}")]
    TextTooLong { len: usize, max: usize },
    #[error("{field} is missing or empty")]
    MissingField { field: &'static str },
    #[error("location is out of range or not a number")]
    InvalidLocation,
    #[error("unknown grid {0}")]
    UnknownGrid(String),
    #[error("unknown category {0}")]
    UnknownCategory(String),
    #[error("unknown visit {0}")]
    UnknownVisit(String),
    #[error("unknown station {0}")]
    UnknownStation(String),
    #[error("unknown delegate {0}")]
    UnknownDelegate(String),
    #[error("visit {0} has already ended")]
    VisitEnded(String),
    #[error("grid {grid} does not belong to station {station}")]
    GridNotInStation { grid: String, station: String },
    #[error("a resident contact needs the resident's consent")]
    ConsentRequired,
    /// The reason says which part is wrong (never the number).
    #[error("phone number is not valid: {0:?}")]
    InvalidPhone(crate::capture::PhoneProblem),
    /// A photo that cannot be attached; the reason is for people (Chinese).
    #[error("photo refused: {0}")]
    InvalidPhoto(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid id {0:?}")]
    InvalidId(String),
    #[error("invalid date {0:?}, expected YYYY-MM-DD")]
    InvalidDate(String),
    #[error("document is corrupt: {0}")]
    CorruptDocument(String),
    #[error("document schema version {found} is newer than this program understands ({supported})")]
    UnsupportedSchema { found: i64, supported: i64 },
    #[error("territory is invalid: {0}")]
    InvalidTerritory(String),
    #[error("automerge: {0}")]
    Automerge(String),
    /// A decision on a demand that is already joined, withdrawn, closed or taken into a
    /// suggestion.
    #[error("demand {id} is {status}: no more decisions")]
    DemandSettled { id: String, status: &'static str },
    #[error("a demand is joined only into another demand of the same station")]
    JoinAcrossStations,
    #[error("a demand cannot be joined into itself")]
    JoinSelf,
    #[error("a suggestion needs at least one demand")]
    EmptySuggestion,
    /// A register asked for a period in which nothing belongs in it.
    #[error("nothing to register in {0}")]
    EmptyPeriod(String),
    /// A period whose first day comes after its last.
    #[error("period starts {from} after it ends {to}")]
    PeriodReversed { from: String, to: String },
    /// A resolution asked of a demand whose decisions do not contradict each other.
    #[error("demand {0} has no contradicting decisions to resolve")]
    NothingToResolve(String),
    #[error("whistle route {route} does not fit a {level}-level suggestion")]
    RouteDoesNotFit {
        route: &'static str,
        level: &'static str,
    },
    #[error("unknown handling unit {0}")]
    UnknownUnit(String),
    /// A due day before the day the routing (or extension) is made.
    #[error("deadline {due} ends before it starts ({start})")]
    DeadlineBeforeStart { due: String, start: String },
    /// An answer or return from a unit the case is not routed to (or not routed at all).
    #[error("case is not routed to {0}")]
    NotRouted(String),
    /// A call-back on a case no unit has answered yet.
    #[error("case {0} has no answer to call back with")]
    NoAnswerYet(String),
    /// Pausing a paused clock (`true`) or resuming one that runs (`false`).
    #[error("clock already paused: {0}")]
    PauseState(bool),
    /// A write the authority rule refuses (`crate::access::authority`).
    #[error("not permitted: {0:?}")]
    NotPermitted(crate::access::Refusal),
}

impl From<automerge::AutomergeError> for Error {
    fn from(e: automerge::AutomergeError) -> Self {
        Error::Automerge(e.to_string())
    }
}

/// A stable, machine-readable error code (the API contract; never rename one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    EmptyText,
    TextTooLong,
    MissingField,
    InvalidLocation,
    UnknownGrid,
    UnknownCategory,
    UnknownVisit,
    UnknownStation,
    UnknownDelegate,
    VisitEnded,
    GridNotInStation,
    ConsentRequired,
    InvalidPhone,
    InvalidPhoto,
    NotFound,
    InvalidId,
    InvalidDate,
    CorruptDocument,
    UnsupportedSchema,
    InvalidTerritory,
    CorruptStore,
    NotInitialised,
    AlreadyInitialised,
    BadRequest,
    Internal,
    Unauthorized,
    Forbidden,
    EnrolmentInvalid,
    EnrolmentExpired,
    EnrolmentUsed,
    PayloadTooLarge,
    UseSync,
    /// The device could not reach the server for something only the server has.
    Offline,
    /// The authority rule refuses this write for this person (`core::access::authority`).
    NotPermitted,
    /// A request made with a browser session's cookie that a page of this server did not make
    /// (no `X-Gridvoice-Csrf` header, or another site's `Origin`).
    CrossSite,
    DemandSettled,
    JoinAcrossStations,
    JoinSelf,
    EmptySuggestion,
    EmptyPeriod,
    NothingToResolve,
    RouteDoesNotFit,
    UnknownUnit,
    InvalidDeadline,
    NotRouted,
    NoAnswerYet,
    AlreadyPaused,
    NotPaused,
    /// The server refused a sync message whose changes break the authority rule; nothing of it
    /// was stored.
    ChangeRefused,
    /// Too many requests (or sync sockets, or failed enrolments) from this device or source in
    /// too short a time; the answer says when to try again (`Retry-After`).
    RateLimited,
    /// The server holds as many sync sockets as it may; try again shortly.
    ServerBusy,
    /// This device has uploaded as many photos as it may today.
    QuotaExceeded,
    /// The device holds records or photos the server has not confirmed (a reset would lose them).
    Unsent,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::EmptyText => "EMPTY_TEXT",
            ErrorCode::TextTooLong => "TEXT_TOO_LONG",
            ErrorCode::MissingField => "MISSING_FIELD",
            ErrorCode::InvalidLocation => "INVALID_LOCATION",
            ErrorCode::UnknownGrid => "UNKNOWN_GRID",
            ErrorCode::UnknownCategory => "UNKNOWN_CATEGORY",
            ErrorCode::UnknownVisit => "UNKNOWN_VISIT",
            ErrorCode::UnknownStation => "UNKNOWN_STATION",
            ErrorCode::UnknownDelegate => "UNKNOWN_DELEGATE",
            ErrorCode::VisitEnded => "VISIT_ENDED",
            ErrorCode::GridNotInStation => "GRID_NOT_IN_STATION",
            ErrorCode::ConsentRequired => "CONSENT_REQUIRED",
            ErrorCode::InvalidPhone => "INVALID_PHONE",
            ErrorCode::InvalidPhoto => "INVALID_PHOTO",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::InvalidId => "INVALID_ID",
            ErrorCode::InvalidDate => "INVALID_DATE",
            ErrorCode::CorruptDocument => "CORRUPT_DOCUMENT",
            ErrorCode::UnsupportedSchema => "UNSUPPORTED_SCHEMA",
            ErrorCode::InvalidTerritory => "INVALID_TERRITORY",
            ErrorCode::CorruptStore => "CORRUPT_STORE",
            ErrorCode::NotInitialised => "NOT_INITIALISED",
            ErrorCode::AlreadyInitialised => "ALREADY_INITIALISED",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::EnrolmentInvalid => "ENROLMENT_INVALID",
            ErrorCode::EnrolmentExpired => "ENROLMENT_EXPIRED",
            ErrorCode::EnrolmentUsed => "ENROLMENT_USED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UseSync => "USE_SYNC",
            ErrorCode::Offline => "OFFLINE",
            ErrorCode::NotPermitted => "NOT_PERMITTED",
            ErrorCode::CrossSite => "CROSS_SITE",
            ErrorCode::DemandSettled => "DEMAND_SETTLED",
            ErrorCode::JoinAcrossStations => "JOIN_ACROSS_STATIONS",
            ErrorCode::JoinSelf => "JOIN_SELF",
            ErrorCode::EmptySuggestion => "EMPTY_SUGGESTION",
            ErrorCode::EmptyPeriod => "EMPTY_PERIOD",
            ErrorCode::NothingToResolve => "NOTHING_TO_RESOLVE",
            ErrorCode::RouteDoesNotFit => "ROUTE_DOES_NOT_FIT",
            ErrorCode::ChangeRefused => "CHANGE_REFUSED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::ServerBusy => "SERVER_BUSY",
            ErrorCode::QuotaExceeded => "QUOTA_EXCEEDED",
            ErrorCode::Unsent => "UNSENT",
            ErrorCode::UnknownUnit => "UNKNOWN_UNIT",
            ErrorCode::InvalidDeadline => "INVALID_DEADLINE",
            ErrorCode::NotRouted => "NOT_ROUTED",
            ErrorCode::NoAnswerYet => "NO_ANSWER_YET",
            ErrorCode::AlreadyPaused => "ALREADY_PAUSED",
            ErrorCode::NotPaused => "NOT_PAUSED",
        }
    }
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::EmptyText => ErrorCode::EmptyText,
            Error::TextTooLong { .. } => ErrorCode::TextTooLong,
            Error::MissingField { .. } => ErrorCode::MissingField,
            Error::InvalidLocation => ErrorCode::InvalidLocation,
            Error::UnknownGrid(_) => ErrorCode::UnknownGrid,
            Error::UnknownCategory(_) => ErrorCode::UnknownCategory,
            Error::UnknownVisit(_) => ErrorCode::UnknownVisit,
            Error::UnknownStation(_) => ErrorCode::UnknownStation,
            Error::UnknownDelegate(_) => ErrorCode::UnknownDelegate,
            Error::VisitEnded(_) => ErrorCode::VisitEnded,
            Error::GridNotInStation { .. } => ErrorCode::GridNotInStation,
            Error::ConsentRequired => ErrorCode::ConsentRequired,
            Error::InvalidPhone(_) => ErrorCode::InvalidPhone,
            Error::InvalidPhoto(_) => ErrorCode::InvalidPhoto,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::InvalidId(_) => ErrorCode::InvalidId,
            Error::InvalidDate(_) => ErrorCode::InvalidDate,
            Error::CorruptDocument(_) | Error::Automerge(_) => ErrorCode::CorruptDocument,
            Error::UnsupportedSchema { .. } => ErrorCode::UnsupportedSchema,
            Error::InvalidTerritory(_) => ErrorCode::InvalidTerritory,
            Error::NotPermitted(_) => ErrorCode::NotPermitted,
            Error::DemandSettled { .. } => ErrorCode::DemandSettled,
            Error::JoinAcrossStations => ErrorCode::JoinAcrossStations,
            Error::JoinSelf => ErrorCode::JoinSelf,
            Error::EmptySuggestion => ErrorCode::EmptySuggestion,
            Error::EmptyPeriod(_) => ErrorCode::EmptyPeriod,
            Error::PeriodReversed { .. } => ErrorCode::InvalidDate,
            Error::NothingToResolve(_) => ErrorCode::NothingToResolve,
            Error::RouteDoesNotFit { .. } => ErrorCode::RouteDoesNotFit,
            Error::UnknownUnit(_) => ErrorCode::UnknownUnit,
            Error::DeadlineBeforeStart { .. } => ErrorCode::InvalidDeadline,
            Error::NotRouted(_) => ErrorCode::NotRouted,
            Error::NoAnswerYet(_) => ErrorCode::NoAnswerYet,
            Error::PauseState(true) => ErrorCode::AlreadyPaused,
            Error::PauseState(false) => ErrorCode::NotPaused,
        }
    }

    /// The message a person reads (Simplified Chinese). Built from codes and ids only.
    pub fn message_zh(&self) -> String {
        match self {
            Error::EmptyText => "诉求内容不能为空".into(),
            Error::TextTooLong { len, max } => format!("内容过长：{len} 字，最多 {max} 字"),
            Error::MissingField { field } => format!("缺少必填项：{}", field_zh(field)),
            Error::InvalidLocation => {
                "位置无效：纬度应在 -90 到 90 之间，经度在 -180 到 180 之间".into()
            }
            Error::UnknownGrid(g) => format!("未知网格：{g}"),
            Error::UnknownCategory(c) => format!("未知类别：{c}"),
            Error::UnknownVisit(v) => format!("未找到该联系选民活动：{v}"),
            Error::UnknownStation(s) => format!("未知代表工作站：{s}"),
            Error::UnknownDelegate(d) => format!("未知代表：{d}"),
            Error::VisitEnded(v) => format!("该联系选民活动已结束：{v}"),
            Error::GridNotInStation { grid, station } => {
                format!("网格 {grid} 不属于代表工作站 {station}")
            }
            Error::ConsentRequired => "登记群众联系方式须先征得本人同意".into(),
            Error::InvalidPhone(p) => format!("电话号码不对：{}", p.zh()),
            Error::InvalidPhoto(why) => format!("照片无法使用：{why}"),
            Error::NotFound(what) => format!("未找到：{what}"),
            Error::InvalidId(id) => format!("编号格式不正确：{id}"),
            Error::InvalidDate(d) => format!("日期格式不正确：{d}（应为 年-月-日，如 2021-03-01）"),
            Error::CorruptDocument(_) | Error::Automerge(_) => "数据文档已损坏，无法读取".into(),
            Error::UnsupportedSchema { .. } => "数据来自更新的版本，请先升级本应用".into(),
            Error::InvalidTerritory(_) => "辖区数据无效".into(),
            Error::NotPermitted(r) => r.zh().into(),
            Error::DemandSettled { status, .. } => {
                format!("该诉求{status}，不能再作处理决定")
            }
            Error::JoinAcrossStations => "只能合并到本站的另一条诉求".into(),
            Error::JoinSelf => "不能把诉求合并到它自己".into(),
            Error::EmptySuggestion => "代表建议至少要包含一条诉求".into(),
            Error::EmptyPeriod(period) => format!("{period}没有可登记的内容，请换一个期间"),
            Error::PeriodReversed { from, to } => {
                format!("开始日期 {from} 晚于结束日期 {to}，请重新选择期间")
            }
            Error::NothingToResolve(_) => "这条诉求没有相互矛盾的处理决定，无需裁定".into(),
            Error::RouteDoesNotFit { route, level } => {
                format!("“{route}”不适用于{level}级办理的建议")
            }
            Error::UnknownUnit(u) => format!("办理单位目录中没有：{u}"),
            Error::DeadlineBeforeStart { due, start } => {
                format!("办理期限 {due} 早于交办日 {start}，请重新选择期限")
            }
            Error::NotRouted(u) => format!("该事项没有交给“{u}”办理"),
            Error::NoAnswerYet(_) => "办理单位尚未答复，还不能回访居民".into(),
            Error::PauseState(true) => "计时已经暂停".into(),
            Error::PauseState(false) => "计时没有暂停，无需恢复".into(),
        }
    }
}

fn field_zh(field: &str) -> &str {
    match field {
        "place" => "活动地点",
        "topic" => "活动主题",
        "name" => "姓名",
        "phone" => "电话",
        "grid" => "网格",
        "category" => "类别",
        "text" => "诉求内容",
        "reason" => "理由",
        "answer" => "答复内容",
        "lead" => "主办单位",
        "due" => "办理期限",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_stable_names() {
        for code in [
            ErrorCode::EmptyText,
            ErrorCode::CorruptStore,
            ErrorCode::GridNotInStation,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
