//! The rule registry: every rule and data table, declared as TOML under `rules/` (embedded in the
//! binary at build time) and in users' `rules_dirs`, validated against the JSON Schemas in
//! `rules/schema/`, plus the renderers behind `policy-lint rules`, `policy-lint explain` and
//! `docs/rules.md`.
//!
//! Layout of a rules directory: `data/*.toml` are tables, `schema/` holds schemas (built-in
//! only), every other `*.toml` is a rule.

use crate::finding::Severity;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Every file under `rules/`, embedded by `build.rs`.
pub mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
}
pub use embedded::{EMBEDDED, EMBEDDED_JSON};

// ---------------------------------------------------------------------------------------------
// Rule definitions
// ---------------------------------------------------------------------------------------------

/// One rule, as declared in its TOML file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub code: String,
    pub name: String,
    /// Default severity.
    pub severity: Severity,
    /// Severity for files whose environment is `production`, when different.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_severity: Option<Severity>,
    /// Environments the rule applies to; empty = every environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// GitHub code scanning `security-severity` (0.0-10.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<f64>,
    pub summary: String,
    /// Rust check implementing the rule (`net::egress_not_enforced`); `None` for `assert` rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// The rule reports nothing until configured.
    #[serde(default)]
    pub configurable_only: bool,
    /// Declarative assertion; `None` for Rust checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assert: Option<Assert>,
    /// Parameter defaults, as written (`"table:NAME"` unresolved; see [`Registry::param`]).
    #[serde(default)]
    pub params: Map<String, Value>,
    pub docs: Docs,
    /// Where the rule is documented. Built-in rules leave it unset (their section of
    /// `docs/rules.md`); a user's rule without it links to nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_url: Option<String>,
    #[serde(default)]
    pub tests: Vec<RuleTest>,
    /// Where the rule was read from (`rules/net/NET001.toml` for built-in rules).
    #[serde(skip)]
    pub source_path: String,
    /// True for rules shipped in the binary.
    #[serde(skip)]
    pub builtin: bool,
}

impl RuleDef {
    /// Does the rule apply in this environment?
    /// Whether the rule runs in `environment` (`production`: whether production rules apply
    /// there). A rule restricted to `production` runs in every production environment; other
    /// names are compared case-insensitively.
    pub fn applies_in(&self, environment: &str, production: bool) -> bool {
        self.environments.is_empty()
            || self.environments.iter().any(|e| {
                if e == "production" {
                    production
                } else {
                    e.eq_ignore_ascii_case(environment)
                }
            })
    }

    /// Default severity in an environment (before configuration).
    pub fn severity_in(&self, production: bool) -> Severity {
        match (production, self.production_severity) {
            (true, Some(s)) => s,
            _ => self.severity,
        }
    }

    /// "error", "warning (error in production)", "error, production only".
    pub fn severity_text(&self) -> String {
        let mut s = self.severity.to_string();
        if let Some(p) = self.production_severity {
            let _ = write!(s, " ({p} in production)");
        }
        if !self.environments.is_empty() {
            let envs = self.environments.join(", ");
            let _ = write!(s, ", {envs} only");
        }
        s
    }
}

/// Verdict of an `[assert]` when the attribute is present or absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

/// A declarative assertion on a resource attribute.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Assert {
    /// Resource types (a single string in TOML is accepted).
    #[serde(deserialize_with = "one_or_many")]
    pub resource: Vec<String>,
    /// Dotted attribute path; steps through list elements.
    pub attribute: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_one_of: Option<Vec<Value>>,
    /// Regular expression the value must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    /// Regular expression the value must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_matches: Option<String>,
    /// Verdict when the attribute is set (`fail` = the attribute must not be set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<Verdict>,
    /// Verdict when the attribute is not set (default `pass`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent: Option<Verdict>,
    /// Message template: `{attribute}`, `{value}`, `{expected}`, `{address}`, `{resource}`.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent_message: Option<String>,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// A rule's documentation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Docs {
    pub what: String,
    pub why: String,
    pub fix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good_lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
}

/// An example the rule's check must pass: `source`, checked as `file`, gives `expect` findings
/// of this rule's code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    pub name: String,
    pub file: String,
    pub source: String,
    pub expect: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default)]
    pub params: Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// Errors with source spans (shared with config.rs)
// ---------------------------------------------------------------------------------------------

/// What went wrong in a rule, table or config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// The file could not be read.
    Io,
    /// Not valid TOML.
    Syntax,
    /// A key the format does not know (typo).
    UnknownKey,
    /// A value of the wrong type.
    WrongType,
    /// A value of the right type that is not allowed (enum, pattern, range).
    InvalidValue,
    /// A required key is missing.
    MissingKey,
    /// A code, name or table defined twice (or colliding with a built-in one).
    Duplicate,
    /// A `table:NAME` reference to a table that does not exist.
    UnknownTable,
    /// A rule code or name that no rule has.
    UnknownRule,
    /// A parameter the rule does not have.
    UnknownParam,
    /// A glob pattern that does not compile.
    InvalidGlob,
}

/// One problem in a file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub kind: IssueKind,
    pub message: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Byte range in the file, when known.
    pub span: Option<Range<usize>>,
    pub help: Option<String>,
}

