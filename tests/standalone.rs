//! The product stands alone: no tracked file refers to a file the repository does not contain
//! (working notes that are not shipped), and every relative Markdown link resolves.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files of the repository: `git ls-files`, or (outside a git checkout, e.g. a packaged
/// crate) every file below the root except build output and VCS data.
fn tracked() -> Vec<String> {
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output();
    if let Ok(o) = out {
        if o.status.success() && !o.stdout.is_empty() {
            return o
                .stdout
                .split(|b| *b == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect();
        }
    }
    let mut files = Vec::new();
    walk(&root(), &root(), &mut files);
    files
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if name == "target" || name == ".git" {
                continue;
            }
            walk(&p, base, out);
        } else if let Ok(rel) = p.strip_prefix(base) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn read(rel: &str) -> Option<String> {
    std::fs::read_to_string(root().join(rel)).ok()
}

#[test]
fn no_tracked_file_refers_to_unshipped_notes() {
    // Spelt in pieces so that this file does not match itself.
    let needles: Vec<String> = vec![
        ["DOMAIN", ".md"].concat(),
        ["RULES", ".md"].concat(),
        ["DESIGN", ".md"].concat(),
        ["shared", "/"].concat(),
    ];
    let files = tracked();
    assert!(files.len() > 50, "{} files", files.len());
    let mut hits = Vec::new();
    for f in &files {
        let Some(text) = read(f) else { continue };
        for (i, line) in text.lines().enumerate() {
            for n in &needles {
                if line.contains(n.as_str()) {
                    hits.push(format!("{f}:{}: `{n}` in {}", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "references to files the repository does not ship:\n{}",
        hits.join("\n")
    );
}

/// The anchors a Markdown file defines: `<a id="...">` and GitHub's heading slugs.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let id = regex::Regex::new(r#"<a (?:id|name)="([^"]+)""#).unwrap();
    for c in id.captures_iter(text) {
        out.insert(c[1].to_string());
    }
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if let Some(h) = line.strip_prefix('#') {
            let h = h.trim_start_matches('#').trim();
            let slug: String = h
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect();
            out.insert(slug);
        }
    }
    out
}

/// Relative link targets of a Markdown file, outside code: `(line, target)`.
fn relative_links(text: &str) -> Vec<(usize, String)> {
    let link = regex::Regex::new(r#"\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#).unwrap();
    let code = regex::Regex::new(r"`[^`]*`").unwrap();
    let mut out = Vec::new();
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let line = code.replace_all(line, "");
        for c in link.captures_iter(&line) {
            let t = c[1].to_string();
            let external = t.contains("://") || t.starts_with("mailto:");
            if !external {
                out.push((i + 1, t));
            }
        }
    }
    out
}

#[test]
fn relative_markdown_links_resolve() {
    let files = tracked();
    let set: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let is_dir = |p: &str| {
        let prefix = format!("{}/", p.trim_end_matches('/'));
        files.iter().any(|f| f.starts_with(&prefix))
    };
    let mut broken = Vec::new();
    let mut checked = 0;
    for f in files.iter().filter(|f| f.ends_with(".md")) {
        let Some(text) = read(f) else { continue };
        let dir = Path::new(f).parent().unwrap_or(Path::new(""));
        for (line, target) in relative_links(&text) {
            checked += 1;
            let (path, fragment) = match target.split_once('#') {
                Some((p, a)) => (p.to_string(), Some(a.to_string())),
                None => (target.clone(), None),
            };
            let resolved = if path.is_empty() {
                f.clone()
            } else {
                normalize(&dir.join(&path))
            };
            let exists = set.contains(resolved.as_str()) || is_dir(&resolved);
            if !exists {
                broken.push(format!("{f}:{line}: `{target}` (no `{resolved}`)"));
                continue;
            }
            if let (Some(a), true) = (fragment, resolved.ends_with(".md")) {
                let defined = read(&resolved).map(|t| anchors(&t)).unwrap_or_default();
                if !defined.contains(&a) {
                    broken.push(format!(
                        "{f}:{line}: `{target}` (no anchor `#{a}` in {resolved})"
                    ));
                }
            }
        }
    }
    assert!(checked > 10, "{checked} links checked");
    assert!(
        broken.is_empty(),
        "broken relative Markdown links:\n{}",
        broken.join("\n")
    );
}

/// `a/./b/../c` -> `a/c`, `/`-separated.
fn normalize(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if parts.pop().is_none() {
                    parts.push("..".into());
                }
            }
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    parts.join("/").trim_end_matches('/').to_string()
}

#[test]
fn the_link_checker_sees_broken_links_and_anchors() {
    let text = "See [a](docs/x.md), `[b](nowhere.md)` and [c](https://example.com).\n```\n[d](fenced.md)\n```\n";
    assert_eq!(relative_links(text), vec![(1, "docs/x.md".to_string())]);
    let a = anchors("# How to fix it\n<a id=\"net001\"></a>\n## SUP004 malformed-suppression\n");
    assert!(a.contains("how-to-fix-it"));
    assert!(a.contains("net001"));
    assert!(a.contains("sup004-malformed-suppression"));
    assert_eq!(normalize(Path::new("docs/../README.md")), "README.md");
}
