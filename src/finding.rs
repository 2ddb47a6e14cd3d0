//! Findings: what rules report, stamped by the engine with code, name, severity and links.

use crate::source::{Location, SourceMap};
use serde::{Deserialize, Serialize};

/// Severity of a finding: the three SARIF levels. Ordered `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "note" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary location with a label ("variable declared here", "value set here").
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub loc: Location,
    pub label: String,
}

/// How a finding was suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    /// `inSource` (a comment) or `external` (config override or baseline).
    pub kind: SuppressionKind,
    pub justification: String,
    pub loc: Option<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionKind {
    InSource,
    External,
}

/// One finding. Checks fill in message, locations and context; the engine stamps code metadata,
/// severity and suppression state.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub message: String,
    /// Where to look: the value to change.
    pub loc: Location,
    /// What the finding is about when that is elsewhere (the resource attribute that used a
    /// value written in tfvars). Suppressions written at either place apply.
    pub anchor: Option<Location>,
    pub related: Vec<Related>,
    pub help: Option<String>,
    pub doc_url: String,
    /// Resource address (`module.a.aws_kms_key.k["x"]`), used in fingerprints.
    pub address: Option<String>,
    /// Attribute path inside the resource (`egress.network_access.restriction_mode`).
    pub attr_path: Option<String>,
    /// What this finding is about within its attribute, for its fingerprint: the normalised
    /// offending value (`str:*.pythonhosted.org`), with the identity of the policy statement
    /// that holds it (its `Sid`, else its index). None: the fingerprint uses the text the
    /// finding points at instead. Never shown.
    pub subject: Option<String>,
    /// Stable identity across runs (16 hex digits), set once the run's findings are final
    /// ([`crate::output::assign_fingerprints`]); empty before.
    pub fingerprint: String,
    pub suppression: Option<Suppression>,
    /// The environment of the root module whose evaluation produced the finding (None: the
    /// environment of its file, for findings no root produced: standalone JSON, syntax).
    pub environment: Option<String>,
    /// The root modules (directories relative to the repository root) whose evaluation produced the
    /// finding, with their environments: one finding in a module shared by several roots
    /// names them all.
    pub roots: Vec<RootRef>,
    /// For EVAL001: the rules the unknown value keeps from deciding. The message is written
    /// without them; stamping keeps the rules that run and names them at its start, so one
    /// unknown expression gives one EVAL001 however many rules it blocks.
    pub blocks: Vec<String>,
    /// Which of the run's configurations applies (the engine's index; 0 when the run has one).
    pub config: usize,
    /// The automatic fix of this finding, if it has one (see [`crate::fix`]).
    pub fix: Option<Fix>,
}

/// Whether a fix keeps what the configuration evidently meant (`safe`, applied by `--fix`) or
/// changes behaviour a person should review (`unsafe`, applied with `--unsafe-fixes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    Safe,
    Unsafe,
}

impl Applicability {
    pub fn as_str(&self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// What a check wants changed, in terms of the configuration; [`crate::fix::realize`] turns
/// each into exact [`TextEdit`]s of the file's text, or withdraws the fix with the reason.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The string literal at `at` (quotes included), which reads `from`, becomes `value`.
    /// Refused when the text there is not the plain literal `from` (an interpolation, a
    /// function result: the origin of a computed value is the literal it was computed from).
    SetString {
        at: Location,
        from: String,
        value: String,
    },
    /// The literal `expect` at `at` becomes `text` (`false` → `true`).
    ReplaceLiteral {
        at: Location,
        expect: String,
        text: String,
    },
    /// The call `function(ARG)` written at `at` becomes `ARG` (`jsonencode(data.x.json)` →
    /// `data.x.json`).
    Unwrap { at: Location, function: String },
    /// The nested block whose identifier is at `at` (dotted path `path` in its resource) is
    /// written as an attribute, the blocks nested in it too; `lists` are the paths that are
    /// lists of objects, `unclear` those whose shape is not known (no fix).
    BlockToAttribute {
        at: Location,
        path: String,
        lists: Vec<String>,
        unclear: Vec<String>,
    },
    /// The attribute whose key is at `at` is written as a block (one per element of a list).
    AttributeToBlock { at: Location },
    /// The resource type label at `at` (`"from"`) becomes `to`, the references
    /// `from.name` of the module (every `.tf` file of the label's directory) follow, and the
    /// block's arguments `drop` (which `to` does not accept) are removed.
    RenameType {
        at: Location,
        /// The whole block.
        block: Location,
        from: String,
        to: String,
        name: String,
        drop: Vec<String>,
    },
    /// The `Bool` `kms:GrantIsForAWSResource` condition is added to the policy statement at
    /// `at`, in the statement's own form: a `"Condition"` key of a JSON object (a JSON file, a
    /// heredoc), a `Condition` attribute of a `jsonencode` object, a `condition` block of an
    /// `aws_iam_policy_document` statement.
    AddGrantCondition { at: Location },
    /// The element at `at` is removed from the list literal that holds it.
    RemoveElement { at: Location },
    /// Attribute `key = value` is added to the block or object that starts at `at` (a
    /// block's header, an object's `{`; when `at` covers a whole block, only that block's text
    /// is parsed), in the syntax and style of the file.
    AddAttribute {
        at: Location,
        key: String,
        value: crate::edit::Element,
    },
}

impl Change {
    /// Where the change applies: the value, element, block or statement it edits.
    pub fn location(&self) -> Location {
        match self {
            Change::SetString { at, .. }
            | Change::ReplaceLiteral { at, .. }
            | Change::RemoveElement { at }
            | Change::Unwrap { at, .. }
            | Change::BlockToAttribute { at, .. }
            | Change::AttributeToBlock { at }
            | Change::RenameType { at, .. }
            | Change::AddGrantCondition { at }
            | Change::AddAttribute { at, .. } => *at,
        }
    }
}

/// An exact edit: the bytes of `loc` are replaced by `text` (an empty range inserts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub loc: Location,
    pub text: String,
}

