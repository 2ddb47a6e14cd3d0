//! The key policy rules: KMS001–KMS008 and KMS011 (KMS009/KMS010 check `aws_kms_key` attributes
//! and live with the resource rules). KMS003 and KMS004 have their own modules
//! ([`missing_statement`], [`ebs_grant`]); what a statement is for is judged in [`super::roles`].
//!
//! Every verdict is tri-state: when it depends on a value that is not known statically, the check
//! reports `EVAL001` at that value (naming why it is unknown and which rules could not decide)
//! instead of passing or failing. `EVAL001`s at the same element are merged into one finding.

pub(crate) mod account_fix;
mod ebs_grant;
mod grant_fix;
mod missing_statement;

use super::*;
use crate::finding::{Finding, Severity};
use crate::source::Location;
use crate::value::{Kind, Origin, Value};

/// What the checks know about the policy beyond its text.
#[derive(Debug, Clone)]
pub struct PolicyTarget {
    /// Known to be a Databricks CMK (linked from databricks_mws_customer_managed_keys, or config
    /// globs). When false, the checks decide from the policy itself: it is a Databricks CMK when a
    /// statement's `Principal` names a Databricks principal or a near miss of one.
    pub databricks_cmk: bool,
    /// `use_cases` of the key configuration(s); None → inferred from the statements: `STORAGE`
    /// when an Allow gives the Databricks principal any action of the STORAGE or GRANTS sets that
    /// MANAGED_SERVICES does not need (`kms:GenerateDataKey*`, `kms:DescribeKey`, grants...),
    /// otherwise `MANAGED_SERVICES` (what every Databricks CMK needs).
    pub use_cases: Option<Vec<String>>,
    /// Where the policy is attached (the `policy` attribute, or the JSON file's first byte): used
    /// when an element has no location.
    pub anchor: Location,
    /// Resource address of the key/policy resource, if any.
    pub address: Option<String>,
    /// True for a policy that is a JSON string instead of an object after one decode (double
    /// jsonencode) — the caller detects that.
    pub double_encoded: bool,
    /// `aws_kms_grant`s on the key whose grantee is, or may be, the Databricks principal: the
    /// operations they give count for KMS003 like Allow statements.
    pub databricks_grants: Vec<DatabricksGrant>,
}

/// An `aws_kms_grant` on the key that gives, or may give, the Databricks principal operations.
#[derive(Debug, Clone)]
pub struct DatabricksGrant {
    /// Its `grantee_principal`.
    pub grantee: Value,
    /// Whether the grantee is a Databricks principal (`Unknown` when it is not known statically).
    pub to_databricks: Tri,
    /// Its `operations` (operation names without the `kms:` prefix, such as `Decrypt`).
    pub operations: Value,
    /// Its `constraints` block(s), if any.
    pub constraints: Option<Value>,
    /// Where the grant is declared, and its address.
    pub loc: Location,
    pub address: String,
}

impl DatabricksGrant {
    /// Whether the grant has encryption-context constraints (then it allows only some requests).
    pub fn constrained(&self) -> Tri {
        match self.constraints.as_ref().map(|c| &c.kind) {
            None | Some(Kind::Null) => Tri::No,
            Some(Kind::List(items)) if items.is_empty() => Tri::No,
            Some(Kind::Unknown(_)) => Tri::Unknown,
            Some(_) => Tri::Yes,
        }
    }

    /// The parts of the grant that are not known (grantee, operations, constraints), each with
    /// what it is.
    pub fn unknowns(&self) -> Vec<(&Value, String)> {
        let mut out = Vec::new();
        if self.to_databricks == Tri::Unknown {
            out.push((
                &self.grantee,
                format!("`grantee_principal` of `{}`", self.address),
            ));
        }
        for v in self.operations.as_items() {
            if !v.is_known() {
                out.push((v, format!("`operations` of `{}`", self.address)));
            }
        }
        if let Some(c) = self.constraints.as_ref().filter(|c| c.is_unknown()) {
            out.push((c, format!("`constraints` of `{}`", self.address)));
        }
        out
    }
}

impl PolicyTarget {
    /// A target with nothing known but where the policy is.
    pub fn new(anchor: Location) -> PolicyTarget {
        PolicyTarget {
            databricks_cmk: false,
            use_cases: None,
            anchor,
            address: None,
            double_encoded: false,
            databricks_grants: Vec::new(),
        }
    }
}

/// Whether a statement's `Principal` names a Databricks principal or a near miss of one anywhere
/// in the policy (with the default `max_edit_distance`).
pub fn names_databricks(doc: &Value, data: &KmsData) -> bool {
    names_databricks_with(doc, data, &KmsParams::default())
}

/// [`names_databricks`] with explicit parameters.
pub fn names_databricks_with(doc: &Value, data: &KmsData, params: &KmsParams) -> bool {
    let policy = Policy::from_value(doc);
    policy.statements.iter().any(|s| {
        s.principals().iter().any(|p| {
            matches!(
                classify_principal(p, data, params.max_edit_distance),
                PrincipalClass::Databricks(_) | PrincipalClass::NearMiss { .. }
            )
        })
    })
}

