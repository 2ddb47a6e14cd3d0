//! Baseline files: the fingerprints of accepted findings (`policy-lint baseline --output FILE`),
//! and applying one (`check --baseline FILE`): matching findings are left out of the report, and
//! entries that match nothing are stale.

use crate::finding::Finding;
use crate::output::{self, FINGERPRINT_VERSION};
use crate::source::SourceMap;
use std::path::Path;

/// A baseline file. Its `version` is the fingerprint scheme's ([`FINGERPRINT_VERSION`]).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// One accepted finding. Only `fingerprint` is matched; the rest is for reviewers (and `code`
/// tells whether the rule ran).
#[derive(Debug, serde::Serialize, serde::Deserialize, Clone, PartialEq)]
pub struct Entry {
    pub fingerprint: String,
    pub code: String,
    pub file: String,
    pub message: String,
}

/// The baseline of a run: every unsuppressed finding, with its fingerprint.
pub fn of(findings: &[Finding], sources: &SourceMap, repo_root: &Path) -> Baseline {
    Baseline {
        version: FINGERPRINT_VERSION,
        findings: findings
            .iter()
            .filter(|f| f.suppression.is_none())
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                code: f.code.clone(),
                file: output::relative_path(sources, &f.loc, repo_root),
                message: f.message.clone(),
            })
            .collect(),
    }
}

/// The file's text (pretty JSON and a newline).
pub fn render(b: &Baseline) -> String {
    serde_json::to_string_pretty(b).unwrap_or_default() + "\n"
}

/// Parses a baseline file. A file of another fingerprint version is an error that says how to
/// regenerate it (`regenerate` is the command line to do so): its fingerprints were computed
/// from other inputs and cannot be converted without the findings they came from.
pub fn parse(text: &str, shown: &str, regenerate: &str) -> Result<Baseline, String> {
    let not_one = |e: &dyn std::fmt::Display| {
        format!("baseline `{shown}` is not a policy-lint baseline: {e}")
    };
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| not_one(&e))?;
    let version = v
        .get("version")
        .and_then(|x| x.as_u64())
        .ok_or_else(|| not_one(&"it has no numeric `version`"))?;
    if version < FINGERPRINT_VERSION as u64 {
        return Err(format!(
            "baseline `{shown}` has version {version}: it holds version {version} fingerprints, and this policy-lint computes version {FINGERPRINT_VERSION} fingerprints (they include the offending value, so that a baseline never hides a different one), which cannot be derived from the old ones. Regenerate it from a reviewed run: `{regenerate}` (it records every current finding: review the new file before committing it)"
        ));
    }
    if version > FINGERPRINT_VERSION as u64 {
        return Err(format!(
            "baseline `{shown}` has version {version}, written by a newer policy-lint; this one reads version {FINGERPRINT_VERSION}: upgrade policy-lint"
        ));
    }
    serde_json::from_value(v).map_err(|e| not_one(&e))
}

/// What applying a baseline did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Findings left out of the report.
    pub baselined: usize,
    /// Entries of rules that ran that match no finding (fixed, or changed).
    pub stale: Vec<Entry>,
}

/// Leaves out of `findings` each unsuppressed finding whose fingerprint is in `base` (one
/// finding per entry). A suppressed finding is kept, but uses up its entry: the finding still
/// exists, so the entry is not stale. An entry left over is stale only if its rule ran
/// (`ran(entry)`): deselecting or turning off a rule does not make its entries stale.
pub fn apply(findings: &mut Vec<Finding>, base: Baseline, ran: &dyn Fn(&Entry) -> bool) -> Applied {
    let mut remaining: crate::hash::HashMap<String, Vec<Entry>> = Default::default();
    for e in base.findings {
        remaining.entry(e.fingerprint.clone()).or_default().push(e);
    }
    let mut take = |fp: &str| -> bool {
        match remaining.get_mut(fp) {
            Some(list) if !list.is_empty() => {
                list.pop();
                true
            }
            _ => false,
        }
    };
    let mut baselined = 0;
    findings.retain(|f| {
        if f.suppression.is_some() {
            take(&f.fingerprint);
            return true;
        }
        if take(&f.fingerprint) {
            baselined += 1;
            false
        } else {
            true
        }
    });
    let mut stale: Vec<Entry> = remaining
        .into_values()
        .flatten()
        .filter(|e| ran(e))
        .collect();
    stale.sort_by(|a, b| {
        (&a.file, &a.code, &a.fingerprint).cmp(&(&b.file, &b.code, &b.fingerprint))
    });
    Applied { baselined, stale }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Suppression, SuppressionKind};
    use crate::source::{FileId, Location};

    fn finding(code: &str, fp: &str) -> Finding {
        let mut f = Finding::new(code, Location::new(FileId(0), 0..1), "m");
        f.fingerprint = fp.to_string();
        f
    }

    fn entry(code: &str, fp: &str) -> Entry {
        Entry {
            fingerprint: fp.into(),
            code: code.into(),
            file: "main.tf".into(),
            message: "m".into(),
        }
    }

    #[test]
    fn old_versions_are_refused_with_the_command() {
        let e = parse(
            r#"{"version": 1, "findings": []}"#,
            "b.json",
            "policy-lint baseline . --output b.json",
        )
        .unwrap_err();
        assert!(e.contains("has version 1"), "{e}");
        assert!(
            e.contains("`policy-lint baseline . --output b.json`"),
            "{e}"
        );
        let e = parse(r#"{"version": 3, "findings": []}"#, "b.json", "x").unwrap_err();
        assert!(e.contains("newer policy-lint"), "{e}");
        for bad in [
            "[1, 2]",
            "{}",
            r#"{"version": "2"}"#,
            r#"{"version": 2}"#,
            "nope",
        ] {
            let e = parse(bad, "b.json", "x").unwrap_err();
            assert!(e.contains("is not a policy-lint baseline"), "{bad}: {e}");
        }
        let b = parse(
            &render(&Baseline {
                version: FINGERPRINT_VERSION,
                findings: vec![entry("NET003", "00")],
            }),
            "b.json",
            "x",
        )
        .unwrap();
        assert_eq!(b.findings, vec![entry("NET003", "00")]);
    }

    #[test]
    fn entries_match_once_and_stale_only_when_the_rule_ran() {
        let mut fs = vec![finding("NET003", "aa"), finding("NET003", "bb")];
        let mut suppressed = finding("NET004", "cc");
        suppressed.suppression = Some(Suppression {
            kind: SuppressionKind::External,
            justification: "off".into(),
            loc: None,
        });
        fs.push(suppressed);
        let base = Baseline {
            version: FINGERPRINT_VERSION,
            findings: vec![
                entry("NET003", "aa"),
                entry("NET003", "aa"),
                entry("NET004", "cc"),
                entry("KMS001", "dd"),
            ],
        };
        let a = apply(&mut fs, base, &|e| e.code != "KMS001");
        assert_eq!(a.baselined, 1);
        // bb is new, the suppressed finding stays (and uses up its entry).
        assert_eq!(
            fs.iter()
                .map(|f| f.fingerprint.as_str())
                .collect::<Vec<_>>(),
            ["bb", "cc"]
        );
        // The second `aa` is stale; KMS001 did not run, so its entry is not.
        assert_eq!(a.stale, vec![entry("NET003", "aa")]);
    }
}
