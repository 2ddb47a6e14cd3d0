//! KMS001's fix: a principal whose account is a typo of a Databricks account gets that account.

use crate::finding::{Change, Fix};
use crate::kms::KmsData;
use crate::value::Value;

/// The fix of a principal `v` whose account `account` is within `max_edit_distance` of the
/// Databricks account `expected` (an index into `data.principals`), or why there is none: the
/// fix is offered only when that account is the one Databricks account of the principal's
/// partition that is near (in GovCloud, an account near both the civilian and the DoD account
/// has no evident intent) and the principal is written as a plain string.
pub(crate) fn account_fix(
    v: &Value,
    account: &str,
    expected: usize,
    data: &KmsData,
    max_edit_distance: usize,
) -> Result<Fix, String> {
    let e = &data.principals[expected];
    let Some(text) = v.as_str() else {
        return Err("the principal is computed".into());
    };
    let partition = text
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').next());
    let near: Vec<usize> = data
        .principals
        .iter()
        .enumerate()
        .filter(|(_, p)| partition.is_none_or(|x| x == p.partition))
        .filter(|(_, p)| {
            let d = strsim::levenshtein(account, &p.account_id);
            d > 0 && d <= max_edit_distance
        })
        .map(|(i, _)| i)
        .collect();
    if near != [expected] {
        return Err(format!(
            "{} Databricks accounts of the partition are near `{account}`; which one is meant is not clear",
            near.len()
        ));
    }
    if text.matches(account).count() != 1 {
        return Err("the account appears more than once in the principal".into());
    }
    let Some(loc) = v.loc() else {
        return Err("the principal has no location".into());
    };
    Ok(Fix::safe(format!(
        "write the Databricks account {} ({})",
        e.account_id, e.name
    ))
    .change(Change::SetString {
        at: loc,
        from: text.to_string(),
        value: text.replace(account, &e.account_id),
    }))
}
