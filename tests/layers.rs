//! The layering rule of ../shared/design.md, checked on the source: each top-level module of `src/` names
//! (in `use crate::` lines or in paths) only the modules below it, so there is no cycle between them.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module and the modules it may use. Order is the layering, lowest first.
const ALLOWED: &[(&str, &[&str])] = &[
    ("util", &[]),
    ("resp", &["util"]),
    ("db", &["util"]),
    ("config", &["util"]),
    ("persist", &["util", "db"]),
    ("engine", &["util", "db", "persist", "config", "resp"]),
    (
        "cmd",
        &["util", "db", "persist", "config", "resp", "engine"],
    ),
    (
        "server",
        &["util", "db", "persist", "config", "resp", "engine", "cmd"],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules a source text names through `crate::`: `crate::a::b`, and each head of a
/// `crate::{a::x, b}` group. Comments are skipped.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for line in text.lines() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // Heads at depth 0 of the brace group (it may go on over the following lines: those
                // continuation lines start with a module name and are caught below).
                let mut depth = 0;
                let mut head = String::new();
                let mut at_head = true;
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            at_head = true;
                            continue;
                        }
                        _ => {}
                    }
                    if depth == 0 && at_head {
                        if c.is_alphanumeric() || c == '_' {
                            head.push(c);
                        } else if !head.is_empty() {
                            refs.insert(std::mem::take(&mut head));
                            at_head = false;
                        }
                    }
                }
                if !head.is_empty() {
                    refs.insert(head);
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    refs.insert(name);
                }
            }
        }
    }
    refs
}

/// Multi-line `use crate::{\n    a::x,\n    b,\n};` groups: the heads of their continuation lines.
fn group_refs(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    let mut in_group = false;
    for line in text.lines() {
        let t = line.trim();
        if in_group {
            if t.starts_with('}') {
                in_group = false;
                continue;
            }
            let name: String = t
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != "self" {
                refs.insert(name);
            }
        } else if (t.starts_with("use crate::{") || t.starts_with("pub use crate::{"))
            && t.ends_with('{')
        {
            in_group = true;
        }
    }
    refs
}

#[test]
fn top_level_modules_import_only_downward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut violations = Vec::new();
    let mut checked = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let mut parts = rel.components();
        let first = parts
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .to_string();
        let module = first.trim_end_matches(".rs").to_string();
        // lib.rs and main.rs sit above every layer.
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(may) = allowed.get(module.as_str()) else {
            violations.push(format!(
                "{}: top-level module `{module}` has no layer",
                rel.display()
            ));
            continue;
        };
        checked += 1;
        let text = std::fs::read_to_string(f).unwrap();
        let mut refs = crate_refs(&text);
        refs.extend(group_refs(&text));
        for r in refs {
            if r == module || r == "self" || r == "super" {
                continue;
            }
            if !may.contains(&r.as_str()) {
                violations.push(format!("{} ({module}) uses crate::{r}", rel.display()));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} files checked: wrong source path?"
    );
    assert!(
        violations.is_empty(),
        "imports against the layering:\n{}",
        violations.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let declared: BTreeSet<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    let layered: BTreeSet<&str> = ALLOWED.iter().map(|(m, _)| *m).collect();
    assert_eq!(declared, layered);
}

#[test]
fn the_checker_sees_groups_and_paths() {
    let t = "use crate::{db::Db, engine::{client::Client, Store}};\nlet x = crate::cmd::now();\n// crate::server\nuse crate::{\n    resp::Out,\n    util,\n};";
    let mut r = crate_refs(t);
    r.extend(group_refs(t));
    let want: BTreeSet<String> = ["db", "engine", "cmd", "resp", "util"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(r, want);
}
