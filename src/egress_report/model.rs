//! What the report needs from an evaluated unit: the network policies with their allow-lists
//! (each entry with where it was written, each list with what it was built from), the
//! workspace bindings, and the regions of S3 buckets. Extracted while the engine evaluates
//! (see [`crate::engine::UnitHook`]); nothing here holds a tree or a value.

use crate::checks::net;
use crate::engine::UnitView;
use crate::eval::expr::FOR_COLLECTION;
use crate::eval::{ResourceInstance, GIVEN_BY};
use crate::source::Location;
use crate::value::{PathResult, Value};

/// Which allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ListKind {
    Internet,
    Storage,
}

impl ListKind {
    /// The attribute of `network_access`.
    pub fn attribute(self) -> &'static str {
        match self {
            ListKind::Internet => "allowed_internet_destinations",
            ListKind::Storage => "allowed_storage_destinations",
        }
    }
    /// The attribute of an element that names the destination.
    pub fn field(self) -> &'static str {
        match self {
            ListKind::Internet => "destination",
            ListKind::Storage => "bucket_name",
        }
    }
}

/// One allow-list entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// As written.
    pub raw: String,
    /// Lower case (host and bucket names compare case-insensitively).
    pub name: String,
    /// Where the name was written.
    pub loc: Option<Location>,
}

/// Where one element of a list came from.
#[derive(Debug, Clone, Default)]
pub struct ItemOrigin {
    /// The element (an object).
    pub object: Option<Location>,
    /// Its `destination` or `bucket_name`.
    pub field: Option<Location>,
}

/// What the list is.
#[derive(Debug, Clone, PartialEq)]
pub enum ListState {
    /// `network_access` has no such attribute.
    Absent,
    /// Not known (a variable without value, an unknown expression): why.
    Unknown(String),
    Known,
}

/// An allow-list of a policy.
#[derive(Debug, Clone)]
pub struct List {
    pub state: ListState,
    pub entries: Vec<Entry>,
    /// Entries whose name is not known (with why).
    pub unknown_entries: Vec<String>,
    /// Where the list value was written; for an absent list, the `network_access` object.
    pub loc: Option<Location>,
    /// For a list made by a `for` expression: where its collection was written.
    pub collection: Option<Location>,
    pub items: Vec<ItemOrigin>,
    /// Some value of it was given by `--var` or `TF_VAR_`.
    pub given_outside: bool,
}

/// A `databricks_account_network_policy` instance of one evaluation.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The root module's directory (canonical); `root` is it as the report shows it.
    pub dir: std::path::PathBuf,
    pub root: String,
    pub environment: String,
    pub address: String,
    /// `network_policy_id` when known.
    pub id: Option<String>,
    /// The block header.
    pub loc: Location,
    pub restriction_mode: Option<String>,
    pub enforcement_mode: Option<String>,
    pub internet: List,
    pub storage: List,
    /// `blocked_internet_destinations`, lower case.
    pub blocked: Vec<String>,
    /// NET003's public suffixes and NET009's approved globs under the unit's configuration.
    pub suffixes: Vec<String>,
    pub approved: Vec<String>,
}

/// What a binding's `network_policy_id` names.
#[derive(Debug, Clone, PartialEq)]
pub enum BoundTo {
    /// A policy of the same unit (index into [`UnitModel::policies`]).
    Policy(usize),
    /// A policy ID that no policy of the configuration has.
    External(String),
    /// Not known: why.
    Unknown(String),
}

/// A `databricks_workspace_network_option`.
#[derive(Debug, Clone)]
pub struct Binding {
    /// `workspace_id` when known.
    pub workspace: Option<String>,
    /// Why it is not known.
    pub workspace_unknown: Option<String>,
    pub to: BoundTo,
    /// `aws_region` of the workspace, when the binding refers to a `databricks_mws_workspaces`
    /// whose region is known.
    pub region: Option<String>,
    pub loc: Location,
    pub address: String,
}

/// An `aws_s3_bucket` with a known name.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub name: String,
    pub region: Option<String>,
    pub address: String,
}

/// What one evaluation of a unit contributes.
#[derive(Debug, Clone, Default)]
pub struct UnitModel {
    /// The root module's directory (canonical).
    pub dir: std::path::PathBuf,
    pub root: String,
    pub environment: String,
    pub policies: Vec<Policy>,
    pub bindings: Vec<Binding>,
    pub buckets: Vec<Bucket>,
    /// Modules `terraform init` installed (their directory) and the repository `module` block
    /// each is reached through: the report never points into `.terraform/`.
    pub installed: Vec<(std::path::PathBuf, Location)>,
}

fn known_str(v: &Value) -> Option<String> {
    v.to_tf_string()
}

fn reason_of(v: &Value) -> String {
    v.first_unknown()
        .map(|u| u.reason.to_string())
        .unwrap_or_else(|| "the value is not known".into())
}

fn given_outside(v: &Value) -> bool {
    v.origin
        .hops()
        .iter()
        .any(|h| h.label.starts_with(GIVEN_BY))
}

