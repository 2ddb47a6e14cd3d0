//! Emitting findings: human-readable (pretty, concise), JSON, SARIF 2.1.0, GitHub workflow
//! commands, JUnit XML and GitLab Code Quality JSON.
//!
//! Every renderer takes a [`Report`] and returns the whole output as a `String`. Output is
//! deterministic: the same report renders to the same bytes. JSON, SARIF and GitHub output are
//! independent of the current directory, the terminal and the environment; the human-readable
//! formats (pretty, concise) take what they depend on (colour, box drawing, width, the working
//! directory) as [`PrettyOptions`].

mod concise;
mod fingerprint;
mod github;
mod gitlab;
mod json;
mod junit;
mod pretty;
mod sarif;
pub mod text;

pub use concise::render_concise;
pub use fingerprint::{assign as assign_fingerprints, fingerprint, VERSION as FINGERPRINT_VERSION};
pub use github::render_github;
pub use gitlab::render_gitlab;
pub use json::render_json;
pub use junit::render_junit;
pub use pretty::{render_pretty, PrettyOptions};
pub use sarif::render_sarif;

use crate::finding::{Finding, Severity, Summary};
use crate::source::{LineCol, Location, SourceMap};
use std::path::Path;

/// Name of the tool in JSON and SARIF output.
pub const TOOL_NAME: &str = "policy-lint";

/// Metadata of one rule, listed in SARIF `tool.driver.rules`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDescriptor {
    /// `KMS002`
    pub code: String,
    /// `grant-without-aws-resource-condition`
    pub name: String,
    pub default_severity: Severity,
    /// One sentence.
    pub summary: String,
    pub full_description: String,
    pub help_markdown: String,
    pub help_uri: String,
    pub tags: Vec<String>,
    /// GitHub code scanning's `security-severity` (0.0 to 10.0).
    pub security_severity: Option<f64>,
}

/// Everything a renderer needs.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// Already sorted; includes suppressed findings (`suppression: Some`).
    pub findings: &'a [Finding],
    pub sources: &'a SourceMap,
    /// Every rule, for SARIF `tool.driver.rules`.
    pub rules: &'a [RuleDescriptor],
    pub summary: &'a Summary,
    /// Canonical git top level (or the scanned root). `SourceFile::path` is canonical too.
    pub repo_root: &'a Path,
    pub tool_version: &'a str,
    /// SARIF `automationDetails.id`; `policy-lint/` when `None`.
    pub sarif_category: Option<&'a str>,
}

/// Path of `loc`'s file relative to `repo_root`, `/`-separated; the file's display path when the
/// file is not below `repo_root`.
pub fn relative_path(sources: &SourceMap, loc: &Location, repo_root: &Path) -> String {
    rel_path_of(sources, loc, repo_root).0
}

/// Path relative to `repo_root` and whether the file is below it (`false`: display path).
pub(crate) fn rel_path_of(sources: &SourceMap, loc: &Location, repo_root: &Path) -> (String, bool) {
    let file = sources.get(loc.file);
    match file.path.strip_prefix(repo_root) {
        Ok(rel) if !rel.as_os_str().is_empty() => {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            (parts.join("/"), true)
        }
        _ => (file.display.replace('\\', "/"), false),
    }
}

/// Start and end (1-based line, character column) of a location.
pub(crate) fn span_line_cols(sources: &SourceMap, loc: &Location) -> (LineCol, LineCol) {
    let file = sources.get(loc.file);
    (file.line_col(loc.start), file.line_col(loc.end))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `3 errors, 1 warning, 0 notes in 12 files (2 suppressed, 1 baselined)` or
/// `No findings in 12 files.`
pub fn summary_line(s: &Summary) -> String {
    let mut extra = Vec::new();
    if s.suppressed > 0 {
        extra.push(format!("{} suppressed", s.suppressed));
    }
    if s.baselined > 0 {
        extra.push(format!("{} baselined", s.baselined));
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" ({})", extra.join(", "))
    };
    let files = plural(s.files, "file");
    if s.total() == 0 {
        format!("No findings in {files}{extra}.")
    } else {
        format!(
            "{}, {}, {} in {files}{extra}",
            plural(s.error, "error"),
            plural(s.warning, "warning"),
            plural(s.note, "note"),
        )
    }
}

