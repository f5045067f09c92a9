//! Postcode centroids for finding services by distance: the ONS Postcode Directory's CSV (its
//! `pcds`, `lat`, `long` and `doterm` columns; ONSPD is published under the Open Government
//! Licence) or a plain `postcode,latitude,longitude` file. A postcode with no location (ONSPD's
//! 99.999999) or one that has been terminated is skipped, not rejected; anything else wrong is
//! rejected with its line, column and reason.

use crate::canonical::{read_rows, Parsed, ReadSummary};
use crate::fields::{ColumnMap, Fields, RowError};
use crate::FileError;
use std::io::Read;

/// One postcode's centroid.
#[derive(Debug, Clone, PartialEq)]
pub struct Centroid {
    /// Formatted as `together_core::partners::postcode` makes it ("HV1 1AA").
    pub postcode: String,
    pub latitude: f64,
    pub longitude: f64,
}

fn columns(headers: &csv::StringRecord) -> Result<ColumnMap, FileError> {
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let find = |choices: &[&str]| {
        choices
            .iter()
            .find_map(|c| names.iter().position(|n| n == c))
    };
    let mut map = ColumnMap::default();
    match (
        find(&["pcds", "postcode", "pcd", "pcd2"]),
        find(&["lat", "latitude"]),
        find(&["long", "longitude", "lon", "lng"]),
    ) {
        (Some(p), Some(lat), Some(lon)) => {
            map.insert("postcode", p);
            map.insert("latitude", lat);
            map.insert("longitude", lon);
        }
        _ => {
            return Err(FileError::UnknownLayout {
                dataset: "postcodes",
                found: names.join(", "),
                expected:
                    "pcds, lat, long (the ONS Postcode Directory) or postcode, latitude, longitude"
                        .into(),
            })
        }
    }
    if let Some(t) = find(&["doterm"]) {
        map.insert("doterm", t);
    }
    Ok(map)
}

fn degrees(f: &mut Fields<'_>, column: &'static str, limit: f64) -> Option<f64> {
    let v = f.required(column)?;
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x.abs() <= limit => Some(x),
        // ONSPD's mark for a postcode it has no grid reference for.
        Ok(x) if (x - 99.999999).abs() < 1e-6 => Some(x),
        _ => {
            f.fail(column, format!("'{v}' is not a {column} in degrees"));
            None
        }
    }
}

fn parse(f: &mut Fields<'_>) -> Option<Parsed<Centroid>> {
    let raw = f.required("postcode")?;
    let postcode = together_core::partners::postcode(raw);
    if postcode.is_none() {
        f.fail("postcode", format!("'{raw}' is not a UK postcode"));
    }
    let latitude = degrees(f, "latitude", 90.0);
    let longitude = degrees(f, "longitude", 180.0);
    if f.map.contains_key("doterm") && !f.text("doterm").trim().is_empty() {
        return Some(Parsed::Skip);
    }
    match (postcode, latitude, longitude) {
        (_, Some(lat), _) if (lat - 99.999999).abs() < 1e-6 => Some(Parsed::Skip),
        (Some(postcode), Some(latitude), Some(longitude)) => Some(Parsed::Keep(Centroid {
            postcode,
            latitude,
            longitude,
        })),
        _ => None,
    }
}

/// Reads a postcode file row by row, handing each centroid or each row's problems on.
pub fn read_postcodes<R: Read>(
    input: R,
    on_row: impl FnMut(u64, Result<Centroid, Vec<RowError>>),
) -> Result<ReadSummary, FileError> {
    read_rows(input, columns, parse, on_row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<Centroid>, Vec<RowError>, ReadSummary) {
        let (mut ok, mut bad) = (Vec::new(), Vec::new());
        let summary = read_postcodes(text.as_bytes(), |_, r| match r {
            Ok(c) => ok.push(c),
            Err(e) => bad.extend(e),
        })
        .unwrap();
        (ok, bad, summary)
    }

    #[test]
    fn the_ons_directory_is_read_and_its_unlocated_and_terminated_postcodes_skipped() {
        let (ok, bad, s) = read(
            "pcd,pcd2,pcds,dointr,doterm,lat,long\n\
             HV1 1AA,HV1  1AA,HV1 1AA,202001,,50.6150,-3.4130\n\
             HV1 1AB,HV1  1AB,HV1 1AB,202001,202105,50.6151,-3.4131\n\
             HV9 9ZZ,HV9  9ZZ,HV9 9ZZ,202001,,99.999999,0.000000\n",
        );
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].postcode, "HV1 1AA");
        assert!(bad.is_empty());
        assert_eq!((s.valid, s.skipped), (1, 2));
    }

    #[test]
    fn a_wrong_row_is_named_by_line_and_column() {
        let (ok, bad, _) = read("postcode,latitude,longitude\nhv11ab,50.6,-3.4\nnot a postcode,50.6,-3.4\nHV1 1AC,north,-3.4\n");
        assert_eq!(ok[0].postcode, "HV1 1AB");
        let said: Vec<String> = bad.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "line 3, postcode: 'not a postcode' is not a UK postcode",
                "line 4, latitude: 'north' is not a latitude in degrees"
            ]
        );
    }

    #[test]
    fn a_file_without_the_columns_is_refused_whole() {
        let e = read_postcodes("a,b\n1,2\n".as_bytes(), |_, _| {}).unwrap_err();
        assert!(matches!(e, FileError::UnknownLayout { .. }));
    }
}
