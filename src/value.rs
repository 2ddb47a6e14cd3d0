//! Tri-state values with origins.
//!
//! A [`Value`] is what the evaluator computes for an expression: a known value, a string with some
//! unknown parts ([`Kind::Partial`]), or an [`Unknown`] that remembers *why* it is unknown (a
//! variable without a value, an attribute known only after apply, an unmodelled function, a limit)
//! and, for resource attributes, *which* resource it refers to. Every value remembers where it was
//! written ([`Origin`]) and the hops it took to get where it is used.

pub use crate::objmap::ObjMap;
use crate::source::Location;
use std::fmt;
use std::sync::Arc;

/// One step a value took: "variable `x` declared here", "passed as module input here", ...
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub loc: Location,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OriginData {
    /// Where the value was written (the literal, the tfvars line, the JSON element).
    pub loc: Location,
    /// The places it travelled through, oldest first.
    pub hops: Vec<Hop>,
    /// The resource attribute the value is, when it is known although computed (from a plan):
    /// links between resources follow it as they follow an unknown's reference. Boxed: most
    /// origins have none, and every written literal has an origin.
    pub resource: Option<Box<ResourceRef>>,
}

/// Where a value came from. Cheap to clone.
///
/// Most values are written somewhere and went nowhere: their origin is a location, held inline.
/// Hops and a resource link are kept in a shared [`OriginData`] (never one with neither).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin(Repr);

#[derive(Debug, Clone, Default, PartialEq)]
enum Repr {
    #[default]
    None,
    At(Location),
    Data(Arc<OriginData>),
}

impl Origin {
    pub fn none() -> Self {
        Origin(Repr::None)
    }
    pub fn at(loc: Location) -> Self {
        Origin(Repr::At(loc))
    }
    /// Whether the value was written somewhere (it has a location).
    pub fn is_some(&self) -> bool {
        !matches!(self.0, Repr::None)
    }
    pub fn loc(&self) -> Option<Location> {
        match &self.0 {
            Repr::None => None,
            Repr::At(l) => Some(*l),
            Repr::Data(d) => Some(d.loc),
        }
    }
    pub fn hops(&self) -> &[Hop] {
        match &self.0 {
            Repr::Data(d) => d.hops.as_slice(),
            _ => &[],
        }
    }
    /// The resource attribute the value is (see [`OriginData::resource`]).
    pub fn resource(&self) -> Option<&ResourceRef> {
        match &self.0 {
            Repr::Data(d) => d.resource.as_deref(),
            _ => None,
        }
    }
    /// The full form of a located origin, to change.
    fn data(&self) -> Option<OriginData> {
        match &self.0 {
            Repr::None => None,
            Repr::At(l) => Some(OriginData {
                loc: *l,
                hops: vec![],
                resource: None,
            }),
            Repr::Data(d) => Some((**d).clone()),
        }
    }
    /// The origin of `d`, inline when it has no hops and no resource.
    fn from_data(d: OriginData) -> Origin {
        if d.hops.is_empty() && d.resource.is_none() {
            Origin(Repr::At(d.loc))
        } else {
            Origin(Repr::Data(Arc::new(d)))
        }
    }
    /// This origin with one more hop appended (no-op without a location).
    pub fn with_hop(&self, loc: Location, label: impl Into<String>) -> Origin {
        let hops = self.hops();
        if hops.len() >= 16 || hops.iter().any(|h| h.loc == loc) {
            return self.clone();
        }
        let Some(mut d) = self.data() else {
            return Origin::none();
        };
        d.hops.push(Hop {
            loc,
            label: label.into(),
        });
        Origin::from_data(d)
    }
    /// This origin with every location in `file` moved to `to`.
    fn relocated(&self, file: crate::source::FileId, to: Location) -> Origin {
        let Some(mut d) = self.data() else {
            return Origin::none();
        };
        let mv = |l: Location| if l.file == file { to } else { l };
        d.loc = mv(d.loc);
        for h in &mut d.hops {
            h.loc = mv(h.loc);
        }
        Origin::from_data(d)
    }
    /// This origin marked as resource attribute `r` (no-op without a location).
    fn with_resource(&self, r: ResourceRef) -> Origin {
        match self.data() {
            None => Origin::none(),
            Some(mut d) => {
                d.resource = Some(Box::new(r));
                Origin::from_data(d)
            }
        }
    }
}

