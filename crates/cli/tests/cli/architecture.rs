//! The workspace's shape: no module of any crate imports one that imports it back.
//!
//! A circle of imports means neither module can be understood, tested or moved without the
//! other, and every new feature deepens it. Each crate's module graph is built from the paths
//! its code names that start at `crate::`, `self::` or `super::` (in `use` declarations and in
//! code), following re-exports to where an item is defined; a strongly connected component of
//! more than one module fails the test, naming the modules and the imports that close it.
//! Paths in macro bodies count for the module that writes them. `#[cfg(test)]` items are left
//! out: a test may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

type Module = Vec<String>;

/// Every module of a crate with the file that holds it.
fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, src: &Path, out: &mut BTreeMap<Module, PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, src, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).unwrap().with_extension("");
                let mut module: Module = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    module.last().map(String::as_str),
                    Some("lib" | "main" | "mod")
                ) {
                    module.pop();
                }
                out.insert(module, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// What one file names: the paths it uses, and the names its `use` declarations bring in.
#[derive(Default)]
struct Names {
    paths: Vec<Vec<String>>,
    imports: BTreeMap<String, Vec<String>>,
}

impl Names {
    fn use_tree(&mut self, prefix: &[String], tree: &syn::UseTree) {
        let with = |segment: String| {
            let mut p = prefix.to_vec();
            p.push(segment);
            p
        };
        match tree {
            syn::UseTree::Path(p) => self.use_tree(&with(p.ident.to_string()), &p.tree),
            syn::UseTree::Name(n) => {
                let full = if n.ident == "self" {
                    prefix.to_vec()
                } else {
                    with(n.ident.to_string())
                };
                if let Some(last) = full.last() {
                    self.imports.insert(last.clone(), full.clone());
                }
                self.paths.push(full);
            }
            syn::UseTree::Rename(r) => {
                let full = with(r.ident.to_string());
                self.imports.insert(r.rename.to_string(), full.clone());
                self.paths.push(full);
            }
            syn::UseTree::Glob(_) => self.paths.push(prefix.to_vec()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'a> Visit<'a> for Names {
    fn visit_item(&mut self, item: &'a syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Struct(s) => &s.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if is_test_only(attrs) {
            return;
        }
        if let syn::Item::Use(u) = item {
            self.use_tree(&[], &u.tree);
            return;
        }
        syn::visit::visit_item(self, item)
    }

    /// A macro's body is only tokens to syn; the paths in it that start at the crate (`crate::`,
    /// `$crate::`) are imports of the module that writes them.
    fn visit_macro(&mut self, mac: &'a syn::Macro) {
        let text = mac.tokens.to_string();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("crate :: ") {
            let before = &rest[..at];
            let starts_path = before.is_empty()
                || before.ends_with("$ ")
                || before.ends_with(|c: char| !c.is_alphanumeric() && c != '_');
            rest = &rest[at + "crate :: ".len()..];
            if !starts_path {
                continue;
            }
            let mut path = vec!["crate".to_owned()];
            let mut tail = rest;
            loop {
                let end = tail
                    .find(|c: char| !c.is_alphanumeric() && c != '_')
                    .unwrap_or(tail.len());
                if end == 0 {
                    break;
                }
                path.push(tail[..end].to_owned());
                match tail[end..].strip_prefix(" :: ") {
                    Some(next) => tail = next,
                    None => break,
                }
            }
            self.paths.push(path);
        }
        syn::visit::visit_macro(self, mac)
    }

    /// `pub(super)` and `pub(in crate::x)` say who may see an item, not what it uses.
    fn visit_visibility(&mut self, _: &'a syn::Visibility) {}

    fn visit_path(&mut self, path: &'a syn::Path) {
        self.paths
            .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path)
    }
}

/// `path` as named in `module`, from the crate's root; `None` when it leaves the crate.
fn absolute(module: &Module, path: &[String], mods: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    match path.first().map(String::as_str) {
        Some("crate") => Some(path[1..].to_vec()),
        Some("self") => Some(module.iter().chain(&path[1..]).cloned().collect()),
        Some("super") => {
            let mut base = module.clone();
            let mut rest = path;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
            Some(base.into_iter().chain(rest.iter().cloned()).collect())
        }
        // A child module named without `self::` (as `mod` declarations' owners do).
        Some(first) => {
            let mut child = module.clone();
            child.push(first.to_owned());
            mods.contains_key(&child)
                .then(|| module.iter().chain(path).cloned().collect())
        }
        None => None,
    }
}

/// The module that defines what `path` names, following re-exports.
fn defining(
    path: &Module,
    mods: &BTreeMap<Module, PathBuf>,
    names: &BTreeMap<Module, Names>,
    depth: usize,
) -> Module {
    let Some(owner) = (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| mods.contains_key(m))
    else {
        return Vec::new();
    };
    if depth < 8 && owner.len() < path.len() {
        let item = &path[owner.len()];
        if let Some(source) = names[&owner].imports.get(item) {
            if let Some(abs) = absolute(&owner, source, mods) {
                let mut next = abs;
                next.extend(path[owner.len() + 1..].iter().cloned());
                return defining(&next, mods, names, depth + 1);
            }
        }
    }
    owner
}

/// For each module of the crate, the modules it imports (with one path that shows each).
fn graph(src: &Path) -> BTreeMap<Module, BTreeMap<Module, String>> {
    let mods = modules(src);
    let names: BTreeMap<Module, Names> = mods
        .iter()
        .map(|(m, file)| {
            let text = std::fs::read_to_string(file).unwrap();
            let parsed = syn::parse_file(&text)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
            let mut n = Names::default();
            n.visit_file(&parsed);
            (m.clone(), n)
        })
        .collect();
    let mut edges: BTreeMap<Module, BTreeMap<Module, String>> = BTreeMap::new();
    for (m, n) in &names {
        let out = edges.entry(m.clone()).or_default();
        for path in &n.paths {
            let Some(abs) = absolute(m, path, &mods) else {
                continue;
            };
            let target = defining(&abs, &mods, &names, 0);
            // A module's own items, and the crate root that declares every module, are not
            // imports of another module.
            if &target != m && !target.is_empty() {
                out.entry(target).or_insert_with(|| path.join("::"));
            }
        }
    }
    edges
}

/// Tarjan's strongly connected components with more than one module.
fn circles(edges: &BTreeMap<Module, BTreeMap<Module, String>>) -> Vec<Vec<Module>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<Module, BTreeMap<Module, String>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        found: Vec<Vec<Module>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a Module) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            let next = self.edges.get(v).into_iter().flat_map(|e| e.keys());
            for w in next {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "(root)".into()
    } else {
        m.join("::")
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut report = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        seen += 1;
        let edges = graph(&src);
        for circle in circles(&edges) {
            let members: BTreeSet<&Module> = circle.iter().collect();
            let mut lines = vec![format!(
                "{}: {}",
                src.parent().unwrap().file_name().unwrap().to_string_lossy(),
                circle.iter().map(name).collect::<Vec<_>>().join(", ")
            )];
            for m in &circle {
                for (to, via) in &edges[m] {
                    if members.contains(to) {
                        lines.push(format!("    {} → {} ({via})", name(m), name(to)));
                    }
                }
            }
            report.push(lines.join("\n"));
        }
    }
    assert!(seen >= 7, "the workspace's crates were not found");
    assert!(
        report.is_empty(),
        "modules that import each other in a circle:\n{}",
        report.join("\n")
    );
}

#[test]
fn a_circle_is_found_and_a_tree_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("pages")).unwrap();
    std::fs::write(
        src.join("lib.rs"),
        "mod state; mod pages; pub use state::State;",
    )
    .unwrap();
    std::fs::write(
        src.join("state.rs"),
        "pub struct State { jobs: crate::pages::imports::Jobs }",
    )
    .unwrap();
    std::fs::write(src.join("pages/mod.rs"), "pub mod imports;").unwrap();
    std::fs::write(
        src.join("pages/imports.rs"),
        "use crate::State;\npub struct Jobs;\nfn f(_: State) {}\n#[cfg(test)]\nmod tests { use crate::state::*; }",
    )
    .unwrap();
    let circle = circles(&graph(src));
    assert_eq!(
        circle,
        vec![vec![
            vec!["pages".to_owned(), "imports".to_owned()],
            vec!["state".to_owned()]
        ]],
        "the re-export through the root is followed to state"
    );
    std::fs::write(src.join("state.rs"), "pub struct State;").unwrap();
    assert!(circles(&graph(src)).is_empty(), "one way is no circle");
    std::fs::write(
        src.join("state.rs"),
        "macro_rules! m { () => { $crate::pages::imports::Jobs }; }",
    )
    .unwrap();
    assert_eq!(circles(&graph(src)).len(), 1, "a macro's body imports too");
}
