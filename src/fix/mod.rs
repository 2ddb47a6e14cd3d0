//! Automatic fixes: `check --fix`, `--unsafe-fixes` and `--diff`.
//!
//! Checks attach a [`Fix`](crate::finding::Fix) to the findings they know how to repair: what
//! to change, in terms of the configuration ([`Change`](crate::finding::Change): this string
//! literal becomes that value, this list element goes, this attribute is added), at the origin
//! of the value (the tfvars line, the variable default, the module argument, the JSON string in
//! a heredoc or a JSON file). At the end of a run the engine realizes them ([`realize`]): each
//! change becomes exact edits of the file's text through the lossless editor of
//! [`crate::edit`], or the fix is withdrawn and the finding says why (a computed value, a file
//! inside `.terraform/` or outside the repository).
//!
//! [`run`] is the one entry point of `--fix`: it runs the check, applies the fixes of the run
//! together (non-overlapping ones; the others wait for the next round), checks the edited
//! files still parse, evaluates the edited configuration again and withholds a fix that added
//! a finding on the lines it edited, at most [`MAX_ROUNDS`] rounds, as ruff does. Edits are
//! evaluated through the source overlay ([`crate::source::set_overlay`]) before anything is
//! written, so `--diff` computes exactly what `--fix` would write, and writes nothing.

mod realize;

pub use realize::realize;

use crate::engine::Outcome;
use crate::finding::{Applicability, Finding, TextEdit};
use crate::hash::HashMap;
use crate::registry::Registry;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rounds of fixing and checking again, at most.
pub const MAX_ROUNDS: usize = 10;

/// The rules that have an automatic fix, and its applicability: `policy-lint explain` and
/// docs/fixes.md say so.
pub const FIXES: &[(&str, Applicability, &str)] = &[
    (
        "TF001",
        Applicability::Safe,
        "an invalid enum value becomes the nearest valid one (`MONITOR_ONLY` → `DRY_RUN`, `IP_ADDRESS` → `DNS_NAME`, case)",
    ),
    (
        "NET004",
        Applicability::Safe,
        "a destination becomes its bare lower-case host (scheme, path, port, query and trailing dot removed); an exact duplicate entry is removed",
    ),
    (
        "KMS009",
        Applicability::Safe,
        "`enable_key_rotation = true` is added, or set where it is `false`",
    ),
    (
        "NET005",
        Applicability::Safe,
        "`policy_enforcement = { enforcement_mode = \"ENFORCED\" }` (or `enforcement_mode = \"ENFORCED\"`) is written explicitly; the behaviour does not change",
    ),
    (
        "KMS001",
        Applicability::Safe,
        "a principal whose account is a typo of a Databricks account (within `max_edit_distance`) gets that account, when it is the only Databricks account of the principal's partition that is near; in a heredoc, a `jsonencode` object, an `aws_iam_policy_document`, a JSON file or the `grantee_principal` of an `aws_kms_grant`",
    ),
    (
        "KMS008",
        Applicability::Safe,
        "a policy encoded twice is unwrapped: `jsonencode(data.aws_iam_policy_document.x.json)` becomes `data.aws_iam_policy_document.x.json` (the same for `jsonencode` of any JSON string)",
    ),
    (
        "TF002",
        Applicability::Safe,
        "a resource type from the curated list of known mistakes (`databricks_workspace_network_policy_binding`) becomes the type meant (`databricks_workspace_network_option`), with the references to it in the module, and without the arguments the right type does not accept (the binding's `account_id`); a type that is only near a real one is a guess and gets no fix",
    ),
    (
        "TF003",
        Applicability::Safe,
        "a block the provider reads as an attribute becomes `name = { ... }`, with the blocks nested in it, and repeated blocks or lists of objects `name = [{ ... }, ...]`; an attribute the provider reads as a block becomes `name { ... }` (one block per element of a list of objects)",
    ),
    (
        "NET001",
        Applicability::Unsafe,
        "`enforcement_mode = \"DRY_RUN\"` becomes `\"ENFORCED\"` (requests the allow-list does not admit start to be denied: review the dry-run log first)",
    ),
    (
        "KMS002",
        Applicability::Unsafe,
        "the `Bool` `kms:GrantIsForAWSResource` condition is added to the statement that gives the Databricks principal the grant actions, in the policy's own form (a JSON key in a heredoc or a JSON file, a `jsonencode` attribute, a `condition` block of an `aws_iam_policy_document`); only when that statement has no `Condition` and allows nothing but the grant actions",
    ),
];