/// How many nodes of a value [`Value::with_hop`] visits (the elements of larger values keep
/// their own hops).
pub const HOP_NODES: usize = 2048;

/// A node inside a value that a hop is to be added to, reached by traversal without copying:
/// `with_hop(loc, label)` of the root followed by the traversal gives the same value as the
/// traversal followed by [`HopPath::finish`], which copies only the node reached.
#[derive(Clone, Copy)]
pub struct HopPath<'v> {
    pub node: &'v Value,
    /// The node's position in the root's depth-first pre-order (capped at [`HOP_NODES`]).
    index: usize,
    /// Whether `with_hop` of the root reaches this node (its container's elements were visited).
    reached: bool,
}

impl<'v> HopPath<'v> {
    pub fn root(node: &'v Value) -> Self {
        HopPath {
            node,
            index: 0,
            reached: true,
        }
    }

    /// The element `key` of an object node.
    pub fn field(&self, key: &str) -> Option<HopPath<'v>> {
        let Kind::Object(map) = &self.node.kind else {
            return None;
        };
        let node = map.get(key)?;
        let before = map.values_before(key);
        Some(self.child(node, before))
    }

    /// Element `i` of a list node.
    pub fn item(&self, i: usize) -> Option<HopPath<'v>> {
        let Kind::List(items) = &self.node.kind else {
            return None;
        };
        let node = items.get(i)?;
        Some(self.child(node, items[..i].iter()))
    }

    fn child(&self, node: &'v Value, before: impl Iterator<Item = &'v Value>) -> HopPath<'v> {
        let mut index = self.index + 1;
        for v in before {
            if index >= HOP_NODES {
                break;
            }
            index += v.nodes_up_to(HOP_NODES - index);
        }
        HopPath {
            node,
            index: index.min(HOP_NODES),
            reached: self.index < HOP_NODES,
        }
    }

    /// The node with the hop, as `with_hop` of the root would have made it.
    pub fn finish(&self, loc: Location, label: &str) -> Value {
        if !self.reached {
            return self.node.clone();
        }
        self.node
            .with_hop_budget(loc, label, HOP_NODES.saturating_sub(self.index))
    }
}

/// How [`Reason::Choice`] begins in messages (the engine recognises EVAL001s about a conditional
/// by it).
pub const CONDITION_UNKNOWN: &str = "the condition of this conditional expression is unknown";

/// A reference to a resource (or data source) attribute, kept by unknown values so that rules can
/// follow links between resources (`aws_kms_key.storage.arn`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceRef {
    /// Full address of the resource *without* instance key, e.g. `module.cmk.aws_kms_key.this`.
    pub address: String,
    /// Instance key when the reference selected one (`[0]`, `["a"]`), as written in an address.
    pub key: Option<String>,
    /// The attribute referenced (`arn`, `id`, `key_id`, `json`, ...), empty for the whole object.
    pub attr: String,
}

impl ResourceRef {
    /// Whether the reference is to a data source (read at plan time, not created).
    pub fn is_data_source(&self) -> bool {
        self.address.starts_with("data.") || self.address.contains(".data.")
    }
}

impl fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.address)?;
        if let Some(k) = &self.key {
            write!(f, "[{k}]")?;
        }
        if !self.attr.is_empty() {
            write!(f, ".{}", self.attr)?;
        }
        Ok(())
    }
}

