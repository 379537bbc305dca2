//! Keeps `docs/api-matrix.md` true: every public operation of core's components is listed
//! once, and for each binding it names what offers it (and that exists) or says why the
//! binding leaves it out.
//!
//! Core's operations are found in the source: the `pub fn`s of the component types'
//! inherent impls, and the public free functions of the component modules. A binding's
//! surface is what its users see: C the generated header, Swift the package's sources
//! (generated and hand-written), Python the package's `.py` and `.pyi` files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The component types whose methods are the API.
const TYPES: [&str; 5] = [
    "Pool",
    "AuditLog",
    "PasswordHasher",
    "BreachChecker",
    "SessionRegistry",
];

/// The component modules whose public free functions are the API.
const COMPONENTS: [&str; 5] = ["pool", "audit", "password", "breach", "session"];

const BINDINGS: [&str; 3] = ["C", "Swift", "Python"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The name after `pub fn ` at the start of `line` (after `indent`), if any.
fn pub_fn_name<'a>(line: &'a str, indent: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(indent)?.strip_prefix("pub fn ")?;
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// The path by which a free function `name` in `file` can be named from outside core:
/// its module path when every module on the way is `pub mod`, else
/// `component::name` when the component's root re-exports it with `pub use`.
fn public_path(core_src: &Path, file: &Path, name: &str) -> Option<String> {
    let rel = file.strip_prefix(core_src).unwrap();
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .filter(|p| p != "mod")
        .collect();
    let mut dir = core_src.to_path_buf();
    let mut all_pub = true;
    for (i, part) in parts.iter().enumerate() {
        let parent = if i == 0 {
            core_src.join("lib.rs")
        } else {
            dir.join("mod.rs")
        };
        let text = fs::read_to_string(&parent).unwrap();
        all_pub &= text.lines().any(|l| l.trim() == format!("pub mod {part};"));
        dir = dir.join(part);
    }
    if all_pub {
        return Some(format!("{}::{name}", parts.join("::")));
    }
    let component_root = core_src.join(&parts[0]).join("mod.rs");
    let text = fs::read_to_string(component_root).unwrap_or_default();
    let module = &parts[parts.len() - 1];
    text.split("pub use ")
        .skip(1)
        .map(|s| &s[..s.find(';').unwrap_or(s.len())])
        .any(|s| s.starts_with(&format!("{module}::")) && has_word(s, name))
        .then(|| format!("{}::{name}", parts[0]))
}

fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !ident(before) && !ident(after)
    })
}

/// `Type::method` and `component::function` for every public operation of core.
fn core_operations() -> BTreeSet<String> {
    let core_src = root().join("core/src");
    let mut files = Vec::new();
    rust_files(&core_src, &mut files);
    let mut ops = BTreeSet::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let component = file.strip_prefix(&core_src).unwrap().iter().next().unwrap();
        let component = component.to_string_lossy();
        let mut current: Option<&str> = None;
        for line in text.lines() {
            if line == "#[cfg(test)]" {
                break;
            }
            if let Some(rest) = line.strip_prefix("impl ") {
                current = TYPES.iter().copied().find(|t| rest == format!("{t} {{"));
            } else if line == "}" {
                current = None;
            } else if let Some(ty) = current {
                if let Some(name) = pub_fn_name(line, "    ") {
                    ops.insert(format!("{ty}::{name}"));
                }
            } else if let Some(name) = pub_fn_name(line, "")
                && COMPONENTS.contains(&&*component)
                && let Some(path) = public_path(&core_src, &file, name)
            {
                ops.insert(path);
            }
        }
    }
    ops
}

/// Members per type (and `""` for top-level functions) of a brace-delimited language.
fn swift_members(text: &str, members: &mut BTreeMap<String, BTreeSet<String>>) {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut depth = 0usize;
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or("").trim();
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == '(' || c == ':' || c == '<' || c == '{')
            .filter(|w| !w.is_empty())
            .collect();
        let owner = stack.last().map(|(_, t)| t.clone()).unwrap_or_default();
        let at_member_level =
            stack.last().is_some_and(|(d, _)| *d + 1 == depth) || stack.is_empty();
        for (i, w) in words.iter().enumerate() {
            let next = words.get(i + 1).copied();
            match (*w, next) {
                ("class" | "struct" | "enum" | "extension" | "protocol" | "actor", Some(name))
                    if line.contains('{') =>
                {
                    stack.push((depth, name.to_string()));
                    break;
                }
                ("func" | "var" | "let" | "case", Some(name)) if at_member_level => {
                    let name = name.trim_matches('`').to_string();
                    members.entry(owner.clone()).or_default().insert(name);
                    break;
                }
                ("init" | "init?", _) if at_member_level && i < words.len() => {
                    members
                        .entry(owner.clone())
                        .or_default()
                        .insert("init".into());
                    break;
                }
                _ => {}
            }
        }
        for c in line.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if stack.last().is_some_and(|(d, _)| *d == depth) {
                        stack.pop();
                    }
                }
                _ => {}
            }
        }
    }
}

