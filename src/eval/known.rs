//! What Terraform knows at plan time that the configuration does not write down.
//!
//! Terraform reads data sources while it plans, and the AWS provider computes some attributes from
//! its own configuration (the AWS provider documentation of each data source and resource says
//! which):
//!
//! - `data.aws_region.X.name`/`.region`/`.id`: the region of the provider the data source uses
//!   (its `provider` meta-argument, provider aliases, and the `providers` map of module calls), or
//!   its own `region` argument (AWS provider v6).
//! - `data.aws_partition.X.partition`: the partition of that region (`aws`, `aws-us-gov`, `aws-cn`).
//! - `data.aws_caller_identity.X.account_id`: the account whose credentials run Terraform. Its
//!   number is known from the provider's `allowed_account_ids` when that lists exactly one
//!   account; otherwise it stays unknown, but it is the customer's own account: never `*`, never a
//!   Databricks account ([`Reason::CallerAccount`]).
//! - `aws_iam_role.X.arn`, `aws_iam_user.X.arn`: `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`, a role
//!   or user of the deploying account, with whatever parts are known.
//!
//! Everything else computed stays unknown ("known only after apply" for managed resources).

use super::expr::Scope;
use super::module::{ItemRef, ModuleInst};
use super::Mode;
use crate::source::Location;
use crate::value::{Kind, Part, Reason, ResourceRef, Unknown, Value};
use std::sync::Arc;