/// Why a value is not known.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// `var.NAME` has no default and was given no value.
    Variable { name: String },
    /// A resource or data source attribute known only after apply.
    AfterApply(ResourceRef),
    /// A function policy-lint does not model.
    Function(String),
    /// An output of a module whose source is not local (registry, git).
    /// `why`: it is not installed, or the manifest is stale or malformed.
    RemoteModule {
        call: String,
        source: String,
        why: String,
    },
    /// A cycle between locals/variables.
    Cycle(String),
    /// `data.aws_caller_identity.X.account_id`: the customer account that runs Terraform, whose
    /// number only its credentials tell; never `*`, never a Databricks account.
    CallerAccount(ResourceRef),
    /// An evaluation limit was reached (depth, size, iterations).
    Limit(String),
    /// `file()`/`templatefile()` could not or would not read a file.
    File(String),
    /// The condition of a conditional expression is unknown: `condition` says why. `refs`: the
    /// resources its branches refer to when each branch is a resource attribute (or null), so a
    /// rule can tell which resources the value may stand for (`cond ? aws_kms_key.a.arn :
    /// aws_kms_key.b.arn` is one of two keys).
    Choice {
        condition: Box<Reason>,
        refs: Vec<ResourceRef>,
    },
    /// Anything else, in words.
    Other(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Variable { name } => write!(
                f,
                "`var.{name}` has no default and no value was given; set it in terraform.tfvars, with --var-file, --var {name}=... or TF_VAR_{name}"
            ),
            Reason::AfterApply(r) if r.is_data_source() => write!(
                f,
                "`{r}` is read from the provider when Terraform plans; policy-lint does not read it"
            ),
            Reason::AfterApply(r) => write!(f, "`{r}` is known only after apply"),
            Reason::Function(name) => {
                write!(f, "function `{name}` is not modelled by policy-lint")
            }
            Reason::RemoteModule { call, source, why } => write!(
                f,
                "module `{call}` (source `{source}`) is not evaluated: {why}"
            ),
            Reason::Cycle(what) => write!(f, "dependency cycle: {what}"),
            Reason::CallerAccount(r) => write!(
                f,
                "`{r}` is the number of the AWS account whose credentials run Terraform; set the AWS provider's `allowed_account_ids` to that one account to give it"
            ),
            Reason::Limit(what) => write!(f, "evaluation limit reached: {what}"),
            Reason::File(what) => write!(f, "{what}"),
            Reason::Choice { condition, .. } => write!(f, "{CONDITION_UNKNOWN}: {condition}"),
            Reason::Other(what) => write!(f, "{what}"),
        }
    }
}

/// An unknown value: why, and which resource attribute it stands for (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub reason: Reason,
    /// Where the unknown value entered evaluation (the `var.x` expression, the function call).
    pub loc: Option<Location>,
    /// For references to resource attributes (directly or through a chain), the resource.
    pub reference: Option<ResourceRef>,
}

impl Unknown {
    pub fn new(reason: Reason) -> Self {
        Unknown {
            reason,
            loc: None,
            reference: None,
        }
    }
}

/// Whether two unknown values are the same unknown: both are exactly one unknown of the same
/// variable, resource attribute or deploying account (whatever it turns out to be, they are
/// equal). Unknowns of other kinds are never the same.
pub fn same_unknown(a: &Value, b: &Value) -> bool {
    fn one(v: &Value) -> Option<&Unknown> {
        match &v.kind {
            Kind::Unknown(u) => Some(u),
            Kind::Partial(parts) if parts.len() == 1 => match &parts[0] {
                Part::Unknown(u) => Some(u),
                Part::Lit(_) => None,
            },
            _ => None,
        }
    }
    match (one(a), one(b)) {
        (Some(x), Some(y)) => {
            matches!(
                x.reason,
                Reason::Variable { .. } | Reason::AfterApply(_) | Reason::CallerAccount(_)
            ) && x.reason.identity() == y.reason.identity()
        }
        _ => false,
    }
}

