//! The vocabulary of the office's loop (交办 → 答复 → 回访): the case a request is about, the
//! routing asked for, and the call-back tasks a delegate's device lists.

use serde::{Deserialize, Serialize};

use crate::deadline::Light;
use crate::ids::{DemandId, HandlingUnitId, SuggestionId};
use crate::model::Contact;
use crate::workflow::Satisfaction;

/// What the office routes, answers or pauses: one demand, or a delegate suggestion together
/// with the demands it carries. `{"demand": "<id>"}` or `{"suggestion": "<id>"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Case {
    Demand(DemandId),
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    Suggestion(SuggestionId),
}

impl std::fmt::Display for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Case::Demand(d) => write!(f, "demand {d}"),
            Case::Suggestion(s) => write!(f, "suggestion {s}"),
        }
    }
}

/// Routing a case to a lead unit (主办) and the units that assist it (协办).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteCase {
    pub case: Case,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub lead: HandlingUnitId,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub assisting: Vec<HandlingUnitId>,
    /// The due day `YYYY-MM-DD` (Beijing); when absent, the policy's working days for the
    /// lead unit's level, counted on the working-day calendar from today.
    #[serde(default)]
    pub due: Option<String>,
    /// Why, when it is routed again (after a return, or to other units).
    #[serde(default)]
    pub reason: Option<String>,
}

/// One unit's part of a case, as a call-back reads it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitAnswer {
    /// The unit's name from the catalogue (its code when the catalogue no longer lists it).
    pub unit: String,
    pub lead: bool,
    pub answer: String,
}

/// A resident to call back (回访): the delegate who holds them reads the answer out and records
/// what they said. One per co-signer: the case itself and each demand joined into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallBackTask {
    /// The demand record the resident stands behind (the delegate's own, or theirs joined into
    /// the case).
    pub demand: DemandId,
    /// What the resident asked.
    pub text: String,
    /// The case that was answered (this demand, or the one it was joined into).
    pub case: DemandId,
    /// The answer to read out (the lead unit's).
    pub answer: String,
    pub resolved: Option<bool>,
    /// Each unit's answer under co-handling.
    #[serde(default)]
    pub units: Vec<UnitAnswer>,
    /// The call-back's due day `YYYY-MM-DD`, working days left, and its light.
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub left: Option<i64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub light: Option<Light>,
    /// The resident's contact, when the delegate holds it and the resident consented.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub contacts: Vec<Contact>,
    /// An earlier try this round (the resident could not be reached).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub last: Option<Satisfaction>,
}