/// Members per class (and `""` for module-level names) of Python sources and stubs.
fn python_members(text: &str, members: &mut BTreeMap<String, BTreeSet<String>>) {
    let mut class = String::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        let name_after = |prefix: &str| {
            trimmed.strip_prefix(prefix).map(|rest| {
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
        };
        if indent == 0 && !trimmed.is_empty() && !trimmed.starts_with(['#', '@', ')']) {
            class.clear();
        }
        let def = name_after("def ").or_else(|| name_after("async def "));
        if let Some(name) = name_after("class ").filter(|_| indent == 0) {
            members
                .entry(String::new())
                .or_default()
                .insert(name.clone());
            class = name;
        } else if let Some(name) = def {
            let owner = if indent == 0 {
                String::new()
            } else {
                class.clone()
            };
            members.entry(owner).or_default().insert(name);
        } else if indent == 0
            && let Some((name, _)) = trimmed.split_once(" = ")
        {
            members
                .entry(String::new())
                .or_default()
                .insert(name.trim().to_string());
        }
    }
}

fn files_with(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_with(&path, exts, out);
        } else if path
            .extension()
            .is_some_and(|e| exts.iter().any(|x| e == *x))
        {
            out.push(path);
        }
    }
}

struct Surfaces {
    c_header: String,
    swift: BTreeMap<String, BTreeSet<String>>,
    python: BTreeMap<String, BTreeSet<String>>,
}

impl Surfaces {
    fn load() -> Self {
        let mut swift = BTreeMap::new();
        let mut files = Vec::new();
        files_with(&root().join("swift/Sources"), &["swift"], &mut files);
        for f in files {
            swift_members(&fs::read_to_string(f).unwrap(), &mut swift);
        }
        let mut python = BTreeMap::new();
        let mut files = Vec::new();
        files_with(&root().join("python/magnetar"), &["py", "pyi"], &mut files);
        for f in files {
            python_members(&fs::read_to_string(f).unwrap(), &mut python);
        }
        Surfaces {
            c_header: fs::read_to_string(root().join("include/magnetar.h")).unwrap(),
            swift,
            python,
        }
    }

    /// Whether `reference` (`mgn_fn` in C; `Type.member` or `function` elsewhere)
    /// exists in `binding`.
    fn has(&self, binding: &str, reference: &str) -> bool {
        let members = match binding {
            "C" => return has_word(&self.c_header, reference),
            "Swift" => &self.swift,
            _ => &self.python,
        };
        let (owner, member) = reference.rsplit_once('.').unwrap_or(("", reference));
        members.get(owner).is_some_and(|m| m.contains(member))
    }
}

/// Rows of the matrix: operation → one cell per binding.
fn matrix() -> BTreeMap<String, Vec<String>> {
    let text = fs::read_to_string(root().join("docs/api-matrix.md")).unwrap();
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_string())
            .collect();
        assert_eq!(cells.len(), 4, "a matrix row needs 4 cells: {line}");
        let op = cells[0].trim_matches('`').to_string();
        assert!(
            rows.insert(op.clone(), cells[1..].to_vec()).is_none(),
            "{op} is listed twice"
        );
    }
    rows
}

#[test]
fn every_core_operation_is_in_the_matrix_and_in_every_binding_or_excused() {
    let ops = core_operations();
    assert!(ops.contains("AuditLog::record") && ops.contains("password::upgrade_table"));
    let rows = matrix();
    let surfaces = Surfaces::load();
    let mut problems = Vec::new();
    for op in &ops {
        if !rows.contains_key(op) {
            problems.push(format!(
                "{op}: public in core, missing from docs/api-matrix.md"
            ));
        }
    }
    for (op, cells) in &rows {
        if !ops.contains(op) {
            problems.push(format!(
                "{op}: in docs/api-matrix.md but not a public core operation"
            ));
        }
        for (binding, cell) in BINDINGS.iter().zip(cells) {
            if let Some(reason) = cell.strip_prefix("—") {
                if reason.trim().len() < 10 {
                    problems.push(format!("{op}: {binding} leaves it out without a reason"));
                }
                continue;
            }
            let refs: Vec<&str> = cell.split('`').skip(1).step_by(2).collect();
            if refs.is_empty() {
                problems.push(format!("{op}: {binding} cell names nothing: {cell:?}"));
            }
            for r in refs {
                if !surfaces.has(binding, r) {
                    problems.push(format!(
                        "{op}: {binding} names `{r}`, which it does not have"
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/api-matrix.md:\n{}",
        problems.join("\n")
    );
}
