//! Forming a delegate suggestion 代表建议 from demands: the handling level the rule suggests (with
//! the rule's words), a drafted title and body, and which whistle routes fit which level.

use std::collections::BTreeSet;

use crate::api::DemandView;
use crate::category::Category;
use crate::clock::Timestamp;
use crate::model::WhistleRoute;
use crate::territory::{HandlingLevel, Territory};

/// The level "小事不出社区、大事不出街道" suggests for these demands, and why (Chinese).
pub fn suggest_level(demands: &[DemandView], t: &Territory) -> (HandlingLevel, &'static str) {
    use Category::*;
    let categories: BTreeSet<Category> = demands.iter().map(|d| d.demand.category).collect();
    if categories
        .iter()
        .any(|c| matches!(c, Education | Medical | Employment))
    {
        return (
            HandlingLevel::District,
            "涉及教育、医疗或就业，由区级相关部门办理",
        );
    }
    let communities: BTreeSet<_> = demands
        .iter()
        .filter_map(|d| t.grid(&d.demand.grid).map(|g| &g.community))
        .collect();
    if communities.len() > 1 {
        return (
            HandlingLevel::Street,
            "涉及多个社区，由街道统筹办理（大事不出街道）",
        );
    }
    if categories.iter().any(|c| {
        matches!(
            c,
            Traffic | Parking | OldEstateRenovation | LiftMaintenance | Safety
        )
    }) {
        return (
            HandlingLevel::Street,
            "涉及交通、停车、老旧小区改造、电梯或安全，需街道部门办理",
        );
    }
    (
        HandlingLevel::Community,
        "一个社区内的事项，由社区办理（小事不出社区）",
    )
}

impl WhistleRoute {
    /// Whether this route fits a suggestion handled at `level`: on-site coordination is for
    /// matters the street is already pushing; supervision, special research and law go to the
    /// district congress or above.
    pub fn fits(self, level: HandlingLevel) -> bool {
        match self {
            WhistleRoute::OnSiteCoordination => {
                matches!(level, HandlingLevel::Community | HandlingLevel::Street)
            }
            WhistleRoute::SupervisionTracking
            | WhistleRoute::SpecialResearch
            | WhistleRoute::LawEnforcement => {
                matches!(level, HandlingLevel::District | HandlingLevel::City)
            }
        }
    }
}

fn day(t: Timestamp) -> String {
    t.beijing().chars().take(10).collect()
}

/// A short quote of a demand's text.
fn quote(text: &str) -> String {
    let mut q: String = text.chars().take(30).collect();
    if text.chars().count() > 30 {
        q.push('…');
    }
    q
}

/// A title and body drafted from the demands (counts, grids, dates, short quotes), for the head
/// to edit.
pub fn draft(demands: &[DemandView], t: &Territory) -> (String, String) {
    let mut categories: Vec<Category> = demands.iter().map(|d| d.demand.category).collect();
    categories.sort_by_key(|c| {
        std::cmp::Reverse(demands.iter().filter(|d| d.demand.category == *c).count())
    });
    categories.dedup();
    let topic = categories.first().map_or("群众反映", |c| c.zh());
    let grids: BTreeSet<String> = demands
        .iter()
        .map(|d| {
            t.grid(&d.demand.grid)
                .map_or_else(|| d.demand.grid.to_string(), |g| g.name.clone())
        })
        .collect();
    let place = grids.iter().next().cloned().unwrap_or_default();
    let title = if grids.len() > 1 {
        format!("关于{place}等{}个网格{topic}问题的建议", grids.len())
    } else {
        format!("关于{place}{topic}问题的建议")
    };
    let from = demands
        .iter()
        .map(|d| d.demand.recorded_at)
        .min()
        .unwrap_or(Timestamp(0));
    let to = demands
        .iter()
        .map(|d| d.demand.recorded_at)
        .max()
        .unwrap_or(Timestamp(0));
    // Every resident: each demand's own, and one per demand joined into it (附议).
    let residents: usize = demands.iter().map(DemandView::residents).sum();
    let mut body = format!(
        "{} 至 {}，代表在{}收集到群众诉求 {} 条（涉及居民约 {} 人），主要反映：\n",
        day(from),
        day(to),
        grids.iter().cloned().collect::<Vec<_>>().join("、"),
        demands.len(),
        residents
    );
    for d in demands.iter().take(5) {
        body.push_str(&format!("- “{}”\n", quote(&d.demand.text)));
    }
    if demands.len() > 5 {
        body.push_str(&format!("- 等共 {} 条\n", demands.len()));
    }
    body.push_str("建议：");
    (title, body)
}
