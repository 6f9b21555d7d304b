//! Clustering quality on a labelled set written for it (`tests/data/demand_topics.json`): 36
//! problems, each said four ways by different residents. Every two texts of one problem are a
//! duplicate pair; every two texts of different problems under the same category are a hard
//! negative (same grid, same category, different problem). Precision and recall are printed for a
//! sweep of thresholds and asserted at the one the code uses.

use gridvoice_core::category::Category;
use gridvoice_core::cluster::{Corpus, THRESHOLD, fingerprint, similarity};

#[derive(serde::Deserialize)]
struct Topic {
    category: String,
    texts: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Set {
    topics: Vec<Topic>,
}

#[test]
fn duplicates_are_found_and_different_problems_of_one_kind_kept_apart() {
    let set: Set =
        serde_json::from_str(include_str!("data/demand_topics.json")).expect("the labelled set");
    // The weights come from the texts being compared, as they do for a station's inbox.
    let prints: Vec<_> = set
        .topics
        .iter()
        .flat_map(|t| t.texts.iter().map(|x| fingerprint(x)))
        .collect();
    let corpus = Corpus::new(&prints);
    // (score, same problem)
    let mut pairs: Vec<(f64, bool)> = Vec::new();
    for (i, a) in set.topics.iter().enumerate() {
        let ca: Category = a.category.parse().expect("a category code");
        for (j, b) in set.topics.iter().enumerate().skip(i) {
            let cb: Category = b.category.parse().expect("a category code");
            if i != j && ca != cb {
                continue;
            }
            for (x, ta) in a.texts.iter().enumerate() {
                for (y, tb) in b.texts.iter().enumerate() {
                    if i == j && y <= x {
                        continue;
                    }
                    let s = similarity(&fingerprint(ta), &fingerprint(tb), &corpus);
                    pairs.push((s, i == j));
                }
            }
        }
    }
    let positives = pairs.iter().filter(|p| p.1).count();
    let negatives = pairs.len() - positives;
    println!("labelled pairs: {positives} duplicates, {negatives} hard negatives");
    let measure = |t: f64| {
        let tp = pairs.iter().filter(|p| p.1 && p.0 >= t).count() as f64;
        let fp = pairs.iter().filter(|p| !p.1 && p.0 >= t).count() as f64;
        let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 1.0 };
        (precision, tp / positives as f64)
    };
    for t in [0.1, 0.12, 0.14, 0.15, 0.16, 0.17, 0.18, 0.2, 0.25, 0.3] {
        let (p, r) = measure(t);
        println!("threshold {t:.2}: precision {p:.3}, recall {r:.3}");
    }
    let (p, r) = measure(THRESHOLD);
    println!("at THRESHOLD {THRESHOLD}: precision {p:.3}, recall {r:.3}");
    assert!(positives >= 200 && negatives >= 500);
    assert!(p >= 0.9, "precision {p:.3} at {THRESHOLD}");
    assert!(r >= 0.4, "recall {r:.3} at {THRESHOLD}");
}