impl super::module::Ev<'_> {
    /// The value of computed attribute `attr` of resource `key` (`type.name` or `data.type.name`)
    /// in module instance `m`, when Terraform knows it at plan time; None when it is known only
    /// after apply.
    pub(crate) fn plan_time_attr(
        &self,
        m: &ModuleInst,
        key: &str,
        instance: Option<&str>,
        attr: &str,
        loc: Location,
    ) -> Option<Value> {
        let (mode, r) = *m.def.resources.get(key)?;
        let rtype = key.strip_prefix("data.").unwrap_or(key).split('.').next()?;
        let alias = self.provider_alias(m, r);
        let reference = || ResourceRef {
            address: m.label(key),
            key: instance.map(str::to_string),
            attr: attr.to_string(),
        };
        let v = match (mode, rtype, attr) {
            (Mode::Data, "aws_region", "name" | "region" | "id") => {
                // AWS provider v6 data sources take a `region` argument of their own.
                match self.argument(m, r, "region") {
                    Some(v) => v,
                    None => self.provider_region(m, alias.as_deref(), loc)?,
                }
            }
            (Mode::Data, "aws_partition", "partition") => {
                let region = self.provider_region(m, alias.as_deref(), loc)?;
                match region.as_str() {
                    Some(r) => Value::string(partition_of(r)),
                    None => return None,
                }
            }
            (Mode::Data, "aws_caller_identity", "account_id") => {
                self.caller_account(m, alias.as_deref(), reference())
            }
            (Mode::Managed, "aws_iam_role" | "aws_iam_user", "arn") => {
                let kind = if rtype == "aws_iam_role" {
                    "role"
                } else {
                    "user"
                };
                self.iam_arn(m, key, instance, kind, alias.as_deref(), reference, loc)
            }
            _ => return None,
        };
        Some(v.at(loc))
    }

    /// The alias of the AWS provider a resource block uses (`provider = aws.west` → `west`).
    fn provider_alias(&self, m: &ModuleInst, r: ItemRef) -> Option<String> {
        let block = m.def.block(r)?;
        let p = block.body.get_attribute("provider")?;
        let text = p.value.to_string();
        text.trim()
            .strip_prefix("aws.")
            .map(|a| a.trim().to_string())
    }

    /// Argument `name` of a resource block, evaluated in the module's scope (no instance).
    fn argument(&self, m: &ModuleInst, r: ItemRef, name: &str) -> Option<Value> {
        let block = m.def.block(r)?;
        let a = block.body.get_attribute(name)?;
        let scope = Scope::module(m, m.def.spans(r));
        Some(
            self.eval(&a.value, &scope)
                .unwrap_or_else(|e| e.into_unknown()),
        )
    }

    /// The `region` of the AWS provider (default or `alias`) that applies in module instance `m`,
    /// following the `providers` maps of module calls and implicit inheritance of the default
    /// provider. Unknown (with the reason) when the provider sets no region; None when no
    /// provider configuration is found at all.
    pub(crate) fn provider_region(
        &self,
        m: &ModuleInst,
        alias: Option<&str>,
        loc: Location,
    ) -> Option<Value> {
        let v = self.provider_attr(m, alias, "region")?;
        Some(v.unwrap_or_else(|| {
            Value::unknown(Unknown {
                reason: Reason::Other(
                    "the AWS provider sets no `region`; it comes from AWS_REGION or the AWS profile when Terraform runs".into(),
                ),
                loc: Some(loc),
                reference: None,
            })
        }))
    }

    /// Attribute `attr` of the AWS provider configuration (default or `alias`) that applies in
    /// `m`: `None` when there is no such provider block, `Some(None)` when the block does not set
    /// the attribute.
    fn provider_attr(
        &self,
        m: &ModuleInst,
        alias: Option<&str>,
        attr: &str,
    ) -> Option<Option<Value>> {
        for f in m.def.files.iter() {
            for (i, b) in f.tree.blocks_where(|ident, _| ident == "provider") {
                if b.labels.first().map(|l| l.as_str()) != Some("aws") {
                    continue;
                }
                let a = b
                    .body
                    .get_attribute("alias")
                    .and_then(|a| a.value.as_str().map(str::to_string));
                if a.as_deref() != alias {
                    continue;
                }
                return Some(b.body.get_attribute(attr).map(|a| {
                    let scope = Scope::module(m, f.spans(i));
                    self.eval(&a.value, &scope)
                        .unwrap_or_else(|e| e.into_unknown())
                }));
            }
        }
        // A module call passes its providers explicitly (`providers = { aws = aws.west }`) or
        // the default provider implicitly.
        let (parent, parent_alias) = m.caller_provider(alias)?;
        self.provider_attr(&parent, parent_alias.as_deref(), attr)
    }

    /// `data.aws_caller_identity.X.account_id`: the provider's single `allowed_account_ids`
    /// entry, else the deploying account, unknown by number.
    fn caller_account(&self, m: &ModuleInst, alias: Option<&str>, r: ResourceRef) -> Value {
        if let Some(Some(ids)) = self.provider_attr(m, alias, "allowed_account_ids") {
            if let Some([one]) = ids.as_list() {
                if one.as_str().is_some() {
                    return one.clone();
                }
            }
        }
        Value::unknown(Unknown {
            reason: Reason::CallerAccount(r.clone()),
            loc: None,
            reference: Some(r),
        })
    }

    /// `arn:PARTITION:iam::ACCOUNT:KIND/PATH...NAME` of a role or user of this configuration.
    #[allow(clippy::too_many_arguments)]
    fn iam_arn(
        &self,
        m: &ModuleInst,
        key: &str,
        instance: Option<&str>,
        kind: &str,
        alias: Option<&str>,
        reference: impl Fn() -> ResourceRef,
        loc: Location,
    ) -> Value {
        let after_apply = |what: &str| {
            let mut r = reference();
            r.attr = what.to_string();
            Part::Unknown(Arc::new(Unknown {
                reason: Reason::AfterApply(r.clone()),
                loc: Some(loc),
                reference: Some(r),
            }))
        };
        let mut parts = vec![Part::Lit("arn:".into())];
        match self
            .provider_region(m, alias, loc)
            .and_then(|v| v.as_str().map(partition_of))
        {
            Some(p) => parts.push(Part::Lit(p.into())),
            None => parts.push(after_apply("partition")),
        }
        parts.push(Part::Lit(":iam::".into()));
        match self.caller_account(m, alias, reference()).kind {
            Kind::String(s) => parts.push(Part::Lit(s)),
            Kind::Unknown(u) => parts.push(Part::Unknown(u)),
            _ => parts.push(after_apply("account")),
        }
        parts.push(Part::Lit(format!(":{kind}")));
        // The instance's own arguments: `path` (default "/") and `name`.
        let body = self
            .resource_group(m, key)
            .and_then(|g| g.ok())
            .and_then(|g| {
                g.iter()
                    .find(|i| i.key.as_deref() == instance)
                    .map(|i| i.body.clone())
            });
        let arg = |n: &str| body.as_ref().and_then(|b| b.get(n).cloned());
        match arg("path") {
            None => parts.push(Part::Lit("/".into())),
            Some(v) => push_string(&mut parts, &v, || after_apply("path")),
        }
        match arg("name") {
            Some(v) => push_string(&mut parts, &v, || after_apply("name")),
            None => parts.push(after_apply("name")),
        }
        Value::from_parts(parts)
    }
}

/// Appends a string value (known or partly known) to the parts of a partial string.
fn push_string(parts: &mut Vec<Part>, v: &Value, unknown: impl Fn() -> Part) {
    match &v.kind {
        Kind::String(s) => parts.push(Part::Lit(s.clone())),
        Kind::Partial(p) => parts.extend(p.iter().cloned()),
        Kind::Unknown(u) => parts.push(Part::Unknown(u.clone())),
        _ => parts.push(unknown()),
    }
}

/// The partition of an AWS region name.
pub(crate) fn partition_of(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::partition_of;

    #[test]
    fn partitions() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("eu-central-1"), "aws");
    }
}
