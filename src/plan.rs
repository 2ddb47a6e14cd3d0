//! `--plan FILE`: values Terraform knew when it planned, from `terraform show -json PLANFILE`.
//!
//! The document is Terraform's JSON output format
//! (https://developer.hashicorp.com/terraform/internals/json-format). policy-lint reads:
//!
//! - `format_version` (major version 0 or 1; another major version is an error),
//! - `variables.NAME.value`: the root module's variable values,
//! - `planned_values.root_module` and `prior_state.values.root_module`: resources and data
//!   sources (`address`, `values`) of the root module and of `child_modules` (recursively),
//! - `resource_changes[].change.after_unknown`: attributes known only after apply.
//!
//! An attribute that is absent from `planned_values` or marked in `after_unknown` is unknown,
//! never null. `planned_values` wins over `prior_state` (it is what the plan will make).

use crate::hash::HashMap;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// A plan document, indexed.
#[derive(Debug, Default)]
pub struct Plan {
    /// The file it was read from (for messages).
    pub path: PathBuf,
    variables: HashMap<String, Json>,
    /// Resource address (`module.a.aws_kms_key.k[0]`) -> its values.
    resources: HashMap<String, Json>,
    /// Resource address -> `after_unknown` of its change.
    after_unknown: HashMap<String, Json>,
}

/// What a plan says of one attribute.
#[derive(Debug, PartialEq)]
pub enum Attr<'a> {
    Known(&'a Json),
    /// Known only after apply (`after_unknown`), or absent from a planned resource.
    Unknown,
    /// The plan does not have the resource.
    Absent,
}

impl Plan {
    /// Reads and indexes a plan document; the error says what is wrong with the file.
    pub fn load(path: &Path) -> Result<Plan, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read plan `{shown}`: {e}"))?;
        let doc: Json = serde_json::from_str(&text).map_err(|e| {
            format!("plan `{shown}` is not JSON ({e}); give the output of `terraform show -json PLANFILE`")
        })?;
        let mut plan = Plan::from_json(&doc).map_err(|e| format!("plan `{shown}`: {e}"))?;
        plan.path = path.to_path_buf();
        Ok(plan)
    }

    /// Indexes a parsed plan document.
    pub fn from_json(doc: &Json) -> Result<Plan, String> {
        let Some(obj) = doc.as_object() else {
            return Err(
                "not a JSON object; give the output of `terraform show -json PLANFILE`".into(),
            );
        };
        let version = obj.get("format_version").and_then(Json::as_str).ok_or(
            "no `format_version`: this is not the output of `terraform show -json PLANFILE`",
        )?;
        let major = version.split('.').next().unwrap_or("");
        if major != "0" && major != "1" {
            return Err(format!(
                "format_version `{version}` is not supported (policy-lint reads major versions 0 and 1)"
            ));
        }
        let mut plan = Plan::default();
        if let Some(vars) = obj.get("variables").and_then(Json::as_object) {
            for (k, v) in vars {
                if let Some(value) = v.get("value") {
                    plan.variables.insert(k.clone(), value.clone());
                }
            }
        }
        // Prior state first, so that planned values replace it.
        if let Some(m) = doc.pointer("/prior_state/values/root_module") {
            index_module(m, &mut plan.resources);
        }
        if let Some(m) = doc.pointer("/planned_values/root_module") {
            index_module(m, &mut plan.resources);
        }
        if let Some(changes) = obj.get("resource_changes").and_then(Json::as_array) {
            for c in changes {
                let (Some(addr), Some(au)) = (
                    c.get("address").and_then(Json::as_str),
                    c.pointer("/change/after_unknown"),
                ) else {
                    continue;
                };
                plan.after_unknown.insert(addr.to_string(), au.clone());
            }
        }
        Ok(plan)
    }

    /// The value the plan gives a root variable.
    pub fn variable(&self, name: &str) -> Option<&Json> {
        self.variables.get(name)
    }

    /// Attribute `attr` of the resource instance at `address`.
    pub fn attribute(&self, address: &str, attr: &str) -> Attr<'_> {
        let Some(values) = self.resources.get(address) else {
            return Attr::Absent;
        };
        let unknown_after_apply = self
            .after_unknown
            .get(address)
            .and_then(|au| au.get(attr))
            .map(|u| u != &Json::Bool(false))
            .unwrap_or(false);
        if unknown_after_apply {
            return Attr::Unknown;
        }
        match values.get(attr) {
            Some(v) => Attr::Known(v),
            None => Attr::Unknown,
        }
    }
}