fn param_strings(view: &UnitView, code: &str, key: &str) -> Vec<String> {
    match (view.params)(code, key).as_deref() {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

fn list(na: Option<&Value>, kind: ListKind) -> List {
    let mut out = List {
        state: ListState::Absent,
        entries: Vec::new(),
        unknown_entries: Vec::new(),
        loc: na.and_then(Value::loc),
        collection: None,
        items: Vec::new(),
        given_outside: false,
    };
    let Some(na) = na else {
        return out;
    };
    let lv = match na.path(&[kind.attribute()]) {
        PathResult::Absent { .. } => return out,
        PathResult::Unknown(v) => {
            out.state = ListState::Unknown(reason_of(v));
            out.loc = v.loc();
            return out;
        }
        PathResult::Found(v) => v,
    };
    out.state = ListState::Known;
    out.loc = lv.loc();
    out.given_outside = given_outside(lv);
    out.collection = lv
        .origin
        .hops()
        .iter()
        .find(|h| h.label == FOR_COLLECTION)
        .map(|h| h.loc);
    if lv.as_list().is_none() {
        out.state = ListState::Unknown(format!(
            "`{}` is a {}, not a list",
            kind.attribute(),
            lv.type_name()
        ));
        return out;
    }
    for item in lv.as_items() {
        let f = item.get(kind.field());
        out.items.push(ItemOrigin {
            object: item.loc(),
            field: f.and_then(Value::loc),
        });
        let Some(f) = f else { continue };
        out.given_outside |= given_outside(f);
        match known_str(f) {
            Some(s) => out.entries.push(Entry {
                name: s.trim().trim_end_matches('.').to_ascii_lowercase(),
                raw: s,
                loc: f.loc(),
            }),
            None if f.is_null() => {}
            None => out.unknown_entries.push(reason_of(f)),
        }
    }
    out
}

fn policy(view: &UnitView, p: &ResourceInstance) -> Policy {
    let na = match p.body.path(&["egress", "network_access"]) {
        PathResult::Found(v) => Some(v),
        _ => None,
    };
    let mode = |path: &[&str]| match na.map(|n| n.path(path)) {
        Some(PathResult::Found(v)) => known_str(v),
        _ => None,
    };
    let blocked = match na.map(|n| n.path(&["blocked_internet_destinations"])) {
        Some(PathResult::Found(l)) => l
            .as_items()
            .iter()
            .filter_map(|i| i.get("destination").and_then(known_str))
            .map(|s| s.trim().trim_end_matches('.').to_ascii_lowercase())
            .collect(),
        _ => Vec::new(),
    };
    Policy {
        dir: view.dir.to_path_buf(),
        root: view.root.to_string(),
        environment: view.environment.to_string(),
        address: p.full_address(),
        id: p
            .attr("network_policy_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        loc: p.loc,
        restriction_mode: mode(&["restriction_mode"]),
        enforcement_mode: mode(&["policy_enforcement", "enforcement_mode"]),
        internet: list(na, ListKind::Internet),
        storage: list(na, ListKind::Storage),
        blocked,
        suffixes: param_strings(view, "NET003", "public_suffixes")
            .into_iter()
            .chain(param_strings(view, "NET003", "extra_suffixes"))
            .map(|s| s.to_ascii_lowercase())
            .collect(),
        approved: param_strings(view, "NET009", "approved"),
    }
}

/// The model of one evaluated unit.
pub fn extract(view: &UnitView) -> UnitModel {
    let unit = view.unit;
    let instances: Vec<&ResourceInstance> = unit.of_type(net::POLICY).collect();
    let policies: Vec<Policy> = instances.iter().map(|p| policy(view, p)).collect();
    let mut bindings = Vec::new();
    for o in unit.of_type(net::OPTION) {
        let ws = o.attr("workspace_id");
        let (workspace, workspace_unknown) = match ws {
            Some(v) => match known_str(v) {
                Some(s) => (Some(s), None),
                None => (None, Some(reason_of(v))),
            },
            None => (None, Some("`workspace_id` is not set".into())),
        };
        // The workspace's region, through a reference to its `databricks_mws_workspaces`.
        let region = ws.and_then(|v| {
            let r = v.reference()?;
            unit.resolve(r)
                .find(|w| w.rtype() == net::WORKSPACE)
                .and_then(|w| w.attr("aws_region"))
                .and_then(known_str)
        });
        let to = match o.attr("network_policy_id") {
            None => BoundTo::Unknown("`network_policy_id` is not set".into()),
            Some(v) => {
                let hit = instances.iter().position(|p| {
                    let pid = p.attr("network_policy_id").and_then(|x| x.as_str());
                    net::refers_to(v, p, pid) == Some(true)
                });
                match (hit, known_str(v)) {
                    (Some(i), _) => BoundTo::Policy(i),
                    (None, Some(s)) => BoundTo::External(s),
                    (None, None) => BoundTo::Unknown(reason_of(v)),
                }
            }
        };
        bindings.push(Binding {
            workspace,
            workspace_unknown,
            to,
            region,
            loc: o.loc,
            address: o.full_address(),
        });
    }
    let buckets = unit
        .of_type("aws_s3_bucket")
        .filter_map(|b| {
            let name = b.attr("bucket").and_then(known_str)?;
            let region = b
                .attr("region")
                .and_then(known_str)
                .or_else(|| unit.aws_region_of(b).and_then(known_str));
            Some(Bucket {
                name: name.to_ascii_lowercase(),
                region,
                address: b.full_address(),
            })
        })
        .collect();
    UnitModel {
        dir: view.dir.to_path_buf(),
        root: view.root.to_string(),
        environment: view.environment.to_string(),
        policies,
        bindings,
        buckets,
        installed: unit
            .vendored
            .iter()
            .map(|v| (v.package.clone(), v.call))
            .collect(),
    }
}
