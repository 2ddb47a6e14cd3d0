//! KMS002's fix: the `Bool` `kms:GrantIsForAWSResource` condition added to the statement that
//! gives the Databricks principal the grant actions.

use crate::finding::{Change, Fix};
use crate::kms::Statement;
use crate::value::Kind;

/// The fix for a statement that gives the Databricks principal the grant actions without the
/// condition, or why there is none. Offered only when the statement has no `Condition` (adding
/// to conditions that are there, or correcting a wrong one, is left to a person) and grants
/// nothing but grant actions: on a statement that also allows `kms:Decrypt`, the condition would
/// deny Databricks the use of the key (the key is absent from those requests).
pub(super) fn grant_condition_fix(s: &Statement, grant_actions: &[String]) -> Result<Fix, String> {
    if s.condition.is_some() {
        return Err("the statement has a `Condition`: correct or extend it by hand".into());
    }
    let Some(action) = s.action else {
        return Err("the statement uses `NotAction`".into());
    };
    let items = action.as_items();
    let only_grants = !items.is_empty()
        && items.iter().all(|v| match &v.kind {
            Kind::String(a) => grant_actions.iter().any(|g| g.eq_ignore_ascii_case(a)),
            _ => false,
        });
    if !only_grants {
        return Err(
            "the statement also allows actions other than the grant actions, which the condition would deny; give the grant actions a statement of their own".into(),
        );
    }
    let Some(at) = s.value.loc() else {
        return Err("the statement has no location".into());
    };
    Ok(Fix::unsafe_(
        "add the `Bool` condition `kms:GrantIsForAWSResource = true` to the statement: Databricks may then create grants only for AWS services",
    )
    .change(Change::AddGrantCondition { at }))
}
