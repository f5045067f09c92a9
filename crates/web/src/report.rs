//! A self-contained HTML report of the attendance profile that a practice can share: the same
//! summary, charts and tables as the Insight page, no scripts, no external files, disclosed for
//! the audience it is written for.

use crate::pages::insight::{figures, Figures};
use askama::Template;
use together_core::disclosure::Audience;
use together_insight::profile::Profile;

#[derive(Template)]
#[template(path = "report.html")]
struct Report<'a> {
    title: &'a str,
    subtitle: String,
    made_on: String,
    f: Figures,
}

/// The profile as one HTML file.
pub fn profile_report(
    p: &Profile,
    audience: Audience,
    made_on: time::Date,
) -> Result<String, askama::Error> {
    Report {
        title: "Who really uses the appointments",
        subtitle: format!(
            "Practices {}, {} to {}.",
            p.practices.join(", "),
            p.from,
            p.to
        ),
        made_on: made_on.to_string(),
        f: figures(p, audience),
    }
    .render()
}

#[derive(Template)]
#[template(path = "impact_report.html")]
struct ImpactReportFile<'a> {
    pcn: &'a str,
    made_on: String,
    v: crate::pages::impact::View,
}

/// The impact report as one HTML file for a PCN board or commissioner (print it to PDF from
/// the browser), disclosed for the audience it was made for.
pub fn impact_report(
    shown: &together_insight::impact::ShownReport,
    pcn: &str,
    made_on: time::Date,
) -> Result<String, askama::Error> {
    ImpactReportFile {
        pcn,
        made_on: made_on.to_string(),
        v: crate::pages::impact::view(shown, made_on),
    }
    .render()
}
