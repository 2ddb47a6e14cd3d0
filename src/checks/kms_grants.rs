//! `aws_kms_grant`s in context: a key named by a grant (`key_id`, through aliases and modules)
//! whose `grantee_principal` is a Databricks principal is a Databricks CMK, like a key referenced
//! by `databricks_mws_customer_managed_keys`, and the operations the grant gives count for KMS003.
//!
//! A grantee that is not known statically (a variable without a value, a remote module's output,
//! a null) may be the Databricks principal: whether the CMK rules apply to the key then depends on
//! it, and [`undecided`] says so (EVAL001) instead of passing silently. A grantee that is an
//! attribute of an `aws_*` resource or data source (`aws_iam_role.x.arn`) is a principal of the
//! deploying account, never the Databricks account's root.

use super::cmk::keys_of;
use crate::eval::{ResourceInstance, Unit};
use crate::finding::Finding;
use crate::kms::checks::DatabricksGrant;
use crate::kms::{classify_aws, roles, KmsData, KmsParams, PrincipalClass, Tri};
use crate::value::{PathResult, Value};
use std::collections::BTreeMap;

pub const GRANT: &str = "aws_kms_grant";

/// A grant whose grantee may be the Databricks principal: the grant and its grantee value.
pub type MaybeGrant<'a> = (&'a ResourceInstance, &'a Value);

/// The grants of a unit whose grantee is, or may be, a Databricks principal, by key
/// (`full_address` of the `aws_kms_key`).
#[derive(Default)]
pub struct GrantLinks<'a> {
    pub by_key: BTreeMap<String, Vec<(MaybeGrant<'a>, DatabricksGrant)>>,
}

impl<'a> GrantLinks<'a> {
    /// Whether a grant to a Databricks principal names the key.
    pub fn granted(&self, key: &str) -> bool {
        self.of(key).any(|(_, g)| g.to_databricks == Tri::Yes)
    }

    /// The grants on the key whose grantee is, or may be, a Databricks principal.
    pub fn of<'s>(
        &'s self,
        key: &str,
    ) -> impl Iterator<Item = &'s (MaybeGrant<'a>, DatabricksGrant)> + 's {
        self.by_key.get(key).into_iter().flatten()
    }

    /// The grants on the key whose grantee may be a Databricks principal, not known to be one.
    pub fn maybe<'s>(&'s self, key: &str) -> impl Iterator<Item = MaybeGrant<'a>> + 's {
        self.of(key)
            .filter(|(_, g)| g.to_databricks == Tri::Unknown)
            .map(|(m, _)| *m)
    }
}

/// Reads every `aws_kms_grant` of the unit.
pub fn links<'a>(unit: &'a Unit, data: &KmsData, params: &KmsParams) -> GrantLinks<'a> {
    let mut out = GrantLinks::default();
    for g in unit.of_type(GRANT) {
        let Some(key_id) = g.attr("key_id") else {
            continue;
        };
        let keys = keys_of(unit, key_id);
        if keys.is_empty() {
            continue;
        }
        let Some(grantee) = g.attr("grantee_principal") else {
            continue;
        };
        let to_databricks = grantee_is_databricks(grantee, data, params);
        if to_databricks == Tri::No {
            continue;
        }
        let grant = DatabricksGrant {
            grantee: grantee.clone(),
            to_databricks,
            operations: g.attr("operations").cloned().unwrap_or_else(Value::null),
            constraints: match g.body.path(&["constraints"]) {
                PathResult::Found(v) | PathResult::Unknown(v) => Some(v.clone()),
                PathResult::Absent { .. } => None,
            },
            loc: g.loc,
            address: g.full_address(),
        };
        for k in keys {
            out.by_key
                .entry(k.full_address())
                .or_default()
                .push(((g, grantee), grant.clone()));
        }
    }
    out
}

/// Whether a grantee is a Databricks principal (exactly: a near miss is not one).
pub fn grantee_is_databricks(v: &Value, data: &KmsData, params: &KmsParams) -> Tri {
    match classify_aws(v, data, params.max_edit_distance) {
        PrincipalClass::Databricks(_) => Tri::Yes,
        PrincipalClass::Unknown {
            maybe_databricks: true,
        } if !of_aws_resource(v) => Tri::Unknown,
        _ => Tri::No,
    }
}

/// An attribute of an `aws_*` resource or data source (`aws_iam_role.x.arn`,
/// `module.m.data.aws_iam_role.r.arn`): a principal of the account that applies the
/// configuration.
fn of_aws_resource(v: &Value) -> bool {
    let Some(r) = v.reference() else {
        return false;
    };
    let mut segs = r.address.split('.').peekable();
    while segs.peek() == Some(&"module") {
        segs.next();
        segs.next();
    }
    if segs.peek() == Some(&"data") {
        segs.next();
    }
    segs.next().is_some_and(|t| t.starts_with("aws_"))
}

