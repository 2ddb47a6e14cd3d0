//! What a standalone JSON file is: a KMS key policy to check with the key-policy rules, or
//! something else (a trust policy, a bucket policy, an identity policy, or no policy at all) that
//! they must leave alone.

use crate::value::{Kind, Value};

/// The role of a standalone `.json` file (not `.tf.json` or `.tfvars.json`), as decided by
/// [`classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonRole {
    /// Terraform uses the file as a key policy: read by `file()` or `templatefile()` into the
    /// `policy` of an `aws_kms_key` or `aws_kms_key_policy`. It is checked there, with the key's
    /// context (is it a Databricks CMK, for which use cases), and findings point at the file's
    /// lines; it is not checked a second time on its own.
    UsedByTerraform,
    /// A key policy because `[kms] databricks_key_policies` names it (checked as a Databricks CMK
    /// policy, whatever it contains).
    KeyPolicyByConfig,
    /// A key policy because one of its statements is about KMS: an `Action` or `NotAction` that
    /// starts with `kms:`.
    KeyPolicyByActions,
    /// An IAM policy that is not a key policy: no finding of the key-policy rules.
    OtherPolicy(PolicyKind),
    /// No top-level `Statement`: not an IAM policy (a package manifest, a cluster policy...).
    NotAPolicy,
}

/// Kinds of IAM policies that are not key policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A role trust policy: its statements allow `sts:AssumeRole` (or a variant such as
    /// `sts:AssumeRoleWithWebIdentity`), like the Databricks cross-account role's.
    Trust,
    /// A resource policy other than a key policy (an S3 bucket policy, an SNS or SQS policy...):
    /// its statements name a `Principal`.
    Resource,
    /// An identity policy (attached to a user, group or role): no statement names a `Principal`.
    Identity,
}

impl JsonRole {
    /// True when the key-policy rules check the file on its own.
    pub fn is_standalone_key_policy(self) -> bool {
        matches!(
            self,
            JsonRole::KeyPolicyByConfig | JsonRole::KeyPolicyByActions
        )
    }
}

/// Decides what a standalone JSON file is, in this order:
///
/// 1. `used_by_terraform`: some `aws_kms_key.policy` or `aws_kms_key_policy.policy` reads it
///    (`file()`, `templatefile()`): [`JsonRole::UsedByTerraform`], checked through the HCL only;
/// 2. `named_by_config`: a `[kms] databricks_key_policies` glob matches its path:
///    [`JsonRole::KeyPolicyByConfig`], even when it does not look like one (so a file named as a
///    key policy but missing its `Statement` is reported, not skipped);
/// 3. no top-level `Statement`: [`JsonRole::NotAPolicy`];
/// 4. no statement names a `Principal` or `NotPrincipal`: an identity policy
///    ([`PolicyKind::Identity`]), even when it allows `kms:` actions (a role's permission to use a
///    key is not the key's policy, and a key policy always names its principals);
/// 5. an `Action` or `NotAction` of some statement starts with `kms:` (any case):
///    [`JsonRole::KeyPolicyByActions`];
/// 6. otherwise another resource-based policy, [`JsonRole::OtherPolicy`]: a trust policy when a
///    statement's actions start with `sts:AssumeRole`, else a resource policy (an S3 bucket
///    policy...).
///
/// A wildcard action (`"*"`) alone does not make a key policy: other policies use it as well.
/// Name such files in `[kms] databricks_key_policies` to have them checked.
pub fn classify(doc: &Value, named_by_config: bool, used_by_terraform: bool) -> JsonRole {
    if used_by_terraform {
        return JsonRole::UsedByTerraform;
    }
    if named_by_config {
        return JsonRole::KeyPolicyByConfig;
    }
    let Some(statements) = doc.as_object().and_then(|m| m.get("Statement")) else {
        return JsonRole::NotAPolicy;
    };
    let statements: Vec<&Value> = statements.as_items();
    let actions = |st: &Value| -> Vec<String> {
        ["Action", "NotAction"]
            .iter()
            .filter_map(|k| st.as_object().and_then(|m| m.get(k)))
            .flat_map(|v| v.as_items())
            .filter_map(|a| a.as_str().map(str::to_ascii_lowercase))
            .collect()
    };
    let names_principal = |st: &&Value| matches!(&st.kind, Kind::Object(m) if m.contains_key("Principal") || m.contains_key("NotPrincipal"));
    if !statements.iter().any(names_principal) {
        return JsonRole::OtherPolicy(PolicyKind::Identity);
    }
    if statements
        .iter()
        .any(|st| actions(st).iter().any(|a| a.starts_with("kms:")))
    {
        return JsonRole::KeyPolicyByActions;
    }
    if statements
        .iter()
        .any(|st| actions(st).iter().any(|a| a.starts_with("sts:assumerole")))
    {
        JsonRole::OtherPolicy(PolicyKind::Trust)
    } else {
        JsonRole::OtherPolicy(PolicyKind::Resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Value {
        let origin = |_r: std::ops::Range<usize>| crate::value::Origin::none();
        crate::json::parse(text, &origin, &[]).expect("test JSON")
    }

    #[test]
    fn roles() {
        let trust = doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::414351767826:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}"#,
        );
        assert_eq!(
            classify(&trust, false, false),
            JsonRole::OtherPolicy(PolicyKind::Trust)
        );
        let bucket = doc(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}}"#,
        );
        assert_eq!(
            classify(&bucket, false, false),
            JsonRole::OtherPolicy(PolicyKind::Resource)
        );
        let identity = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":["kms:Decrypt","ec2:Describe*"],"Resource":"*"}]}"#,
        );
        assert_eq!(
            classify(&identity, false, false),
            JsonRole::OtherPolicy(PolicyKind::Identity)
        );
        let key = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"KMS:*","Resource":"*"}]}"#,
        );
        assert_eq!(classify(&key, false, false), JsonRole::KeyPolicyByActions);
        let not_action =
            doc(r#"{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"kms:Decrypt"}]}"#);
        assert_eq!(
            classify(&not_action, false, false),
            JsonRole::KeyPolicyByActions
        );
        assert_eq!(classify(&trust, true, false), JsonRole::KeyPolicyByConfig);
        assert_eq!(classify(&key, true, true), JsonRole::UsedByTerraform);
        assert_eq!(
            classify(&doc(r#"{"name":"x"}"#), false, false),
            JsonRole::NotAPolicy
        );
        assert_eq!(
            classify(&doc(r#"{"name":"x"}"#), true, false),
            JsonRole::KeyPolicyByConfig
        );
        assert_eq!(classify(&doc("[1]"), false, false), JsonRole::NotAPolicy);
    }
}
