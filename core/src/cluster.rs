//! Duplicate clusters: demands that are probably the same problem, for the station head to confirm,
//! split or add to. Candidates must be close in place (the same or an adjacent grid), in kind (the
//! same or a related category) and in time (within a window); their texts must be similar by
//! Chinese character n-grams. Pure and deterministic.
//!
//! Similarity: each text is normalised (letters, digits and CJK characters only; Chinese numerals
//! read as digits) and reduced to its set of characters, leaving out function characters (的, 了 …).
//! The score is a Jaccard index weighted by each character's inverse document frequency over the
//! demands being compared ([`Corpus`]): characters every demand uses (居, 民, 希, 望 …) count for
//! little, the ones that name the problem (梯, 暖, 厕 …) for much. The threshold was chosen on the
//! labelled set in `core/tests/data/demand_topics.json` (see ARCHITECTURE.md, "Duplicate
//! clusters").

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::api::DemandView;
use crate::category::Category;
use crate::ids::{DemandId, GridId};
use crate::territory::Territory;
use crate::workflow::DemandStatus;

/// Pairs scoring at least this are proposed as duplicates.
pub const THRESHOLD: f64 = 0.17;
/// Demands further apart than this are not proposed together.
pub const WINDOW_DAYS: i64 = 60;

/// Characters that carry no meaning of their own.
const STOP_CHARS: &str = "的了是在有和也都就还很太请我们家这那个把被让给对于及与或等吧呢啊吗";

/// What the similarity reads of a text: its characters, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    chars: Vec<char>,
}

fn normalise(c: char) -> Option<char> {
    let c = match c {
        '零' | '〇' => '0',
        '一' => '1',
        '二' | '两' => '2',
        '三' => '3',
        '四' => '4',
        '五' => '5',
        '六' => '6',
        '七' => '7',
        '八' => '8',
        '九' => '9',
        c => c,
    };
    (c.is_alphanumeric() && !STOP_CHARS.contains(c)).then(|| c.to_lowercase().next().unwrap_or(c))
}

/// The fingerprint of a demand's text.
pub fn fingerprint(text: &str) -> Fingerprint {
    let mut chars: Vec<char> = text.chars().filter_map(normalise).collect();
    chars.sort_unstable();
    chars.dedup();
    Fingerprint { chars }
}

/// How many of a set of texts use each character, for the weights of [`similarity`].
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    df: HashMap<char, usize>,
    n: usize,
}

impl Corpus {
    pub fn new<'a>(prints: impl IntoIterator<Item = &'a Fingerprint>) -> Corpus {
        let mut df: HashMap<char, usize> = HashMap::new();
        let mut n = 0usize;
        for f in prints {
            n += 1;
            for c in &f.chars {
                *df.entry(*c).or_default() += 1;
            }
        }
        Corpus { df, n }
    }

    /// A character's inverse document frequency among the *other* texts than the two compared
    /// (`uses`: how many of the two use it), so that a pair's own words never count against it
    /// and a small inbox weighs like a plain Jaccard index.
    fn weight(&self, c: char, uses: usize) -> f64 {
        let others = self.n.saturating_sub(2) as f64;
        let df = self.df.get(&c).copied().unwrap_or(0).saturating_sub(uses) as f64;
        ((others + 1.0) / (df + 0.5)).ln().max(0.0)
    }
}

/// How alike two texts are, 0 to 1: their characters' Jaccard index, each character weighted by
/// how rare it is among the other texts of `corpus`.
pub fn similarity(a: &Fingerprint, b: &Fingerprint, corpus: &Corpus) -> f64 {
    let (mut i, mut j) = (0, 0);
    let (mut both, mut either) = (0.0, 0.0);
    loop {
        match (a.chars.get(i), b.chars.get(j)) {
            (Some(x), Some(y)) if x == y => {
                let w = corpus.weight(*x, 2);
                both += w;
                either += w;
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                either += corpus.weight(*x, 1);
                i += 1;
            }
            (Some(x), None) => {
                either += corpus.weight(*x, 1);
                i += 1;
            }
            (_, Some(y)) => {
                either += corpus.weight(*y, 1);
                j += 1;
            }
            (None, None) => break,
        }
    }
    if either > 0.0 { both / either } else { 0.0 }
}

