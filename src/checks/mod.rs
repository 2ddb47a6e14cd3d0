//! Rules implemented in Rust, run on an evaluated unit. Each check emits findings with message,
//! locations and context; the engine stamps names, severities, environments and suppressions.

pub mod assert;
pub mod cloud;
pub mod cmk;
pub mod json_file;
pub mod kms_grants;
pub mod kms_link;
pub mod net;
pub mod tf;

use crate::eval::{ResourceInstance, Unit};
use crate::finding::Finding;
use crate::source::Location;
use crate::value::{PathResult, Value};

/// Rule parameter lookup (`code`, `key`): shared, because tables are large and looked up per unit.
pub type ParamFn<'a> = dyn Fn(&str, &str) -> Option<std::sync::Arc<serde_json::Value>> + Sync + 'a;

/// What a check sees.
pub struct Ctx<'a> {
    pub unit: &'a Unit,
    /// Rule parameter (`code`, `key`) with table references resolved.
    pub params: &'a ParamFn<'a>,
    /// Whether a code is enabled in this run.
    pub enabled: &'a dyn Fn(&str) -> bool,
    pub out: Vec<Finding>,
    /// Files whose text became the policy of an `aws_kms_key` or `aws_kms_key_policy` (through
    /// `file()` or `templatefile()`): checked here, so not again as standalone JSON files.
    pub key_policy_files: Vec<crate::source::FileId>,
}

impl Ctx<'_> {
    pub fn param_strings(&self, code: &str, key: &str) -> Vec<String> {
        str_list((self.params)(code, key).as_deref())
            .into_iter()
            .map(str::to_string)
            .collect()
    }
    pub fn param_bool(&self, code: &str, key: &str, default: bool) -> bool {
        (self.params)(code, key)
            .and_then(|v| v.as_bool())
            .unwrap_or(default)
    }
    pub fn on(&self, code: &str) -> bool {
        (self.enabled)(code)
    }
    pub fn push(&mut self, f: Finding) {
        self.out.push(f);
    }
}

/// The strings of a parameter (a list of strings, or one string), borrowed: long lists (TF002's
/// resource types) are read once per unit and environment.
pub fn str_list(v: Option<&serde_json::Value>) -> Vec<&str> {
    match v {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        _ => vec![],
    }
}

/// The location of a value, or a fallback.
pub fn loc_of(v: &Value, fallback: Location) -> Location {
    v.loc().unwrap_or(fallback)
}

/// A finding about a value of a resource: at the value (where it was written), anchored at the
/// resource, with the value's chain as related locations.
pub fn at_value(
    code: &str,
    inst: &ResourceInstance,
    path: &str,
    v: Option<&Value>,
    message: impl Into<String>,
) -> Finding {
    let loc = v.and_then(|v| v.loc()).unwrap_or(inst.loc);
    let mut f = Finding::new(code, loc, message)
        .with_anchor(inst.loc)
        .with_address(inst.full_address());
    if !path.is_empty() {
        f = f.with_path(path);
    }
    if let Some(v) = v {
        f = f.with_origin_chain(&v.origin).with_value(v);
    }
    for h in &inst.call_chain {
        f = f.with_related(h.loc, h.label.clone());
    }
    f
}

/// EVAL001: a rule could not decide because a value is unknown.
pub fn unresolved(code: &str, inst: &ResourceInstance, path: &str, v: &Value) -> Finding {
    let (reason, uloc) = match v.first_unknown() {
        Some(u) => (u.reason.to_string(), u.loc),
        None => ("the value is not known".to_string(), None),
    };
    let loc = uloc.or(v.loc()).unwrap_or(inst.loc);
    let mut f = Finding::new(
        "EVAL001",
        loc,
        format!(
            "cannot check `{path}` of `{}`: {reason}",
            inst.full_address()
        ),
    )
    .blocking(&[code.to_string()])
    .with_anchor(inst.loc)
    .with_address(inst.full_address())
    .with_path(path)
    .with_origin_chain(&v.origin)
    .with_help(
        "policy-lint reports neither a pass nor a failure for the rules named here; supply the value (tfvars, --var, --var-file, TF_VAR_, --plan) so they can decide",
    );
    if let Some(l) = v.loc() {
        f = f.with_related(l, "the value in question");
    }
    // Identified by what is unknown, never by the rule that could not decide: the same unknown
    // value keeps its fingerprint whichever rules run.
    match v.first_unknown() {
        Some(u) if v.subject(&str::to_string).is_none() => {
            f.with_subject(format!("unknown:{}", u.reason.identity()))
        }
        _ => f.with_value(v),
    }
}

/// An attribute path of a resource body.
pub fn path<'a>(inst: &'a ResourceInstance, p: &[&str]) -> PathResult<'a> {
    inst.body.path(p)
}

/// Nearest candidate by edit distance (for suggestions).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lw = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&lw, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 2).max(3))
        .min()
        .map(|(_, c)| c)
}

/// Runs every Rust check on a unit.
pub fn run_unit(ctx: &mut Ctx) {
    net::check(ctx);
    tf::check(ctx);
    cmk::check(ctx);
}

/// What the checks of one unit produce.
pub struct UnitChecks {
    pub findings: Vec<Finding>,
    /// See [`Ctx::key_policy_files`].
    pub key_policy_files: Vec<crate::source::FileId>,
}

/// Every check on an evaluated unit (the Rust checks, the key-policy links, the declarative
/// rules), followed by the unit's own evaluation findings (EVAL001).
pub fn check_all(
    unit: &Unit,
    params: &ParamFn<'_>,
    enabled: &(dyn Fn(&str) -> bool + Sync),
    registry: &crate::registry::Registry,
) -> Vec<Finding> {
    check_unit(unit, params, enabled, registry).findings
}

/// [`check_all`], also returning the files the unit uses as key policies.
pub fn check_unit(
    unit: &Unit,
    params: &ParamFn<'_>,
    enabled: &(dyn Fn(&str) -> bool + Sync),
    registry: &crate::registry::Registry,
) -> UnitChecks {
    let mut ctx = Ctx {
        unit,
        params,
        enabled,
        out: Vec::new(),
        key_policy_files: Vec::new(),
    };
    run_unit(&mut ctx);
    kms_link::check_unit(&mut ctx, registry);
    assert::check_unit(&mut ctx, registry);
    let mut findings = ctx.out;
    findings.extend(unit.diags.iter().cloned());
    let mut key_policy_files = ctx.key_policy_files;
    key_policy_files.sort();
    key_policy_files.dedup();
    UnitChecks {
        findings,
        key_policy_files,
    }
}
