// A build script reports a failure by panicking with its message: that is what `expect` is for here.
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Embeds the NHS.UK frontend (installed by npm under web/node_modules) and Together's own small
//! assets into the binary, so a deployment is one file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let nhsuk = manifest.join("../../web/node_modules/nhsuk-frontend/dist/nhsuk");
    if !nhsuk.join("nhsuk-frontend.min.css").is_file() {
        panic!("nhsuk-frontend is not installed: run `npm ci --prefix web` first (the README's demo and test commands do this for you)");
    }
    println!(
        "cargo:rerun-if-changed={}",
        nhsuk.join("nhsuk-frontend.min.css").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("assets").display()
    );

    let mut files: Vec<(String, PathBuf)> = vec![
        (
            "nhsuk-frontend.min.css".into(),
            nhsuk.join("nhsuk-frontend.min.css"),
        ),
        (
            "nhsuk-frontend.min.js".into(),
            nhsuk.join("nhsuk-frontend.min.js"),
        ),
    ];
    for dir in [
        (nhsuk.join("assets/images"), "images/"),
        (manifest.join("assets"), ""),
    ] {
        let mut entries: Vec<_> = std::fs::read_dir(&dir.0)
            .expect("asset folder is readable")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        for p in entries {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .expect("asset names are UTF-8")
                .to_owned();
            files.push((format!("{}{}", dir.1, name), p));
        }
    }
    let mut out = String::from("/// Embedded assets: (path under /assets/, content type, bytes).\npub static ASSETS: &[(&str, &str, &[u8])] = &[\n");
    for (name, path) in &files {
        let abs = path.canonicalize().expect("asset path resolves");
        writeln!(
            out,
            "    ({name:?}, {:?}, include_bytes!({:?})),",
            content_type(path),
            abs.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("assets.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
