//! No import circles between modules: the library's modules form layers. Every `use` and every
//! `crate::`/`super::`/`self::` path of the library's non-test code (src/, without src/bin) is an
//! edge from the module it is written in to the module it names. An edge counts between the two
//! children of the modules' closest common ancestor (a child using its own parent, or a parent its
//! children, is the module tree itself, not a layer edge), and at every level the edges must form
//! no cycle. The allow-list names the circles that must stay, each with its reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Circles that stay, as the sorted modules of the circle: none today.
const ALLOWED: &[(&[&str], &str)] = &[];

/// A module path (`["server", "device"]`; the crate root is `[]`).
type Module = Vec<String>;

/// Every library module with its file, and the files of test-only modules left out.
fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

fn walk(src: &Path, dir: &Path, out: &mut BTreeMap<Module, PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let rel = path.strip_prefix(src).unwrap();
        if rel.starts_with("bin") {
            continue;
        }
        if path.is_dir() {
            // `tests/` directories hold `#[cfg(test)]` modules.
            if path.file_name().is_some_and(|n| n == "tests") {
                continue;
            }
            walk(src, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut module: Module = rel
                .with_extension("")
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|l| l == "mod" || l == "lib") {
                module.pop();
            }
            out.insert(module, path);
        }
    }
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// Collects the paths a file names, skipping `#[cfg(test)]` items.
struct Paths {
    /// The module the file is (`self`), and inline modules entered.
    here: Module,
    /// Every crate-relative path named, made absolute.
    found: Vec<Module>,
}

impl Paths {
    /// The absolute form of a path's segments as written in module `here`.
    fn absolute(&self, segments: &[String]) -> Option<Module> {
        let (first, rest) = segments.split_first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.here.clone(),
            "super" => {
                let mut b = self.here.clone();
                b.pop()?;
                b
            }
            _ => return None,
        };
        let mut rest = rest;
        while let Some((s, r)) = rest.split_first() {
            if s != "super" {
                break;
            }
            base.pop()?;
            rest = r;
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn record(&mut self, segments: Vec<String>) {
        if let Some(p) = self.absolute(&segments) {
            self.found.push(p);
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.clone();
                if n.ident != "self" {
                    full.push(n.ident.to_string());
                }
                self.record(full);
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                full.push(r.ident.to_string());
                self.record(full);
            }
            syn::UseTree::Glob(_) => self.record(prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        let attrs = match i {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(m) => &m.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => return syn::visit::visit_item(self, i),
        };
        if is_cfg_test(attrs) {
            return;
        }
        syn::visit::visit_item(self, i);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.here.push(m.ident.to_string());
            syn::visit::visit_item_mod(self, m);
            self.here.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        self.use_tree(&mut prefix, &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.record(segments);
        syn::visit::visit_path(self, p);
    }
}

/// The deepest known module a path points into.
fn target(path: &Module, known: &BTreeMap<Module, PathBuf>) -> Module {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| known.contains_key(m))
        .unwrap_or_default()
}

/// Edges between sibling modules, grouped by their parent.
fn layer_edges(src: &Path) -> BTreeMap<Module, BTreeSet<(String, String, String)>> {
    let known = modules(src);
    let parsed: BTreeMap<&Module, syn::File> = known
        .iter()
        .map(|(module, file)| {
            let text = std::fs::read_to_string(file).unwrap();
            let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            (module, ast)
        })
        .collect();
    // Modules declared `#[cfg(test)] mod x;` (and what is below them) are test code.
    let mut test_only: Vec<Module> = Vec::new();
    for (module, ast) in &parsed {
        for item in &ast.items {
            if let syn::Item::Mod(m) = item {
                if m.content.is_none() && is_cfg_test(&m.attrs) {
                    let mut child = (*module).clone();
                    child.push(m.ident.to_string());
                    test_only.push(child);
                }
            }
        }
    }
    let mut edges: BTreeMap<Module, BTreeSet<(String, String, String)>> = BTreeMap::new();
    for (module, ast) in &parsed {
        let module: &Module = module;
        let file = &known[module];
        if is_cfg_test(&ast.attrs) || test_only.iter().any(|t| module.starts_with(t)) {
            continue;
        }
        let mut v = Paths {
            here: module.clone(),
            found: Vec::new(),
        };
        v.visit_file(ast);
        for path in v.found {
            let to = target(&path, &known);
            let common = module.iter().zip(&to).take_while(|(a, b)| a == b).count();
            // Ancestor and descendant: the module tree, not a layer edge.
            if common == module.len() || common == to.len() {
                continue;
            }
            let why = format!("{} uses {}", file.display(), path.join("::"));
            edges.entry(module[..common].to_vec()).or_default().insert((
                module[common].clone(),
                to[common].clone(),
                why,
            ));
        }
    }
    edges
}

/// The strongly connected components with more than one module.
fn circles(edges: &BTreeSet<(String, String, String)>) -> Vec<BTreeSet<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b, _)| [a, b]).collect();
    let reach = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for (a, b, _) in edges {
                if *a == n && seen.insert(b.clone()) {
                    stack.push(b.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for n in &nodes {
        let scc: BTreeSet<String> = nodes
            .iter()
            .filter(|m| reached[*n].contains(**m) && reached[**m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        if scc.len() > 1 && !out.contains(&scc) {
            out.push(scc);
        }
    }
    out
}

#[test]
fn modules_form_layers_without_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut report = Vec::new();
    for (parent, edges) in layer_edges(&src) {
        for scc in circles(&edges) {
            let names: Vec<&str> = scc.iter().map(String::as_str).collect();
            if ALLOWED
                .iter()
                .any(|(allowed, _)| *allowed == names.as_slice())
            {
                continue;
            }
            let level = if parent.is_empty() {
                "crate".to_string()
            } else {
                parent.join("::")
            };
            report.push(format!("circle in {level}: {}", names.join(" ↔ ")));
            for (a, b, why) in &edges {
                if scc.contains(a) && scc.contains(b) {
                    report.push(format!("    {a} → {b}: {why}"));
                }
            }
        }
    }
    assert!(report.is_empty(), "import circles:\n{}", report.join("\n"));
}

#[test]
fn the_checker_sees_a_circle() {
    let edges: BTreeSet<(String, String, String)> = [
        ("a", "b", ""),
        ("b", "c", ""),
        ("c", "a", ""),
        ("c", "d", ""),
    ]
    .iter()
    .map(|(a, b, w)| (a.to_string(), b.to_string(), w.to_string()))
    .collect();
    let found = circles(&edges);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0],
        ["a", "b", "c"].iter().map(|s| s.to_string()).collect()
    );
}
