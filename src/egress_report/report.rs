//! The comparison: events attributed to policies through bindings (and the outside inputs),
//! each denied destination classified as missing, not allowable or allowed, allow-list entries
//! without events (when the log can tell), and events no policy of the configuration governs.

use super::log::{DestType, Events};
use super::model::{BoundTo, ListKind, ListState, Policy, UnitModel};
use super::write::{self, Plan};
use super::Inputs;
use crate::checks::net;
use crate::hash::HashMap;
use crate::source::{Location, SourceMap};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Databricks' limit of destinations per policy (Unity Catalog locations and connections
/// included).
pub const MAX_DESTINATIONS: usize = 2000;

/// A place in a file, relative to the repository root.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub file: String,
    pub line: u32,
}

/// A destination seen in the log.
#[derive(Debug, Clone, Serialize)]
pub struct Dest {
    pub destination: String,
    pub destination_type: &'static str,
    pub events: u64,
    pub workspaces: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a missing destination that `--write` cannot add: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_writable: Option<String>,
    /// For a missing bucket: the region `--write` gives it, and where that comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_source: Option<String>,
    pub access_types: Vec<String>,
    pub network_source_types: Vec<String>,
}

/// An allow-list entry without events.
#[derive(Debug, Clone, Serialize)]
pub struct Unused {
    pub destination: String,
    pub destination_type: &'static str,
    pub list: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
}

/// One network policy of the configuration and what the log says about it.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    pub network_policy_id: Option<String>,
    pub address: String,
    pub root: String,
    pub environment: String,
    pub location: Place,
    pub enforcement_mode: Option<String>,
    pub restriction_mode: Option<String>,
    pub workspaces: Vec<String>,
    pub events: u64,
    pub missing: Vec<Dest>,
    pub not_allowable: Vec<Dest>,
    pub allowed: Vec<Dest>,
    /// None when the log holds no allowed events for the policy's workspaces.
    pub unused: Option<Vec<Unused>>,
    pub notes: Vec<String>,
}

/// Events of a workspace no policy of the configuration governs.
#[derive(Debug, Clone, Serialize)]
pub struct Unattributed {
    pub workspace_id: String,
    pub events: u64,
    pub destinations: Vec<String>,
    pub reason: String,
}

/// A log that was read.
#[derive(Debug, Clone, Serialize)]
pub struct LogSummary {
    pub file: String,
    pub format: &'static str,
    pub rows: u64,
    pub events: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub rows: u64,
    pub events: u64,
    pub policies: usize,
    pub missing: usize,
    pub not_allowable: usize,
    pub allowed: usize,
    /// None when no policy could be checked for unused entries.
    pub unused: Option<usize>,
    pub unattributed_events: u64,
    /// Something in the log would be blocked under enforcement (exit code 1).
    pub would_block: bool,
}

/// A change `--write` made (or, with `--diff`, would make).
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub file: String,
    pub line: u32,
    pub policy: String,
    pub list: &'static str,
    pub added: Vec<String>,
    pub written: bool,
}

/// The report: `{ "version": 1, ... }` (docs/egress-report.md).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub logs: Vec<LogSummary>,
    pub policies: Vec<PolicyReport>,
    pub unattributed: Vec<Unattributed>,
    pub summary: Summary,
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<Change>>,
    /// `--write --diff`: the unified diff of the changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// The report and what `--write` needs to act on it.
pub struct Built {
    pub report: Report,
    /// Policies (in report order) and, per policy, its missing destinations by list.
    pub policies: Vec<Policy>,
    pub additions: Vec<Addition>,
}

/// Missing destinations of one list of one policy, and where they go.
#[derive(Debug, Clone)]
pub struct Addition {
    pub policy: usize,
    pub kind: ListKind,
    pub plan: Plan,
    /// Names, with the region of each bucket (storage).
    pub names: Vec<(String, Option<String>)>,
}

/// What the run looks at besides the models.
pub struct Context<'a> {
    pub sources: &'a SourceMap,
    pub repo_root: &'a Path,
    /// The checked paths (canonical): `--write` edits only files below them.
    pub checked: &'a [PathBuf],
    pub policy_arg: Option<&'a str>,
    /// Installed modules and the repository `module` block each is reached through.
    pub installed: &'a [(PathBuf, Location)],
}

