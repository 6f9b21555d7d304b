//! A seeded history for the demo territory: what three years of "station – network – grid" work
//! looks like in the records (2019–2021), for the views, the registers and the benchmarks.
//!
//! Shape, after the article: 330 voter-contact visits with 500+ delegate attendances, 930 demands
//! recorded on them with realistic texts per category, 142 delegate suggestions formed from related
//! demands, every demand and suggestion carrying its workflow events (review, routing, answer,
//! feedback, closing), a resolution rate above 80%, and a few records still open at the end (an
//! honest rate counts them). Resident contacts are invented, always with consent.
//!
//! Pure: the same territory and seed give the same records, ids included.

use std::collections::BTreeMap;

use crate::category::Category;
use crate::clock::{IdSource, SeededIds, Timestamp};
use crate::error::{Error, Result};
use crate::geography::locate::Locator;
use crate::ids::{
    ContactId, DelegateId, DemandId, DeviceId, EventId, GridId, HandlingUnitId, StaffId, StationId,
    SuggestionId, VisitId,
};
use crate::model::{Contact, Demand, Location, LocationSource, Suggestion, Visit, WhistleRoute};
use crate::territory::{HandlingLevel, Territory};
use crate::workflow::{Actor, Event, EventKind};

/// The seed of the demo history.
pub const HISTORY_SEED: u64 = 2019_2021;

const VISITS: usize = 330;
const DEMANDS: usize = 930;
const SUGGESTIONS: usize = 142;
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// The demo records with their workflow events.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoHistory {
    pub visits: Vec<(Visit, Vec<Event>)>,
    pub demands: Vec<(Demand, Vec<Event>)>,
    pub suggestions: Vec<(Suggestion, Vec<Event>)>,
    /// Resident contacts; each belongs in the recording delegate's contacts document.
    pub contacts: Vec<Contact>,
}

/// Headline figures of a history (derived from the events, not stored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryStats {
    pub visits: usize,
    /// Delegate attendances summed over visits.
    pub attendances: usize,
    pub demands: usize,
    pub suggestions: usize,
    /// Demands that still count (not joined into another, not withdrawn).
    pub counted: usize,
    pub resolved: usize,
    /// Counted demands with no answer yet.
    pub open: usize,
    /// `resolved / counted`: open demands stay in the denominator.
    pub resolution_rate: f64,
}