fn index_module(m: &Json, out: &mut HashMap<String, Json>) {
    if let Some(resources) = m.get("resources").and_then(Json::as_array) {
        for r in resources {
            if let (Some(addr), Some(values)) =
                (r.get("address").and_then(Json::as_str), r.get("values"))
            {
                out.insert(addr.to_string(), values.clone());
            }
        }
    }
    if let Some(children) = m.get("child_modules").and_then(Json::as_array) {
        for c in children {
            index_module(c, out);
        }
    }
}

/// `--plan` arguments: `FILE` (the plan of the only root) or `DIR=FILE`.
#[derive(Debug, Default, Clone)]
pub struct Plans {
    /// (root directory, canonical; None for a bare `FILE`), the plan.
    pub entries: Vec<(Option<PathBuf>, std::sync::Arc<Plan>)>,
}

impl Plans {
    /// Parses and loads `--plan` arguments, relative to `cwd`.
    pub fn load(args: &[String], cwd: &Path) -> Result<Plans, String> {
        let mut entries = Vec::new();
        for a in args {
            let (dir, file) = match a.split_once('=') {
                Some((d, f)) => (Some(d), f),
                None => (None, a.as_str()),
            };
            let file = cwd.join(file);
            let plan = Plan::load(&file)?;
            let dir = match dir {
                Some(d) => Some(std::fs::canonicalize(cwd.join(d)).map_err(|e| {
                    format!("--plan `{a}`: the root directory `{d}` cannot be read: {e}")
                })?),
                None => None,
            };
            entries.push((dir, std::sync::Arc::new(plan)));
        }
        if entries.iter().filter(|(d, _)| d.is_none()).count() > 1 {
            return Err("several --plan files without a root directory: name each one's root with --plan DIR=FILE".into());
        }
        Ok(Plans { entries })
    }

    /// The plan of the root module in `dir` (canonical): the one named for it, else a bare
    /// `--plan FILE` when the run has a single root.
    pub fn of(&self, dir: &Path, single_root: bool) -> Option<&std::sync::Arc<Plan>> {
        self.entries
            .iter()
            .find(|(d, _)| d.as_deref() == Some(dir))
            .or_else(|| {
                single_root
                    .then(|| self.entries.iter().find(|(d, _)| d.is_none()))
                    .flatten()
            })
            .map(|(_, p)| p)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan() -> Plan {
        Plan::from_json(&json!({
            "format_version": "1.2",
            "variables": { "region": { "value": "eu-west-1" } },
            "prior_state": { "values": { "root_module": {
                "resources": [
                    { "address": "data.aws_caller_identity.current", "mode": "data",
                      "values": { "account_id": "111122223333" } }
                ]
            } } },
            "planned_values": { "root_module": {
                "resources": [
                    { "address": "aws_kms_key.k", "values": { "description": "x" } }
                ],
                "child_modules": [ { "address": "module.m", "resources": [
                    { "address": "module.m.aws_iam_role.r[0]", "values": { "name": "admin" } }
                ] } ]
            } },
            "resource_changes": [
                { "address": "aws_kms_key.k", "change": { "after_unknown": { "arn": true, "description": false } } }
            ]
        }))
        .expect("valid plan")
    }

    #[test]
    fn variables_and_attributes() {
        let p = plan();
        assert_eq!(p.variable("region"), Some(&json!("eu-west-1")));
        assert_eq!(p.variable("other"), None);
        assert_eq!(
            p.attribute("data.aws_caller_identity.current", "account_id"),
            Attr::Known(&json!("111122223333"))
        );
        assert_eq!(p.attribute("aws_kms_key.k", "arn"), Attr::Unknown);
        assert_eq!(p.attribute("aws_kms_key.k", "key_id"), Attr::Unknown);
        assert_eq!(
            p.attribute("aws_kms_key.k", "description"),
            Attr::Known(&json!("x"))
        );
        assert_eq!(
            p.attribute("module.m.aws_iam_role.r[0]", "name"),
            Attr::Known(&json!("admin"))
        );
        assert_eq!(p.attribute("aws_kms_key.other", "arn"), Attr::Absent);
    }

    #[test]
    fn versions() {
        assert!(Plan::from_json(&json!({ "format_version": "0.2" })).is_ok());
        let e = Plan::from_json(&json!({ "format_version": "2.0" })).unwrap_err();
        assert!(e.contains("format_version `2.0` is not supported"), "{e}");
        let e = Plan::from_json(&json!({ "terraform_version": "1.9" })).unwrap_err();
        assert!(e.contains("no `format_version`"), "{e}");
        assert!(Plan::from_json(&json!([1])).is_err());
    }
}
