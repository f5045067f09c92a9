//! The demo's postcodes, so that distances to venues and listings can be worked out without
//! the ONS file.

use crate::Result;
use together_store::DynStore;

/// The demo's generated centroid table: every postcode its venues and listings use, and the
/// units of its four made-up districts around Harbourview (HV1 to HV4), about a mile apart.
pub async fn build(store: &DynStore) -> Result<usize> {
    const CENTRE: (f64, f64) = (50.6150, -3.4130);
    let mut rows = Vec::new();
    for district in 1..=4u8 {
        // Each district a mile or so from the harbour, in its own direction.
        let (dlat, dlon) = match district {
            1 => (0.0, 0.0),
            2 => (0.012, 0.020),
            3 => (0.020, -0.012),
            _ => (-0.010, 0.025),
        };
        for sector in 0..=9u8 {
            for (u, unit) in ["AA", "AB", "BB", "DD", "EE", "GH", "JQ", "NP"]
                .iter()
                .enumerate()
            {
                let k = f64::from(sector) * 8.0 + u as f64;
                rows.push((
                    format!("HV{district} {sector}{unit}"),
                    CENTRE.0 + dlat + (k % 9.0 - 4.0) * 0.0009,
                    CENTRE.1 + dlon + (k / 9.0 - 4.0) * 0.0013,
                ));
            }
        }
    }
    Ok(store.import_postcodes(&rows).await?)
}