/// Runs the enabled KMS policy rules on one decoded policy.
pub fn check_policy(
    doc: &Value,
    target: &PolicyTarget,
    data: &KmsData,
    params: &KmsParams,
    enabled: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    let policy = Policy::from_value(doc);
    let mut cx = Ctx {
        target,
        data,
        params,
        enabled,
        out: Vec::new(),
        evals: Vec::new(),
        statements: policy
            .statements
            .iter()
            .filter_map(|s| Some((s.value.loc()?, statement_identity(s))))
            .collect(),
    };
    let infos: Vec<StmtInfo> = policy
        .statements
        .iter()
        .map(|s| StmtInfo::new(s, data, params))
        .collect();

    if cx.on("KMS008") {
        malformed(&mut cx, &policy);
    }
    if doc.as_object().is_none() {
        if doc.is_unknown() || matches!(doc.kind, Kind::Partial(_)) {
            cx.unknown("KMS008", doc, None, "the policy");
        }
        if cx.on("KMS011") {
            placeholders(&mut cx, doc);
        }
        cx.flush(out);
        return;
    }
    if cx.on("KMS011") {
        placeholders(&mut cx, doc);
    }
    for info in &infos {
        if cx.on("KMS001") {
            near_misses(&mut cx, info);
        }
        if cx.on("KMS002") {
            grant_without_condition(&mut cx, info);
        }
        if cx.on("KMS004") {
            ebs_grant::ebs_grant(&mut cx, info);
        }
        if cx.on("KMS005") {
            excessive(&mut cx, info);
        }
        if cx.on("KMS006") {
            wildcard_principal(&mut cx, info);
        }
        if cx.on("KMS007") {
            inverted(&mut cx, info);
        }
    }
    // A statement that is not known may be an Allow for `*`, with `NotAction`, with excessive
    // actions, granting without a condition or naming a near miss of a Databricks principal.
    if let Some(u) = unknown_statement(&policy) {
        for code in ["KMS001", "KMS002", "KMS005", "KMS006", "KMS007"] {
            cx.unknown(code, u, None, "a statement");
        }
    }
    if cx.on("KMS003") {
        let is_cmk = target.databricks_cmk
            || infos.iter().any(|i| {
                i.classes.iter().any(|(_, c)| {
                    matches!(
                        c,
                        PrincipalClass::Databricks(_) | PrincipalClass::NearMiss { .. }
                    )
                })
            });
        if is_cmk {
            missing_statement::missing_statement(&mut cx, &policy, &infos);
        }
    }
    cx.flush(out);
}

// ---------------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------------

struct Eval {
    loc: Location,
    origin: Origin,
    what: String,
    reason: String,
    unknown_loc: Option<Location>,
    codes: Vec<String>,
    /// The value is null (an input given no value), not unknown.
    null: bool,
    /// For the fingerprint: the statement and the value at `loc`, never the rules.
    subject: Option<String>,
}

/// The `Statement` element when it is unknown as a whole, else its first unknown element.
fn unknown_statement<'a>(policy: &Policy<'a>) -> Option<&'a Value> {
    policy.statement.filter(|s| s.is_unknown()).or_else(|| {
        policy
            .other_statements
            .iter()
            .copied()
            .find(|s| s.is_unknown())
    })
}

/// How a statement is identified in fingerprints: its `Sid`, else its index.
fn statement_identity(s: &Statement) -> String {
    match s
        .sid
        .filter(|v| v.as_str() != Some(""))
        .and_then(|v| v.subject(&str::to_string))
    {
        Some(sid) => format!("statement:sid={sid}"),
        None => format!("statement:#{}", s.index),
    }
}

struct Ctx<'t> {
    target: &'t PolicyTarget,
    data: &'t KmsData,
    params: &'t KmsParams,
    enabled: &'t dyn Fn(&str) -> bool,
    out: Vec<Finding>,
    evals: Vec<Eval>,
    /// Where each statement is written, and its identity (see [`statement_identity`]).
    statements: Vec<(Location, String)>,
}