struct Rng(SeededIds);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Categories with their weight in the field and demand texts (`{q}` a quarter, `{n}` a building).
const TEXTS: &[(Category, u32, &[&str])] = &[
    (
        Category::OldEstateRenovation,
        14,
        &[
            "{q}{n}号楼外墙保温层脱落，希望纳入老旧小区综合整治。",
            "{q}楼道墙皮大面积起皮，管线老化，居民盼望尽快改造。",
            "{q}上下水管道锈蚀严重，经常跑冒滴漏，建议整体更换。",
            "{q}{n}号楼屋面防水失效，顶层住户雨季漏水，请求维修。",
        ],
    ),
    (
        Category::LiftMaintenance,
        10,
        &[
            "{q}{n}号楼电梯近一个月停运三次，老人上下楼困难。",
            "{q}电梯维保单位响应慢，上次困人半小时后才到场。",
            "{q}{n}号楼加装电梯意见不统一，希望社区协调推进。",
            "{q}{n}号楼电梯年检标志过期，居民担心安全。",
        ],
    ),
    (
        Category::Parking,
        12,
        &[
            "{q}车位紧张，晚上消防通道被占，建议规划错时停车。",
            "{q}门口道路两侧乱停车，早晚高峰通行困难。",
            "希望在{q}增设电动自行车充电桩，避免飞线充电。",
            "{q}地下车库闲置，地面却停满车，建议降低地库租金。",
        ],
    ),
    (
        Category::WasteSorting,
        9,
        &[
            "{q}垃圾桶站点太少，厨余垃圾清运不及时，夏天有异味。",
            "{q}{n}号楼下大件垃圾长期堆放，无人清运。",
            "建议在{q}增加垃圾分类指导员，不少居民还不会分类。",
        ],
    ),
    (
        Category::ElderlyCare,
        10,
        &[
            "{q}老年人多，希望开设社区老年餐桌。",
            "{q}{n}号楼独居老人较多，建议定期上门探访。",
            "希望在{q}附近设立养老驿站，提供日间照料。",
            "{q}{n}号楼门口台阶陡，建议加装扶手和无障碍坡道。",
        ],
    ),
    (
        Category::Education,
        6,
        &[
            "{q}附近幼儿园学位紧张，孩子入园难。",
            "学校放学早，双职工家庭接送困难，希望开展课后托管。",
            "{q}周边缺少青少年活动场所，建议周末开放学校操场。",
        ],
    ),
    (
        Category::ChildCare,
        3,
        &[
            "希望社区开设0至3岁托育服务点。",
            "{q}儿童游乐设施老化，存在安全隐患。",
        ],
    ),
    (
        Category::Medical,
        5,
        &[
            "社区卫生服务站药品不全，慢性病老人要跑大医院开药。",
            "希望签约家庭医生能定期上门随访。",
            "{q}周边没有药店，夜间买药不便。",
        ],
    ),
    (
        Category::Environment,
        7,
        &[
            "{q}绿地缺乏养护，杂草丛生、蚊虫多。",
            "{q}旁边河道有异味，建议治理。",
            "{q}{n}号楼下化粪池外溢，影响居民出行。",
        ],
    ),
    (
        Category::Traffic,
        5,
        &[
            "{q}出口红绿灯时长太短，老人过马路不安全。",
            "建议增开途经{q}的公交线路。",
            "{q}附近人行道破损，雨天积水严重。",
        ],
    ),
    (
        Category::PropertyManagement,
        7,
        &[
            "{q}物业服务差，保洁不到位，居民意见大。",
            "{q}物业费收支不透明，希望公开账目。",
            "{q}没有物业，楼道卫生无人管理。",
        ],
    ),
    (
        Category::Safety,
        5,
        &[
            "{q}路灯损坏多日，夜间出行不安全。",
            "{q}{n}号楼楼道堆放杂物，存在消防隐患。",
            "{q}监控探头不够，自行车经常被盗。",
        ],
    ),
    (
        Category::Convenience,
        3,
        &[
            "{q}周边缺少便民菜店，买菜要走很远。",
            "希望在{q}附近设置便民理发、修鞋服务点。",
        ],
    ),
    (
        Category::Housing,
        2,
        &[
            "{q}{n}号楼房屋产权证迟迟办不下来。",
            "公租房申请流程复杂，希望社区帮助指导。",
        ],
    ),
    (
        Category::Employment,
        1,
        &["希望社区多组织招聘会，帮助失业人员再就业。"],
    ),
    (
        Category::VulnerableSupport,
        1,
        &[
            "{q}残疾人家庭出行不便，希望提供助残服务。",
            "低保家庭冬季取暖困难，希望给予帮扶。",
        ],
    ),
    (
        Category::Livability,
        2,
        &[
            "{q}缺少健身器材和休闲座椅。",
            "{q}广场舞噪音扰民，希望规范活动时间。",
        ],
    ),
    (
        Category::Fairness,
        1,
        &["{q}停车位分配不公平，希望公开摇号。"],
    ),
    (
        Category::Diversity,
        1,
        &["希望社区多组织文化活动，丰富居民业余生活。"],
    ),
];

/// The level a suggestion on a category goes to ("小事不出社区、大事不出街道").
fn level_for(c: Category, rng: &mut Rng) -> HandlingLevel {
    if rng.chance(0.05) {
        return HandlingLevel::City;
    }
    match c {
        Category::OldEstateRenovation
        | Category::LiftMaintenance
        | Category::Housing
        | Category::Education
        | Category::Medical
        | Category::Traffic => HandlingLevel::District,
        Category::Parking | Category::WasteSorting | Category::Environment | Category::Safety => {
            HandlingLevel::Street
        }
        _ => HandlingLevel::Community,
    }
}

const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: [&str; 12] = [
    "桂芬", "淑华", "建民", "志刚", "秀兰", "国华", "玉梅", "德胜", "春生", "丽娜", "海涛", "凤英",
];

/// Builds events in a chain, each naming the one before it.
struct Chain<'a> {
    ids: &'a mut SeededIds,
    events: Vec<Event>,
}