impl Issue {
    pub(crate) fn new(kind: IssueKind, message: impl Into<String>) -> Issue {
        Issue {
            kind,
            message: message.into(),
            line: None,
            span: None,
            help: None,
        }
    }
    pub(crate) fn at(mut self, text: &str, span: Option<Range<usize>>) -> Issue {
        if let Some(s) = &span {
            self.line = Some(line_of(text, s.start));
        }
        self.span = span;
        self
    }
    pub(crate) fn help(mut self, help: Option<String>) -> Issue {
        self.help = help;
        self
    }
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Defines an error type for one file: `path:line: message`, a miette diagnostic with the file
/// as `NamedSource` and one label per issue.
macro_rules! file_error {
    ($(#[$meta:meta])* $name:ident, $code:literal) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name {
            /// File as shown to users.
            pub path: String,
            /// At least one issue; the first is the headline.
            pub issues: Vec<$crate::registry::Issue>,
            /// The file, boxed to keep `Result<_, Self>` small.
            named: Option<Box<miette::NamedSource<String>>>,
        }

        impl $name {
            pub fn new(
                path: impl Into<String>,
                source_text: Option<String>,
                issues: Vec<$crate::registry::Issue>,
            ) -> Self {
                let path = path.into();
                let named = source_text.map(|s| Box::new(miette::NamedSource::new(path.clone(), s)));
                Self { path, issues, named }
            }
            pub fn single(
                path: impl Into<String>,
                source_text: Option<&str>,
                issue: $crate::registry::Issue,
            ) -> Self {
                Self::new(path, source_text.map(str::to_string), vec![issue])
            }
            /// The headline issue.
            pub fn first(&self) -> &$crate::registry::Issue {
                &self.issues[0]
            }
            /// The headline's line, when known.
            pub fn line(&self) -> Option<usize> {
                self.issues.first().and_then(|i| i.line)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let first = &self.issues[0];
                match first.line {
                    Some(l) => write!(f, "{}:{}: {}", self.path, l, first.message)?,
                    None => write!(f, "{}: {}", self.path, first.message)?,
                }
                if self.issues.len() > 1 {
                    write!(f, " (and {} more)", self.issues.len() - 1)?;
                }
                Ok(())
            }
        }

        impl std::error::Error for $name {}

        impl miette::Diagnostic for $name {
            fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
                Some(Box::new($code))
            }
            fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
                self.issues[0].help.as_ref().map(|h| Box::new(h.clone()) as Box<dyn std::fmt::Display>)
            }
            fn source_code(&self) -> Option<&dyn miette::SourceCode> {
                self.named.as_ref().map(|s| &**s as &dyn miette::SourceCode)
            }
            fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
                self.named.as_ref()?;
                let labels: Vec<miette::LabeledSpan> = self
                    .issues
                    .iter()
                    .filter_map(|i| {
                        let s = i.span.clone()?;
                        Some(miette::LabeledSpan::new_with_span(Some(i.message.clone()), s))
                    })
                    .collect();
                if labels.is_empty() {
                    None
                } else {
                    Some(Box::new(labels.into_iter()))
                }
            }
        }

        impl $name {
            /// The file's text, when it could be read.
            pub fn source_text(&self) -> Option<&str> {
                self.named.as_ref().map(|n| n.inner().as_str())
            }
        }
    };
}
pub(crate) use file_error;

file_error!(
    /// A rule or table file that does not load: `rules/net/NET003.toml:12: `severty` is not a known key`.
    RegistryError,
    "error: invalid rule file"
);

// ---------------------------------------------------------------------------------------------
// TOML -> JSON, schema validation, spans
// ---------------------------------------------------------------------------------------------

/// Parses TOML into JSON (datetimes become strings). Syntax errors are issues with a span.
pub(crate) fn toml_to_json(text: &str) -> Result<Value, Issue> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        Issue::new(
            IssueKind::Syntax,
            format!("invalid TOML: {}", e.message().trim()),
        )
        .at(text, e.span())
    })?;
    Ok(toml_value_to_json(toml::Value::Table(table)))
}

include!("toml_json.rs");

/// A step of a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// Span of the value (or, with `want_key`, the key) at `path` in the TOML text. Falls back to the
/// nearest ancestor that has a span.
pub(crate) fn span_of(text: &str, path: &[Seg], want_key: bool) -> Option<Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut best: Option<Range<usize>> = None;
    let mut cur: Option<&DeValue> = None;
    let mut table: Option<&DeTable> = Some(root.get_ref());
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let next = match (seg, table, cur) {
            (Seg::Key(k), Some(t), _) => t
                .iter()
                .find(|(key, _)| &**key.get_ref() == k.as_str())
                .map(|(key, val)| {
                    let span = if last && want_key {
                        key.span()
                    } else {
                        val.span()
                    };
                    let span = if span.is_empty() || !last {
                        key.span()
                    } else {
                        span
                    };
                    (span, val.get_ref())
                }),
            (Seg::Index(n), None, Some(DeValue::Array(a))) => {
                a.get(*n).map(|v| (v.span(), v.get_ref()))
            }
            _ => None,
        };
        let Some((span, v)) = next else { break };
        best = Some(span);
        cur = Some(v);
        table = match v {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    best
}

/// Parses a JSON pointer (`/params/0/x`) into segments.
fn pointer_segments(ptr: &str, instance: &Value) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut cur = Some(instance);
    for raw in ptr.split('/').skip(1) {
        let s = raw.replace("~1", "/").replace("~0", "~");
        match cur {
            Some(Value::Array(a)) => match s.parse::<usize>() {
                Ok(n) => {
                    cur = a.get(n);
                    out.push(Seg::Index(n));
                }
                Err(_) => {
                    cur = None;
                    out.push(Seg::Key(s));
                }
            },
            Some(Value::Object(o)) => {
                cur = o.get(&s);
                out.push(Seg::Key(s));
            }
            _ => {
                cur = None;
                out.push(Seg::Key(s));
            }
        }
    }
    out
}

fn dotted(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(n) => {
                let _ = write!(s, "[{n}]");
            }
        }
    }
    s
}

/// The sub-schema describing the instance at `path` (following `properties`, `items`,
/// `additionalProperties` and local `$ref`s).
fn schema_at<'a>(root: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    fn deref<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
        for _ in 0..8 {
            match s.get("$ref").and_then(Value::as_str) {
                Some(r) if r.starts_with("#/") => match root.pointer(&r[1..]) {
                    Some(t) => s = t,
                    None => break,
                },
                _ => break,
            }
        }
        s
    }
    let mut s = deref(root, root);
    for seg in path {
        s = match seg {
            Seg::Key(k) => s
                .get("properties")
                .and_then(|p| p.get(k))
                .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()))?,
            Seg::Index(_) => s.get("items")?,
        };
        s = deref(root, s);
    }
    Some(s)
}

fn known_keys(schema: &Value, path: &[Seg]) -> Vec<String> {
    schema_at(schema, path)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// The candidate closest to a misspelt word, if close enough.
pub(crate) fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| {
            *d <= 2.max(c.len() / 4)
                || (c.len() >= 4 && (word.starts_with(c.as_str()) || c.starts_with(word)))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

/// "did you mean `severity`?"
pub(crate) fn suggest(word: &str, candidates: &[String]) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

fn short_json(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!(
            "{}...",
            &s[..s.char_indices().nth(57).map(|(i, _)| i).unwrap_or(s.len())]
        )
    } else {
        s
    }
}

/// Compiles a schema shipped with the crate. Panics on an invalid schema (a build defect, caught
/// by the tests).
pub(crate) fn compile_schema(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema)
        .unwrap_or_else(|e| panic!("invalid built-in JSON Schema: {e}"))
}