/// Themes of categories that residents use for one problem interchangeably.
fn themes(c: Category) -> &'static [u8] {
    use Category::*;
    match c {
        LiftMaintenance | OldEstateRenovation | Housing | PropertyManagement => &[1],
        Parking | Traffic | Convenience => &[2],
        Environment | WasteSorting | Livability => &[3],
        ElderlyCare | Medical | VulnerableSupport => &[4],
        ChildCare | Education => &[5],
        Safety => &[1, 2, 3],
        Employment | Diversity | Fairness => &[6],
        Other => &[1, 2, 3, 4, 5, 6],
    }
}

/// The same category, or categories residents use for the same kind of problem.
pub fn related(a: Category, b: Category) -> bool {
    a == b || themes(a).iter().any(|t| themes(b).contains(t))
}

/// Grids that touch (share a boundary point), from the territory's polygons.
pub fn adjacency(t: &Territory) -> HashMap<GridId, BTreeSet<GridId>> {
    // Points rounded to ~1 cm; grids sharing one are neighbours.
    let key = |p: &[f64; 2]| ((p[0] * 1e7).round() as i64, (p[1] * 1e7).round() as i64);
    let mut at: HashMap<(i64, i64), BTreeSet<&GridId>> = HashMap::new();
    for g in &t.grids {
        for ring in &g.boundary.0 {
            for p in ring {
                at.entry(key(p)).or_default().insert(&g.id);
            }
        }
    }
    let mut out: HashMap<GridId, BTreeSet<GridId>> = HashMap::new();
    for grids in at.values() {
        for a in grids {
            for b in grids {
                if a != b {
                    out.entry((*a).clone()).or_default().insert((*b).clone());
                }
            }
        }
    }
    out
}

/// A proposed group of duplicates, strongest pair first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// Oldest first: the first is the natural one to join the others into.
    pub demands: Vec<DemandId>,
    /// The pairs that tie it together, with their scores.
    pub pairs: Vec<(DemandId, DemandId, f64)>,
}

/// Whether a demand can still be joined (not already joined, withdrawn or finished).
fn open(v: &DemandView) -> bool {
    matches!(
        v.state.status,
        DemandStatus::Recorded | DemandStatus::Reviewed
    )
}

/// A text prepared for many comparisons: its characters with their weights for one use and for
/// two (see [`Corpus::weight`]).
struct Prepared {
    chars: Vec<(char, f64, f64)>,
}

fn prepare(f: &Fingerprint, weights: &HashMap<char, (f64, f64)>) -> Prepared {
    Prepared {
        chars: f
            .chars
            .iter()
            .map(|c| {
                let (w1, w2) = weights.get(c).copied().unwrap_or((0.0, 0.0));
                (*c, w1, w2)
            })
            .collect(),
    }
}

/// [`similarity`] on prepared texts (the same number, without a look-up per character).
fn score(a: &Prepared, b: &Prepared) -> f64 {
    let (mut i, mut j) = (0, 0);
    let (mut both, mut either) = (0.0, 0.0);
    let (xs, ys) = (&a.chars, &b.chars);
    while i < xs.len() && j < ys.len() {
        let (x, y) = (xs[i], ys[j]);
        if x.0 == y.0 {
            both += x.2;
            either += x.2;
            i += 1;
            j += 1;
        } else if x.0 < y.0 {
            either += x.1;
            i += 1;
        } else {
            either += y.1;
            j += 1;
        }
    }
    either += xs[i..].iter().map(|x| x.1).sum::<f64>() + ys[j..].iter().map(|y| y.1).sum::<f64>();
    if either > 0.0 { both / either } else { 0.0 }
}

