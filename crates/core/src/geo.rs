//! Distances for "near me": from a postcode's centroid to a service's, along the Earth's
//! surface (haversine, which is within a few metres over a neighbourhood).

/// A point in WGS84 degrees (what the ONS Postcode Directory gives).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;
pub const MILE_M: f64 = 1_609.344;
/// The farthest a search may reach: a county, not the country.
pub const MAX_PROXIMITY_M: f64 = 100_000.0;

/// The distance between two points, in metres.
pub fn distance_m(a: Point, b: Point) -> f64 {
    let (la, lb) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dlat = lb - la;
    let dlon = (b.longitude - a.longitude).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la.cos() * lb.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Half the height and width, in degrees, of a box holding the circle of `within_m` around
/// `p`: what a database can filter on before the exact distance is worked out.
pub fn bounding_box(p: Point, within_m: f64) -> (f64, f64) {
    let dlat = (within_m / EARTH_RADIUS_M).to_degrees();
    let cos = p.latitude.to_radians().cos().max(0.01);
    (dlat, (dlat / cos).min(180.0))
}

/// "0.3 miles", "2.5 miles", "12 miles".
pub fn miles(m: f64) -> String {
    let mi = m / MILE_M;
    if mi < 0.1 {
        "under 0.1 miles".into()
    } else if mi < 10.0 {
        format!("{mi:.1} miles")
    } else {
        format!("{} miles", mi.round())
    }
}

/// The choices the public search offers, in miles.
pub const WITHIN_MILES: &[(&str, &str)] = &[
    ("1", "Within 1 mile"),
    ("2", "Within 2 miles"),
    ("5", "Within 5 miles"),
    ("10", "Within 10 miles"),
    ("25", "Within 25 miles"),
];

/// An ORUK `proximity` (metres, as text).
pub fn parse_proximity(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(m) if m.is_finite() && m > 0.0 && m <= MAX_PROXIMITY_M => Ok(m),
        _ => Err(format!(
            "proximity must be a distance in metres, more than 0 and up to {MAX_PROXIMITY_M}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_known_ones_and_the_box_holds_the_circle() {
        // Exeter cathedral to Exmouth seafront is about 14.5 km as the crow flies.
        let exeter = Point {
            latitude: 50.7226,
            longitude: -3.5297,
        };
        let exmouth = Point {
            latitude: 50.6138,
            longitude: -3.4046,
        };
        let d = distance_m(exeter, exmouth);
        assert!((14_000.0..15_000.0).contains(&d), "{d}");
        assert_eq!(distance_m(exeter, exeter), 0.0);
        let (dlat, dlon) = bounding_box(exeter, d);
        assert!((exmouth.latitude - exeter.latitude).abs() <= dlat);
        assert!((exmouth.longitude - exeter.longitude).abs() <= dlon);
        assert_eq!(miles(1_609.344 * 2.46), "2.5 miles");
        assert_eq!(miles(30_000.0), "19 miles");
        assert_eq!(miles(50.0), "under 0.1 miles");
    }

    #[test]
    fn proximity_is_metres_within_reason() {
        assert_eq!(parse_proximity("1500"), Ok(1500.0));
        for bad in ["", "-5", "0", "NaN", "1e9", "far"] {
            assert!(parse_proximity(bad).is_err(), "{bad}");
        }
    }
}