impl Reason {
    /// What is unknown, without the advice around it (`var.region`, `aws_kms_key.k.arn`,
    /// `module.net`): the identity of an unknown value in fingerprints.
    pub fn identity(&self) -> String {
        match self {
            Reason::Variable { name } => format!("var.{name}"),
            Reason::AfterApply(r) | Reason::CallerAccount(r) => r.to_string(),
            Reason::Function(name) => format!("{name}()"),
            Reason::RemoteModule { call, .. } => format!("module.{call}"),
            Reason::Cycle(what)
            | Reason::Limit(what)
            | Reason::File(what)
            | Reason::Other(what) => what.clone(),
            Reason::Choice { condition, .. } => condition.identity(),
        }
    }
}

/// A part of a partially known string.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Lit(String),
    Unknown(Arc<Unknown>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// list, tuple or set
    List(Arc<Vec<Value>>),
    /// map or object; keys in lexical order, as Terraform iterates them
    Object(Arc<ObjMap>),
    /// A string some parts of which are unknown: `"arn:${var.p}:iam::414351767826:root"`.
    Partial(Vec<Part>),
    Unknown(Arc<Unknown>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: Kind,
    pub origin: Origin,
}

impl Value {
    pub fn new(kind: Kind, origin: Origin) -> Self {
        Value { kind, origin }
    }
    pub fn null() -> Self {
        Value::new(Kind::Null, Origin::none())
    }
    pub fn string(s: impl Into<String>) -> Self {
        Value::new(Kind::String(s.into()), Origin::none())
    }
    pub fn bool(b: bool) -> Self {
        Value::new(Kind::Bool(b), Origin::none())
    }
    pub fn number(n: f64) -> Self {
        Value::new(Kind::Number(n), Origin::none())
    }
    pub fn list(items: Vec<Value>) -> Self {
        Value::new(Kind::List(items.into()), Origin::none())
    }
    pub fn object(map: ObjMap) -> Self {
        Value::new(Kind::Object(map.into()), Origin::none())
    }
    /// This value with every location in `file` (its own, its elements', their hops') moved to
    /// `to`: for values written outside any file of the repository (`--var`, `TF_VAR_`), which
    /// findings then place at the variable's declaration.
    pub fn relocated(&self, file: crate::source::FileId, to: Location) -> Value {
        let origin = self.origin.relocated(file, to);
        let kind = match &self.kind {
            Kind::List(items) => Kind::List(Arc::new(
                items.iter().map(|i| i.relocated(file, to)).collect(),
            )),
            Kind::Object(map) => Kind::Object(Arc::new(
                map.iter()
                    .map(|(k, v)| (k.clone(), v.relocated(file, to)))
                    .collect(),
            )),
            k => k.clone(),
        };
        Value::new(kind, origin)
    }

    /// A string from literal and unknown parts: adjacent literals merged, a plain string when
    /// every part is known.
    pub fn from_parts(parts: Vec<Part>) -> Self {
        let mut out: Vec<Part> = Vec::with_capacity(parts.len());
        for p in parts {
            match (out.last_mut(), p) {
                (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
                (_, p) => out.push(p),
            }
        }
        let kind = match out.as_slice() {
            [] => Kind::String(String::new()),
            [Part::Lit(s)] => Kind::String(s.clone()),
            _ => Kind::Partial(out),
        };
        Value::new(kind, Origin::none())
    }
    pub fn unknown(u: Unknown) -> Self {
        Value::new(Kind::Unknown(Arc::new(u)), Origin::none())
    }
    pub fn unknown_reason(reason: Reason) -> Self {
        Value::unknown(Unknown::new(reason))
    }
    pub fn at(mut self, loc: Location) -> Self {
        self.origin = Origin::at(loc);
        self
    }
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    pub fn loc(&self) -> Option<Location> {
        self.origin.loc()
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }
    /// True when nothing in the value (deeply) is unknown.
    pub fn is_known(&self) -> bool {
        match &self.kind {
            Kind::Unknown(_) | Kind::Partial(_) => false,
            Kind::List(items) => items.iter().all(Value::is_known),
            Kind::Object(map) => map.values().all(Value::is_known),
            _ => true,
        }
    }
    /// True when the value itself (not its elements) is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, Kind::Unknown(_))
    }
    pub fn as_unknown(&self) -> Option<&Unknown> {
        match &self.kind {
            Kind::Unknown(u) => Some(u),
            _ => None,
        }
    }
    /// The first unknown found in the value (depth first), for messages.
    pub fn first_unknown(&self) -> Option<&Unknown> {
        match &self.kind {
            Kind::Unknown(u) => Some(u),
            Kind::Partial(parts) => parts.iter().find_map(|p| match p {
                Part::Unknown(u) => Some(&**u),
                Part::Lit(_) => None,
            }),
            Kind::List(items) => items.iter().find_map(Value::first_unknown),
            Kind::Object(map) => map.values().find_map(Value::first_unknown),
            _ => None,
        }
    }
    /// The resource this value refers to: an unknown resource attribute, or one a plan knows.
    pub fn reference(&self) -> Option<&ResourceRef> {
        match &self.kind {
            Kind::Unknown(u) => u.reference.as_ref(),
            Kind::Partial(parts) if parts.len() == 1 => match &parts[0] {
                Part::Unknown(u) => u.reference.as_ref(),
                Part::Lit(_) => None,
            },
            _ => self.origin.resource(),
        }
    }

    /// This value marked as resource attribute `r` (a computed attribute a plan knows).
    pub fn as_attribute_of(mut self, r: ResourceRef) -> Value {
        self.origin = self.origin.with_resource(r);
        self
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<f64> {
        match &self.kind {
            Kind::Number(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_list(&self) -> Option<&[Value]> {
        match &self.kind {
            Kind::List(items) => Some(items),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&ObjMap> {
        match &self.kind {
            Kind::Object(map) => Some(map),
            _ => None,
        }
    }

    /// A string view of a primitive as Terraform converts it to string (`true` -> "true",
    /// `5` -> "5"). None for null, collections and unknowns.
    pub fn to_tf_string(&self) -> Option<String> {
        match &self.kind {
            Kind::String(s) => Some(s.clone()),
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Number(n) => Some(format_number(*n)),
            _ => None,
        }
    }

    /// The value as it identifies a finding (its fingerprint): `str:` and the string, a number,
    /// `true`/`false`, `null`; a partly known string with `${...}` around what each unknown part
    /// is; `unknown:` and what is unknown. `norm` is applied to the literal text (a check that
    /// compares host names case-insensitively lower-cases them). None for lists and objects,
    /// whose text would change with every unrelated edit inside them.
    pub fn subject(&self, norm: &dyn Fn(&str) -> String) -> Option<String> {
        match &self.kind {
            Kind::Null => Some("null".into()),
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Number(n) => Some(format!("num:{}", format_number(*n))),
            Kind::String(s) => Some(format!("str:{}", norm(s))),
            Kind::Partial(parts) => Some(format!(
                "str:{}",
                parts
                    .iter()
                    .map(|p| match p {
                        Part::Lit(s) => norm(s),
                        Part::Unknown(u) => format!("${{{}}}", u.reason.identity()),
                    })
                    .collect::<String>()
            )),
            Kind::Unknown(u) => Some(format!("unknown:{}", u.reason.identity())),
            Kind::List(_) | Kind::Object(_) => None,
        }
    }

    /// Known literal prefix/parts of a string, for rules that can decide on partial strings:
    /// the string itself when known; the literal parts joined with `\u{0}` for unknown parts.
    pub fn known_fragments(&self) -> Option<Vec<String>> {
        match &self.kind {
            Kind::String(s) => Some(vec![s.clone()]),
            Kind::Partial(parts) => Some(
                parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::Lit(s) => Some(s.clone()),
                        Part::Unknown(_) => None,
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    /// Object attribute.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match &self.kind {
            Kind::Object(map) => map.get(key),
            // A nested block written once is a one-element list of objects.
            Kind::List(items) if items.len() == 1 => items[0].get(key),
            _ => None,
        }
    }

    /// Follows a path of object attributes, stepping through one-element lists (nested blocks).
    /// Stops with the unknown value if it meets one on the way.
    pub fn path(&self, keys: &[&str]) -> PathResult<'_> {
        let mut cur = self;
        for (i, k) in keys.iter().enumerate() {
            match &cur.kind {
                Kind::Unknown(_) => return PathResult::Unknown(cur),
                Kind::Null => {
                    return PathResult::Absent {
                        parent: cur,
                        depth: i,
                    }
                }
                _ => {}
            }
            match cur.get(k) {
                Some(v) => cur = v,
                None => {
                    return PathResult::Absent {
                        parent: cur,
                        depth: i,
                    }
                }
            }
        }
        match &cur.kind {
            Kind::Unknown(_) => PathResult::Unknown(cur),
            Kind::Null => PathResult::Absent {
                parent: cur,
                depth: keys.len(),
            },
            _ => PathResult::Found(cur),
        }
    }

    /// The elements of a list, or the value itself as a one-element list (IAM's "scalar or list").
    pub fn as_items(&self) -> Vec<&Value> {
        match &self.kind {
            Kind::List(items) => items.iter().collect(),
            Kind::Null => vec![],
            _ => vec![self],
        }
    }

    /// Number of nodes, for size limits.
    pub fn size(&self) -> usize {
        match &self.kind {
            Kind::List(items) => 1 + items.iter().map(Value::size).sum::<usize>(),
            Kind::Object(map) => 1 + map.values().map(Value::size).sum::<usize>(),
            Kind::String(s) => 1 + s.len() / 64,
            Kind::Partial(p) => 1 + p.len(),
            _ => 1,
        }
    }

    /// Adds a hop to this value and (for small values) to every element in it, so findings on a
    /// nested element still show how it travelled.
    pub fn with_hop(&self, loc: Location, label: &str) -> Value {
        self.with_hop_budget(loc, label, HOP_NODES)
    }

    /// [`Value::with_hop`] of a node met at position `budget` from the end of the budget: the
    /// nodes of a value are numbered in depth-first pre-order, the first [`HOP_NODES`] get the
    /// hop and have their elements visited, the others get it only when their container was
    /// visited. [`HopPath`] uses it to add a hop to one element exactly as `with_hop` of its
    /// container would have.
    pub fn with_hop_budget(&self, loc: Location, label: &str, mut budget: usize) -> Value {
        fn go(v: &Value, loc: Location, label: &str, budget: &mut usize) -> Value {
            let origin = v.origin.with_hop(loc, label);
            if *budget == 0 {
                return Value::new(v.kind.clone(), origin);
            }
            *budget -= 1;
            let kind = match &v.kind {
                Kind::List(items) => Kind::List(Arc::new(
                    items.iter().map(|i| go(i, loc, label, budget)).collect(),
                )),
                Kind::Object(map) => Kind::Object(Arc::new(
                    map.iter()
                        .map(|(k, i)| (k.clone(), go(i, loc, label, budget)))
                        .collect(),
                )),
                other => other.clone(),
            };
            Value::new(kind, origin)
        }
        go(self, loc, label, &mut budget)
    }

    /// The number of nodes of the value (itself and every element, deeply), counted up to `cap`.
    pub fn nodes_up_to(&self, cap: usize) -> usize {
        fn go(v: &Value, left: &mut usize) {
            if *left == 0 {
                return;
            }
            *left -= 1;
            match &v.kind {
                Kind::List(items) => items.iter().for_each(|i| go(i, left)),
                Kind::Object(map) => map.values().for_each(|i| go(i, left)),
                _ => {}
            }
        }
        let mut left = cap;
        go(self, &mut left);
        cap - left
    }

    /// A short type name for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Number(_) => "number",
            Kind::String(_) | Kind::Partial(_) => "string",
            Kind::List(_) => "list",
            Kind::Object(_) => "object",
            Kind::Unknown(_) => "unknown",
        }
    }

    /// Converts a fully known value to serde_json (unknown parts become null).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            Kind::Null | Kind::Unknown(_) | Kind::Partial(_) => serde_json::Value::Null,
            Kind::Bool(b) => serde_json::Value::Bool(*b),
            Kind::Number(n) => number_to_json(*n),
            Kind::String(s) => serde_json::Value::String(s.clone()),
            Kind::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Kind::Object(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
        }
    }

    /// Builds a value from serde_json, every node with the same origin.
    pub fn from_json(j: &serde_json::Value, origin: &Origin) -> Value {
        let kind = match j {
            serde_json::Value::Null => Kind::Null,
            serde_json::Value::Bool(b) => Kind::Bool(*b),
            serde_json::Value::Number(n) => Kind::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Kind::String(s.clone()),
            serde_json::Value::Array(a) => Kind::List(Arc::new(
                a.iter().map(|v| Value::from_json(v, origin)).collect(),
            )),
            serde_json::Value::Object(o) => Kind::Object(Arc::new(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v, origin)))
                    .collect(),
            )),
        };
        Value::new(kind, origin.clone())
    }
}

/// The result of [`Value::path`].
#[derive(Debug)]
pub enum PathResult<'a> {
    Found(&'a Value),
    /// The attribute (or one on the way) is not set; `parent` is the last value reached.
    Absent {
        parent: &'a Value,
        depth: usize,
    },
    /// An unknown value was met on the way (or is the result).
    Unknown(&'a Value),
}

/// Formats a number as Terraform does: integers without a decimal point.
pub fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i128)
    } else {
        format!("{n}")
    }
}