impl Chain<'_> {
    fn push(&mut self, at: Timestamp, by: Actor, device: DeviceId, what: EventKind) -> Timestamp {
        let prev = self.events.last().map(|e| vec![e.id]).unwrap_or_default();
        self.events.push(Event {
            id: EventId(self.ids.next_uuid(at)),
            at,
            by,
            device,
            prev,
            what,
        });
        at
    }
}

fn device_for(name: &str) -> DeviceId {
    // Stable per person, so a person's records all come from "their" device.
    let mut h: u128 = 0x6d65_6d6f;
    for b in name.bytes() {
        h = h
            .wrapping_mul(0x0100_0000_0000_0000_0000_013B)
            .wrapping_add(u128::from(b));
    }
    DeviceId(uuid::Builder::from_random_bytes(h.to_le_bytes()).into_uuid())
}

fn units_at(t: &Territory, level: HandlingLevel) -> Vec<HandlingUnitId> {
    t.handling_units
        .iter()
        .filter(|u| u.level == level)
        .map(|u| u.id.clone())
        .collect()
}

/// Generates the demo history on a territory (normally [`super::gulou`]).
pub fn generate_history(t: &Territory, seed: u64) -> Result<DemoHistory> {
    let locator = Locator::new(t)?;
    let mut rng = Rng(SeededIds::new(seed));
    let mut ids = SeededIds::new(seed ^ 0x1D5);
    let start = Timestamp::parse_date("2019-01-07")
        .ok_or_else(|| Error::InvalidDate("2019-01-07".into()))?;
    let end = Timestamp::parse_date("2021-12-31")
        .ok_or_else(|| Error::InvalidDate("2021-12-31".into()))?;
    let days = (end.0 - start.0) / DAY;
    if t.stations.is_empty() || t.grids.is_empty() {
        return Err(Error::InvalidTerritory(
            "the history needs stations and grids".into(),
        ));
    }
    let staff = StaffId::new(t.office.staff.first().map_or("office-01", |s| s.as_str()));
    let staff_device = device_for(staff.as_str());
    let total_weight: u32 = TEXTS.iter().map(|x| x.1).sum();

    // Visit dates, sorted, so ids and records read in time order.
    let mut when: Vec<i64> = (0..VISITS)
        .map(|_| {
            start.0 + (rng.below(days as usize) as i64) * DAY + (9 + rng.below(7) as i64) * HOUR
        })
        .collect();
    when.sort_unstable();
    // 930 demands over 330 visits: two each, the rest spread at random.
    let mut per_visit = vec![2usize; VISITS];
    for _ in 0..DEMANDS - 2 * VISITS {
        per_visit[rng.below(VISITS)] += 1;
    }

    let mut visits = Vec::new();
    let mut demands: Vec<(Demand, Category, Timestamp)> = Vec::new();
    let mut contacts = Vec::new();
    for (v, &at) in when.iter().enumerate() {
        let station = &t.stations[v % t.stations.len()];
        let grids: Vec<&GridId> = t.station_grids(&station.id).map(|g| &g.id).collect();
        let grid = (*rng.pick(&grids)).clone();
        let station_delegates: Vec<&DelegateId> = t
            .delegates
            .iter()
            .filter(|d| d.station == station.id)
            .map(|d| &d.id)
            .collect();
        if station_delegates.is_empty() {
            continue;
        }
        // One to three delegates attend (入格联系): about 1.7 on average.
        let n = (1 + usize::from(rng.chance(0.6)) + usize::from(rng.chance(0.1)))
            .min(station_delegates.len());
        let first = rng.below(station_delegates.len());
        let attending: Vec<DelegateId> = (0..n)
            .map(|k| station_delegates[(first + k) % station_delegates.len()].clone())
            .collect();
        let lead = attending[0].clone();
        let device = device_for(lead.as_str());
        let community = t.grid(&grid).and_then(|g| t.community(&g.community));
        let quarters: Vec<&str> = t
            .quarters
            .iter()
            .filter(|q| community.is_some_and(|c| c.id == q.community))
            .map(|q| q.name.as_str())
            .collect();
        let quarter = if quarters.is_empty() {
            "本社区"
        } else {
            *rng.pick(&quarters)
        };
        let started_at = Timestamp(at);
        let visit = Visit {
            id: VisitId(ids.next_uuid(started_at)),
            station: station.id.clone(),
            grid: grid.clone(),
            place: format!("{quarter}小广场"),
            topic: (*rng.pick(&["入户走访", "接待选民", "专题座谈", "问需于民"])).to_owned(),
            delegates: attending.clone(),
            started_at,
            started_by: lead.clone(),
            device,
        };
        let mut chain = Chain {
            ids: &mut ids,
            events: vec![],
        };
        chain.push(
            Timestamp(at + 2 * HOUR),
            Actor::Delegate(lead.clone()),
            device,
            EventKind::VisitEnded {
                attendance: 10 + rng.below(50) as u32,
                delegates: attending.clone(),
            },
        );
        let visit_events = chain.events;

        for k in 0..per_visit[v] {
            let by = attending[k % attending.len()].clone();
            let mut w = rng.below(total_weight as usize) as u32;
            let (category, texts) = TEXTS
                .iter()
                .find(|(_, weight, _)| {
                    if w < *weight {
                        true
                    } else {
                        w -= weight;
                        false
                    }
                })
                .map_or((Category::Other, &["其他诉求。"][..]), |(c, _, x)| {
                    (*c, *x)
                });
            let text = rng
                .pick(texts)
                .replace("{q}", quarter)
                .replace("{n}", &(1 + rng.below(24)).to_string());
            let recorded_at = Timestamp(at + 10 * 60_000 * (k as i64 + 1));
            let location = point_in(&locator, t, &grid, &mut rng).map(|[lon, lat]| Location {
                lat,
                lon,
                accuracy_m: Some(5.0 + rng.below(25) as f64),
                source: LocationSource::Gps,
            });
            let id = DemandId(ids.next_uuid(recorded_at));
            let with_contact = rng.chance(0.3);
            if with_contact {
                contacts.push(Contact {
                    id: ContactId(ids.next_uuid(recorded_at)),
                    demand: id,
                    name: format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN)),
                    phone: format!(
                        "13{}{:08}",
                        5 + rng.below(5),
                        rng.0.next_u64() % 100_000_000
                    ),
                    consent: true,
                    recorded_at,
                    recorded_by: by.clone(),
                });
            }
            demands.push((
                Demand {
                    id,
                    station: station.id.clone(),
                    text,
                    category,
                    grid: grid.clone(),
                    location,
                    recorded_at,
                    recorded_by: by.clone(),
                    device: device_for(by.as_str()),
                    visit: Some(visit.id),
                    contacts_in: with_contact.then(|| by.clone()),
                    attachments: vec![],
                },
                category,
                recorded_at,
            ));
        }
        visits.push((visit, visit_events));
    }

    // Suggestions: the station head groups 2–3 demands of one station and category.
    let mut groups: BTreeMap<(StationId, Category), Vec<usize>> = BTreeMap::new();
    for (i, (d, c, _)) in demands.iter().enumerate() {
        groups.entry((d.station.clone(), *c)).or_default().push(i);
    }
    let mut in_suggestion: BTreeMap<usize, usize> = BTreeMap::new();
    let mut suggestion_groups: Vec<Vec<usize>> = Vec::new();
    'outer: for round in 0..4 {
        for members in groups.values() {
            let free: Vec<usize> = members
                .iter()
                .copied()
                .filter(|i| !in_suggestion.contains_key(i))
                .collect();
            let take = 2 + usize::from(round % 2 == 0);
            if free.len() >= take {
                let s = suggestion_groups.len();
                for &i in &free[..take] {
                    in_suggestion.insert(i, s);
                }
                suggestion_groups.push(free[..take].to_vec());
                if suggestion_groups.len() == SUGGESTIONS {
                    break 'outer;
                }
            }
        }
    }

    let mut suggestions = Vec::new();
    let mut suggestion_outcome: Vec<(SuggestionId, Timestamp, bool, String)> = Vec::new();
    for members in &suggestion_groups {
        let (first, category, _) = &demands[members[0]];
        let latest = members
            .iter()
            .map(|&i| demands[i].2)
            .max()
            .unwrap_or(first.recorded_at);
        let station = first.station.clone();
        let head = t
            .station(&station)
            .and_then(|s| s.head.clone())
            .unwrap_or_else(|| first.recorded_by.clone());
        let head_device = device_for(head.as_str());
        let formed_at = Timestamp(latest.0 + (3 + rng.below(10) as i64) * DAY);
        let level = level_for(*category, &mut rng);
        let community = t
            .grid(&first.grid)
            .and_then(|g| t.community(&g.community))
            .map_or("", |c| c.name.as_str());
        let suggestion = Suggestion {
            id: SuggestionId(ids.next_uuid(formed_at)),
            station,
            title: format!("关于{community}{}问题的建议", category.zh()),
            text: format!(
                "经站长分析研判，汇总{}条群众诉求：{}建议相关部门统筹解决。",
                members.len(),
                members
                    .iter()
                    .map(|&i| demands[i].0.text.as_str())
                    .collect::<String>()
            ),
            demands: members.iter().map(|&i| demands[i].0.id).collect(),
            level,
            formed_at,
            formed_by: head.clone(),
            device: head_device,
        };
        let units = units_at(t, level);
        let unit = if units.is_empty() {
            HandlingUnitId::new("U-S01")
        } else {
            rng.pick(&units).clone()
        };
        let mut chain = Chain {
            ids: &mut ids,
            events: vec![],
        };
        let mut at = chain.push(
            Timestamp(formed_at.0 + DAY),
            Actor::Staff(staff.clone()),
            staff_device,
            EventKind::Classified { level },
        );
        if rng.chance(0.12) {
            let route = *rng.pick(&[
                WhistleRoute::OnSiteCoordination,
                WhistleRoute::SupervisionTracking,
                WhistleRoute::SpecialResearch,
                WhistleRoute::LawEnforcement,
            ]);
            at = chain.push(
                Timestamp(at.0 + DAY),
                Actor::Delegate(head.clone()),
                head_device,
                EventKind::Whistled { route, note: None },
            );
        }
        at = chain.push(
            Timestamp(at.0 + DAY),
            Actor::Staff(staff.clone()),
            staff_device,
            EventKind::Routed {
                unit: unit.clone(),
                deadline: Timestamp(at.0 + 22 * DAY),
                assisting: vec![],
                reason: None,
            },
        );
        let answered_at = Timestamp(at.0 + (5 + rng.below(40) as i64) * DAY);
        let resolved = rng.chance(0.9);
        let answer = if resolved {
            format!(
                "{}已完成办理，经回访居民认可。",
                t.handling_units
                    .iter()
                    .find(|u| u.id == unit)
                    .map_or("承办单位", |u| u.name.as_str())
            )
        } else {
            "已纳入下一年度计划，受资金和规划限制暂未解决，已向居民解释说明。".to_owned()
        };
        if answered_at < end {
            chain.push(
                answered_at,
                Actor::Staff(staff.clone()),
                staff_device,
                EventKind::Answered {
                    text: answer.clone(),
                    resolved,
                    unit: None,
                },
            );
            chain.push(
                Timestamp(answered_at.0 + 3 * DAY),
                Actor::Staff(staff.clone()),
                staff_device,
                EventKind::Closed { note: None },
            );
        }
        suggestion_outcome.push((suggestion.id, answered_at, resolved, answer));
        suggestions.push((suggestion, chain.events));
    }

    // Demand workflows.
    let mut out_demands = Vec::new();
    let community_units = units_at(t, HandlingLevel::Community);
    let street_units = units_at(t, HandlingLevel::Street);
    let mut last_in_grid_category: BTreeMap<(GridId, Category), DemandId> = BTreeMap::new();
    for (i, (demand, category, recorded_at)) in demands.into_iter().enumerate() {
        let head = t
            .station(&demand.station)
            .and_then(|s| s.head.clone())
            .unwrap_or_else(|| demand.recorded_by.clone());
        let head_device = device_for(head.as_str());
        let by_delegate = Actor::Delegate(demand.recorded_by.clone());
        let mut chain = Chain {
            ids: &mut ids,
            events: vec![],
        };
        let reviewed = chain.push(
            Timestamp(recorded_at.0 + (1 + rng.below(4) as i64) * DAY),
            Actor::Delegate(head.clone()),
            head_device,
            EventKind::Reviewed { note: None },
        );
        let key = (demand.grid.clone(), category);
        let duplicate_of = last_in_grid_category.get(&key).copied();
        last_in_grid_category.insert(key, demand.id);
        if let Some(&s) = in_suggestion.get(&i) {
            let (sid, answered_at, resolved, answer) = &suggestion_outcome[s];
            chain.push(
                Timestamp(reviewed.0 + HOUR),
                Actor::Delegate(head.clone()),
                head_device,
                EventKind::AddedToSuggestion { suggestion: *sid },
            );
            if *answered_at < end {
                finish_demand(
                    &mut chain,
                    *answered_at,
                    answer,
                    *resolved,
                    &staff,
                    staff_device,
                    &by_delegate,
                    demand.device,
                    &mut rng,
                );
            }
        } else if let Some(target) = duplicate_of.filter(|_| rng.chance(0.04)) {
            chain.push(
                Timestamp(reviewed.0 + HOUR),
                Actor::Delegate(head.clone()),
                head_device,
                EventKind::JoinedInto { target },
            );
        } else if rng.chance(0.02) {
            chain.push(
                Timestamp(reviewed.0 + DAY),
                by_delegate.clone(),
                demand.device,
                EventKind::Withdrawn {
                    reason: "居民表示问题已自行解决".into(),
                },
            );
        } else {
            let units = if rng.chance(0.5) {
                &community_units
            } else {
                &street_units
            };
            let unit = if units.is_empty() {
                HandlingUnitId::new("U-S01")
            } else {
                rng.pick(units).clone()
            };
            let routed = chain.push(
                Timestamp(reviewed.0 + DAY),
                Actor::Staff(staff.clone()),
                staff_device,
                EventKind::Routed {
                    unit,
                    deadline: Timestamp(reviewed.0 + 10 * DAY),
                    assisting: vec![],
                    reason: None,
                },
            );
            let answered_at = Timestamp(routed.0 + (1 + rng.below(14) as i64) * DAY);
            let resolved = rng.chance(0.9);
            let answer = if resolved {
                "已现场处理完毕。"
            } else {
                "暂不具备解决条件，已向居民解释。"
            };
            if answered_at < end {
                finish_demand(
                    &mut chain,
                    answered_at,
                    answer,
                    resolved,
                    &staff,
                    staff_device,
                    &by_delegate,
                    demand.device,
                    &mut rng,
                );
            }
        }
        out_demands.push((demand, chain.events));
    }

    Ok(DemoHistory {
        visits,
        demands: out_demands,
        suggestions,
        contacts,
    })
}