impl Ctx<'_> {
    fn on(&self, code: &str) -> bool {
        (self.enabled)(code)
    }

    /// The element's location, else the statement's, else the anchor.
    fn at(&self, v: Option<&Value>, stmt: Option<&Statement>) -> Location {
        v.and_then(Value::loc)
            .or_else(|| stmt.and_then(|s| s.value.loc()))
            .unwrap_or(self.target.anchor)
    }

    /// The identity of the first statement written around `loc` (a statement that a
    /// `dynamic` block or a `for` expression repeats has one location for all its copies).
    fn statement_at(&self, loc: Location) -> Option<&str> {
        self.statements
            .iter()
            .find(|(l, _)| l.file == loc.file && l.start <= loc.start && loc.end <= l.end)
            .map(|(_, id)| id.as_str())
    }

    /// The fingerprint subject of a finding about `v` in `stmt` at `loc`: the statement's
    /// identity and the element's normalised value, whichever are known.
    fn subject(
        &self,
        v: Option<&Value>,
        stmt: Option<&Statement>,
        loc: Location,
    ) -> Option<String> {
        let statement = match stmt {
            Some(s) => Some(statement_identity(s)),
            None => self.statement_at(loc).map(str::to_string),
        };
        let value = v.and_then(|v| v.subject(&str::to_string));
        match (statement, value) {
            (Some(s), Some(v)) => Some(format!("{s}\u{1f}{v}")),
            (s, v) => s.or(v),
        }
    }

    fn finding(
        &self,
        code: &str,
        v: Option<&Value>,
        stmt: Option<&Statement>,
        message: String,
        help: impl Into<String>,
    ) -> Finding {
        let loc = self.at(v, stmt);
        let mut f = Finding::new(code, loc, message)
            .with_help(help)
            .with_anchor(self.target.anchor);
        f.subject = self.subject(v, stmt, loc);
        if let Some(v) = v {
            f = f.with_origin_chain(&v.origin);
        } else if let Some(s) = stmt {
            f = f.with_origin_chain(&s.value.origin);
        }
        if let Some(a) = &self.target.address {
            f = f.with_address(a.clone());
        }
        f
    }

    fn push(&mut self, f: Finding) {
        self.out.push(f);
    }

    /// Records that `code` could not decide because `v` (`what`) is not known.
    fn unknown(&mut self, code: &str, v: &Value, stmt: Option<&Statement>, what: &str) {
        if !self.on(code) || !self.on("EVAL001") {
            return;
        }
        let loc = self.at(Some(v), stmt);
        if let Some(e) = self.evals.iter_mut().find(|e| e.loc == loc) {
            if !e.codes.iter().any(|c| c == code) {
                e.codes.push(code.to_string());
            }
            return;
        }
        // Decided by `loc` alone (the statement around it, the value written there), so that
        // the merged finding is the same whichever rules reported it first.
        let subject = self.subject(v.loc().filter(|l| *l == loc).map(|_| v), None, loc);
        if v.is_null() {
            // A null where a value is needed: the input it comes from was given no value.
            let reason = match roles::null_input(v) {
                Some(input) if input.starts_with("`local.") => format!(
                    "it comes from {input}, which is null with the inputs given; the verdict depends on the inputs that decide it"
                ),
                Some(input) => format!(
                    "it comes from {input}, which is null; the verdict depends on the value that input is given"
                ),
                None => "it is written as null in the policy".to_string(),
            };
            self.evals.push(Eval {
                loc,
                origin: v.origin.clone(),
                what: what.to_string(),
                reason,
                // The finding is where the null was written; the chain shows how it got here.
                unknown_loc: None,
                codes: vec![code.to_string()],
                null: true,
                subject,
            });
            return;
        }
        let u = v.first_unknown();
        let reason = u
            .map(|u| u.reason.to_string())
            .unwrap_or_else(|| "the value is not known statically".to_string());
        self.evals.push(Eval {
            loc,
            origin: v.origin.clone(),
            what: what.to_string(),
            reason,
            unknown_loc: u.and_then(|u| u.loc),
            codes: vec![code.to_string()],
            null: false,
            subject,
        });
    }

    fn unknowns(&mut self, code: &str, values: &[&Value], stmt: Option<&Statement>, what: &str) {
        for v in values {
            self.unknown(code, v, stmt, what);
        }
    }

    fn flush(mut self, out: &mut Vec<Finding>) {
        for e in std::mem::take(&mut self.evals) {
            let state = if e.null {
                "is null"
            } else {
                "is not known statically"
            };
            let mut f = Finding::new(
                "EVAL001",
                e.loc,
                format!("cannot be checked: {} {state}: {}", e.what, e.reason),
            )
            .blocking(&e.codes)
            .with_help(
                "Give the missing input a value (a variable default, tfvars, --var-file or \
                 TF_VAR_...) so that the key policy can be checked; with --strict this is an error.",
            )
            .with_anchor(self.target.anchor)
            .with_origin_chain(&e.origin);
            f.subject = e.subject;
            if let Some(l) = e.unknown_loc {
                f = f.with_related(l, "the unknown value comes from here");
            }
            if let Some(a) = &self.target.address {
                f = f.with_address(a.clone());
            }
            self.out.push(f);
        }
        out.append(&mut self.out);
    }
}

/// A statement with its principals classified.
struct StmtInfo<'a> {
    stmt: &'a Statement<'a>,
    classes: Vec<(&'a PrincipalRef<'a>, PrincipalClass)>,
}