/// The last line of a human-readable report when fixes are available:
/// `N fixable with --fix (M more with --unsafe-fixes)`.
pub fn fixable_line(s: &Summary) -> Option<String> {
    match (s.fixable, s.unsafe_fixable) {
        (0, 0) => None,
        (0, u) => Some(format!("{u} fixable with --fix --unsafe-fixes")),
        (n, 0) => Some(format!("{n} fixable with --fix")),
        (n, u) => Some(format!(
            "{n} fixable with --fix ({u} more with --unsafe-fixes)"
        )),
    }
}

/// The lines after the summary line: fixes applied, what was skipped (one line) and notices
/// about the run.
pub fn summary_details(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    if s.fixed > 0 || s.withheld > 0 {
        let mut line = format!(
            "Fixed {} finding{}",
            s.fixed,
            if s.fixed == 1 { "" } else { "s" }
        );
        if s.withheld > 0 {
            line.push_str(&format!(
                " ({} fix{} withheld, see standard error)",
                s.withheld,
                if s.withheld == 1 { "" } else { "es" }
            ));
        }
        line.push('.');
        out.push(line);
    }
    if !s.skipped.is_empty() {
        let items: Vec<String> = s
            .skipped
            .iter()
            .map(|k| format!("{} ({})", k.path, k.reason))
            .collect();
        out.push(format!("Skipped {}: {}", s.skipped.len(), items.join("; ")));
    }
    for n in &s.notices {
        out.push(format!("Note: {n}"));
    }
    out
}

#[cfg(test)]
pub(crate) mod testdata;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Summary;

    #[test]
    fn summary_lines() {
        let s = Summary {
            error: 3,
            warning: 1,
            suppressed: 2,
            files: 12,
            ..Summary::default()
        };
        assert_eq!(
            summary_line(&s),
            "3 errors, 1 warning, 0 notes in 12 files (2 suppressed)"
        );
        assert_eq!(summary_line(&Summary::default()), "No findings in 0 files.");
        let s = Summary {
            note: 1,
            suppressed: 1,
            baselined: 4,
            files: 1,
            ..Summary::default()
        };
        assert_eq!(
            summary_line(&s),
            "0 errors, 0 warnings, 1 note in 1 file (1 suppressed, 4 baselined)"
        );
        let s = Summary {
            suppressed: 2,
            files: 3,
            ..Summary::default()
        };
        assert_eq!(summary_line(&s), "No findings in 3 files (2 suppressed).");
    }

    #[test]
    fn summary_details_list_skipped_and_notices() {
        let s = Summary {
            skipped: vec![
                crate::finding::Skipped {
                    path: "main.tf:3".into(),
                    reason: "registry module".into(),
                },
                crate::finding::Skipped {
                    path: "live".into(),
                    reason: "Terragrunt".into(),
                },
            ],
            notices: vec!["environment `prod` is not declared".into()],
            ..Summary::default()
        };
        assert_eq!(
            summary_details(&s),
            [
                "Skipped 2: main.tf:3 (registry module); live (Terragrunt)",
                "Note: environment `prod` is not declared"
            ]
        );
        assert!(summary_details(&Summary::default()).is_empty());
    }

    #[test]
    fn relative_paths() {
        let t = testdata::sample();
        let r = t.report();
        let by_code = |c: &str| t.findings.iter().find(|f| f.code == c).unwrap();
        assert_eq!(
            relative_path(&t.sources, &by_code("CMK001").loc, r.repo_root),
            "infra/main.tf"
        );
        assert_eq!(
            relative_path(&t.sources, &by_code("KMS002").loc, r.repo_root),
            "policies/key policy.json"
        );
        let outside = by_code("KMS004");
        assert_eq!(
            rel_path_of(&t.sources, &outside.loc, r.repo_root),
            ("../elsewhere/policy.json".to_string(), false)
        );
    }
}
