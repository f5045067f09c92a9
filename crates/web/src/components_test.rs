//! The NHS.UK components ported as askama macros (templates/components.html) must produce the
//! package's own expected HTML: each case renders a macro with a fixture's context and compares
//! it with that fixture's `html` from `nhsuk-frontend/dist/nhsuk/components/*/fixtures.json`.

use askama::Template;
use together_core::people::FieldError;

fn fixture(component: &str, name: &str, index: usize) -> String {
    let path = format!(
        "{}/../../web/node_modules/nhsuk-frontend/dist/nhsuk/components/{component}/fixtures.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run npm ci --prefix web)"));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let matching: Vec<&serde_json::Value> = json["fixtures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == name)
        .collect();
    matching[index]["html"].as_str().unwrap().to_owned()
}

/// Whitespace between tags and around text carries no meaning in these components, and askama
/// writes numeric character references where Nunjucks writes named ones (`&#38;` for `&amp;`):
/// both are the same escaped text.
fn normalise(html: &str) -> String {
    let collapsed = html.split_whitespace().collect::<Vec<_>>().join(" ");
    [
        ("&#38;", "&amp;"),
        ("&#60;", "&lt;"),
        ("&#62;", "&gt;"),
        ("&#34;", "&quot;"),
        ("&#39;", "'"),
    ]
    .iter()
    .fold(
        collapsed.replace("> ", ">").replace(" <", "<"),
        |s, (from, to)| s.replace(from, to),
    )
}

macro_rules! case {
    ($name:ident, $source:literal) => {
        #[derive(Template)]
        #[template(source = $source, ext = "html")]
        struct $name;
    };
}

case!(
    Button,
    r#"{% import "components.html" as c %}{% call c::button("Save and continue") %}"#
);
case!(
    Secondary,
    r#"{% import "components.html" as c %}{% call c::button_secondary("Find my location") %}"#
);
case!(
    LinkButton,
    r##"{% import "components.html" as c %}{% call c::button_link("Link button", "#") %}"##
);
case!(
    BackLink,
    r##"{% import "components.html" as c %}{% call c::back_link("#") %}"##
);
case!(
    Tag,
    r#"{% import "components.html" as c %}{% call c::tag("Active", "") %}"#
);
case!(
    GreyTag,
    r#"{% import "components.html" as c %}{% call c::tag("Inactive", "grey") %}"#
);
case!(
    Inset,
    r#"{% import "components.html" as c %}{% call c::inset_text("You can report any suspected side effect using the Yellow Card safety scheme") %}"#
);
case!(
    SkipLink,
    r#"{% import "components.html" as c %}{% call c::skip_link() %}"#
);
case!(
    ErrorMessage,
    r#"{% import "components.html" as c %}{% call c::error_message("", "Enter your full name") %}"#
);
case!(
    EscapedErrorMessage,
    r#"{% import "components.html" as c %}{% call c::error_message("", "Postcode must not include & and <") %}"#
);

#[derive(Template)]
#[template(
    source = r#"{% import "components.html" as c %}{% call c::error_summary(errors) %}"#,
    ext = "html"
)]
struct ErrorSummary<'a> {
    errors: &'a [FieldError],
}

fn check(rendered: askama::Result<String>, component: &str, name: &str, index: usize) {
    assert_eq!(
        normalise(&rendered.unwrap()),
        normalise(&fixture(component, name, index)),
        "{component} / {name}"
    );
}

#[test]
fn ported_components_match_the_packages_fixtures() {
    check(Button.render(), "button", "default", 0);
    check(Secondary.render(), "button", "secondary", 0);
    check(LinkButton.render(), "button", "as a link", 0);
    check(BackLink.render(), "back-link", "default", 0);
    check(Tag.render(), "tag", "default", 0);
    check(GreyTag.render(), "tag", "default", 2);
    check(Inset.render(), "inset-text", "default", 0);
    check(SkipLink.render(), "skip-link", "default", 0);
    check(ErrorMessage.render(), "error-message", "default", 0);
    check(
        EscapedErrorMessage.render(),
        "error-message",
        "with text escaping",
        0,
    );
    let errors = [FieldError {
        field: "example-day",
        message: "Date of birth must be in the past".into(),
    }];
    check(
        ErrorSummary { errors: &errors }.render(),
        "error-summary",
        "default",
        0,
    );
}