impl<'a> StmtInfo<'a> {
    fn new(stmt: &'a Statement<'a>, data: &KmsData, params: &KmsParams) -> StmtInfo<'a> {
        let classes = stmt
            .principals()
            .iter()
            .map(|p| (p, classify_principal(p, data, params.max_edit_distance)))
            .collect();
        StmtInfo { stmt, classes }
    }

    /// Whether `Principal` includes a Databricks principal (and which).
    fn databricks(&self) -> (Tri, Option<usize>) {
        if let Some(i) = self.classes.iter().find_map(|(_, c)| match c {
            PrincipalClass::Databricks(i) => Some(*i),
            _ => None,
        }) {
            return (Tri::Yes, Some(i));
        }
        let unknown = self.classes.iter().any(|(_, c)| {
            matches!(
                c,
                PrincipalClass::Unknown {
                    maybe_databricks: true
                }
            )
        });
        (if unknown { Tri::Unknown } else { Tri::No }, None)
    }

    /// Principals whose class is unknown (and may be Databricks when `databricks_only`).
    fn unknown_principals(&self, databricks_only: bool) -> Vec<&'a Value> {
        self.classes
            .iter()
            .filter(|(_, c)| match c {
                PrincipalClass::Unknown { maybe_databricks } => {
                    !databricks_only || *maybe_databricks
                }
                _ => false,
            })
            .map(|(p, _)| p.value)
            .collect()
    }

    fn effect_unknowns(&self) -> Vec<&'a Value> {
        self.stmt
            .effect
            .filter(|e| !e.is_known())
            .into_iter()
            .collect()
    }

    fn action_unknowns(&self) -> Vec<&'a Value> {
        let s = self.stmt;
        s.action
            .or(s.not_action)
            .map(|a| a.as_items().into_iter().filter(|v| !v.is_known()).collect())
            .unwrap_or_default()
    }

    fn condition_unknowns(&self) -> Vec<&'a Value> {
        let mut v: Vec<&Value> = self.stmt.unknown_conditions.clone();
        for c in &self.stmt.conditions {
            v.extend(c.values.iter().filter(|x| !x.is_known()));
        }
        v
    }

    /// Reports EVAL001 for each unknown input of a verdict that came out unknown.
    fn report_unknowns(&self, cx: &mut Ctx, code: &str, parts: &[(Tri, Vec<&Value>, &str)]) {
        let mut any = false;
        for (t, values, what) in parts {
            if *t == Tri::Unknown && !values.is_empty() {
                cx.unknowns(code, values, Some(self.stmt), what);
                any = true;
            }
        }
        if !any {
            cx.unknown(
                code,
                self.stmt.value,
                Some(self.stmt),
                "a part of the statement",
            );
        }
    }

    fn sid(&self) -> String {
        match self.stmt.sid.and_then(|s| s.as_str()) {
            Some(s) => format!("statement `{s}`"),
            None => format!("statement #{}", self.stmt.index + 1),
        }
    }
}