/// Validates `instance` (parsed from `text`) and turns every error into an issue with a span.
pub(crate) fn schema_issues(
    validator: &jsonschema::Validator,
    schema: &Value,
    instance: &Value,
    text: &str,
) -> Vec<Issue> {
    use jsonschema::error::ValidationErrorKind as K;
    let mut issues: Vec<Issue> = Vec::new();
    // (path, key) of missing required keys, and (path, suggested key) of unknown keys: a typo
    // (`severty`) is reported once, as an unknown key, not also as a missing `severity`.
    let mut missing: Vec<(usize, Vec<Seg>, String)> = Vec::new();
    let mut typos: Vec<(Vec<Seg>, String)> = Vec::new();
    for err in validator.iter_errors(instance) {
        let path = pointer_segments(err.instance_path().as_str(), instance);
        let at = if path.is_empty() {
            "the file".to_string()
        } else {
            format!("`{}`", dotted(&path))
        };
        match err.kind() {
            K::AdditionalProperties { unexpected } => {
                let known = known_keys(schema, &path);
                for key in unexpected {
                    let mut p = path.clone();
                    p.push(Seg::Key(key.clone()));
                    let msg = if path.is_empty() {
                        format!("`{key}` is not a known key")
                    } else {
                        format!("`{key}` is not a known key of {at}")
                    };
                    if let Some(s) = closest(key, &known) {
                        typos.push((path.clone(), s.to_string()));
                    }
                    let help = suggest(key, &known).or_else(|| {
                        (!known.is_empty()).then(|| format!("known keys: {}", known.join(", ")))
                    });
                    issues.push(
                        Issue::new(IssueKind::UnknownKey, msg)
                            .at(text, span_of(text, &p, true))
                            .help(help),
                    );
                }
            }
            K::Required { property } => {
                let key = property.as_str().unwrap_or_default();
                let msg = if path.is_empty() {
                    format!("missing required key `{key}`")
                } else {
                    format!("{at} is missing required key `{key}`")
                };
                let span = if path.is_empty() {
                    Some(0..0)
                } else {
                    span_of(text, &path, true)
                };
                missing.push((issues.len(), path.clone(), key.to_string()));
                issues.push(Issue::new(IssueKind::MissingKey, msg).at(text, span));
            }
            K::Type { .. } => {
                let expected = schema_at(schema, &path)
                    .and_then(|s| s.get("type"))
                    .map(|t| match t {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .unwrap_or_else(|| "different type".into());
                let msg = format!(
                    "{at} must be {} {expected}, not {}",
                    article(&expected),
                    short_json(err.instance())
                );
                issues.push(
                    Issue::new(IssueKind::WrongType, msg).at(text, span_of(text, &path, false)),
                );
            }
            K::Enum { options } => {
                let opts: Vec<String> = options
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|o| {
                                o.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| o.to_string())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let value = err
                    .instance()
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| short_json(err.instance()));
                let msg = format!("{at} is `{value}`; expected one of: {}", opts.join(", "));
                issues.push(
                    Issue::new(IssueKind::InvalidValue, msg)
                        .at(text, span_of(text, &path, false))
                        .help(suggest(&value, &opts)),
                );
            }
            K::OneOfNotValid { .. } | K::OneOfMultipleValid { .. } if path.is_empty() => {
                let alts: Vec<String> = schema
                    .get("oneOf")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| {
                                s.pointer("/required/0")
                                    .and_then(Value::as_str)
                                    .map(|k| format!("`{k}`"))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let msg = format!("the file must set exactly one of {}", alts.join(" or "));
                issues.push(Issue::new(IssueKind::MissingKey, msg).at(text, Some(0..0)));
            }
            _ => {
                let msg = format!("{at}: {}", err);
                issues.push(
                    Issue::new(IssueKind::InvalidValue, msg).at(text, span_of(text, &path, false)),
                );
            }
        }
    }
    let drop: Vec<usize> = missing
        .into_iter()
        .filter(|(_, p, k)| typos.iter().any(|(tp, tk)| tp == p && tk == k))
        .map(|(i, _, _)| i)
        .collect();
    let issues: Vec<Issue> = issues
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !drop.contains(i))
        .map(|(_, x)| x)
        .collect();
    // Several missing keys at one place become one issue; the most actionable issues (unknown
    // keys, wrong values) come first, missing keys last.
    let mut merged: Vec<Issue> = Vec::new();
    for i in issues {
        match merged.iter_mut().find(|m| {
            m.kind == IssueKind::MissingKey
                && i.kind == IssueKind::MissingKey
                && m.span == i.span
                && m.message.contains("missing required key")
                && i.message.contains("missing required key")
        }) {
            Some(m) => {
                let key = i
                    .message
                    .rsplit("key ")
                    .next()
                    .unwrap_or_default()
                    .to_string();
                m.message =
                    m.message
                        .replacen("missing required key ", "missing required keys ", 1);
                m.message.push_str(&format!(", {key}"));
            }
            None => merged.push(i),
        }
    }
    let mut issues = merged;
    issues.sort_by_key(|i| {
        (
            i.kind == IssueKind::MissingKey,
            i.span.as_ref().map(|s| s.start).unwrap_or(0),
        )
    });
    issues.dedup();
    issues
}

fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

struct Schemas {
    rule: Value,
    rule_validator: jsonschema::Validator,
    table: Value,
    table_validator: jsonschema::Validator,
}

fn embedded_file(rel: &str) -> &'static str {
    EMBEDDED
        .iter()
        .find(|(p, _)| *p == rel)
        .map(|(_, c)| *c)
        .unwrap_or_else(|| panic!("rules/{rel} is not embedded"))
}

/// A rule or table file as JSON: built-in files were converted when the binary was built.
fn file_json(rel: &str, shown: &str, text: &str, builtin: bool) -> Result<Value, RegistryError> {
    let converted = if builtin {
        EMBEDDED_JSON
            .binary_search_by(|(p, _)| (*p).cmp(rel))
            .ok()
            .and_then(|i| serde_json::from_str(EMBEDDED_JSON[i].1).ok())
    } else {
        None
    };
    match converted {
        Some(json) => Ok(json),
        None => toml_to_json(text).map_err(|i| RegistryError::single(shown, Some(text), i)),
    }
}