fn number_to_json(n: f64) -> serde_json::Value {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map of `n` lists of `m` located strings, each located.
    fn grid(n: usize, m: usize) -> Value {
        let at = |i: usize| Location::new(crate::source::FileId(0), i..i + 1);
        let map: ObjMap = (0..n)
            .map(|i| {
                let items = (0..m).map(|j| Value::string(format!("{i}.{j}")).at(at(j)));
                (format!("k{i:04}"), Value::list(items.collect()).at(at(i)))
            })
            .collect();
        Value::object(map).at(at(0))
    }

    #[test]
    fn hop_path_gives_what_with_hop_then_indexing_gives() {
        let loc = Location::new(crate::source::FileId(1), 3..9);
        // Small, at the budget, and past it (elements early and late in the pre-order).
        for (n, m) in [(3, 2), (50, 40), (200, 30)] {
            let v = grid(n, m);
            let whole = v.with_hop(loc, "via `local.m`");
            for i in [0, 1, n / 2, n - 1] {
                let key = format!("k{i:04}");
                let field = HopPath::root(&v).field(&key).unwrap();
                let want = whole.as_object().unwrap()[&key].clone();
                assert_eq!(field.finish(loc, "via `local.m`"), want, "{n}x{m} {key}");
                for j in [0, m - 1] {
                    let item = field.item(j).unwrap().finish(loc, "via `local.m`");
                    assert_eq!(item, want.as_list().unwrap()[j], "{n}x{m} {key}[{j}]");
                }
            }
            assert!(HopPath::root(&v).field("missing").is_none());
        }
    }

    #[test]
    fn path_steps_through_blocks() {
        let mut inner = ObjMap::new();
        inner.insert("key_arn".to_string(), Value::string("arn"));
        let mut outer = ObjMap::new();
        outer.insert(
            "aws_key_info".to_string(),
            Value::list(vec![Value::object(inner)]),
        );
        let v = Value::object(outer);
        match v.path(&["aws_key_info", "key_arn"]) {
            PathResult::Found(x) => assert_eq!(x.as_str(), Some("arn")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            v.path(&["nope"]),
            PathResult::Absent { depth: 0, .. }
        ));
    }

    #[test]
    fn numbers_format_like_terraform() {
        assert_eq!(format_number(414351767826.0), "414351767826");
        assert_eq!(format_number(1.5), "1.5");
    }
}