/// The fix of rule `code`, if it has one.
pub fn of_rule(code: &str) -> Option<(Applicability, &'static str)> {
    FIXES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, a, d)| (*a, *d))
}

/// A sentence saying whether rule `code` has an automatic fix, and which (`policy-lint
/// explain`).
pub fn describe(code: &str) -> String {
    match of_rule(code) {
        Some((Applicability::Safe, what)) => {
            format!("**Automatic fix** (safe, applied by `--fix`): {what}. See docs/fixes.md.")
        }
        Some((Applicability::Unsafe, what)) => format!(
            "**Automatic fix** (unsafe, applied by `--fix --unsafe-fixes`): {what}. See docs/fixes.md."
        ),
        None => "**Automatic fix:** none; `policy-lint check --fix` leaves these findings to you."
            .to_string(),
    }
}

/// What `--fix` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `--unsafe-fixes`: unsafe fixes too.
    pub unsafe_fixes: bool,
    /// `--diff`: compute, do not write.
    pub diff: bool,
    /// Files named on the command line (pre-commit): only these are edited.
    pub named: Vec<PathBuf>,
}

/// What `--fix` did.
pub struct Applied {
    /// The run of the configuration as fixed (what remains).
    pub outcome: Outcome,
    pub registry: Registry,
    /// Fixes applied (or, with `--diff`, that would be).
    pub fixed: usize,
    /// Fixes withheld (they would break the file or add a finding).
    pub withheld: usize,
    /// Unified diff of every changed file (paths relative to the repository root).
    pub diff: String,
    /// Files changed (written unless `--diff`).
    pub files: Vec<String>,
    /// Notes for standard error: withheld fixes, fixes outside the named files.
    pub notes: Vec<String>,
}

/// A file being fixed: its text as read and as edited so far.
struct FileState {
    original: String,
    current: String,
}

/// One fix chosen for a round: the finding's identity, code and edits by file.
struct Chosen {
    key: String,
    code: String,
    expects: Vec<String>,
    where_: String,
    edits: Vec<(PathBuf, Vec<TextEdit>)>,
}

/// Runs the check (`check_once` runs the engine on the files as they are, through the overlay)
/// and applies the fixes in rounds. See the module documentation.
pub fn run(
    req: &Request,
    check_once: &mut dyn FnMut() -> Result<(Outcome, Registry), u8>,
) -> Result<Applied, u8> {
    let result = rounds(req, check_once);
    crate::source::set_overlay(None);
    let (outcome, registry, files, fixed, withheld, mut notes) = result?;
    let mut diff = String::new();
    let mut changed = Vec::new();
    for (path, st) in &files {
        if st.original == st.current {
            continue;
        }
        let shown = crate::source::display_path(path, &outcome.repo_root);
        diff.push_str(&crate::edit::diff::unified(
            &shown,
            &st.original,
            &st.current,
            3,
        ));
        if !req.diff {
            if let Err(e) = std::fs::write(path, &st.current) {
                notes.push(format!("cannot write {shown}: {e}"));
                continue;
            }
        }
        changed.push(shown);
    }
    Ok(Applied {
        outcome,
        registry,
        fixed,
        withheld,
        diff,
        files: changed,
        notes,
    })
}

type Rounds = (
    Outcome,
    Registry,
    BTreeMap<PathBuf, FileState>,
    usize,
    usize,
    Vec<String>,
);

