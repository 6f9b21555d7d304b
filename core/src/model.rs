//! Records made in the field and at the station: visits, demands, suggestions, contacts.
//!
//! The fields here are fixed when the record is made and never change; everything that happens
//! afterwards is an event in the record's workflow list (see [`crate::workflow`]).

use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::clock::Timestamp;
use crate::ids::{
    ContactId, DelegateId, DemandId, DeviceId, GridId, StationId, SuggestionId, VisitId,
};
use crate::territory::HandlingLevel;

/// Where a location came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LocationSource {
    /// A satellite or network fix from the device.
    Gps,
    /// Typed or dropped on a map by hand.
    Manual,
    /// No position: the delegate picked the grid on the offline map.
    GridPick,
}

impl LocationSource {
    pub fn zh(self) -> &'static str {
        match self {
            LocationSource::Gps => "定位",
            LocationSource::Manual => "手动标注",
            LocationSource::GridPick => "选择网格",
        }
    }
}

/// A WGS-84 position with its accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    /// Radius of the 68% confidence circle, metres; `None` when unknown.
    pub accuracy_m: Option<f64>,
    pub source: LocationSource,
}

/// A voter-contact visit 联系选民活动.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visit {
    pub id: VisitId,
    pub station: StationId,
    pub grid: GridId,
    pub place: String,
    pub topic: String,
    /// The delegates who attend (the one who started it first).
    pub delegates: Vec<DelegateId>,
    pub started_at: Timestamp,
    pub started_by: DelegateId,
    pub device: DeviceId,
}

/// A resident's demand 诉求, as recorded. Fixed at capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Demand {
    pub id: DemandId,
    pub station: StationId,
    pub text: String,
    pub category: Category,
    pub grid: GridId,
    pub location: Option<Location>,
    pub recorded_at: Timestamp,
    pub recorded_by: DelegateId,
    pub device: DeviceId,
    pub visit: Option<VisitId>,
    /// The delegate whose contacts document holds this demand's resident contacts, if any.
    /// A reference only: no personal data ever sits in a station document.
    pub contacts_in: Option<DelegateId>,
    /// SHA-256 hashes (hex) of attached photos, stored as content-addressed blobs.
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// A resident's contact, kept in the recording delegate's contacts document only.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub id: ContactId,
    pub demand: DemandId,
    pub name: String,
    pub phone: String,
    /// The resident agreed to be contacted about this demand (必须征得同意).
    pub consent: bool,
    pub recorded_at: Timestamp,
    pub recorded_by: DelegateId,
}

// Personal data never reaches a log through `{:?}`.
impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contact")
            .field("id", &self.id)
            .field("demand", &self.demand)
            .field("name", &"<redacted>")
            .field("phone", &"<redacted>")
            .field("consent", &self.consent)
            .finish()
    }
}

impl Contact {
    /// The phone with all but the last four digits hidden (138****5678 style).
    pub fn masked_phone(&self) -> String {
        mask_phone(&self.phone)
    }
}

/// Hides a phone number except its first three and last four digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// A delegate suggestion 代表建议, formed by a station head from one or more demands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    pub id: SuggestionId,
    pub station: StationId,
    pub title: String,
    pub text: String,
    pub demands: Vec<DemandId>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub level: HandlingLevel,
    pub formed_at: Timestamp,
    pub formed_by: DelegateId,
    pub device: DeviceId,
}

/// The four routes of a delegate's whistle 代表吹哨.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhistleRoute {
    /// Already pushed by the government/street: on-site coordination 现场办公 and explanation.
    OnSiteCoordination,
    /// On the district congress's supervision agenda: notification or continued tracking.
    SupervisionTracking,
    /// Not on that agenda: consultation, director's meeting, special research topic.
    SpecialResearch,
    /// Needs law: law-enforcement inspection or a legislative suggestion.
    LawEnforcement,
}

impl WhistleRoute {
    pub fn zh(self) -> &'static str {
        match self {
            WhistleRoute::OnSiteCoordination => "现场办公、解释说明",
            WhistleRoute::SupervisionTracking => "通报情况、持续跟踪",
            WhistleRoute::SpecialResearch => "协商、主任会议、专题调研",
            WhistleRoute::LawEnforcement => "执法检查或立法建议",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_never_prints_its_phone_or_name() {
        let c = Contact {
            id: ContactId(uuid::Uuid::nil()),
            demand: DemandId(uuid::Uuid::nil()),
            name: "张三".into(),
            phone: "13800138000".into(),
            consent: true,
            recorded_at: Timestamp(0),
            recorded_by: "D01".into(),
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("13800138000") && !shown.contains("张三"),
            "{shown}"
        );
        assert_eq!(c.masked_phone(), "138****8000");
        assert_eq!(mask_phone("12345"), "*****");
    }
}