impl Context<'_> {
    /// The report place of a location; a place inside a module `terraform init` installed is
    /// the repository `module` block it is reached through.
    pub fn place(&self, loc: Location) -> Place {
        let f = self.sources.get(loc.file);
        let canonical = std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
        if let Some((_, call)) = self
            .installed
            .iter()
            .find(|(pkg, _)| canonical.starts_with(pkg))
        {
            return place(self.sources, self.repo_root, *call);
        }
        place(self.sources, self.repo_root, loc)
    }
}

/// A report place for a location.
pub fn place(sources: &SourceMap, repo_root: &Path, loc: Location) -> Place {
    let f = sources.get(loc.file);
    Place {
        file: crate::source::display_path(&f.path, repo_root),
        line: f.line_col(loc.start).line,
    }
}

fn policy_name(p: &Policy) -> String {
    match &p.id {
        Some(id) => format!("`{id}` ({})", p.address),
        None => format!("`{}`", p.address),
    }
}

/// The policies a reference (an ID or an address) names.
fn find_policies(policies: &[Policy], r: &str) -> Vec<usize> {
    let by_id: Vec<usize> = (0..policies.len())
        .filter(|i| policies[*i].id.as_deref() == Some(r))
        .collect();
    if !by_id.is_empty() {
        return by_id;
    }
    (0..policies.len())
        .filter(|i| policies[*i].address == r)
        .collect()
}