/// EVAL001 for a key that is a Databricks CMK only if a grant's unknown grantee is the Databricks
/// principal, when `codes` (rules that apply only to Databricks CMKs) would report it if it were.
pub fn undecided(key: &ResourceInstance, grant: MaybeGrant, codes: &[String]) -> Finding {
    let (g, grantee) = grant;
    let why = if grantee.is_null() {
        match roles::null_input(grantee) {
            Some(input) => format!("it comes from {input}, which is null"),
            None => "it is null".to_string(),
        }
    } else {
        grantee
            .first_unknown()
            .map(|u| u.reason.to_string())
            .unwrap_or_else(|| "it is not known statically".to_string())
    };
    possible_cmk(
        key,
        PossibleCmk {
            via: g,
            value: grantee,
            loc: grantee.loc().unwrap_or(g.loc),
            path: "grantee_principal",
            condition: format!(
                "if `grantee_principal` of `{}` is the Databricks principal, and that value is not known: {why}",
                g.full_address()
            ),
            // The grant and its grantee identify it, not the rules that could not decide.
            subject: format!(
                "grant:{}\u{1f}{}",
                g.full_address(),
                grantee.subject(&str::to_string).unwrap_or_default()
            ),
            help: "give the grantee a value (tfvars, --var, --var-file, TF_VAR_) so it can decide",
        },
        codes,
    )
}

/// What makes a key possibly a Databricks CMK: the resource (`via`) and its value that may make it
/// one, and how.
pub struct PossibleCmk<'a> {
    pub via: &'a ResourceInstance,
    pub value: &'a Value,
    pub loc: crate::source::Location,
    pub path: &'static str,
    /// `if ...`: the condition under which the key is a Databricks CMK, and why it is unknown.
    pub condition: String,
    pub subject: String,
    /// What the user can do, after "policy-lint reports neither a pass nor a failure here; ".
    pub help: &'static str,
}

/// EVAL001 for a key that may be a Databricks CMK, when `codes` (rules that apply only to
/// Databricks CMKs) would report it if it were.
pub fn possible_cmk(key: &ResourceInstance, p: PossibleCmk, codes: &[String]) -> Finding {
    let mut f = Finding::new(
        "EVAL001",
        p.loc,
        format!(
            "cannot be checked on `{}`: it is a Databricks customer-managed key {}",
            key.full_address(),
            p.condition
        ),
    )
    .blocking(codes)
    .with_anchor(p.via.loc)
    .with_address(key.full_address())
    .with_path(p.path)
    .with_subject(p.subject)
    .with_origin_chain(&p.value.origin)
    .with_related(key.loc, "the key")
    .with_help(format!(
        "policy-lint reports neither a pass nor a failure here; {}",
        p.help
    ));
    for h in &p.via.call_chain {
        f = f.with_related(h.loc, h.label.clone());
    }
    f
}

/// KMS001 on grants: a `grantee_principal` that is almost a Databricks principal (an account ID
/// one digit off, another partition, a role of the Databricks account) gives the key to someone
/// else while Databricks gets nothing, as in a key policy statement.
pub fn near_misses(unit: &Unit, data: &KmsData, params: &KmsParams) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in unit.of_type(GRANT) {
        let Some(grantee) = g.attr("grantee_principal") else {
            continue;
        };
        let PrincipalClass::NearMiss { expected, kind } =
            classify_aws(grantee, data, params.max_edit_distance)
        else {
            continue;
        };
        let (why, help) = crate::kms::checks::near_miss_reason(data, expected, &kind);
        let fix = match &kind {
            crate::kms::NearMissKind::Typo { account, .. } => {
                Some(crate::kms::checks::account_fix::account_fix(
                    grantee,
                    account,
                    expected,
                    data,
                    params.max_edit_distance,
                ))
            }
            _ => None,
        };
        let text = grantee.as_str().map(str::to_string).unwrap_or_else(|| {
            grantee
                .known_fragments()
                .map(|f| f.join("…"))
                .unwrap_or_default()
        });
        let mut f = super::at_value(
            "KMS001",
            g,
            "grantee_principal",
            Some(grantee),
            format!(
                "`grantee_principal` `{text}` of `{}` is not the Databricks principal `{}`: {why}",
                g.full_address(),
                data.principals[expected].arn
            ),
        )
        .with_help(help);
        if let Some(fix) = fix {
            f = f.with_fix_or_reason(fix);
        }
        out.push(f);
    }
    out
}