/// Proposes duplicate clusters among `demands` (one station's, normally).
///
/// Leader clustering, oldest first: each demand joins the cluster of the best-matching earlier
/// *leader* (the cluster's first demand) that is near in place, kind and time and scores at least
/// [`THRESHOLD`] against it; otherwise it leads a cluster of its own. Members are similar to the
/// leader itself, so clusters do not chain from one problem to the next the way single linkage
/// would. Candidate leaders come from an index of their rarer characters (a pair with no rare
/// character in common cannot reach the threshold on common ones alone).
pub fn clusters(demands: &[DemandView], t: &Territory) -> Vec<Cluster> {
    let next = adjacency(t);
    let mut items: Vec<(&DemandView, Fingerprint)> = demands
        .iter()
        .filter(|v| open(v))
        .map(|v| (v, fingerprint(&v.demand.text)))
        .collect();
    items.sort_by_key(|(v, _)| (v.demand.recorded_at, v.demand.id));
    let corpus = Corpus::new(items.iter().map(|(_, f)| f));
    let weights: HashMap<char, (f64, f64)> = corpus
        .df
        .keys()
        .map(|c| (*c, (corpus.weight(*c, 1), corpus.weight(*c, 2))))
        .collect();
    let prepared: Vec<Prepared> = items.iter().map(|(_, f)| prepare(f, &weights)).collect();
    // A character used by more than a fifth of the texts is too common to find candidates by.
    let rare_limit = (items.len() / 5).max(2);
    let rare = |c: &char| corpus.df.get(c).is_some_and(|&n| n <= rare_limit);
    let window = WINDOW_DAYS * 86_400_000;
    let none = BTreeSet::new();
    let mut index: HashMap<char, Vec<usize>> = HashMap::new();
    let mut leader_of: Vec<usize> = (0..items.len()).collect();
    let mut best_score: Vec<f64> = vec![0.0; items.len()];
    let mut seen: Vec<usize> = vec![usize::MAX; items.len()];
    for (i, (a, fa)) in items.iter().enumerate() {
        let grid = &a.demand.grid;
        let near: BTreeSet<&GridId> = std::iter::once(grid)
            .chain(next.get(grid).unwrap_or(&none).iter())
            .collect();
        let mut best: Option<(f64, usize)> = None;
        for c in fa.chars.iter().filter(|c| rare(c)) {
            for &l in index.get(c).map(Vec::as_slice).unwrap_or(&[]) {
                if seen[l] == i {
                    continue;
                }
                seen[l] = i;
                let b = items[l].0;
                if a.demand.recorded_at.0 - b.demand.recorded_at.0 > window
                    || !near.contains(&b.demand.grid)
                    || !related(a.demand.category, b.demand.category)
                {
                    continue;
                }
                let s = score(&prepared[i], &prepared[l]);
                if s >= THRESHOLD && best.is_none_or(|(bs, bl)| s > bs || (s == bs && l < bl)) {
                    best = Some((s, l));
                }
            }
        }
        match best {
            Some((s, l)) => {
                leader_of[i] = l;
                best_score[i] = s;
            }
            None => {
                for c in fa.chars.iter().filter(|c| rare(c)) {
                    index.entry(*c).or_default().push(i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &l) in leader_of.iter().enumerate() {
        groups.entry(l).or_default().push(i);
    }
    let mut out: Vec<Cluster> = groups
        .into_iter()
        .filter(|(_, g)| g.len() > 1)
        .map(|(l, g)| {
            let lead = items[l].0.demand.id;
            let mut pairs: Vec<(DemandId, DemandId, f64)> = g
                .iter()
                .filter(|&&i| i != l)
                .map(|&i| (lead, items[i].0.demand.id, best_score[i]))
                .collect();
            pairs.sort_by(|x, y| y.2.total_cmp(&x.2));
            Cluster {
                demands: g.iter().map(|&i| items[i].0.demand.id).collect(),
                pairs,
            }
        })
        .collect();
    // Largest first, then by their oldest demand.
    out.sort_by(|x, y| {
        y.demands
            .len()
            .cmp(&x.demands.len())
            .then_with(|| x.demands.cmp(&y.demands))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_lift_problem_in_other_words_is_similar_and_a_parking_problem_is_not() {
        let a = fingerprint("3号楼电梯经常停运，老人上下楼困难，希望尽快维修");
        let b = fingerprint("三号楼的电梯隔三差五就坏，老年人出门很不方便");
        let c = fingerprint("小区停车位严重不足，晚上车辆乱停占用消防通道");
        let d = fingerprint("希望在社区设立老年食堂，解决独居老人吃饭问题");
        let corpus = Corpus::new([&a, &b, &c, &d]);
        let s = |x, y| similarity(x, y, &corpus);
        assert!(s(&a, &b) >= THRESHOLD, "{}", s(&a, &b));
        assert!(s(&a, &c) < THRESHOLD, "{}", s(&a, &c));
        assert!((s(&a, &a) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn related_categories_are_symmetric() {
        for a in Category::ALL {
            for b in Category::ALL {
                assert_eq!(related(*a, *b), related(*b, *a), "{a:?} {b:?}");
            }
            assert!(related(*a, *a));
        }
    }
}