/// Display text of a value for messages.
fn show(v: &Value) -> String {
    match &v.kind {
        Kind::String(s) => s.clone(),
        Kind::Partial(_) => text_with_marker(v, "${...}").unwrap_or_default(),
        Kind::Unknown(_) => "(unknown)".to_string(),
        _ => v.to_json().to_string(),
    }
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

const GRANT_CONDITION: &str = r#""Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}"#;

// ---------------------------------------------------------------------------------------------
// KMS001
// ---------------------------------------------------------------------------------------------

fn near_misses(cx: &mut Ctx, info: &StmtInfo) {
    for (p, c) in &info.classes {
        if let PrincipalClass::Unknown {
            maybe_databricks: true,
        } = c
        {
            // Tri-state: an unknown principal may be a near miss; say so instead of passing.
            cx.unknown("KMS001", p.value, Some(info.stmt), "the principal");
            continue;
        }
        let PrincipalClass::NearMiss { expected, kind } = c else {
            continue;
        };
        let e = &cx.data.principals[*expected];
        let text = show(p.value);
        let (why, help) = near_miss_reason(cx.data, *expected, kind);
        let mut f = cx.finding(
            "KMS001",
            Some(p.value),
            Some(info.stmt),
            format!(
                "principal `{text}` in {} is not the Databricks principal `{}`: {why}",
                info.sid(),
                e.arn
            ),
            help,
        );
        if let NearMissKind::Typo { account, .. } = kind {
            f = f.with_fix_or_reason(account_fix::account_fix(
                p.value,
                account,
                *expected,
                cx.data,
                cx.params.max_edit_distance,
            ));
        }
        cx.push(f);
    }
}

/// Why principal class `NearMiss { expected, kind }` is not the Databricks principal it nearly
/// is, and what to write instead: KMS001's reason and help, for key policy statements and grants.
pub(crate) fn near_miss_reason(
    data: &KmsData,
    expected: usize,
    kind: &NearMissKind,
) -> (String, String) {
    let e = &data.principals[expected];
    match kind {
        NearMissKind::Typo { account, distance } => (
            format!(
                "account {account} is {distance} edit(s) away from the Databricks account {} ({}), so the key is shared with an unrelated account while Databricks is denied",
                e.account_id, e.name
            ),
            format!("Write `{}`.", e.arn),
        ),
        NearMissKind::WrongPartition { partition } => {
            let here: Vec<&DatabricksPrincipal> = data
                .principals
                .iter()
                .filter(|d| &d.partition == partition)
                .collect();
            let alt = if here.is_empty() {
                String::new()
            } else {
                format!(
                    "; in partition `{partition}` the Databricks principal is {}",
                    here.iter()
                        .map(|d| format!("`{}` ({})", d.arn, d.name))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            };
            (
                format!(
                    "the Databricks account {} ({}) belongs to partition `{}`, not `{partition}`{alt}",
                    e.account_id, e.name, e.partition
                ),
                format!(
                    "Write `{}` for {}, or the principal of the key's own partition.",
                    e.arn, e.name
                ),
            )
        }
        NearMissKind::NotRoot { resource } => (
            format!(
                "Databricks calls KMS as the account root of {} ({}), never as `{resource}`",
                e.account_id, e.name
            ),
            format!("Write `{}`.", e.arn),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// KMS002
// ---------------------------------------------------------------------------------------------

fn grant_actions(data: &KmsData) -> &[String] {
    data.actions_for(USE_CASE_GRANTS)
}

/// The patterns of the statement's `Action` that cover `action` (for messages).
fn covering(stmt: &Statement, action: &str) -> Vec<String> {
    stmt.action
        .map(|a| {
            a.as_items()
                .into_iter()
                .filter_map(|v| v.as_str())
                .filter(|s| glob_match(s, action))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn grant_without_condition(cx: &mut Ctx, info: &StmtInfo) {
    let s = info.stmt;
    let allow = s.is_allow();
    let (db, db_idx) = info.databricks();
    let actions = grant_actions(cx.data).to_vec();
    let grant = Tri::any(actions.iter().map(|a| covers_action(s, a)));
    let cond = grant_is_for_aws_resource(s);
    let verdict = allow.and(db).and(grant).and(cond.not());
    match verdict {
        Tri::No => {}
        Tri::Unknown => info.report_unknowns(
            cx,
            "KMS002",
            &[
                (allow, info.effect_unknowns(), "the Effect"),
                (db, info.unknown_principals(true), "the principal"),
                (grant, info.action_unknowns(), "the action"),
                (cond, info.condition_unknowns(), "the condition"),
            ],
        ),
        Tri::Yes => {
            let principal = db_idx
                .map(|i| cx.data.principals[i].arn.clone())
                .unwrap_or_default();
            let granted: Vec<String> = actions
                .iter()
                .filter(|a| covers_action(s, a) == Tri::Yes)
                .map(|a| {
                    let via = covering(s, a);
                    if via.is_empty() || via.iter().any(|v| v.eq_ignore_ascii_case(a)) {
                        a.clone()
                    } else {
                        format!("{a} (through `{}`)", via.join("`, `"))
                    }
                })
                .collect();
            // The condition that is there but does not count, if any.
            let wrong = s
                .conditions
                .iter()
                .find(|c| c.key_lc == "kms:grantisforawsresource");
            let (loc_value, detail): (Option<&Value>, String) = match wrong {
                Some(c) if c.operator == "Bool" => (
                    Some(c.value),
                    format!(
                        "its `Bool` condition on `{}` has the value {} instead of true",
                        c.key,
                        show(c.value)
                    ),
                ),
                Some(c) if c.operator.ends_with("IfExists") => (
                    Some(c.op_value),
                    format!(
                        "`{}` is true when the key is absent, so it limits nothing; use `Bool`",
                        c.operator
                    ),
                ),
                Some(c) => (
                    Some(c.op_value),
                    format!(
                        "`{}` on `{}` is not the documented condition; use `Bool`",
                        c.operator, c.key
                    ),
                ),
                None => (
                    s.condition.or(Some(s.value)),
                    "it has no condition on kms:GrantIsForAWSResource".to_string(),
                ),
            };
            let f = cx.finding(
                "KMS002",
                loc_value,
                Some(s),
                format!(
                    "{} allows the Databricks principal `{principal}` {} without `Bool` kms:GrantIsForAWSResource = true: {detail}, so Databricks could create grants on this key for any grantee; add {GRANT_CONDITION}",
                    info.sid(),
                    list(&granted)
                ),
                format!(
                    "Give the grant actions to the Databricks principal in their own statement with {GRANT_CONDITION} \
                     (aws_iam_policy_document: condition {{ test = \"Bool\", variable = \"kms:GrantIsForAWSResource\", values = [\"true\"] }})."
                ),
            );
            cx.push(f.with_fix_or_reason(grant_fix::grant_condition_fix(s, &actions)));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// KMS005
// ---------------------------------------------------------------------------------------------

fn excessive(cx: &mut Ctx, info: &StmtInfo) {
    let s = info.stmt;
    let allow = s.is_allow();
    let (db, db_idx) = info.databricks();
    let allowed = &cx.data.allowed_actions;
    let mut excess: Vec<&Value> = Vec::new();
    let mut unknown_actions: Vec<&Value> = Vec::new();
    let mut not_action = false;
    if let Some(a) = s.action {
        for v in a.as_items() {
            match &v.kind {
                Kind::String(x) => {
                    if !allowed.iter().any(|al| glob_covers(al, x)) {
                        excess.push(v);
                    }
                }
                _ => unknown_actions.push(v),
            }
        }
    } else if s.not_action.is_some() {
        not_action = true;
    }
    let ex = if !excess.is_empty() || not_action {
        Tri::Yes
    } else if !unknown_actions.is_empty() {
        Tri::Unknown
    } else {
        Tri::No
    };
    match allow.and(db).and(ex) {
        Tri::No => {}
        Tri::Unknown => info.report_unknowns(
            cx,
            "KMS005",
            &[
                (allow, info.effect_unknowns(), "the Effect"),
                (db, info.unknown_principals(true), "the principal"),
                (ex, unknown_actions.clone(), "the action"),
            ],
        ),
        Tri::Yes => {
            let principal = db_idx
                .map(|i| cx.data.principals[i].arn.clone())
                .unwrap_or_default();
            let (loc_value, what) = if not_action {
                (
                    s.not_action,
                    format!(
                        "every action except {} (NotAction)",
                        s.not_action
                            .map(|v| v
                                .as_items()
                                .into_iter()
                                .map(show)
                                .collect::<Vec<_>>()
                                .join(", "))
                            .unwrap_or_default()
                    ),
                )
            } else {
                (
                    excess.first().copied(),
                    excess
                        .iter()
                        .map(|v| show(v))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            };
            let mut f = cx.finding(
                "KMS005",
                loc_value,
                Some(s),
                format!(
                    "{} gives the Databricks principal `{principal}` {what}, outside the actions Databricks documents for a CMK; Databricks could manage, re-key or delete the key",
                    info.sid()
                ),
                format!(
                    "Give the Databricks principal only the documented actions: {}.",
                    list(allowed)
                ),
            );
            for v in excess.iter().skip(1) {
                if let Some(l) = v.loc() {
                    f = f.with_related(l, format!("`{}` is not documented either", show(v)));
                }
            }
            cx.push(f);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// KMS006
// ---------------------------------------------------------------------------------------------

fn could_be_wildcard(v: &Value) -> bool {
    match &v.kind {
        // A null principal is an input without a value: it could be given "*".
        Kind::Unknown(_) | Kind::Null => true,
        Kind::Partial(parts) => parts.iter().all(|p| {
            matches!(p, crate::value::Part::Unknown(_))
                || matches!(p, crate::value::Part::Lit(s) if s.is_empty() || s == "*")
        }),
        _ => false,
    }
}

fn wildcard_principal(cx: &mut Ctx, info: &StmtInfo) {
    let s = info.stmt;
    let allow = s.is_allow();
    let wild_value = info
        .classes
        .iter()
        .find_map(|(p, c)| (*c == PrincipalClass::Wildcard).then_some(p.value));
    let unknown_wild: Vec<&Value> = info
        .classes
        .iter()
        .filter(|(p, c)| matches!(c, PrincipalClass::Unknown { .. }) && could_be_wildcard(p.value))
        .map(|(p, _)| p.value)
        .collect();
    let wild = if wild_value.is_some() {
        Tri::Yes
    } else if !unknown_wild.is_empty() {
        Tri::Unknown
    } else {
        Tri::No
    };
    let restricted = restricting_condition(s, &cx.data.restricting_keys);
    match allow.and(wild).and(restricted.not()) {
        Tri::No => {}
        Tri::Unknown => info.report_unknowns(
            cx,
            "KMS006",
            &[
                (allow, info.effect_unknowns(), "the Effect"),
                (wild, unknown_wild.clone(), "the principal"),
                (restricted, info.condition_unknowns(), "the condition"),
            ],
        ),
        Tri::Yes => {
            let keys = cx.data.restricting_keys.join(", ");
            let detail = if s.conditions.is_empty() {
                "it has no condition".to_string()
            } else {
                let ks: Vec<String> = s
                    .conditions
                    .iter()
                    .map(|c| format!("{} {}", c.operator, c.key))
                    .collect();
                format!(
                    "its conditions ({}) do not restrict who the caller is",
                    ks.join(", ")
                )
            };
            let f = cx.finding(
                "KMS006",
                wild_value,
                Some(s),
                format!(
                    "{} allows any principal (`*`) and {detail}: anyone allowed by their own IAM policy in any AWS account can use the key; add a positive StringEquals/ArnEquals condition without wildcards on one of {keys}",
                    info.sid()
                ),
                format!(
                    "Name the principals instead of `*`, or add e.g. \"Condition\": {{\"StringEquals\": {{\"kms:CallerAccount\": \"111122223333\"}}}} (restricting keys: {keys})."
                ),
            );
            cx.push(f);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// KMS007
// ---------------------------------------------------------------------------------------------

fn inverted(cx: &mut Ctx, info: &StmtInfo) {
    let s = info.stmt;
    let elems = [
        (
            "NotPrincipal",
            s.not_principal.as_ref().map(|p| p.value),
            "Principal",
        ),
        ("NotAction", s.not_action, "Action"),
        ("NotResource", s.not_resource, "Resource"),
    ];
    for (name, v, positive) in elems {
        let Some(v) = v else { continue };
        match s.is_allow() {
            Tri::No => {}
            Tri::Unknown => cx.unknowns("KMS007", &info.effect_unknowns(), Some(s), "the Effect"),
            Tri::Yes => {
                // What it names, when that is known (the verdict does not depend on it).
                let named = if v.is_known() {
                    format!(
                        " ({})",
                        v.as_items()
                            .into_iter()
                            .map(show)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    String::new()
                };
                let f = cx.finding(
                    "KMS007",
                    Some(v),
                    Some(s),
                    format!(
                        "`{name}` in the Allow {} grants everything it does not name{named}, including whatever is added to AWS later",
                        info.sid(),
                    ),
                    format!("List what is allowed with `{positive}`; keep `{name}` for Deny statements."),
                );
                cx.push(f);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// KMS008
// ---------------------------------------------------------------------------------------------

fn malformed(cx: &mut Ctx, policy: &Policy) {
    let doc = policy.doc;
    if cx.target.double_encoded || matches!(doc.kind, Kind::String(_)) {
        let f = cx.finding(
            "KMS008",
            Some(doc),
            None,
            "the policy is a JSON string instead of an object: it was encoded twice (typically `jsonencode(data.aws_iam_policy_document.x.json)`), so AWS receives a string, not a policy".to_string(),
            "Use the document's `.json` directly (`policy = data.aws_iam_policy_document.x.json`) or `jsonencode` an object, not both.",
        )
        .with_fix_at(Some(cx.at(Some(doc), None)), |at| {
            crate::finding::Fix::safe("remove the outer `jsonencode(...)`: the policy is encoded once")
                .change(crate::finding::Change::Unwrap {
                    at,
                    function: "jsonencode".into(),
                })
        });
        cx.push(f);
        if doc.as_object().is_none() {
            return;
        }
    }
    match &doc.kind {
        Kind::Object(_) => {}
        Kind::Unknown(_) | Kind::Partial(_) | Kind::String(_) => return,
        _ => {
            let f = cx.finding(
                "KMS008",
                Some(doc),
                None,
                format!(
                    "the policy is a {} instead of a JSON object",
                    doc.type_name()
                ),
                "Write the policy as an object with `Version` and `Statement`.",
            );
            cx.push(f);
            return;
        }
    }
    if let Some(v) = policy.version {
        if let Some(t) = v.to_tf_string() {
            if t != "2012-10-17" {
                let mut f = cx.finding(
                    "KMS008",
                    Some(v),
                    None,
                    format!(
                        "policy `Version` is `{t}`, not `2012-10-17`: older versions do not support policy variables, so `${{aws:...}}` is taken literally"
                    ),
                    "Write \"Version\": \"2012-10-17\".",
                );
                f.severity = Severity::Warning;
                cx.push(f);
            }
        }
    }
    let Some(st) = policy.statement else {
        let f = cx.finding(
            "KMS008",
            Some(doc),
            None,
            "the policy has no `Statement`: the key would be unusable (AWS rejects it)".to_string(),
            "Add \"Statement\": [...] with at least the key administrators' statement.",
        );
        cx.push(f);
        return;
    };
    if st.is_unknown() {
        cx.unknown("KMS008", st, None, "`Statement`");
    }
    for other in &policy.other_statements {
        if other.is_unknown() {
            cx.unknown("KMS008", other, None, "a statement");
        } else {
            let f = cx.finding(
                "KMS008",
                Some(other),
                None,
                format!("a statement is a {}, not an object", other.type_name()),
                "Each statement is an object with `Effect`, `Principal`, `Action`, `Resource`.",
            );
            cx.push(f);
        }
    }
    let operators = condition_operators();
    let mut sids: Vec<(String, Option<Location>)> = Vec::new();
    for s in &policy.statements {
        let label = match s.sid.and_then(|v| v.as_str()) {
            Some(x) => format!("statement `{x}`"),
            None => format!("statement #{}", s.index + 1),
        };
        // Effect
        match s.effect {
            None => {
                let f = cx.finding(
                    "KMS008",
                    None,
                    Some(s),
                    format!("{label} has no `Effect`"),
                    "Add \"Effect\": \"Allow\" or \"Effect\": \"Deny\".",
                );
                cx.push(f);
            }
            Some(e) => match &e.kind {
                Kind::String(x) if x == "Allow" || x == "Deny" => {}
                Kind::Unknown(_) | Kind::Partial(_) => {
                    cx.unknown("KMS008", e, Some(s), "the Effect")
                }
                _ => {
                    let t = show(e);
                    let suggestion = if t.eq_ignore_ascii_case("deny") {
                        "Deny"
                    } else {
                        "Allow"
                    };
                    let f = cx.finding(
                        "KMS008",
                        Some(e),
                        Some(s),
                        format!("{label} has `Effect` `{t}`: it must be exactly `Allow` or `Deny` (case-sensitive)"),
                        format!("Write \"Effect\": \"{suggestion}\"."),
                    );
                    cx.push(f);
                }
            },
        }
        // Action / NotAction
        if s.action.is_none() && s.not_action.is_none() {
            let f = cx.finding(
                "KMS008",
                None,
                Some(s),
                format!("{label} has neither `Action` nor `NotAction`"),
                "Add \"Action\": [...] listing the KMS actions the statement is about.",
            );
            cx.push(f);
        }
        for (a, b) in [
            ("Action", "NotAction"),
            ("Principal", "NotPrincipal"),
            ("Resource", "NotResource"),
        ] {
            let obj = s.value.as_object();
            let has = |k: &str| obj.and_then(|m| m.get(k)).is_some_and(|v| !v.is_null());
            if has(a) && has(b) {
                let v = obj.and_then(|m| m.get(b));
                let f = cx.finding(
                    "KMS008",
                    v,
                    Some(s),
                    format!("{label} has both `{a}` and `{b}`: IAM accepts only one of them"),
                    format!("Keep `{a}` (or `{b}`), not both."),
                );
                cx.push(f);
            }
        }
        for v in s.action.into_iter().chain(s.not_action) {
            if v.is_unknown() {
                continue;
            }
            for item in v.as_items() {
                if let Kind::String(x) = &item.kind {
                    if x != "*" && !x.contains(':') {
                        let f = cx.finding(
                            "KMS008",
                            Some(item),
                            Some(s),
                            format!(
                                "action `{x}` in {label} has no service prefix: IAM rejects it"
                            ),
                            format!("Write \"kms:{x}\"."),
                        );
                        cx.push(f);
                    }
                }
            }
        }
        // Conditions
        for c in &s.malformed_conditions {
            let f = cx.finding(
                "KMS008",
                Some(c),
                Some(s),
                format!("the `Condition` of {label} must be an object of operator -> {{key: values}}, not a {}", c.type_name()),
                "Write \"Condition\": {\"StringEquals\": {\"kms:CallerAccount\": \"111122223333\"}}.",
            );
            cx.push(f);
        }
        if let Some(ops) = s.condition.and_then(|c| c.as_object()) {
            for (op, block) in ops {
                if operators.iter().any(|o| o == op) {
                    continue;
                }
                let (msg, help) = if let Some(right) =
                    operators.iter().find(|o| o.eq_ignore_ascii_case(op))
                {
                    (
                        format!("condition operator `{op}` in {label} is in the wrong case: operators are case-sensitive, IAM rejects it; did you mean `{right}`?"),
                        format!("Write `{right}`."),
                    )
                } else {
                    let nearest = operators
                        .iter()
                        .min_by_key(|o| {
                            strsim::levenshtein(&o.to_ascii_lowercase(), &op.to_ascii_lowercase())
                        })
                        .cloned()
                        .unwrap_or_default();
                    (
                        format!("unknown condition operator `{op}` in {label}: IAM rejects it; did you mean `{nearest}`?"),
                        "Use a condition operator of the IAM policy grammar (StringEquals, StringLike, ArnLike, Bool, ...).".to_string(),
                    )
                };
                let f = cx.finding("KMS008", Some(block), Some(s), msg, help);
                cx.push(f);
            }
        }
        // Duplicate Sid
        if let Some(sid) = s.sid.and_then(|v| v.as_str()) {
            if let Some((_, first)) = sids.iter().find(|(x, _)| x == sid) {
                let first = *first;
                let mut f = cx.finding(
                    "KMS008",
                    s.sid,
                    Some(s),
                    format!(
                        "`Sid` `{sid}` is used by two statements: Sids must be unique in a policy"
                    ),
                    "Give each statement its own `Sid`.",
                );
                if let Some(l) = first {
                    f = f.with_related(l, "first used here");
                }
                cx.push(f);
            } else {
                sids.push((sid.to_string(), s.sid.and_then(Value::loc)));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// KMS011
// ---------------------------------------------------------------------------------------------

/// Calls `f` with each string (and each literal part of a partial string, and each object key)
/// in the value and the value it belongs to.
fn walk_strings<'a>(v: &'a Value, f: &mut dyn FnMut(&str, &'a Value)) {
    match &v.kind {
        Kind::String(s) => f(s, v),
        Kind::Partial(parts) => {
            for p in parts {
                if let crate::value::Part::Lit(s) = p {
                    f(s, v);
                }
            }
        }
        Kind::List(items) => items.iter().for_each(|i| walk_strings(i, f)),
        Kind::Object(map) => {
            for (k, i) in map.iter() {
                f(k, v);
                walk_strings(i, f);
            }
        }
        _ => {}
    }
}

fn placeholders(cx: &mut Ctx, doc: &Value) {
    let mut hits: Vec<(String, String, &Value)> = Vec::new();
    walk_strings(doc, &mut |s, v| {
        // Most strings match no placeholder: one allocation-free test first.
        if !cx.data.placeholder_set.is_match(s) {
            return;
        }
        let first = cx.data.placeholder_set.matches(s).into_iter().next();
        if let Some((_, re)) = first.map(|i| &cx.data.placeholders[i]) {
            let m = re
                .find(s)
                .map(|m| m.as_str().to_string())
                .unwrap_or_default();
            // One finding per string (a partial string's literal parts count as one string).
            if !hits
                .iter()
                .any(|(_, _, h)| std::ptr::eq(*h, v) && v.as_object().is_none())
            {
                hits.push((m, s.to_string(), v));
            }
        }
    });
    for (m, s, v) in hits {
        let f = cx.finding(
            "KMS011",
            Some(v),
            None,
            format!("`{s}` contains the documentation placeholder `{m}`: the policy was copied without filling it in, so it names nothing real"),
            "Replace the placeholder with the real value (an ARN or account ID), ideally from a variable or a data source.",
        );
        cx.push(f);
    }
}
