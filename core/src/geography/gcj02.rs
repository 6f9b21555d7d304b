//! WGS-84 ↔ GCJ-02 (the "Mars" datum of Chinese basemaps and many phones' location APIs).
//!
//! GCJ-02 is WGS-84 plus a deterministic, non-linear offset of a few hundred metres inside mainland
//! China; outside it the transform is the identity. We store WGS-84 and convert only at the edges
//! (imports declared GCJ-02, positions from a GCJ-02 location API, overlays on a Chinese basemap).
//! The forward formula is the widely published one (Krasovsky ellipsoid); the inverse has no closed
//! form, so it is solved by fixed-point iteration to well under a millimetre.
//!
//! ```
//! use gridvoice_core::geography::gcj02::{gcj02_to_wgs84, wgs84_to_gcj02};
//! let gcj = wgs84_to_gcj02([116.404, 39.915]);
//! assert!((gcj[0] - 116.41024449916938).abs() < 1e-9);
//! let back = gcj02_to_wgs84(gcj);
//! assert!((back[0] - 116.404).abs() < 1e-9 && (back[1] - 39.915).abs() < 1e-9);
//! assert_eq!(wgs84_to_gcj02([2.35, 48.85]), [2.35, 48.85]); // Paris: identity
//! ```

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

/// The datum coordinates are given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Datum {
    /// GPS, GeoJSON (RFC 7946) and everything Gridvoice stores.
    #[default]
    #[serde(rename = "WGS-84")]
    Wgs84,
    /// Chinese basemaps (AMap, Tencent) and many phones' location APIs in China.
    #[serde(rename = "GCJ-02")]
    Gcj02,
}

impl Datum {
    /// Parses the names people write: `WGS-84`, `WGS84`, `EPSG:4326`, `GCJ-02`, `GCJ02`.
    pub fn parse(s: &str) -> Option<Datum> {
        let k: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_uppercase();
        match k.as_str() {
            "WGS84" | "EPSG4326" | "CRS84" | "OGCCRS84" | "URNOGCDEFCRSOGC13CRS84" => {
                Some(Datum::Wgs84)
            }
            "GCJ02" => Some(Datum::Gcj02),
            _ => None,
        }
    }

    /// Converts a `[lon, lat]` in this datum to WGS-84.
    pub fn to_wgs84(self, p: [f64; 2]) -> [f64; 2] {
        match self {
            Datum::Wgs84 => p,
            Datum::Gcj02 => gcj02_to_wgs84(p),
        }
    }
}

const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;

/// The rough box the offset applies in (the conventional test every implementation uses).
pub fn in_china(p: [f64; 2]) -> bool {
    let [lon, lat] = p;
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

fn offset(p: [f64; 2]) -> [f64; 2] {
    let (x, y) = (p[0] - 105.0, p[1] - 35.0);
    let common = (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += common;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += common;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = p[1] / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (A / sqrt_magic * rad.cos() * PI);
    [dlon, dlat]
}

/// WGS-84 → GCJ-02. Identity outside China and for non-finite input.
pub fn wgs84_to_gcj02(p: [f64; 2]) -> [f64; 2] {
    if !in_china(p) {
        return p;
    }
    let d = offset(p);
    [p[0] + d[0], p[1] + d[1]]
}

/// GCJ-02 → WGS-84, by iterating `w ← w − (f(w) − g)` until the forward image matches to 1e-10°.
pub fn gcj02_to_wgs84(g: [f64; 2]) -> [f64; 2] {
    if !in_china(g) {
        return g;
    }
    let mut w = g;
    for _ in 0..30 {
        let f = wgs84_to_gcj02(w);
        let e = [f[0] - g[0], f[1] - g[1]];
        w = [w[0] - e[0], w[1] - e[1]];
        if e[0].abs() < 1e-10 && e[1].abs() < 1e-10 {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_tiananmen_pair_and_inverts_it() {
        // wandergis/coordtransform README: wgs84togcj02(116.404, 39.915)
        //   → [116.41024449916938, 39.91640428150164]
        let gcj = wgs84_to_gcj02([116.404, 39.915]);
        assert!((gcj[0] - 116.410_244_499_169_38).abs() < 1e-9, "{gcj:?}");
        assert!((gcj[1] - 39.916_404_281_501_64).abs() < 1e-9, "{gcj:?}");
        let wgs = gcj02_to_wgs84([116.410_244_499_169_38, 39.916_404_281_501_64]);
        assert!(
            (wgs[0] - 116.404).abs() < 1e-9 && (wgs[1] - 39.915).abs() < 1e-9,
            "{wgs:?}"
        );
    }

    #[test]
    fn the_published_one_step_inverse_is_within_a_few_metres_of_ours() {
        // The same README's gcj02towgs84(116.404, 39.915) → [116.39775550083061, 39.91359571849836]
        // uses a one-step approximation; the exact inverse is within a couple of metres of it.
        let w = gcj02_to_wgs84([116.404, 39.915]);
        assert!((w[0] - 116.397_755_500_830_61).abs() < 2e-5, "{w:?}");
        assert!((w[1] - 39.913_595_718_498_36).abs() < 2e-5, "{w:?}");
    }

    #[test]
    fn in_gulou_the_offset_is_a_few_hundred_metres_and_round_trips() {
        let p = [116.84, 40.37];
        let g = wgs84_to_gcj02(p);
        let dx = (g[0] - p[0]) * 84_931.0;
        let dy = (g[1] - p[1]) * 111_042.0;
        let d = (dx * dx + dy * dy).sqrt();
        assert!((100.0..1000.0).contains(&d), "offset {d} m");
        let back = gcj02_to_wgs84(g);
        assert!((back[0] - p[0]).abs() < 1e-9 && (back[1] - p[1]).abs() < 1e-9);
    }

    #[test]
    fn outside_china_is_the_identity() {
        for p in [
            [2.35, 48.85],
            [-74.0, 40.7],
            [139.69, 35.69],
            [f64::NAN, 1.0],
        ] {
            let g = wgs84_to_gcj02(p);
            assert!(g[0].to_bits() == p[0].to_bits() && g[1] == p[1] || p[0].is_nan());
            assert_eq!(gcj02_to_wgs84([p[0], p[1]])[1], p[1]);
        }
        assert_eq!(Datum::parse("gcj-02"), Some(Datum::Gcj02));
        assert_eq!(Datum::parse("EPSG:4326"), Some(Datum::Wgs84));
        assert_eq!(Datum::parse("BD-09"), None);
    }
}