/// An automatic fix: the changes a check asks for and, once realized, the edits.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub applicability: Applicability,
    /// What the fix does (`set \`enforcement_mode\` to \`"DRY_RUN"\``).
    pub description: String,
    pub changes: Vec<Change>,
    /// The edits, filled by [`crate::fix::realize`]; empty before.
    pub edits: Vec<TextEdit>,
    /// Rules whose findings the fixed value may rightly bring on the edited lines (`DRY_RUN`
    /// in production is NET001's to report): they do not withhold the fix.
    pub expects: Vec<String>,
}

impl Fix {
    pub fn new(applicability: Applicability, description: impl Into<String>) -> Fix {
        Fix {
            applicability,
            description: description.into(),
            changes: Vec::new(),
            edits: Vec::new(),
            expects: Vec::new(),
        }
    }
    pub fn safe(description: impl Into<String>) -> Fix {
        Fix::new(Applicability::Safe, description)
    }
    pub fn unsafe_(description: impl Into<String>) -> Fix {
        Fix::new(Applicability::Unsafe, description)
    }
    pub fn change(mut self, c: Change) -> Fix {
        self.changes.push(c);
        self
    }
    /// See [`Fix::expects`].
    pub fn expecting(mut self, code: &str) -> Fix {
        self.expects.push(code.to_string());
        self
    }
}

/// A root module that produced a finding, and the environment it was evaluated in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RootRef {
    pub path: String,
    pub environment: String,
}