fn list_of_policies(policies: &[Policy]) -> String {
    policies
        .iter()
        .map(|p| {
            let env = if p.root == "." {
                format!("environment {}", p.environment)
            } else {
                format!("root {}, environment {}", p.root, p.environment)
            };
            format!(
                "{} ({}, {env})",
                p.id.clone().unwrap_or_else(|| "<id not known>".into()),
                p.address
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Resolves a policy reference to exactly one policy; the error is for the user.
fn resolve(policies: &[Policy], r: &str, what: &str) -> Result<usize, String> {
    match find_policies(policies, r).as_slice() {
        [i] => Ok(*i),
        [] => Err(format!(
            "{what} names network policy `{r}`, which is not in the configuration; its policies: {}",
            list_of_policies(policies)
        )),
        many => Err(format!(
            "{what} names network policy `{r}`, which several evaluations define ({}); pass --environment or check one root",
            many.iter()
                .map(|i| format!("{} in root {} environment {}", policies[*i].address, policies[*i].root, policies[*i].environment))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

/// Per policy: (type, destination index) -> aggregated events.
#[derive(Default)]
struct PolAgg {
    denied: u64,
    allowed: u64,
    /// Workspace indices, sorted.
    workspaces: Vec<u32>,
    access: u64,
    sources: u64,
}

/// Where events of a workspace go.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Policy(usize),
    Elsewhere(String),
}

/// Builds the report. Errors (exit code 2) are for the user.
pub fn build(
    models: Vec<UnitModel>,
    events: &Events,
    inputs: &Inputs,
    cx: &Context,
) -> Result<Built, String> {
    // All policies, in a stable order.
    let mut models = models;
    models.sort_by(|a, b| (&a.dir, &a.environment).cmp(&(&b.dir, &b.environment)));
    let mut policies: Vec<Policy> = Vec::new();
    // Workspace -> (target, the binding that says so).
    let mut by_ws: BTreeMap<String, (Target, String)> = BTreeMap::new();
    // Per policy: bindings whose workspace_id is computed, and regions of bound workspaces.
    let mut computed: HashMap<usize, Vec<String>> = HashMap::default();
    let mut regions: HashMap<usize, BTreeSet<String>> = HashMap::default();
    let mut warnings: Vec<String> = Vec::new();
    let mut buckets: HashMap<String, (Option<String>, String)> = HashMap::default();
    let mut all_bindings = Vec::new();
    for m in models {
        let base = policies.len();
        // Roots as the report shows them: relative to the repository root.
        policies.extend(m.policies.into_iter().map(|mut p| {
            p.root = crate::source::display_path(&p.dir, cx.repo_root);
            p
        }));
        for b in m.buckets {
            buckets.entry(b.name).or_insert((b.region, b.address));
        }
        all_bindings.extend(m.bindings.into_iter().map(|b| (base, b)));
    }
    {
        for (base, b) in all_bindings {
            let at = cx.place(b.loc);
            let by = format!("`{}` ({}:{})", b.address, at.file, at.line);
            let target = match &b.to {
                BoundTo::Policy(i) => Target::Policy(base + i),
                BoundTo::External(id) => match find_policies(&policies, id).as_slice() {
                    [i] => Target::Policy(*i),
                    _ => Target::Elsewhere(format!(
                        "bound by {by} to network policy `{id}`, which is not in the checked configuration"
                    )),
                },
                BoundTo::Unknown(why) => {
                    warnings.push(format!(
                        "binding {by}: its network policy is not known ({why}); its workspace's events are unattributed"
                    ));
                    continue;
                }
            };
            if let Target::Policy(i) = &target {
                if let Some(r) = &b.region {
                    regions.entry(*i).or_default().insert(r.clone());
                }
            }
            match b.workspace {
                Some(ws) => match by_ws.get(&ws) {
                    Some((t, other)) if *t != target => {
                        return Err(format!(
                            "workspace {ws} is bound twice, by {other} and by {by}, to different policies"
                        ))
                    }
                    Some(_) => {}
                    None => {
                        by_ws.insert(ws, (target, by));
                    }
                },
                None => {
                    if let Target::Policy(i) = target {
                        computed.entry(i).or_default().push(format!(
                            "{by}: {}",
                            b.workspace_unknown.clone().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    // Workspace IDs from outside the configuration (policy-lint.toml, --workspace).
    for w in &inputs.workspaces {
        let i = resolve(&policies, &w.policy, &w.from)?;
        match by_ws.get(&w.workspace) {
            Some((Target::Policy(j), by)) if *j != i => {
                return Err(format!(
                    "{} binds workspace {} to {}, but {by} binds it to {}",
                    w.from,
                    w.workspace,
                    policy_name(&policies[i]),
                    policy_name(&policies[*j])
                ))
            }
            _ => {
                by_ws.insert(w.workspace.clone(), (Target::Policy(i), w.from.clone()));
            }
        }
    }
    // Events without a workspace: `--policy`, else the only policy.
    let has_unscoped = events.by.keys().any(|(w, _, _)| *w == 0);
    let default_policy = match cx.policy_arg {
        Some(r) => Some(resolve(&policies, r, "--policy")?),
        None if has_unscoped => match policies.len() {
            1 => Some(0),
            0 => {
                return Err(
                    "the configuration has no databricks_account_network_policy to compare the log with".into(),
                )
            }
            _ => {
                return Err(format!(
                    "the log has rows without a workspace_id and the configuration has {} network policies: pass --policy with one of them: {}",
                    policies.len(),
                    list_of_policies(&policies)
                ))
            }
        },
        None => None,
    };
    // Aggregate per policy.
    let mut per: Vec<HashMap<(DestType, u32), PolAgg>> =
        (0..policies.len()).map(|_| HashMap::default()).collect();
    let mut unattributed: BTreeMap<String, (u64, BTreeSet<String>, String)> = BTreeMap::new();
    // Where each workspace's events go, decided once per workspace.
    let targets: Vec<Option<Target>> = events
        .workspaces
        .iter()
        .enumerate()
        .map(|(wi, ws)| {
            if wi == 0 {
                default_policy.map(Target::Policy)
            } else {
                by_ws.get(ws).map(|(t, _)| t.clone())
            }
        })
        .collect();
    let target_of = |wi: u32| -> Option<Target> {
        match targets.get(wi as usize) {
            Some(t) => t.clone(),
            // No workspace column at all: the table of workspaces is empty.
            None if wi == 0 => default_policy.map(Target::Policy),
            None => None,
        }
    };
    for (&(wi, dtype, di), a) in &events.by {
        match target_of(wi) {
            Some(Target::Policy(p)) => {
                let e = per[p].entry((dtype, di)).or_default();
                e.denied = e.denied.saturating_add(a.denied);
                e.allowed = e.allowed.saturating_add(a.allowed);
                if wi != 0 {
                    if let Err(i) = e.workspaces.binary_search(&wi) {
                        e.workspaces.insert(i, wi);
                    }
                }
                e.access |= a.access;
                e.sources |= a.sources;
            }
            other => {
                if a.denied == 0 {
                    continue;
                }
                let reason = match other {
                    Some(Target::Elsewhere(r)) => r,
                    _ => "no databricks_workspace_network_option in the configuration names this workspace, and no --workspace or [egress.workspaces] entry does".into(),
                };
                let ws = events.workspaces[wi as usize].clone();
                let u = unattributed
                    .entry(ws)
                    .or_insert((0, BTreeSet::new(), reason));
                u.0 = u.0.saturating_add(a.denied);
                u.1.insert(events.destinations[di as usize].to_string());
            }
        }
    }
    let name_of = |di: u32| -> &str { &events.destinations[di as usize] };
    // Classify.
    let mut reports = Vec::new();
    let mut additions = Vec::new();
    for (pi, p) in policies.iter().enumerate() {
        let mut notes = Vec::new();
        let agg = &per[pi];
        let mut missing = Vec::new();
        let mut not_allowable = Vec::new();
        let mut allowed = Vec::new();
        let suffixes = &p.suffixes;
        let approved = net::approved_matchers(&p.approved);
        let full_access = p.restriction_mode.as_deref() == Some("FULL_ACCESS");
        if full_access {
            notes.push("restriction_mode is FULL_ACCESS: the policy allows every destination, so nothing in the log would be blocked by it".into());
        }
        for (kind, list) in [
            (ListKind::Internet, &p.internet),
            (ListKind::Storage, &p.storage),
        ] {
            match &list.state {
                ListState::Unknown(why) => notes.push(format!(
                    "`{}` is not known ({why}): destinations are compared with nothing",
                    kind.attribute()
                )),
                ListState::Known if !list.unknown_entries.is_empty() => notes.push(format!(
                    "{} entr{} of `{}` not known ({}): destinations are compared with the known entries only",
                    list.unknown_entries.len(),
                    if list.unknown_entries.len() == 1 { "y is" } else { "ies are" },
                    kind.attribute(),
                    list.unknown_entries[0]
                )),
                _ => {}
            }
        }
        let plans = [
            write::plan(p, ListKind::Internet, cx),
            write::plan(p, ListKind::Storage, cx),
        ];
        let plan_of = |k: ListKind| &plans[k as usize];
        let target_place = |k: ListKind| -> Option<Place> {
            let loc = match plan_of(k) {
                Plan::Write(t) => Some(t.loc),
                Plan::Report { loc, .. } => *loc,
            };
            Some(cx.place(loc.unwrap_or(p.loc)))
        };
        let mut sorted: Vec<(DestType, &str, &PolAgg)> = agg
            .iter()
            .map(|((t, di), a)| (*t, name_of(*di), a))
            .collect();
        sorted.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut adds: BTreeMap<ListKind, Vec<(String, Option<String>)>> = BTreeMap::new();
        for (dtype, d, a) in sorted {
            if a.denied == 0 {
                continue;
            }
            let d = &d.to_string();
            let mut dest = Dest {
                destination: d.clone(),
                destination_type: dtype.as_str(),
                events: a.denied,
                workspaces: a
                    .workspaces
                    .iter()
                    .map(|w| events.workspaces[*w as usize].clone())
                    .collect(),
                list: None,
                location: None,
                reason: None,
                not_writable: None,
                region: None,
                region_source: None,
                access_types: events.access_types.of(a.access),
                network_source_types: events.sources.of(a.sources),
            };
            let kind = match dtype {
                DestType::Ip => {
                    dest.reason = Some("an IP destination: allow-lists take host names (DNS_NAME) and S3 buckets only".into());
                    not_allowable.push(dest);
                    continue;
                }
                DestType::Dns => ListKind::Internet,
                DestType::Storage => ListKind::Storage,
            };
            let entries = match kind {
                ListKind::Internet => &p.internet.entries,
                ListKind::Storage => &p.storage.entries,
            };
            let why_not = match kind {
                ListKind::Internet if p.blocked.contains(d) => {
                    Some("named in the policy's blocked_internet_destinations".to_string())
                }
                ListKind::Internet => net::wildcard_reason(d, true, suffixes)
                    .map(|w| format!("NET003 would reject it: it {w}"))
                    .or_else(|| {
                        net::malformed_host(d).map(|m| format!("NET004 would reject it: {m}"))
                    }),
                ListKind::Storage => bucket_problem(d),
            }
            .or_else(|| {
                (!approved.is_empty() && !approved.iter().any(|g| g.is_match(d))).then(|| {
                    "not on the approved list ([rules.NET009] approved in policy-lint.toml)"
                        .to_string()
                })
            });
            if let Some(why) = why_not {
                dest.reason = Some(why);
                not_allowable.push(dest);
                continue;
            }
            dest.list = Some(kind.attribute());
            if let Some(e) = entries.iter().find(|e| e.name == *d) {
                dest.location = e.loc.map(|l| cx.place(l)).or_else(|| target_place(kind));
                allowed.push(dest);
                continue;
            }
            if full_access {
                dest.location = Some(cx.place(p.loc));
                allowed.push(dest);
                continue;
            }
            dest.location = target_place(kind);
            if let Plan::Report { reason, .. } = plan_of(kind) {
                dest.not_writable = Some(reason.clone());
            }
            let mut region = None;
            if kind == ListKind::Storage {
                match buckets.get(d) {
                    Some((Some(r), addr)) => {
                        region = Some(r.clone());
                        dest.region = Some(r.clone());
                        dest.region_source = Some(format!("{addr} in the configuration"));
                    }
                    _ => match regions.get(&pi).map(|s| s.iter().collect::<Vec<_>>()) {
                        Some(rs) if rs.len() == 1 => {
                            region = Some(rs[0].clone());
                            dest.region = Some(rs[0].clone());
                            dest.region_source = Some(
                                "assumed: the region of the policy's workspace (no aws_s3_bucket of this name in the configuration)".into(),
                            );
                        }
                        _ => {
                            dest.region_source = Some("not known: no aws_s3_bucket of this name in the configuration and no single workspace region; --write leaves `region` out".into());
                        }
                    },
                }
            }
            adds.entry(kind).or_default().push((d.clone(), region));
            missing.push(dest);
        }
        // Entries without events, when the log can show them.
        let has_allowed = agg.values().any(|a| a.allowed > 0);
        let unused = if has_allowed {
            let mut out = Vec::new();
            for (kind, list, dtype) in [
                (ListKind::Internet, &p.internet, DestType::Dns),
                (ListKind::Storage, &p.storage, DestType::Storage),
            ] {
                let mut seen = BTreeSet::new();
                for e in &list.entries {
                    let used = events
                        .destination_id(&e.name)
                        .is_some_and(|di| agg.contains_key(&(dtype, di)));
                    if !seen.insert(e.name.clone()) || used {
                        continue;
                    }
                    out.push(Unused {
                        destination: e.raw.clone(),
                        destination_type: dtype.as_str(),
                        list: kind.attribute(),
                        location: e.loc.map(|l| cx.place(l)),
                    });
                }
            }
            Some(out)
        } else {
            if !agg.is_empty() {
                notes.push("the log holds only denials for this policy's workspaces: a denial-only log cannot show which allow-list entries are used (extended network logs also record allowed traffic)".into());
            }
            None
        };
        let total = p.internet.entries.len() + p.storage.entries.len() + missing.len();
        if !missing.is_empty() && total > MAX_DESTINATIONS {
            notes.push(format!(
                "adding the {} missing destinations would take the policy to {total} destinations, past the {MAX_DESTINATIONS} Databricks supports per policy (Unity Catalog locations and connections count too)",
                missing.len()
            ));
        }
        let given = inputs
            .workspaces
            .iter()
            .any(|w| find_policies(&policies, &w.policy).contains(&pi));
        if let Some(c) = computed.get(&pi).filter(|_| !given) {
            notes.push(format!(
                "{} binding{} with a workspace_id known only after apply ({}); give its ID with --workspace ID={} or [egress.workspaces] in policy-lint.toml",
                c.len(),
                if c.len() == 1 { "" } else { "s" },
                c.join(", "),
                p.id.clone().unwrap_or_else(|| p.address.clone())
            ));
        }
        for (kind, names) in adds {
            additions.push(Addition {
                policy: pi,
                kind,
                plan: plan_of(kind).clone(),
                names,
            });
        }
        let workspaces: Vec<String> = by_ws
            .iter()
            .filter(|(_, (t, _))| *t == Target::Policy(pi))
            .map(|(w, _)| w.clone())
            .collect();
        reports.push(PolicyReport {
            network_policy_id: p.id.clone(),
            address: p.address.clone(),
            root: p.root.clone(),
            environment: p.environment.clone(),
            location: cx.place(p.loc),
            enforcement_mode: p.enforcement_mode.clone(),
            restriction_mode: p.restriction_mode.clone(),
            workspaces,
            events: agg.values().fold(0u64, |n, a| {
                n.saturating_add(a.denied).saturating_add(a.allowed)
            }),
            missing,
            not_allowable,
            allowed,
            unused,
            notes,
        });
    }
    for (labels, column) in [
        (&events.access_types, "access_type"),
        (&events.sources, "network_source_type"),
    ] {
        if labels.overflow {
            warnings.push(format!(
                "more than 64 distinct `{column}` values: only the first 64 are listed"
            ));
        }
    }
    if !events.unknown_access.is_empty() {
        warnings.push(format!(
            "access_type value{} {} not known to policy-lint: treated as denials (known denials: DROP and values naming a dry run; known allowed values: {})",
            if events.unknown_access.len() == 1 { "" } else { "s" },
            events
                .unknown_access
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", "),
            super::log::ALLOWED_ACCESS.join(", ")
        ));
    }
    let unattributed: Vec<Unattributed> = unattributed
        .into_iter()
        .map(|(w, (n, d, reason))| Unattributed {
            workspace_id: w,
            events: n,
            destinations: d.into_iter().collect(),
            reason,
        })
        .collect();
    let summary = Summary {
        rows: events.files.iter().map(|f| f.rows).sum(),
        events: events
            .files
            .iter()
            .fold(0u64, |n, f| n.saturating_add(f.events)),
        policies: reports.len(),
        missing: reports.iter().map(|r| r.missing.len()).sum(),
        not_allowable: reports.iter().map(|r| r.not_allowable.len()).sum(),
        allowed: reports.iter().map(|r| r.allowed.len()).sum(),
        unused: if reports.iter().any(|r| r.unused.is_some()) {
            Some(
                reports
                    .iter()
                    .filter_map(|r| r.unused.as_ref().map(Vec::len))
                    .sum(),
            )
        } else {
            None
        },
        unattributed_events: unattributed
            .iter()
            .fold(0u64, |n, u| n.saturating_add(u.events)),
        would_block: false,
    };
    let mut report = Report {
        version: 1,
        logs: events
            .files
            .iter()
            .map(|f| LogSummary {
                file: f.path.clone(),
                format: f.format,
                rows: f.rows,
                events: f.events,
            })
            .collect(),
        policies: reports,
        unattributed,
        summary,
        warnings,
        changes: None,
        diff: None,
    };
    report.summary.would_block = report.summary.missing > 0
        || report.summary.not_allowable > 0
        || report.summary.unattributed_events > 0;
    Ok(Built {
        report,
        policies,
        additions,
    })
}

/// Why a name cannot be an S3 bucket (so no allow-list entry can admit it), if it cannot.
fn bucket_problem(b: &str) -> Option<String> {
    let ok_chars = b
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    if b.contains('*') {
        Some("NET003 would reject it: storage destinations must name one bucket".into())
    } else if !(3..=63).contains(&b.len()) || !ok_chars {
        Some("not an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)".into())
    } else {
        None
    }
}