/// Schema issues of a user's file. Built-in files are not validated at every start; the test
/// `builtin_files_match_their_schemas` validates each of them.
fn validate(
    builtin: bool,
    json: &Value,
    text: &str,
    pick: impl Fn(&'static Schemas) -> (&'static jsonschema::Validator, &'static Value),
) -> Vec<Issue> {
    if builtin {
        return Vec::new();
    }
    let (validator, schema) = pick(schemas());
    schema_issues(validator, schema, json, text)
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let rule: Value = serde_json::from_str(embedded_file("schema/rule.schema.json"))
            .expect("rule.schema.json is JSON");
        let table: Value = serde_json::from_str(embedded_file("schema/table.schema.json"))
            .expect("table.schema.json is JSON");
        Schemas {
            rule_validator: compile_schema(&rule),
            rule,
            table_validator: compile_schema(&table),
            table,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

/// All rules and tables.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// In catalogue order (NET, KMS, CMK, REG, TF, SYN, EVAL, SUP, then user rules), by code within a group.
    pub rules: Vec<RuleDef>,
    /// Table name -> whole table (`name`, `description`, `source`, `values` or `entries`).
    pub tables: BTreeMap<String, Value>,
    /// Table name -> the file it came from.
    table_paths: BTreeMap<String, String>,
    /// The page documenting the built-in rules when the configuration sets one (`docs_url`);
    /// `None`: [`crate::doclinks::default_base`].
    pub docs_base: Option<String>,
}

enum FileKind {
    Rule,
    Table,
    Skip,
}

fn kind_of(rel: &str) -> FileKind {
    if !rel.ends_with(".toml") || rel.starts_with("schema/") {
        FileKind::Skip
    } else if rel.starts_with("data/") || rel.contains("/data/") {
        FileKind::Table
    } else {
        FileKind::Rule
    }
}

impl Registry {
    /// The rules and tables shipped in the binary.
    pub fn builtin() -> Result<Registry, RegistryError> {
        let mut reg = Registry::default();
        let files: Vec<(String, String, String)> = EMBEDDED
            .iter()
            .map(|(rel, text)| (rel.to_string(), format!("rules/{rel}"), text.to_string()))
            .collect();
        reg.add_files(&files, true)?;
        Ok(reg)
    }

    /// Adds the rules (`*.toml`) and tables (`data/*.toml`) of a user's rules directory. A code,
    /// name or table name that already exists is an error.
    pub fn load_dir(&mut self, dir: &Path) -> Result<(), RegistryError> {
        let mut paths = Vec::new();
        collect_files(dir, &mut paths).map_err(|e| {
            RegistryError::single(
                dir.display().to_string(),
                None,
                Issue::new(IssueKind::Io, format!("cannot read rules directory: {e}")),
            )
        })?;
        paths.sort();
        let mut files = Vec::new();
        for p in paths {
            let rel = p
                .strip_prefix(dir)
                .unwrap_or(&p)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let shown = crate::source::as_typed(&p);
            let text = std::fs::read_to_string(&p).map_err(|e| {
                RegistryError::single(
                    shown.clone(),
                    None,
                    Issue::new(IssueKind::Io, format!("cannot read: {e}")),
                )
            })?;
            files.push((rel, shown, text));
        }
        self.add_files(&files, false)
    }

    /// (path relative to the rules dir, path shown to users, contents)
    fn add_files(
        &mut self,
        files: &[(String, String, String)],
        builtin: bool,
    ) -> Result<(), RegistryError> {
        let mut new_rules: Vec<(RuleDef, String)> = Vec::new();
        // Tables first, so that rules can refer to tables of the same directory.
        for (rel, shown, text) in files
            .iter()
            .filter(|(rel, _, _)| matches!(kind_of(rel), FileKind::Table))
        {
            let json = file_json(rel, shown, text, builtin)?;
            let issues = validate(builtin, &json, text, |s| (&s.table_validator, &s.table));
            if !issues.is_empty() {
                return Err(RegistryError::new(
                    shown.clone(),
                    Some(text.clone()),
                    issues,
                ));
            }
            let name = json["name"].as_str().unwrap_or_default().to_string();
            let stem = rel
                .rsplit('/')
                .next()
                .unwrap_or(rel)
                .trim_end_matches(".toml");
            if name != stem {
                let issue = Issue::new(
                    IssueKind::InvalidValue,
                    format!("table name `{name}` differs from the file name `{stem}.toml`"),
                )
                .at(text, span_of(text, &[Seg::Key("name".into())], false));
                return Err(RegistryError::single(shown, Some(text), issue));
            }
            if let Some(prev) = self.table_paths.get(&name) {
                let issue = Issue::new(
                    IssueKind::Duplicate,
                    format!("table `{name}` is already defined in {prev}"),
                )
                .at(text, span_of(text, &[Seg::Key("name".into())], false));
                return Err(RegistryError::single(shown, Some(text), issue));
            }
            self.table_paths.insert(name.clone(), shown.clone());
            self.tables.insert(name, json);
        }
        for (rel, shown, text) in files
            .iter()
            .filter(|(rel, _, _)| matches!(kind_of(rel), FileKind::Rule))
        {
            let json = file_json(rel, shown, text, builtin)?;
            let issues = validate(builtin, &json, text, |s| (&s.rule_validator, &s.rule));
            if !issues.is_empty() {
                return Err(RegistryError::new(
                    shown.clone(),
                    Some(text.clone()),
                    issues,
                ));
            }
            let mut rule: RuleDef = serde_json::from_value(json).map_err(|e| {
                RegistryError::single(
                    shown,
                    Some(text),
                    Issue::new(IssueKind::InvalidValue, e.to_string()),
                )
            })?;
            rule.source_path = shown.clone();
            rule.builtin = builtin;
            let _ = rel;
            new_rules.push((rule, text.clone()));
        }
        for (rule, text) in new_rules {
            self.check_rule(&rule, &text)?;
            self.rules.push(rule);
        }
        self.rules
            .sort_by(|a, b| (group_rank(&a.code), &a.code).cmp(&(group_rank(&b.code), &b.code)));
        Ok(())
    }

    /// Checks beyond the schema: unique code and name, table references exist, docs present.
    fn check_rule(&self, rule: &RuleDef, text: &str) -> Result<(), RegistryError> {
        let err = |kind, msg: String, path: &[Seg]| {
            RegistryError::single(
                &rule.source_path,
                Some(text),
                Issue::new(kind, msg).at(text, span_of(text, path, false)),
            )
        };
        for other in &self.rules {
            if other.code.eq_ignore_ascii_case(&rule.code) {
                return Err(err(
                    IssueKind::Duplicate,
                    format!(
                        "rule code `{}` is already used by {}",
                        rule.code, other.source_path
                    ),
                    &[Seg::Key("code".into())],
                ));
            }
            if other.name == rule.name {
                return Err(err(
                    IssueKind::Duplicate,
                    format!(
                        "rule name `{}` is already used by {} ({})",
                        rule.name, other.code, other.source_path
                    ),
                    &[Seg::Key("name".into())],
                ));
            }
        }
        for (key, v) in &rule.params {
            for t in table_refs(v) {
                if !self.tables.contains_key(t) {
                    return Err(err(
                        IssueKind::UnknownTable,
                        format!("parameter `{key}` refers to table `{t}`, which does not exist"),
                        &[Seg::Key("params".into()), Seg::Key(key.clone())],
                    ));
                }
            }
        }
        let d = &rule.docs;
        if d.what.trim().is_empty() || d.why.trim().is_empty() || d.fix.trim().is_empty() {
            return Err(err(
                IssueKind::MissingKey,
                format!(
                    "rule {} needs non-empty docs.what, docs.why and docs.fix",
                    rule.code
                ),
                &[Seg::Key("docs".into())],
            ));
        }
        Ok(())
    }

    /// The documentation link of a rule (see [`crate::doclinks::rule_url`]).
    pub fn doc_url(&self, rule: &RuleDef) -> String {
        crate::doclinks::rule_url(rule, self.docs_base.as_deref())
    }

    /// A rule by code (case-insensitive) or name (exact).
    pub fn get(&self, code_or_name: &str) -> Option<&RuleDef> {
        self.rules
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
    }

    /// A whole table (`name`, `description`, `source`, `values` or `entries`).
    pub fn table(&self, name: &str) -> Option<&Value> {
        self.tables.get(name)
    }

    /// The data of a table: its `values` array, or its `entries` object.
    pub fn table_data(&self, name: &str) -> Option<&Value> {
        let t = self.tables.get(name)?;
        t.get("values").or_else(|| t.get("entries"))
    }

    /// The default of a rule's parameter, with `"table:NAME"` references resolved (see
    /// [`Registry::resolve`]).
    pub fn param(&self, code: &str, key: &str) -> Option<Value> {
        let rule = self.get(code)?;
        Some(self.resolve(rule.params.get(key)?))
    }

    /// Resolves `"table:NAME"` to the table's data (its `values` array or `entries` object). Inside
    /// an array, a reference to a `values` table is spliced in (`["table:a", "x"]` = a's values
    /// followed by "x"); a reference to an `entries` table becomes one element. Unknown tables are
    /// left as they are (the registry rejects them at load time).
    pub fn resolve(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => match s.strip_prefix("table:").and_then(|n| self.table_data(n)) {
                Some(data) => data.clone(),
                None => v.clone(),
            },
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match (item, self.resolve(item)) {
                        (Value::String(s), Value::Array(vals)) if s.starts_with("table:") => {
                            out.extend(vals)
                        }
                        (_, r) => out.push(r),
                    }
                }
                Value::Array(out)
            }
            other => other.clone(),
        }
    }

    /// Every parameter default of a rule, resolved.
    pub fn params(&self, code: &str) -> Map<String, Value> {
        self.get(code)
            .map(|r| {
                r.params
                    .iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Catalogue order: NET, KMS, CMK, REG, TF, then the tool codes; user rules after.
fn group_rank(code: &str) -> usize {
    const ORDER: &[&str] = &["NET", "KMS", "CMK", "REG", "TF", "SYN", "EVAL", "SUP"];
    let prefix = code.trim_end_matches(|c: char| c.is_ascii_digit());
    ORDER
        .iter()
        .position(|p| *p == prefix)
        .unwrap_or(ORDER.len())
}

/// `table:NAME` references in a parameter value (top level or inside an array).
fn table_refs(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => s.strip_prefix("table:").into_iter().collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().and_then(|s| s.strip_prefix("table:")))
            .collect(),
        _ => Vec::new(),
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Renderers
// ---------------------------------------------------------------------------------------------

const NOT_IMPLEMENTED: &str =
    "This rule's check is not implemented yet: policy-lint does not report it, and a clean run says nothing about it.";

/// `policy-lint rules --format json`.
pub fn render_json(reg: &Registry, implemented: &dyn Fn(&str) -> bool) -> String {
    let rules: Vec<Value> = reg
        .rules
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert("code".into(), r.code.clone().into());
            o.insert("name".into(), r.name.clone().into());
            o.insert("severity".into(), r.severity.as_str().into());
            o.insert(
                "production_severity".into(),
                r.production_severity
                    .map(|s| s.as_str().into())
                    .unwrap_or(Value::Null),
            );
            o.insert("environments".into(), r.environments.clone().into());
            o.insert("category".into(), r.category.clone().into());
            o.insert("tags".into(), r.tags.clone().into());
            o.insert("summary".into(), r.summary.clone().into());
            o.insert("implemented".into(), implemented(&r.code).into());
            o.insert("configurable_only".into(), r.configurable_only.into());
            o.insert("builtin".into(), r.builtin.into());
            o.insert("params".into(), Value::Object(r.params.clone()));
            o.insert("doc_url".into(), reg.doc_url(r).into());
            Value::Object(o)
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&Value::Array(rules)).unwrap_or_default();
    s.push('\n');
    s
}

/// `policy-lint rules --format markdown`: a table of all rules.
pub fn render_markdown(reg: &Registry, implemented: &dyn Fn(&str) -> bool) -> String {
    let mut out = String::from("| code | name | severity | summary |\n|---|---|---|---|\n");
    for r in &reg.rules {
        let status = if implemented(&r.code) {
            ""
        } else {
            " **Not implemented yet.**"
        };
        let url = reg.doc_url(r);
        let code = if url.is_empty() {
            r.code.clone()
        } else {
            format!("[{}]({url})", r.code)
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {}{} |",
            code,
            r.name,
            r.severity_text(),
            md_cell(&r.summary),
            status
        );
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn param_text(v: &Value) -> String {
    match v {
        Value::String(s) if s.starts_with("table:") => {
            let name = &s["table:".len()..];
            format!("table `{name}` (`rules/data/{name}.toml`)")
        }
        Value::Array(a)
            if a.iter()
                .any(|x| x.as_str().is_some_and(|s| s.starts_with("table:"))) =>
        {
            a.iter().map(param_text).collect::<Vec<_>>().join(" + ")
        }
        other => format!("`{other}`"),
    }
}

/// The body of a rule's documentation (Markdown), used by `explain` and `docs/rules.md`.
fn rule_body(out: &mut String, r: &RuleDef, implemented: bool) {
    if !implemented {
        let _ = writeln!(out, "> {NOT_IMPLEMENTED}\n");
    }
    let _ = writeln!(out, "- Severity: {}", r.severity_text());
    let envs = if r.environments.is_empty() {
        "all".to_string()
    } else {
        r.environments.join(", ")
    };
    let _ = writeln!(out, "- Environments: {envs}");
    let _ = writeln!(out, "- Category: {}", r.category);
    if !r.tags.is_empty() {
        let _ = writeln!(out, "- Tags: {}", r.tags.join(", "));
    }
    match (&r.check, &r.assert) {
        (Some(c), _) => {
            let _ = writeln!(out, "- Check: `{c}`");
        }
        (None, Some(a)) => {
            let _ = writeln!(
                out,
                "- Check: declarative assertion on `{}` of {}",
                a.attribute,
                a.resource.join(", ")
            );
        }
        _ => {}
    }
    if r.configurable_only {
        let _ = writeln!(
            out,
            "- Reports nothing until its parameters are configured."
        );
    }
    let _ = writeln!(out, "\n{}\n", r.summary);
    let _ = writeln!(out, "### What it checks\n\n{}\n", r.docs.what.trim());
    let _ = writeln!(out, "### Why it matters\n\n{}\n", r.docs.why.trim());
    let _ = writeln!(out, "### How to fix\n\n{}\n", r.docs.fix.trim());
    if let Some(bad) = &r.docs.bad {
        let lang = r.docs.bad_lang.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "### Bad\n\n```{lang}\n{}\n```\n",
            bad.trim_matches('\n')
        );
    }
    if let Some(good) = &r.docs.good {
        let lang = r.docs.good_lang.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "### Good\n\n```{lang}\n{}\n```\n",
            good.trim_matches('\n')
        );
    }
    if !r.params.is_empty() {
        let _ = writeln!(out, "### Parameters\n");
        for (k, v) in &r.params {
            let _ = writeln!(out, "- `{k}`: default {}", param_text(v));
        }
        let _ = writeln!(
            out,
            "\nSet them in `policy-lint.toml` under `[rules.{}]`.\n",
            r.code
        );
    }
    if !r.docs.references.is_empty() {
        let _ = writeln!(out, "### References\n");
        for link in &r.docs.references {
            let _ = writeln!(out, "- <{link}>");
        }
        out.push('\n');
    }
}

/// `policy-lint explain CODE|NAME`.
pub fn render_explain(reg: &Registry, rule: &RuleDef, implemented: bool) -> String {
    let mut out = format!("# {} {}\n\n", rule.code, rule.name);
    rule_body(&mut out, rule, implemented);
    let _ = writeln!(out, "{}\n", crate::fix::describe(&rule.code));
    let url = reg.doc_url(rule);
    if !url.is_empty() {
        let _ = writeln!(out, "Documentation: {url}");
    }
    out
}

/// `docs/rules.md`: a table of contents and one section per rule, anchored by its lower-case code.
pub fn render_docs(reg: &Registry, implemented: &dyn Fn(&str) -> bool) -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- Generated from rules/ by policy_lint::registry::render_docs. Do not edit: run\n",
    );
    out.push_str(
        "     `UPDATE_DOCS=1 cargo test docs_rules_md_in_sync` after changing a rule file. -->\n\n",
    );
    out.push_str("# policy-lint rules\n\n");
    let _ = writeln!(
        out,
        "{} rules. Codes and names are stable; either can be used in suppressions \
         (`# policy-lint:ignore NET001 reason=\"...\"`) and in `policy-lint.toml` (`[rules.NET001]`). \
         Severities and parameters are defaults that `policy-lint.toml` can override; \
         \"production only\" rules apply to files whose environment is `production`.\n",
        reg.rules.len()
    );
    out.push_str("## Contents\n\n");
    let mut categories: Vec<&str> = Vec::new();
    for r in &reg.rules {
        if !categories.contains(&r.category.as_str()) {
            categories.push(&r.category);
        }
    }
    for cat in &categories {
        let _ = writeln!(out, "- {cat}");
        for r in reg.rules.iter().filter(|r| &r.category == cat) {
            let _ = writeln!(
                out,
                "  - [{} {}](#{}): {}",
                r.code,
                r.name,
                r.code.to_ascii_lowercase(),
                md_cell(&r.summary)
            );
        }
    }
    out.push('\n');
    for r in &reg.rules {
        let _ = writeln!(out, "<a id=\"{}\"></a>\n", r.code.to_ascii_lowercase());
        let _ = writeln!(out, "## {} {}\n", r.code, r.name);
        rule_body(&mut out, r, implemented(&r.code));
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue: code, name, default severity, production severity, production only.
    const EXPECTED: &[(&str, &str, Severity, Option<Severity>, bool)] = &[
        ("NET001", "egress-not-enforced", Severity::Error, None, true),
        ("NET002", "egress-unrestricted", Severity::Error, None, true),
        (
            "NET003",
            "wildcard-destination",
            Severity::Error,
            None,
            false,
        ),
        (
            "NET004",
            "malformed-destination",
            Severity::Error,
            None,
            false,
        ),
        (
            "NET005",
            "enforcement-mode-implicit",
            Severity::Warning,
            None,
            false,
        ),
        (
            "NET006",
            "policy-not-attached",
            Severity::Warning,
            None,
            false,
        ),
        (
            "NET007",
            "workspace-without-network-policy",
            Severity::Warning,
            Some(Severity::Error),
            false,
        ),
        ("NET008", "policy-id-invalid", Severity::Error, None, false),
        (
            "NET009",
            "destination-not-approved",
            Severity::Error,
            None,
            false,
        ),
        (
            "KMS001",
            "databricks-principal-mismatch",
            Severity::Error,
            None,
            false,
        ),
        (
            "KMS002",
            "grant-without-aws-resource-condition",
            Severity::Error,
            None,
            false,
        ),
        (
            "KMS003",
            "missing-databricks-statement",
            Severity::Error,
            None,
            false,
        ),
        (
            "KMS004",
            "ebs-grant-without-viaservice",
            Severity::Error,
            None,
            false,
        ),
        (
            "KMS005",
            "databricks-excessive-permissions",
            Severity::Error,
            None,
            false,
        ),
        ("KMS006", "wildcard-principal", Severity::Error, None, false),
        (
            "KMS007",
            "inverted-match-in-allow",
            Severity::Error,
            None,
            false,
        ),
        ("KMS008", "malformed-policy", Severity::Error, None, false),
        (
            "KMS009",
            "key-rotation-disabled",
            Severity::Warning,
            None,
            false,
        ),
        ("KMS010", "key-not-symmetric", Severity::Error, None, false),
        (
            "KMS011",
            "placeholder-in-policy",
            Severity::Error,
            None,
            false,
        ),
        (
            "CMK001",
            "key-region-mismatch",
            Severity::Error,
            None,
            false,
        ),
        (
            "CMK002",
            "key-use-case-mismatch",
            Severity::Error,
            None,
            false,
        ),
        (
            "CMK003",
            "workspace-without-cmk",
            Severity::Warning,
            None,
            true,
        ),
        ("REG001", "unsupported-region", Severity::Error, None, false),
        (
            "REG002",
            "cmk-in-excluded-region",
            Severity::Error,
            None,
            false,
        ),
        (
            "REG003",
            "serverless-unsupported-region",
            Severity::Error,
            None,
            false,
        ),
        ("TF001", "invalid-enum-value", Severity::Error, None, false),
        (
            "TF002",
            "unknown-resource-type",
            Severity::Error,
            None,
            false,
        ),
        (
            "TF003",
            "wrong-nesting-syntax",
            Severity::Error,
            None,
            false,
        ),
        ("SYN001", "syntax-error", Severity::Error, None, false),
        ("EVAL001", "unresolved-value", Severity::Note, None, false),
        (
            "SUP001",
            "suppression-without-reason",
            Severity::Warning,
            None,
            false,
        ),
        (
            "SUP002",
            "suppression-expired",
            Severity::Warning,
            None,
            false,
        ),
        (
            "SUP003",
            "suppression-unused",
            Severity::Warning,
            None,
            false,
        ),
        (
            "SUP004",
            "malformed-suppression",
            Severity::Warning,
            None,
            false,
        ),
    ];

    fn builtin() -> Registry {
        Registry::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn builtin_loads() {
        let reg = builtin();
        assert_eq!(reg.rules.len(), 35);
        assert!(reg.tables.len() >= 12);
        assert!(reg
            .rules
            .iter()
            .all(|r| r.builtin && r.source_path.starts_with("rules/")));
    }

    #[test]
    fn builtin_files_match_their_schemas() {
        let s = schemas();
        let mut checked = 0;
        for (rel, text) in EMBEDDED {
            let (validator, schema) = match kind_of(rel) {
                FileKind::Rule => (&s.rule_validator, &s.rule),
                FileKind::Table => (&s.table_validator, &s.table),
                FileKind::Skip => continue,
            };
            let json = toml_to_json(text).unwrap_or_else(|i| panic!("rules/{rel}: {i:?}"));
            let issues = schema_issues(validator, schema, &json, text);
            assert!(issues.is_empty(), "rules/{rel}: {issues:?}");
            checked += 1;
        }
        assert!(checked >= 46, "only {checked} files");
    }

    #[test]
    fn builtin_files_converted_at_build_time_match_the_run_time_conversion() {
        let tomls: Vec<&(&str, &str)> = EMBEDDED
            .iter()
            .filter(|(p, _)| p.ends_with(".toml"))
            .collect();
        assert_eq!(tomls.len(), EMBEDDED_JSON.len());
        for ((rel, text), (jrel, json)) in tomls.into_iter().zip(EMBEDDED_JSON) {
            assert_eq!(rel, jrel);
            let built: Value = serde_json::from_str(json).unwrap();
            assert_eq!(built, toml_to_json(text).unwrap(), "rules/{rel}");
        }
        assert!(EMBEDDED_JSON.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn catalogue_in_order() {
        let reg = builtin();
        let got: Vec<&str> = reg.rules.iter().map(|r| r.code.as_str()).collect();
        let want: Vec<&str> = EXPECTED.iter().map(|e| e.0).collect();
        assert_eq!(got, want, "rules in catalogue order");
        for (code, name, sev, prod, prod_only) in EXPECTED {
            let r = reg.get(code).unwrap();
            assert_eq!(&r.name, name, "{code}");
            assert_eq!(r.severity, *sev, "{code}");
            assert_eq!(r.production_severity, *prod, "{code}");
            assert_eq!(r.environments == ["production"], *prod_only, "{code}");
            assert!(r.environments.is_empty() || *prod_only, "{code}");
            let dir = r.source_path.split('/').nth(1).unwrap();
            assert_eq!(r.source_path, format!("rules/{dir}/{code}.toml"));
        }
    }

    #[test]
    fn codes_and_names_unique_docs_present() {
        let reg = builtin();
        let mut codes = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for r in &reg.rules {
            assert!(codes.insert(r.code.clone()), "duplicate code {}", r.code);
            assert!(names.insert(r.name.clone()), "duplicate name {}", r.name);
            assert!(
                !r.docs.what.trim().is_empty()
                    && !r.docs.why.trim().is_empty()
                    && !r.docs.fix.trim().is_empty()
            );
            assert!(
                r.docs.bad.is_some() && r.docs.good.is_some(),
                "{} needs bad and good examples",
                r.code
            );
            assert!(!r.docs.references.is_empty(), "{} needs references", r.code);
            assert!(r.check.is_some() != r.assert.is_some());
            assert!(!r.tests.is_empty(), "{} needs tests", r.code);
            if r.category != "tool" {
                assert!(
                    r.tests.iter().any(|t| t.expect > 0),
                    "{} needs a positive test",
                    r.code
                );
                assert!(
                    r.tests.iter().any(|t| t.expect == 0),
                    "{} needs a negative test",
                    r.code
                );
            }
        }
    }

    #[test]
    fn lookups() {
        let reg = builtin();
        assert_eq!(reg.get("net001").unwrap().code, "NET001");
        assert_eq!(reg.get("egress-not-enforced").unwrap().code, "NET001");
        assert!(reg.get("Egress-Not-Enforced").is_none());
        assert!(reg.get("NET999").is_none());
        assert_eq!(
            reg.doc_url(reg.get("NET001").unwrap()),
            format!("{}#net001", crate::doclinks::default_base())
        );
    }

    #[test]
    fn table_refs_resolve() {
        let reg = builtin();
        for r in &reg.rules {
            for (k, v) in &r.params {
                for t in table_refs(v) {
                    assert!(reg.table(t).is_some(), "{}.{k}: table {t}", r.code);
                }
                let resolved = reg.param(&r.code, k).unwrap();
                assert!(
                    table_refs(&resolved).is_empty(),
                    "{}.{k} unresolved",
                    r.code
                );
            }
        }
        assert_eq!(
            reg.param("REG002", "cmk_excluded_regions").unwrap(),
            serde_json::json!(["us-west-1"])
        );
        let p = reg.param("KMS001", "principals").unwrap();
        assert_eq!(p["commercial"]["account_id"], "414351767826");
        assert_eq!(
            reg.param("TF002", "resources")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            176
        );
        assert_eq!(
            reg.param("TF002", "data_sources")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            190
        );
        let mixed = reg.resolve(&serde_json::json!([
            "table:cmk-excluded-regions",
            "eu-west-3"
        ]));
        assert_eq!(mixed, serde_json::json!(["us-west-1", "eu-west-3"]));
    }

    #[test]
    fn provider_tables_list_every_type_once() {
        let reg = builtin();
        for (table, count) in [
            ("databricks-provider-resources", 176),
            ("databricks-provider-data-sources", 190),
        ] {
            let vals: Vec<&str> = reg
                .table_data(table)
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(vals.len(), count, "{table}");
            let mut sorted = vals.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), count, "{table}: no duplicates");
            assert!(vals.iter().all(|v| v.starts_with("databricks_")), "{table}");
        }
    }

    fn user_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    const USER_RULE: &str = r#"code = "ACME001"
name = "kms-deletion-window"
severity = "warning"
category = "kms"
summary = "Every aws_kms_key must set deletion_window_in_days = 30"

[assert]
resource = "aws_kms_key"
attribute = "deletion_window_in_days"
equals = 30
absent = "fail"
message = "`{attribute}` is {value} on {address}; use {expected}."

[params]
regions = "table:acme-regions"

[docs]
what = "w"
why = "y"
fix = "f"
"#;

    const USER_TABLE: &str = r#"name = "acme-regions"
description = "d"
source = "s"
values = ["eu-west-1"]
"#;

    #[test]
    fn user_rules_dir_loads() {
        let dir = user_dir(&[
            ("acme/ACME001.toml", USER_RULE),
            ("data/acme-regions.toml", USER_TABLE),
        ]);
        let mut reg = builtin();
        reg.load_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let r = reg.get("kms-deletion-window").unwrap();
        assert!(!r.builtin);
        assert_eq!(
            r.assert.as_ref().unwrap().resource,
            vec!["aws_kms_key".to_string()]
        );
        assert_eq!(
            reg.param("ACME001", "regions").unwrap(),
            serde_json::json!(["eu-west-1"])
        );
    }

    fn load_err(files: &[(&str, &str)]) -> RegistryError {
        let dir = user_dir(files);
        let mut reg = builtin();
        reg.load_dir(dir.path()).expect_err("must be rejected")
    }

    #[test]
    fn unknown_key_is_rejected_with_its_line() {
        let bad = USER_RULE.replace("severity = \"warning\"", "severty = \"warning\"");
        let e = load_err(&[
            ("ACME001.toml", &bad),
            ("data/acme-regions.toml", USER_TABLE),
        ]);
        let unknown = e
            .issues
            .iter()
            .find(|i| i.kind == IssueKind::UnknownKey)
            .expect("unknown key issue");
        assert_eq!(unknown.line, Some(3));
        assert!(
            unknown.message.contains("`severty` is not a known key"),
            "{}",
            unknown.message
        );
        assert_eq!(unknown.help.as_deref(), Some("did you mean `severity`?"));
        assert!(e.to_string().contains("ACME001.toml:3: "), "{e}");
        assert_eq!(
            e.first().kind,
            IssueKind::UnknownKey,
            "the typo is the headline"
        );
        let e = load_err(&[("ACME001.toml", "code = \"ACME001\"\nname = \"x-y\"\n")]);
        assert_eq!(e.issues.len(), 2, "{:?}", e.issues);
        assert!(
            e.issues[0]
                .message
                .starts_with("missing required keys `severity`, `category`, `summary`, `docs`"),
            "{}",
            e.issues[0].message
        );
        use miette::Diagnostic;
        assert!(e.labels().unwrap().count() >= 1);
        assert!(e.source_code().is_some());
    }

    #[test]
    fn unknown_nested_key_is_rejected() {
        let bad = USER_RULE.replace("why = \"y\"", "whyy = \"y\"");
        let e = load_err(&[
            ("ACME001.toml", &bad),
            ("data/acme-regions.toml", USER_TABLE),
        ]);
        let i = e
            .issues
            .iter()
            .find(|i| i.kind == IssueKind::UnknownKey)
            .unwrap();
        assert_eq!(i.line, Some(19));
        assert!(
            i.message.contains("`whyy` is not a known key of `docs`"),
            "{}",
            i.message
        );
    }

    #[test]
    fn wrong_severity_is_rejected_with_its_line() {
        let bad = USER_RULE.replace("severity = \"warning\"", "severity = \"critical\"");
        let e = load_err(&[
            ("ACME001.toml", &bad),
            ("data/acme-regions.toml", USER_TABLE),
        ]);
        assert_eq!(e.first().kind, IssueKind::InvalidValue);
        assert_eq!(e.line(), Some(3));
        assert!(
            e.first().message.contains("error, warning, note"),
            "{}",
            e.first().message
        );
    }

    #[test]
    fn wrong_type_and_bad_code_are_rejected() {
        let bad = USER_RULE.replace("category = \"kms\"", "category = 3");
        let e = load_err(&[
            ("ACME001.toml", &bad),
            ("data/acme-regions.toml", USER_TABLE),
        ]);
        assert_eq!(e.first().kind, IssueKind::WrongType);
        assert_eq!(e.line(), Some(4));
        let bad = USER_RULE.replace("ACME001", "acme1");
        let e = load_err(&[
            ("ACME001.toml", &bad),
            ("data/acme-regions.toml", USER_TABLE),
        ]);
        assert_eq!(e.line(), Some(1));
    }

    #[test]
    fn syntax_error_has_a_line() {
        let bad = USER_RULE.replace("summary = \"Every", "summary = Every");
        let e = load_err(&[
            ("ACME001.toml", &bad),
            ("data/acme-regions.toml", USER_TABLE),
        ]);
        assert_eq!(e.first().kind, IssueKind::Syntax);
        assert_eq!(e.line(), Some(5));
    }

    #[test]
    fn collisions_and_missing_tables_are_rejected() {
        let e = load_err(&[
            ("ACME001.toml", &USER_RULE.replace("ACME001", "NET001")),
            ("data/acme-regions.toml", USER_TABLE),
        ]);
        assert_eq!(e.first().kind, IssueKind::Duplicate);
        assert_eq!(e.line(), Some(1));
        let e = load_err(&[
            (
                "ACME001.toml",
                &USER_RULE.replace("kms-deletion-window", "egress-not-enforced"),
            ),
            ("data/acme-regions.toml", USER_TABLE),
        ]);
        assert_eq!(e.first().kind, IssueKind::Duplicate);
        assert_eq!(e.line(), Some(2));
        let e = load_err(&[("ACME001.toml", USER_RULE)]);
        assert_eq!(e.first().kind, IssueKind::UnknownTable);
        assert_eq!(e.line(), Some(15));
        let e = load_err(&[(
            "data/nesting.toml",
            &USER_TABLE.replace("acme-regions", "nesting"),
        )]);
        assert_eq!(e.first().kind, IssueKind::Duplicate);
    }

    #[test]
    fn check_and_assert_are_exclusive() {
        let bad = USER_RULE.replace("[assert]", "check = \"acme::x\"\n\n[assert]");
        let e = load_err(&[
            ("ACME001.toml", &bad),
            ("data/acme-regions.toml", USER_TABLE),
        ]);
        assert!(
            e.first()
                .message
                .contains("exactly one of `check` or `assert`"),
            "{e}"
        );
    }

    #[test]
    fn renderers() {
        let reg = builtin();
        let not_net = |c: &str| !c.starts_with("NET");
        let j: Value = serde_json::from_str(&render_json(&reg, &not_net)).unwrap();
        assert_eq!(j.as_array().unwrap().len(), 35);
        assert_eq!(j[0]["code"], "NET001");
        assert_eq!(j[0]["implemented"], false);
        assert_eq!(j[9]["implemented"], true);
        let m = render_markdown(&reg, &|_| true);
        assert_eq!(m.lines().count(), 37);
        let e = render_explain(&reg, reg.get("REG002").unwrap(), false);
        assert!(e.starts_with("# REG002 cmk-in-excluded-region"));
        assert!(e.contains(NOT_IMPLEMENTED));
        assert!(e.contains("table `cmk-excluded-regions`"));
        assert!(e.contains("```hcl"));
        let e = render_explain(&reg, reg.get("NET001").unwrap(), true);
        assert!(!e.contains("not implemented"));
        assert!(e.contains("Environments: production"));
    }

    #[test]
    fn docs_rules_md_in_sync() {
        let reg = builtin();
        let want = render_docs(&reg, &|_| true);
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
            return;
        }
        let got = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            got == want,
            "docs/rules.md is out of date with rules/: run `UPDATE_DOCS=1 cargo test docs_rules_md_in_sync` and commit it"
        );
        for r in &reg.rules {
            assert!(got.contains(&format!("<a id=\"{}\"></a>", r.code.to_ascii_lowercase())));
        }
    }
}
