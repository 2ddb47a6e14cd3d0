//! KMS004: the EBS statement of the cross-account role may create grants only through EC2.
//!
//! The rule is about the statement that lets a role (not a whole account, not the Databricks
//! principal) use the key for EBS. Key-administrator statements (their actions cover an action of
//! `administrator_actions`, such as `kms:*` or the console's set with `kms:Put*`) also cover
//! `kms:CreateGrant`, but they are not EBS statements: KMS004 does not apply to them
//! ([`crate::kms::roles`]).

use super::*;
use crate::kms::roles::{administers, names_role, unknown_role_principals};

pub(super) fn ebs_grant(cx: &mut Ctx, info: &StmtInfo) {
    let s = info.stmt;
    let allow = s.is_allow();
    let (role, role_value) = names_role(&info.classes);
    let create = covers_action(s, "kms:CreateGrant");
    let limited = via_service_limited(s).or(grant_is_for_aws_resource(s));
    let admin = administers(s, cx.params.administrator_actions(cx.data));
    match allow
        .and(role)
        .and(create)
        .and(limited.not())
        .and(admin.not())
    {
        Tri::No => {}
        Tri::Unknown => info.report_unknowns(
            cx,
            "KMS004",
            &[
                (allow, info.effect_unknowns(), "the Effect"),
                (
                    role,
                    unknown_role_principals(&info.classes).collect(),
                    "the principal",
                ),
                (create, info.action_unknowns(), "the action"),
                (limited, info.condition_unknowns(), "the condition"),
                // Whether it is an administrator statement (then KMS004 does not apply).
                (admin, info.action_unknowns(), "the action"),
            ],
        ),
        Tri::Yes => {
            let principal = role_value.map(show).unwrap_or_default();
            let via = s
                .conditions
                .iter()
                .find(|c| c.key_lc == "kms:viaservice" || c.key_lc == "kms:grantisforawsresource");
            let (loc_value, detail): (Option<&Value>, String) = match via {
                Some(c) if c.operator.starts_with("ForAllValues:") => (
                    Some(c.op_value),
                    format!(
                        "`{}` on an Allow is true when the key is absent, so it limits nothing; use `ForAnyValue:StringLike` or `StringLike`",
                        c.operator
                    ),
                ),
                Some(c) if c.operator.ends_with("IfExists") => (
                    Some(c.op_value),
                    format!("`{}` is true when the key is absent, so it limits nothing", c.operator),
                ),
                Some(c) => (
                    Some(c.op_value),
                    format!("its `{}` condition on `{}` does not limit the call to an AWS service", c.operator, c.key),
                ),
                None => (
                    s.condition.or(Some(s.value)),
                    "it has no kms:ViaService or kms:GrantIsForAWSResource condition".to_string(),
                ),
            };
            let through = covering(s, "kms:CreateGrant");
            let through = if through.is_empty()
                || through
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case("kms:CreateGrant"))
            {
                String::new()
            } else {
                format!(" (through `{}`)", through.join("`, `"))
            };
            let f = cx.finding(
                "KMS004",
                loc_value,
                Some(s),
                format!(
                    "{} allows `{principal}` kms:CreateGrant{through} without limiting it to grants made through EC2: {detail}; the role could grant the key to anyone; add \"Condition\": {{\"ForAnyValue:StringLike\": {{\"kms:ViaService\": \"ec2.*.amazonaws.com\"}}}}",
                    info.sid()
                ),
                "Limit the EBS statement with \"Condition\": {\"ForAnyValue:StringLike\": {\"kms:ViaService\": \"ec2.*.amazonaws.com\"}} \
                 (or {\"Bool\": {\"kms:GrantIsForAWSResource\": \"true\"}}).",
            );
            cx.push(f);
        }
    }
}