impl Finding {
    /// A finding for `code` at `loc`; code metadata is stamped later by the engine.
    pub fn new(code: &str, loc: Location, message: impl Into<String>) -> Finding {
        Finding {
            code: code.to_string(),
            name: String::new(),
            severity: Severity::Error,
            message: message.into(),
            loc,
            anchor: None,
            related: Vec::new(),
            help: None,
            doc_url: String::new(),
            address: None,
            attr_path: None,
            subject: None,
            fingerprint: String::new(),
            suppression: None,
            environment: None,
            roots: Vec::new(),
            blocks: Vec::new(),
            config: 0,
            fix: None,
        }
    }
    /// Attaches the fix `make(at)` when the value has a location.
    pub fn with_fix_at(self, at: Option<Location>, make: impl FnOnce(Location) -> Fix) -> Self {
        match at {
            Some(at) => self.with_fix(make(at)),
            None => self,
        }
    }
    /// Attaches an automatic fix (see [`Fix`]).
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
    /// Attaches the fix, or says in the help why there is none.
    pub fn with_fix_or_reason(mut self, fix: Result<Fix, String>) -> Self {
        match fix {
            Ok(fix) => self.with_fix(fix),
            Err(why) => {
                self.no_fix(&why);
                self
            }
        }
    }
    /// Drops the fix, if any, and says why there is none at the end of the help
    /// (`... (no automatic fix: WHY)`).
    pub fn no_fix(&mut self, why: &str) {
        self.fix = None;
        let note = format!("no automatic fix: {why}");
        self.help = Some(match self.help.take() {
            Some(h) => format!("{h} ({note})"),
            None => note,
        });
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn with_related(mut self, loc: Location, label: impl Into<String>) -> Self {
        if loc != self.loc && !self.related.iter().any(|r| r.loc == loc) {
            self.related.push(Related {
                loc,
                label: label.into(),
            });
        }
        self
    }
    /// An EVAL001 that keeps `codes` from deciding (see [`Finding::blocks`]).
    pub fn blocking(mut self, codes: &[String]) -> Self {
        self.blocks = codes.to_vec();
        self
    }
    /// The finding as reported: an EVAL001 names the rules it blocks at the start of its
    /// message (`KMS001, KMS006 cannot be checked: ...`).
    pub fn name_blocked(mut self) -> Self {
        if !self.blocks.is_empty() {
            self.message = format!("{} {}", self.blocks.join(", "), self.message);
        }
        self
    }
    pub fn with_anchor(mut self, loc: Location) -> Self {
        if loc != self.loc {
            self.anchor = Some(loc);
        }
        self
    }
    pub fn with_address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.attr_path = Some(path.into());
        self
    }
    /// Sets what the finding is about within its attribute (see [`Finding::subject`]).
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }
    /// The offending value is `v`: its normalised text identifies the finding (lists and
    /// objects do not, see [`Value::subject`](crate::value::Value::subject)).
    pub fn with_value(mut self, v: &crate::value::Value) -> Self {
        if let Some(s) = v.subject(&str::to_string) {
            self.subject = Some(s);
        }
        self
    }
    /// Adds the hops of a value's origin as related locations.
    pub fn with_origin_chain(mut self, origin: &crate::value::Origin) -> Self {
        for h in origin.hops() {
            // A value given on the command line or in the environment is located at its
            // variable's declaration; the message says where it came from.
            if h.label.starts_with(crate::eval::GIVEN_BY) && !self.message.contains(&h.label) {
                self.message = format!("{} ({})", self.message, h.label);
            }
            self = self.with_related(h.loc, h.label.clone());
        }
        self
    }

    /// Reports every location in the file it was written in (see [`SourceMap::resolve`]):
    /// findings on a `.tf.json` file are made on its native-syntax form.
    pub fn resolve_locations(&mut self, sources: &SourceMap) {
        self.loc = sources.resolve(self.loc);
        self.anchor = self
            .anchor
            .map(|a| sources.resolve(a))
            .filter(|a| *a != self.loc);
        let mut related: Vec<Related> = Vec::with_capacity(self.related.len());
        for mut r in std::mem::take(&mut self.related) {
            r.loc = sources.resolve(r.loc);
            if r.loc != self.loc && !related.iter().any(|x| x.loc == r.loc) {
                related.push(r);
            }
        }
        self.related = related;
        // A fix made on the native form of a `.tf.json` file would write native syntax into
        // JSON: such findings have no fix.
        if let Some(fix) = &self.fix {
            let derived = fix.changes.iter().any(|c| {
                let at = c.location();
                sources.resolve(at) != at
            });
            if derived {
                self.no_fix("the value is written in Terraform's JSON syntax");
            }
        }
    }

    /// Sort key: file path, position, code, message.
    pub fn sort_key(&self, sources: &SourceMap) -> (String, u32, u32, String, String) {
        (
            sources.get(self.loc.file).display.clone(),
            self.loc.start,
            self.loc.end,
            self.code.clone(),
            self.message.clone(),
        )
    }
}

/// One EVAL001 per unknown expression: EVAL001 findings of one resource at the same place about
/// the same unknown become one that blocks every rule any of them blocked (their related
/// locations joined, the attribute path the longest one they share).
pub fn merge_unresolved(findings: &mut Vec<Finding>) {
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    // One unknown expression: its location, the resource it is in, and what is unknown (the
    // EVAL001's `unknown:` subject, else its message).
    type Key = (Location, Option<String>, String);
    let mut index: crate::hash::HashMap<Key, Vec<usize>> = crate::hash::HashMap::default();
    for f in findings.drain(..) {
        if f.code != "EVAL001" || f.blocks.is_empty() {
            merged.push(f);
            continue;
        }
        let what = match &f.subject {
            Some(s) if s.starts_with("unknown:") => s.clone(),
            _ => f.message.clone(),
        };
        let key = (f.loc, f.address.clone(), what);
        let candidates = index.entry(key).or_default();
        let into = candidates
            .iter()
            .copied()
            .find(|&i| same_unknown_message(&mut merged[i], &f));
        match into {
            Some(i) => {
                let m = &mut merged[i];
                for c in f.blocks {
                    if !m.blocks.contains(&c) {
                        m.blocks.push(c);
                    }
                }
                for r in f.related {
                    if !m.related.contains(&r) {
                        m.related.push(r);
                    }
                }
            }
            None => {
                candidates.push(merged.len());
                merged.push(f);
            }
        }
    }
    for f in &mut merged {
        f.blocks.sort();
    }
    *findings = merged;
}