fn rounds(
    req: &Request,
    check_once: &mut dyn FnMut() -> Result<(Outcome, Registry), u8>,
) -> Result<Rounds, u8> {
    let named: Vec<PathBuf> = req
        .named
        .iter()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        .collect();
    let mut files: BTreeMap<PathBuf, FileState> = BTreeMap::new();
    let mut withheld: BTreeSet<String> = BTreeSet::new();
    let mut notes: Vec<String> = Vec::new();
    let mut fixed = 0usize;
    let (mut outcome, mut registry) = check_once()?;
    let mut listed_outside: BTreeSet<String> = BTreeSet::new();
    for _ in 0..MAX_ROUNDS {
        let chosen = choose(
            req,
            &outcome,
            &named,
            &withheld,
            &mut files,
            &mut listed_outside,
            &mut notes,
        );
        if chosen.is_empty() {
            break;
        }
        // Apply them, each checked alone first: one that breaks its file is withheld.
        let before: HashMap<PathBuf, String> = files
            .iter()
            .map(|(p, s)| (p.clone(), s.current.clone()))
            .collect();
        let mut applied: Vec<&Chosen> = Vec::new();
        let mut by_file: BTreeMap<PathBuf, Vec<TextEdit>> = BTreeMap::new();
        // The text of each file with the edits of the fixes applied so far.
        let mut new_texts: HashMap<PathBuf, String> = HashMap::default();
        for c in &chosen {
            let mut texts: Vec<(&PathBuf, String)> = Vec::new();
            let mut ok = true;
            for (path, edits) in &c.edits {
                let mut all: Vec<TextEdit> = by_file.get(path).cloned().unwrap_or_default();
                all.extend(edits.iter().cloned());
                match apply_edits(&before[path], path, &all) {
                    Ok(text) => texts.push((path, text)),
                    Err(e) => {
                        notes.push(format!(
                            "{}: the {} fix was withheld: {e}",
                            c.where_, c.code
                        ));
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                for (path, edits) in &c.edits {
                    by_file
                        .entry(path.clone())
                        .or_default()
                        .extend(edits.iter().cloned());
                }
                for (path, text) in texts {
                    new_texts.insert(path.clone(), text);
                }
                applied.push(c);
            } else {
                withheld.insert(c.key.clone());
            }
        }
        if applied.is_empty() {
            continue;
        }
        // The edited lines (in the new texts) of each fix.
        let mut lines: Vec<Vec<(PathBuf, u32, u32)>> = Vec::new();
        for c in &applied {
            let mut l = Vec::new();
            for (path, edits) in &c.edits {
                for e in edits {
                    let (a, b) = new_lines(&before[path], &by_file[path], e);
                    l.push((path.clone(), a, b));
                }
            }
            lines.push(l);
        }
        for (p, t) in &new_texts {
            if let Some(st) = files.get_mut(p) {
                st.current = t.clone();
            }
        }
        set_overlay(&files);
        let (next, next_reg) = check_once()?;
        // A finding on the edited lines that was not there before withholds the fix. "There
        // before": the same finding (fingerprint), or one of the same rule about the same
        // attribute of the same resource, whose value the fix may have changed (a NET009 on a
        // destination NET004's fix wrote as a bare host).
        let old_ids: BTreeSet<(&str, &str)> = outcome
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.fingerprint.as_str()))
            .collect();
        let old_places: BTreeSet<(&str, &str, &str)> = outcome
            .findings
            .iter()
            .filter_map(|f| {
                Some((
                    f.code.as_str(),
                    f.address.as_deref()?,
                    f.attr_path.as_deref().unwrap_or(""),
                ))
            })
            .collect();
        let was_there = |f: &Finding| {
            old_ids.contains(&(f.code.as_str(), f.fingerprint.as_str()))
                || f.address.as_deref().is_some_and(|a| {
                    old_places.contains(&(f.code.as_str(), a, f.attr_path.as_deref().unwrap_or("")))
                })
        };
        let mut bad: Vec<usize> = Vec::new();
        for (i, c) in applied.iter().enumerate() {
            let new_finding = next.findings.iter().find(|f| {
                !was_there(f) && !c.expects.contains(&f.code) && on_lines(f, &next, &lines[i])
            });
            if let Some(f) = new_finding {
                notes.push(format!(
                    "{}: the {} fix was withheld: it would add {} ({})",
                    c.where_, c.code, f.code, f.message
                ));
                bad.push(i);
            }
        }
        if bad.is_empty() {
            fixed += applied.len();
            outcome = next;
            registry = next_reg;
            continue;
        }
        // Back to the texts before the round; the next round goes without the withheld fixes.
        for i in bad {
            withheld.insert(applied[i].key.clone());
        }
        for (p, t) in before {
            if let Some(st) = files.get_mut(&p) {
                st.current = t;
            }
        }
        set_overlay(&files);
    }
    let n_withheld = withheld.len();
    Ok((outcome, registry, files, fixed, n_withheld, notes))
}

/// The overlay of every file being fixed.
fn set_overlay(files: &BTreeMap<PathBuf, FileState>) {
    crate::source::set_overlay(Some(
        files
            .iter()
            .map(|(p, s)| (p.clone(), Arc::from(s.current.as_str())))
            .collect(),
    ));
}