/// Answer, feedback to the resident (件件有回音), close.
#[allow(
    clippy::too_many_arguments,
    reason = "a private helper threading the generator's state"
)]
fn finish_demand(
    chain: &mut Chain<'_>,
    answered_at: Timestamp,
    answer: &str,
    resolved: bool,
    staff: &StaffId,
    staff_device: DeviceId,
    delegate: &Actor,
    delegate_device: DeviceId,
    rng: &mut Rng,
) {
    chain.push(
        answered_at,
        Actor::Staff(staff.clone()),
        staff_device,
        EventKind::Answered {
            text: answer.to_owned(),
            resolved,
            unit: None,
        },
    );
    chain.push(
        Timestamp(answered_at.0 + (1 + rng.below(3) as i64) * DAY),
        delegate.clone(),
        delegate_device,
        EventKind::FedBack {
            satisfied: Some(resolved || rng.chance(0.3)),
            note: None,
        },
    );
    chain.push(
        Timestamp(answered_at.0 + 4 * DAY),
        Actor::Staff(staff.clone()),
        staff_device,
        EventKind::Closed { note: None },
    );
}

/// A random point inside a grid (rejection sampling in its bounding box), rounded to 1e-6°.
fn point_in(locator: &Locator, t: &Territory, grid: &GridId, rng: &mut Rng) -> Option<[f64; 2]> {
    let ring = t.grid(grid)?.boundary.0.first()?;
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in ring {
        lo = [lo[0].min(p[0]), lo[1].min(p[1])];
        hi = [hi[0].max(p[0]), hi[1].max(p[1])];
    }
    for _ in 0..32 {
        let u = (rng.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let v = (rng.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let p = [
            ((lo[0] + u * (hi[0] - lo[0])) * 1e6).round() / 1e6,
            ((lo[1] + v * (hi[1] - lo[1])) * 1e6).round() / 1e6,
        ];
        if locator.grid_at(p[0], p[1]).ok().flatten() == Some(grid) {
            return Some(p);
        }
    }
    None
}

impl DemoHistory {
    /// The headline figures, derived from the records and their events.
    pub fn stats(&self) -> HistoryStats {
        use crate::workflow::{DemandStatus, derive_demand};
        let attendances = self.visits.iter().map(|(v, _)| v.delegates.len()).sum();
        let (mut counted, mut resolved, mut open) = (0, 0, 0);
        for (_, events) in &self.demands {
            let s = derive_demand(events);
            if matches!(s.status, DemandStatus::Joined | DemandStatus::Withdrawn) {
                continue;
            }
            counted += 1;
            match s.resolved {
                Some(true) => resolved += 1,
                Some(false) => {}
                None => open += 1,
            }
        }
        HistoryStats {
            visits: self.visits.len(),
            attendances,
            demands: self.demands.len(),
            suggestions: self.suggestions.len(),
            counted,
            resolved,
            open,
            resolution_rate: if counted == 0 {
                0.0
            } else {
                resolved as f64 / counted as f64
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::gulou;
    use crate::workflow::derive_demand;

    #[test]
    fn three_years_of_gulou_work_match_the_article() {
        let t = gulou().unwrap();
        let h = generate_history(&t, HISTORY_SEED).unwrap();
        let s = h.stats();
        println!("{s:?}");
        assert_eq!(s.visits, 330);
        assert!(s.attendances >= 500, "{} attendances", s.attendances);
        assert_eq!(s.demands, 930);
        assert_eq!(s.suggestions, 142);
        assert!(s.resolution_rate > 0.8, "resolution {}", s.resolution_rate);
        assert!(s.open > 0, "an honest history has open cases at its end");

        // Every demand lies in its grid, in its station, in 2019–2021, with a category text.
        let locator = Locator::new(&t).unwrap();
        let from = Timestamp::parse_date("2019-01-01").unwrap();
        let to = Timestamp::parse_date("2022-01-01").unwrap();
        let mut categories = std::collections::BTreeSet::new();
        for (d, events) in &h.demands {
            assert!(d.recorded_at >= from && d.recorded_at < to);
            assert_eq!(t.grid(&d.grid).unwrap().station, d.station);
            let loc = d.location.unwrap();
            assert_eq!(locator.grid_at(loc.lon, loc.lat).unwrap(), Some(&d.grid));
            assert!(!d.text.contains('{'), "{}", d.text);
            assert!(!derive_demand(events).needs_decision);
            categories.insert(d.category);
        }
        for c in [
            Category::OldEstateRenovation,
            Category::LiftMaintenance,
            Category::Parking,
            Category::WasteSorting,
            Category::ElderlyCare,
            Category::Education,
        ] {
            assert!(categories.contains(&c), "{c:?}");
        }
        // Suggestions group demands of their own station; contacts always have consent.
        let station_of: BTreeMap<DemandId, &StationId> =
            h.demands.iter().map(|(d, _)| (d.id, &d.station)).collect();
        for (sg, _) in &h.suggestions {
            assert!(sg.demands.len() >= 2);
            assert!(sg.demands.iter().all(|d| station_of[d] == &sg.station));
        }
        assert!(h.contacts.iter().all(|c| c.consent));
        assert!(!h.contacts.is_empty());
    }

    #[test]
    fn the_same_seed_gives_the_same_history() {
        let t = gulou().unwrap();
        assert_eq!(
            generate_history(&t, 7).unwrap(),
            generate_history(&t, 7).unwrap()
        );
        assert_ne!(
            generate_history(&t, 7).unwrap().demands[0].0.id,
            generate_history(&t, 8).unwrap().demands[0].0.id
        );
    }
}