/// Whether EVAL001 `f` can be merged into `m` (same unknown expression): same message, or messages
/// that differ only in the attribute path each rule could not check (`egress.network_access` for
/// one rule, `egress.network_access.restriction_mode` for another, when all of `egress` is
/// unknown). Then `m` names the longest path both share.
fn same_unknown_message(m: &mut Finding, f: &Finding) -> bool {
    if m.message == f.message {
        return true;
    }
    let (Some(a), Some(b)) = (m.attr_path.clone(), f.attr_path.clone()) else {
        return false;
    };
    let ta = format!("`{a}`");
    let tb = format!("`{b}`");
    if !m.message.contains(&ta) || m.message.replacen(&ta, &tb, 1) != f.message {
        return false;
    }
    let bare = |s: &str| s.trim_end_matches("[]").to_string();
    let common: Vec<&str> = a
        .split('.')
        .zip(b.split('.'))
        .take_while(|(x, y)| bare(x) == bare(y))
        .map(|(x, _)| x)
        .collect();
    let path = common.join(".");
    if path.is_empty() {
        m.message = m.message.replacen(&format!("{ta} of "), "", 1);
        m.attr_path = None;
    } else {
        m.message = m.message.replacen(&ta, &format!("`{path}`"), 1);
        m.attr_path = Some(path);
    }
    true
}

/// Sorts findings deterministically and removes duplicates (same code, location and message).
/// Duplicates from several roots (a module shared by a dev and a production root) become one
/// finding that names every root and takes the highest severity among them; a copy that is not
/// suppressed (roots under configurations that differ) wins over one that is.
pub fn sort_and_dedup(findings: &mut Vec<Finding>, sources: &SourceMap) {
    let mut keyed: Vec<_> = findings
        .drain(..)
        .map(|f| (f.sort_key(sources), f))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(_, Finding)> = Vec::with_capacity(keyed.len());
    for (k, f) in keyed {
        match out.last_mut() {
            Some((lk, last)) if *lk == k => {
                let mut roots = std::mem::take(&mut last.roots);
                roots.extend(f.roots.iter().cloned());
                let rank = |x: &Finding| (x.suppression.is_none(), x.severity);
                if rank(&f) > rank(last) {
                    *last = f;
                }
                last.roots = roots;
            }
            _ => out.push((k, f)),
        }
    }
    findings.extend(out.into_iter().map(|(_, mut f)| {
        f.roots.sort();
        f.roots.dedup();
        f
    }));
}

/// Something the run did not check, and why (a registry module before `terraform init`, a
/// Terragrunt configuration, a path with nothing to check).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Skipped {
    /// Relative to the repository root (`path:line` for a module call).
    pub path: String,
    pub reason: String,
}

/// The run summary every format renders: counts by severity (unsuppressed findings only), the
/// number of files checked, what was skipped and notices about the run itself.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub note: usize,
    pub suppressed: usize,
    pub baselined: usize,
    /// Files read and checked.
    pub files: usize,
    pub skipped: Vec<Skipped>,
    /// About the run (an `--environment` no configuration declares).
    pub notices: Vec<String>,
    /// Codes of the rules that did not run (deselected with `--select`/`--ignore`, or off in
    /// the configuration): SARIF says so, so that a baseline applied to the log does not call
    /// their entries stale.
    pub not_run: Vec<String>,
    /// How long the run took (human-readable formats only; `POLICY_LINT_ELAPSED_MS` fixes it
    /// for tests). Never in JSON or SARIF, which stay byte-identical across runs.
    #[serde(skip)]
    pub elapsed: Option<std::time::Duration>,
    /// A baseline was applied (`--baseline`): the hint does not suggest one.
    #[serde(skip)]
    pub baseline_applied: bool,
    /// Findings that `--fix` would fix (safe fixes), and those only `--unsafe-fixes` would.
    pub fixable: usize,
    pub unsafe_fixable: usize,
    /// Fixes applied by this run (`--fix`), and fixes withheld because they broke the file or
    /// added a finding.
    pub fixed: usize,
    pub withheld: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            if f.suppression.is_some() {
                s.suppressed += 1;
                continue;
            }
            match f.fix.as_ref().map(|x| x.applicability) {
                Some(Applicability::Safe) => s.fixable += 1,
                Some(Applicability::Unsafe) => s.unsafe_fixable += 1,
                None => {}
            }
            match f.severity {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Note => s.note += 1,
            }
        }
        s
    }
    pub fn total(&self) -> usize {
        self.error + self.warning + self.note
    }
}