/// The fixes of this round: those of unsuppressed findings with a fix of the requested
/// applicability, in files that may be edited, whose edits overlap no fix chosen before them.
fn choose(
    req: &Request,
    outcome: &Outcome,
    named: &[PathBuf],
    withheld: &BTreeSet<String>,
    files: &mut BTreeMap<PathBuf, FileState>,
    listed_outside: &mut BTreeSet<String>,
    notes: &mut Vec<String>,
) -> Vec<Chosen> {
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut taken: HashMap<PathBuf, Vec<std::ops::Range<usize>>> = HashMap::default();
    for f in &outcome.findings {
        let Some(fix) = &f.fix else { continue };
        if f.suppression.is_some()
            || (fix.applicability == Applicability::Unsafe && !req.unsafe_fixes)
        {
            continue;
        }
        let key = format!("{}:{}", f.code, f.fingerprint);
        if withheld.contains(&key) {
            continue;
        }
        let src = outcome.sources.get(f.loc.file);
        let where_ = format!("{}:{}", src.display, src.line_col(f.loc.start).line);
        // Edits by file (canonical path).
        let mut edits: BTreeMap<PathBuf, Vec<TextEdit>> = BTreeMap::new();
        let mut fine = true;
        for e in &fix.edits {
            let file = outcome.sources.get(e.loc.file);
            let path = std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone());
            if !named.is_empty() && !named.contains(&path) {
                if listed_outside.insert(key.clone()) {
                    notes.push(format!(
                        "{where_}: the {} fix is in {}, which is not among the named files: not applied",
                        f.code,
                        crate::source::display_path(&path, &outcome.repo_root)
                    ));
                }
                fine = false;
                break;
            }
            // The text evaluated must be the text being fixed.
            let st = files.entry(path.clone()).or_insert_with(|| FileState {
                original: file.text.to_string(),
                current: file.text.to_string(),
            });
            if *st.current != *file.text {
                fine = false;
                break;
            }
            edits.entry(path).or_default().push(e.clone());
        }
        if !fine || edits.is_empty() {
            continue;
        }
        let overlaps = edits.iter().any(|(p, es)| {
            taken.get(p).is_some_and(|t| {
                es.iter()
                    .any(|e| t.iter().any(|x| touches(&e.loc.range(), x)))
            })
        });
        if overlaps {
            continue;
        }
        for (p, es) in &edits {
            taken
                .entry(p.clone())
                .or_default()
                .extend(es.iter().map(|e| e.loc.range()));
        }
        chosen.push(Chosen {
            key,
            code: f.code.clone(),
            expects: fix.expects.clone(),
            where_,
            edits: edits.into_iter().collect(),
        });
    }
    chosen
}

/// Whether two edits cannot be applied in one round: their ranges overlap, start at the same
/// place, or one inserts at an end of the other.
fn touches(r: &std::ops::Range<usize>, x: &std::ops::Range<usize>) -> bool {
    let overlap = r.start < x.end && x.start < r.end;
    let inserts_at = |a: &std::ops::Range<usize>, b: &std::ops::Range<usize>| {
        a.is_empty() && (a.start == b.start || a.start == b.end)
    };
    overlap || r.start == x.start || inserts_at(r, x) || inserts_at(x, r)
}

/// Applies edits to `text` and checks the result still parses as the file's language.
fn apply_edits(text: &str, path: &Path, edits: &[TextEdit]) -> Result<String, String> {
    let es: Vec<crate::edit::Edit> = edits
        .iter()
        .map(|e| crate::edit::Edit::replace(e.loc.range(), e.text.clone()))
        .collect();
    crate::edit::apply_checked(text, crate::edit::Syntax::of_path(path), &es).map_err(|e| e.0)
}

/// The first and last line (1-based) of the text edit `e` produced, in the text after all of
/// `all` (which includes `e`) are applied to `old`.
fn new_lines(old: &str, all: &[TextEdit], e: &TextEdit) -> (u32, u32) {
    let nl = |t: &str| t.bytes().filter(|b| *b == b'\n').count() as i64;
    let at = (e.loc.start as usize).min(old.len());
    let shift: i64 = all
        .iter()
        .filter(|x| x.loc.start < e.loc.start)
        .map(|x| nl(&x.text) - nl(old.get(x.loc.range()).unwrap_or("")))
        .sum();
    let first = (nl(&old[..at]) + shift).max(0) as u32 + 1;
    (first, first + nl(&e.text) as u32)
}

/// True when finding `f` (of outcome `o`) lies on one of `lines` (file, first, last).
fn on_lines(f: &Finding, o: &Outcome, lines: &[(PathBuf, u32, u32)]) -> bool {
    let src = o.sources.get(f.loc.file);
    let path = std::fs::canonicalize(&src.path).unwrap_or_else(|_| src.path.clone());
    let a = src.line_col(f.loc.start).line;
    let b = src.line_col(f.loc.end).line;
    lines
        .iter()
        .any(|(p, first, last)| *p == path && a <= *last && b >= *first)
}
