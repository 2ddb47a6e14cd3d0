//! Modules: variables, locals, resources, module calls and outputs, evaluated lazily with cycle
//! detection, and the unit that collects every resource instance.

use super::expr::{EvalError, Scope};
use super::graph::{Cycle, Graph, NodeKey, NodeKind, Slot};
use super::{limits, EvalOptions, Loader, Mode, ResourceInstance, Unit};
use crate::finding::Finding;
use crate::hash::HashMap;
use crate::parse::ParsedHcl;
use crate::source::{FileId, Location, SpanFile};
use crate::tree::BlockRef;
use crate::value::{Hop, Kind, ObjMap, Origin, Reason, Unknown, Value};
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::{Rc, Weak};
use std::sync::Arc;

/// Where an item sits: file index in the module, structure index in its body, and for locals
/// the attribute index inside the `locals` block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ItemRef {
    pub file: u32,
    pub idx: u32,
    pub sub: u32,
}

/// The static content of a module directory.
pub(crate) struct ModuleDef {
    pub dir: PathBuf,
    pub files: Vec<Arc<ParsedHcl>>,
    pub variables: BTreeMap<String, ItemRef>,
    pub locals: HashMap<String, ItemRef>,
    /// `type.name` (managed) or `data.type.name`
    pub resources: BTreeMap<String, (Mode, ItemRef)>,
    pub modules: BTreeMap<String, ItemRef>,
    pub outputs: BTreeMap<String, ItemRef>,
}

impl ModuleDef {
    pub fn load(dir: &Path, files: Vec<Arc<ParsedHcl>>) -> ModuleDef {
        let mut def = ModuleDef {
            dir: dir.to_path_buf(),
            files,
            variables: BTreeMap::new(),
            locals: HashMap::default(),
            resources: BTreeMap::new(),
            modules: BTreeMap::new(),
            outputs: BTreeMap::new(),
        };
        for (fi, f) in def.files.iter().enumerate() {
            f.tree.heads(|idx, ident, labels| {
                let r = ItemRef {
                    file: fi as u32,
                    idx: idx as u32,
                    sub: 0,
                };
                match (ident, labels) {
                    ("variable", [name]) => {
                        def.variables.entry(name.to_string()).or_insert(r);
                    }
                    ("locals", []) => {
                        let Some(b) = f.tree.block(idx) else { return };
                        for (sub, s2) in b.body.iter().enumerate() {
                            if let Some(a) = s2.as_attribute() {
                                def.locals
                                    .entry(a.key.as_str().to_string())
                                    .or_insert(ItemRef {
                                        file: fi as u32,
                                        idx: idx as u32,
                                        sub: sub as u32,
                                    });
                            }
                        }
                    }
                    ("resource", [t, n]) => {
                        def.resources
                            .entry(format!("{t}.{n}"))
                            .or_insert((Mode::Managed, r));
                    }
                    ("data", [t, n]) => {
                        def.resources
                            .entry(format!("data.{t}.{n}"))
                            .or_insert((Mode::Data, r));
                    }
                    ("module", [n]) => {
                        def.modules.entry(n.to_string()).or_insert(r);
                    }
                    ("output", [n]) => {
                        def.outputs.entry(n.to_string()).or_insert(r);
                    }
                    _ => {}
                }
            });
        }
        def
    }

    /// The cloud providers (`aws`, `azurerm`, `google`) this module configures (`provider`
    /// blocks) or requires (`terraform { required_providers { ... } }`), sorted.
    pub fn cloud_providers(&self) -> Vec<String> {
        const CLOUDS: [&str; 3] = ["aws", "azurerm", "google"];
        let mut out: Vec<String> = Vec::new();
        let mut add = |name: &str| {
            if CLOUDS.contains(&name) && !out.iter().any(|o| o == name) {
                out.push(name.to_string());
            }
        };
        for f in &self.files {
            f.tree.heads(|_, ident, labels| {
                if let ("provider", [l, ..]) = (ident, labels) {
                    add(l);
                }
            });
            for (_, t) in f.tree.blocks_where(|ident, _| ident == "terraform") {
                for rp in t.body.get_blocks("required_providers") {
                    for a in rp.body.attributes() {
                        add(a.key.as_str());
                    }
                }
            }
        }
        out.sort();
        out
    }

    pub fn block(&self, r: ItemRef) -> Option<BlockRef<'_>> {
        self.files.get(r.file as usize)?.tree.block(r.idx as usize)
    }
    /// The file of item `r` and where the spans of its block start in it.
    pub fn spans(&self, r: ItemRef) -> SpanFile {
        self.files[r.file as usize].spans(r.idx as usize)
    }
    pub fn local_attr(&self, r: ItemRef) -> Option<crate::tree::AttrRef<'_>> {
        self.block(r)?.attribute(r.sub as usize)
    }
    /// Where variable `name` is declared (its `variable` keyword), where values given from
    /// outside the module's files are located.
    pub fn variable_decl(&self, name: &str) -> Option<Location> {
        let r = *self.variables.get(name)?;
        let b = self.block(r)?;
        Some(self.spans(r).loc(b.ident.span()))
    }
}

/// One instance of a module (the root, or one call instance).
pub(crate) struct ModuleInst {
    pub def: Rc<ModuleDef>,
    /// "" for the root; `module.a`, `module.a["k"]`, `module.a.module.b` for calls.
    pub addr: String,
    pub chain: Vec<Hop>,
    pub depth: usize,
    /// Values for variables: module arguments, or for the root the tfvars/CLI/env values.
    pub inputs: Inputs,
    /// Where the instance sits: `path.module`, the call stack, its manifest key.
    pub place: Place,
    /// This instance, for the module calls it makes (their arguments are evaluated here, later).
    me: Weak<ModuleInst>,
    pub locals: RefCell<HashMap<String, Slot<Value>>>,
    pub vars: RefCell<HashMap<String, Slot<Value>>>,
    pub resources: RefCell<HashMap<String, Slot<ResourceGroup>>>,
    pub expansions: RefCell<HashMap<String, Slot<Rc<Expansion>>>>,
    pub calls: RefCell<HashMap<String, Slot<Rc<CallResult>>>>,
    pub outputs: RefCell<HashMap<String, Slot<Value>>>,
}

/// A resource's instances, or the unknown that stopped their evaluation (a cycle).
pub(crate) type ResourceGroup = Result<Arc<[ResourceInstance]>, Arc<Unknown>>;

/// The start of the hop label of a value given outside the configuration (`--var`, `TF_VAR_`).
pub const GIVEN_BY: &str = "value given by ";

/// Where a module instance sits.
#[derive(Clone)]
pub(crate) struct Place {
    /// `path.module` as Terraform gives it (relative to the root module directory).
    pub path_module: String,
    /// Directories of the modules on the call stack, for recursion detection.
    pub stack: Vec<PathBuf>,
    /// Its key in the modules manifest: "" for the root, `a`, `a.b` for `module.a.module.b`
    /// (instance keys are not part of it).
    pub key: String,
    /// For a module `terraform init` installed (and the modules it calls): the header of the
    /// `module` block in the repository through which it is reached. None for repository modules.
    pub entry: Option<Location>,
}

/// Where a module instance's variables get their values.
pub(crate) enum Inputs {
    /// The root module: tfvars, command line and environment values.
    Values(HashMap<String, Value>),
    /// A module call instance: each argument is evaluated in the caller's scope when the
    /// variable is first read, as Terraform evaluates each module input as a node of its own.
    Call(CallSite),
}

/// A module call instance's arguments, evaluated on demand.
pub(crate) struct CallSite {
    pub parent: Weak<ModuleInst>,
    /// The `module` block in the caller's definition.
    pub block: ItemRef,
    pub call_addr: String,
    /// `count.index` and `each` of this instance.
    pub count: Option<Value>,
    pub each: Option<(Value, Value)>,
}

/// What a module call expanded to.
pub(crate) enum CallResult {
    /// Instances with their keys (None for a call without count/for_each).
    Local(Vec<(Option<Value>, Rc<ModuleInst>)>),
    /// Nothing is known about the call's outputs.
    Unknown(Arc<Unknown>),
}

/// How a `count`/`for_each` expanded.
#[derive(Clone)]
pub(crate) enum Expansion {
    Single,
    Count(usize),
    ForEach(Vec<(String, Value)>),
    Unknown(Arc<Unknown>),
}

/// The evaluator of one unit. Single-threaded; units run in parallel.
pub(crate) struct Ev<'l> {
    pub loader: &'l Loader,
    pub opts: &'l EvalOptions,
    pub unit: RefCell<Unit>,
    pub depth: Cell<usize>,
    pub steps: Cell<u64>,
    /// Module instances created so far in this unit (see `limits::MAX_MODULE_INSTANCES`).
    module_instances: Cell<usize>,
    pub root_dir: PathBuf,
    defs: RefCell<HashMap<PathBuf, Rc<ModuleDef>>>,
    graph: Graph,
    /// What `terraform init` installed for this root module, read at the first registry or git
    /// module call.
    modules: std::cell::OnceCell<super::manifest::Modules>,
    /// The instances `collect` gathers for the unit, in order: the groups the graph holds, shared
    /// with [`Unit::resources`] (stored once, not copied).
    collected: RefCell<Vec<Arc<[ResourceInstance]>>>,
    /// The expansion of every resource without `count` or `for_each`.
    single: Rc<Expansion>,
}

/// Evaluates the root module in `dir` (canonical) with the modules it calls.
pub fn evaluate_unit(loader: &Loader, opts: &EvalOptions, dir: &Path) -> Unit {
    let ev = Ev {
        loader,
        opts,
        unit: RefCell::new(Unit {
            root: crate::source::display_path(dir, &loader.cwd),
            ..Unit::default()
        }),
        depth: Cell::new(0),
        steps: Cell::new(0),
        module_instances: Cell::new(0),
        root_dir: dir.to_path_buf(),
        defs: RefCell::new(HashMap::default()),
        graph: Graph::default(),
        modules: std::cell::OnceCell::new(),
        collected: RefCell::new(Vec::new()),
        single: Rc::new(Expansion::Single),
    };
    let Some(def) = ev.def_for(dir) else {
        return ev.unit.into_inner();
    };
    let inputs = ev.root_inputs(&def);
    let root = ModuleInst::new(
        def,
        String::new(),
        vec![],
        0,
        Inputs::Values(inputs),
        Place {
            path_module: ".".to_string(),
            stack: vec![dir.to_path_buf()],
            key: String::new(),
            entry: None,
        },
    );
    ev.collect(&root);
    ev.aws_providers(&root);
    let collected = ev.collected.take();
    let mut unit = ev.unit.into_inner();
    unit.resources = super::Resources::sorted(collected);
    unit
}

impl<'l> Ev<'l> {
    pub fn def_for(&self, dir: &Path) -> Option<Rc<ModuleDef>> {
        if let Some(d) = self.defs.borrow().get(dir) {
            return Some(d.clone());
        }
        let files = self.loader.module_files(dir).ok()?;
        {
            let mut unit = self.unit.borrow_mut();
            for f in &files {
                if !unit.files.iter().any(|g| g.file == f.file) {
                    unit.files.push(f.clone());
                }
            }
        }
        let def = Rc::new(ModuleDef::load(dir, files));
        self.defs
            .borrow_mut()
            .insert(dir.to_path_buf(), def.clone());
        Some(def)
    }

    /// Reports an evaluation problem (EVAL001) at `loc`.
    pub fn diag(&self, loc: Location, message: String) {
        self.unit
            .borrow_mut()
            .diags
            .push(Finding::new("EVAL001", loc, message));
    }

    /// Counts one step; false once the unit's budget is spent.
    pub fn step(&self) -> bool {
        let s = self.steps.get() + 1;
        self.steps.set(s);
        s <= limits::MAX_STEPS
    }

    // ---------------------------------------------------------------- variables

    /// Values of the root module's variables, by Terraform's precedence (lowest first):
    /// environment `TF_VAR_*`, `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars(.json)`
    /// in lexical order, then `--var-file`/`--var` in command-line order. Defaults are applied
    /// when a variable is read.
    fn root_inputs(&self, def: &ModuleDef) -> HashMap<String, Value> {
        let mut values: HashMap<String, Value> = HashMap::default();
        for (k, v) in &self.opts.env_vars {
            if def.variables.contains_key(k) {
                values.insert(k.clone(), self.cli_value(def, k, v, &format!("TF_VAR_{k}")));
            }
        }
        let dir = &def.dir;
        let mut files: Vec<PathBuf> = Vec::new();
        for name in ["terraform.tfvars", "terraform.tfvars.json"] {
            let p = dir.join(name);
            if p.is_file() {
                files.push(p);
            }
        }
        let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                        n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                    })
                    .collect()
            })
            .unwrap_or_default();
        auto.sort();
        files.extend(auto);
        for f in &files {
            self.read_tfvars(f, def, &mut values);
        }
        // The plan's values are those Terraform used (after the automatic var files; the
        // command line's var files and values still win, as they would in a new plan).
        if let Some(plan) = &self.opts.plan {
            for name in def.variables.keys() {
                if let Some(j) = plan.variable(name) {
                    values.insert(name.clone(), self.plan_value(def, name, j));
                }
            }
        }
        // --var-file and --var keep their relative order only within each kind; Terraform applies
        // them in command-line order, which the CLI preserves by listing var files first.
        for f in &self.opts.var_files.clone() {
            self.read_tfvars(f, def, &mut values);
        }
        for (k, v) in &self.opts.vars {
            if def.variables.contains_key(k) {
                values.insert(k.clone(), self.cli_value(def, k, v, &format!("--var {k}")));
            }
        }
        // One of the possible values of a variable that has none (see `finite_domain`).
        for (k, v) in &self.opts.world {
            if values.contains_key(k) {
                continue;
            }
            let decl = def.variable_decl(k);
            let v = match decl {
                Some(d) => v.clone().at(d),
                None => v.clone(),
            };
            values.insert(k.clone(), v);
        }
        values
    }

    /// A `--var`/`TF_VAR_` value: a string, or an HCL expression for variables of complex type.
    /// It is written in no file of the repository, so it is located at the variable's
    /// declaration, with a hop that names where it was given (findings name it in their message).
    fn cli_value(&self, def: &ModuleDef, name: &str, raw: &str, origin: &str) -> Value {
        let id = self.loader.sources.add(
            PathBuf::from(format!("<{origin}>")),
            origin.to_string(),
            Arc::from(raw),
        );
        let decl = def.variable_decl(name);
        let complex = def
            .variables
            .get(name)
            .and_then(|r| def.block(*r))
            .and_then(|b| {
                b.body.get_attribute("type").map(|a| {
                    let t = a.value.to_string();
                    let t = t.trim();
                    t != "string" && t != "any"
                })
            })
            .unwrap_or(false);
        let parsed = if complex {
            hcl_edit::parser::parse_expr(raw)
                .ok()
                .and_then(|expr| self.literal_only(&expr, id))
        } else {
            None
        };
        let v = parsed.unwrap_or_else(|| Value::string(raw).at(Location::new(id, 0..raw.len())));
        match decl {
            Some(d) => v
                .relocated(id, d)
                .with_hop(d, &format!("{GIVEN_BY}`{origin}`")),
            None => v,
        }
    }

    /// A root variable's value from the plan, located at the variable's declaration.
    fn plan_value(&self, def: &ModuleDef, name: &str, j: &serde_json::Value) -> Value {
        let decl = def.variable_decl(name);
        let plan = self.opts.plan.as_ref().expect("called with a plan");
        let shown = crate::source::display_path(&plan.path, &self.loader.cwd);
        match decl {
            Some(d) => Value::from_json(j, &crate::value::Origin::at(d))
                .with_hop(d, &format!("{GIVEN_BY}the plan `{shown}`")),
            None => Value::from_json(j, &crate::value::Origin::none()),
        }
    }

    /// Attribute `attr` of resource `key` (instance `instance`) of module instance `m` as the
    /// plan (`--plan`) knows it, located at `at` (the reference).
    pub(crate) fn planned_attr(
        &self,
        m: &ModuleInst,
        key: &str,
        instance: Option<&str>,
        attr: &str,
        at: Location,
    ) -> Option<Value> {
        let plan = self.opts.plan.as_ref()?;
        let mut address = m.label(key);
        if let Some(k) = instance {
            address = format!("{address}[{k}]");
        }
        match plan.attribute(&address, attr) {
            crate::plan::Attr::Known(j) => {
                let shown = crate::source::display_path(&plan.path, &self.loader.cwd);
                let r = crate::value::ResourceRef {
                    address: m.label(key),
                    key: instance.map(str::to_string),
                    attr: attr.to_string(),
                };
                Some(
                    Value::from_json(j, &crate::value::Origin::at(at))
                        .with_hop(
                            at,
                            &format!("{GIVEN_BY}the plan `{shown}` for `{address}.{attr}`"),
                        )
                        .as_attribute_of(r),
                )
            }
            _ => None,
        }
    }

    /// Evaluates an expression that needs no scope (tfvars, CLI values).
    fn literal_only(&self, expr: &hcl_edit::expr::Expression, file: FileId) -> Option<Value> {
        let root = self.def_for(&self.root_dir)?;
        let m = ModuleInst::bare(root);
        let scope = Scope::template(&m, SpanFile::whole(file));
        self.eval(expr, &scope).ok()
    }

    fn read_tfvars(&self, path: &Path, def: &ModuleDef, values: &mut HashMap<String, Value>) {
        let (id, text) = match self.loader.read_text(path) {
            Ok(x) => x,
            Err(e) => {
                // The pipeline reports unreadable --var-file paths itself; here it only matters
                // that the values are unknown.
                let _ = e;
                return;
            }
        };
        let is_json = path.to_string_lossy().ends_with(".json");
        if is_json {
            let Ok(v) = crate::json::parse_file(&text, id) else {
                return;
            };
            if let Kind::Object(map) = v.kind {
                for (k, v) in Arc::unwrap_or_clone(map) {
                    if def.variables.contains_key(&k) {
                        values.insert(k, v);
                    }
                }
            }
            return;
        }
        let parsed = match self
            .loader
            .parsed(&self.loader.canonical(path).unwrap_or_default())
        {
            Some(crate::parse::Parsed::Hcl(h)) => h,
            Some(_) => return,
            None => match crate::parse::parse_hcl(&self.loader.sources, id) {
                crate::parse::Parsed::Hcl(h) => h,
                _ => return,
            },
        };
        let Some(root) = self.def_for(&self.root_dir) else {
            return;
        };
        let m = ModuleInst::bare(root);
        let scope = Scope::template(&m, SpanFile::whole(id));
        // A file held in pieces has only blocks (crate::parse_large).
        let crate::tree::Tree::Whole(body) = &parsed.tree else {
            return;
        };
        for a in body.attributes() {
            let k = a.key.as_str();
            if !def.variables.contains_key(k) {
                continue;
            }
            let v = match self.eval(&a.value, &scope) {
                Ok(v) => v,
                Err(e) => e.into_bare_unknown(),
            };
            values.insert(k.to_string(), v);
        }
    }

    /// `var.NAME` in module `m`.
    /// `var.NAME` read at `at`, its hop not yet added (see [`Read`]).
    pub(crate) fn var(&self, m: &ModuleInst, name: &str, at: Location) -> Result<Read, EvalError> {
        let Some(r) = m.def.variables.get(name).copied() else {
            return Err(EvalError::new(
                at,
                format!("reference to undeclared input variable `var.{name}`"),
            ));
        };
        let block = m.def.block(r).expect("variable block");
        let decl_loc = m.def.spans(r).loc(block.ident.span());
        let v = self.graph.node(
            &m.vars,
            m.node(NodeKind::Var, name),
            || m.label(&format!("var.{name}")),
            Some(decl_loc),
            |c| self.cyclic(c, decl_loc),
            || self.var_value(m, name, r, decl_loc),
        );
        Ok(at_reference(v, at, name))
    }

    /// The value of variable `name` (declared by `r`): its input, else its default.
    fn var_value(&self, m: &ModuleInst, name: &str, r: ItemRef, decl_loc: Location) -> Value {
        let block = m.def.block(r).expect("variable block");
        let default = || {
            block.body.get_attribute("default").map(|d| {
                match self.eval(&d.value, &Scope::module(m, m.def.spans(r))) {
                    Ok(v) => v,
                    Err(e) => e.into_bare_unknown(),
                }
            })
        };
        let input = match &m.inputs {
            Inputs::Values(values) => values.get(name).cloned(),
            Inputs::Call(site) => self.call_argument(site, name),
        };
        let v = match input {
            Some(v) => v,
            None => match default() {
                Some(v) => v,
                None => {
                    if m.addr.is_empty() {
                        if let Some(domain) = self.finite_domain(m, &block, m.def.spans(r)) {
                            let mut unit = self.unit.borrow_mut();
                            if !unit.finite_inputs.iter().any(|(n, _)| n == name) {
                                unit.finite_inputs.push((name.to_string(), domain));
                            }
                        }
                    }
                    let reason = if m.addr.is_empty() {
                        Reason::Variable {
                            name: name.to_string(),
                        }
                    } else {
                        Reason::Other(format!(
                            "input `{name}` of `{}` is not set by the module call and has no default",
                            m.addr
                        ))
                    };
                    Value::unknown(Unknown {
                        reason,
                        loc: Some(decl_loc),
                        reference: None,
                    })
                    .at(decl_loc)
                }
            },
        };
        // `nullable = false` turns a null into the default; otherwise null stays null.
        let nullable = block
            .body
            .get_attribute("nullable")
            .map(|a| a.value.as_bool() != Some(false))
            .unwrap_or(true);
        let v = if v.is_null() && !nullable {
            default().unwrap_or(v)
        } else {
            v
        };
        v.with_hop(decl_loc, &format!("variable `{name}`"))
    }

    /// The possible values of a variable without a value: `[true, false]` for `type = bool`, the
    /// members of the literal list of a `validation` whose condition is `contains(LIST,
    /// var.NAME)`. None when they are not a short known list.
    fn finite_domain(&self, m: &ModuleInst, block: &Block, file: SpanFile) -> Option<Vec<Value>> {
        const MAX: usize = 8;
        for v in block.body.get_blocks("validation") {
            let Some(c) = v.body.get_attribute("condition") else {
                continue;
            };
            let hcl_edit::expr::Expression::FuncCall(call) = &c.value else {
                continue;
            };
            if call.name.name.as_str() != "contains" || call.args.len() != 2 {
                continue;
            }
            let list = call.args.iter().next()?;
            let scope = Scope::template(m, file);
            let Ok(lv) = self.eval(list, &scope) else {
                continue;
            };
            let items = lv.as_list()?;
            if items.is_empty() || items.len() > MAX || !items.iter().all(|i| i.is_known()) {
                continue;
            }
            return Some(items.to_vec());
        }
        let t = block.body.get_attribute("type")?.value.to_string();
        (t.trim() == "bool").then(|| vec![Value::bool(true), Value::bool(false)])
    }

    /// Argument `name` of a module call instance, evaluated in the caller's scope.
    fn call_argument(&self, site: &CallSite, name: &str) -> Option<Value> {
        let parent = site.parent.upgrade()?;
        let block = parent.def.block(site.block)?;
        let a = block.body.get_attribute(name)?;
        let file = parent.def.spans(site.block);
        let scope = Scope::instance(&parent, file, site.count.clone(), site.each.clone());
        let v = match self.eval(&a.value, &scope) {
            Ok(v) => v,
            Err(e) => e.into_bare_unknown(),
        };
        Some(v.with_hop(
            file.loc(a.span()),
            &format!("passed to `{}` as `{name}`", site.call_addr),
        ))
    }

    /// The unknown of a node met while it is being evaluated; the cycle is reported at the
    /// definition of each node on it (once).
    fn cycle_unknown(&self, c: Cycle, at: Location) -> Unknown {
        for (loc, label) in c.report {
            self.diag(
                loc,
                format!(
                    "`{label}` cannot be evaluated: it is part of a dependency cycle ({}); Terraform rejects the configuration",
                    c.path
                ),
            );
        }
        Unknown {
            reason: Reason::Cycle(c.path),
            loc: Some(at),
            reference: None,
        }
    }

    fn cyclic(&self, c: Cycle, at: Location) -> Value {
        Value::unknown(self.cycle_unknown(c, at)).at(at)
    }

    // ---------------------------------------------------------------- locals

    /// `local.NAME` read at `at`, its hop not yet added (see [`Read`]).
    pub(crate) fn local(
        &self,
        m: &ModuleInst,
        name: &str,
        at: Location,
    ) -> Result<Read, EvalError> {
        let Some(r) = m.def.locals.get(name).copied() else {
            return Err(EvalError::new(
                at,
                format!("reference to undeclared local value `local.{name}`"),
            ));
        };
        let attr = m.def.local_attr(r).expect("local attribute");
        let file = m.def.spans(r);
        let key_loc = file.loc(attr.key.span());
        let v = self.graph.node(
            &m.locals,
            m.node(NodeKind::Local, name),
            || m.label(&format!("local.{name}")),
            Some(key_loc),
            |c| self.cyclic(c, at),
            || self.local_value(m, name, r),
        );
        if matches!(v.as_unknown().map(|u| &u.reason), Some(Reason::Cycle(_))) {
            return Ok(at_reference(v, at, &format!("local.{name}")));
        }
        Ok(Read {
            value: v,
            hop: Some((at, format!("via `local.{name}`"))),
        })
    }

    fn local_value(&self, m: &ModuleInst, name: &str, r: ItemRef) -> Value {
        let attr = m.def.local_attr(r).expect("local attribute");
        let file = m.def.spans(r);
        let scope = Scope::module(m, file);
        let v = match self.eval(&attr.value, &scope) {
            Ok(v) => v,
            Err(e) => e.into_unknown(),
        };
        // A limit hit inside this local's own expression is reported here, once (values that
        // merely carry it on are not reported again).
        if let Some(u) = v.first_unknown() {
            if let (Reason::Limit(_), Some(l)) = (&u.reason, u.loc) {
                let span = file.loc(attr.span());
                if l.file == span.file && l.start >= span.start && l.end <= span.end {
                    self.diag(
                        file.loc(attr.key.span()),
                        format!("`local.{name}` cannot be evaluated: {}", u.reason),
                    );
                }
            }
        }
        if v.size() > limits::MAX_VALUE_NODES {
            let reason = format!(
                "`local.{name}` is larger than {} elements",
                limits::MAX_VALUE_NODES
            );
            self.diag(
                file.loc(attr.key.span()),
                format!("{reason}; policy-lint does not evaluate it (nor what uses it)"),
            );
            Value::unknown_reason(Reason::Limit(reason))
        } else {
            v
        }
    }

    // ---------------------------------------------------------------- instances

    /// Expands `count`/`for_each` of a block body.
    pub fn expand(&self, body: &Body, scope: &Scope) -> Result<Expansion, EvalError> {
        if let Some(c) = body.get_attribute("count") {
            let v = self.eval(&c.value, scope)?;
            let loc = scope.file.loc(c.value.span());
            return Ok(match &v.kind {
                Kind::Number(n) if *n >= 0.0 && n.fract() == 0.0 => {
                    if *n as usize > limits::MAX_INSTANCES {
                        self.diag(
                            loc,
                            format!(
                                "count = {} exceeds policy-lint's limit of {} instances; the resource is checked as one instance of unknown index",
                                crate::value::format_number(*n),
                                limits::MAX_INSTANCES
                            ),
                        );
                        Expansion::Unknown(Arc::new(Unknown {
                            reason: Reason::Limit("too many instances".into()),
                            loc: Some(loc),
                            reference: None,
                        }))
                    } else {
                        Expansion::Count(*n as usize)
                    }
                }
                Kind::Bool(b) => Expansion::Count(*b as usize),
                Kind::String(s) if s.parse::<usize>().is_ok() => {
                    Expansion::Count(s.parse::<usize>().unwrap_or(0).min(limits::MAX_INSTANCES))
                }
                _ => Expansion::Unknown(Arc::new(match v.first_unknown() {
                    Some(u) => u.clone(),
                    None => Unknown {
                        reason: Reason::Other(format!(
                            "count must be a whole number, not {}",
                            v.type_name()
                        )),
                        loc: Some(loc),
                        reference: None,
                    },
                })),
            });
        }
        if let Some(fe) = body.get_attribute("for_each") {
            let v = self.eval(&fe.value, scope)?;
            let loc = scope.file.loc(fe.value.span());
            let items: Vec<(String, Value)> = match &v.kind {
                Kind::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                Kind::List(items) => {
                    let mut out = Vec::new();
                    for i in items.iter() {
                        match i.to_tf_string() {
                            Some(s) => out.push((s, i.clone())),
                            None => {
                                return Ok(Expansion::Unknown(Arc::new(
                                    i.first_unknown().cloned().unwrap_or(Unknown {
                                        reason: Reason::Other(
                                            "for_each over a set needs strings".into(),
                                        ),
                                        loc: Some(loc),
                                        reference: None,
                                    }),
                                )))
                            }
                        }
                    }
                    out.sort_by(|a, b| a.0.cmp(&b.0));
                    out.dedup_by(|a, b| a.0 == b.0);
                    out
                }
                Kind::Null => vec![],
                _ => {
                    return Ok(Expansion::Unknown(Arc::new(
                        v.first_unknown().cloned().unwrap_or(Unknown {
                            reason: Reason::Other(format!(
                                "for_each needs a map or a set of strings, not {}",
                                v.type_name()
                            )),
                            loc: Some(loc),
                            reference: None,
                        }),
                    )))
                }
            };
            if items.len() > limits::MAX_INSTANCES {
                self.diag(
                    loc,
                    format!(
                        "for_each over {} elements exceeds policy-lint's limit of {} instances; the resource is checked as one instance of unknown key",
                        items.len(),
                        limits::MAX_INSTANCES
                    ),
                );
                return Ok(Expansion::Unknown(Arc::new(Unknown {
                    reason: Reason::Limit("too many instances".into()),
                    loc: Some(loc),
                    reference: None,
                })));
            }
            return Ok(Expansion::ForEach(items));
        }
        Ok(Expansion::Single)
    }

    /// Evaluates all instances of a resource or data source (`type.name` or `data.type.name`).
    pub fn resource_group(&self, m: &ModuleInst, key: &str) -> Option<ResourceGroup> {
        let (mode, r) = *m.def.resources.get(key)?;
        let loc = resource_header(m, r);
        Some(self.graph.node(
            &m.resources,
            m.node(NodeKind::Resource, key),
            || m.label(key),
            Some(loc),
            |c| Err(Arc::new(self.cycle_unknown(c, loc))),
            || Ok(self.resource_instances(m, mode, r)),
        ))
    }

    /// How a resource's `count`/`for_each` expands: what a reference to one of its computed
    /// attributes needs (not its arguments).
    pub fn resource_expansion(&self, m: &ModuleInst, key: &str) -> Option<Rc<Expansion>> {
        let (_, r) = *m.def.resources.get(key)?;
        let block = m.def.block(r).expect("resource block");
        // Without `count` and `for_each` there is nothing to evaluate (no dependency, no cycle):
        // not a node, whose slot would be kept for every resource of the module.
        if block.body.get_attribute("count").is_none()
            && block.body.get_attribute("for_each").is_none()
        {
            return Some(self.single.clone());
        }
        let loc = resource_header(m, r);
        Some(self.graph.node(
            &m.expansions,
            m.node(NodeKind::Expansion, key),
            || m.label(&format!("{key} (count/for_each)")),
            Some(loc),
            |c| Rc::new(Expansion::Unknown(Arc::new(self.cycle_unknown(c, loc)))),
            || {
                let scope = Scope::module(m, m.def.spans(r));
                match self.expand(&block.body, &scope) {
                    // Most resources: one shared value, not one allocation each.
                    Ok(Expansion::Single) => self.single.clone(),
                    Ok(e) => Rc::new(e),
                    Err(e) => Rc::new(Expansion::Unknown(Arc::new(Unknown {
                        reason: Reason::Other(e.message),
                        loc: Some(e.loc),
                        reference: None,
                    }))),
                }
            },
        ))
    }

    fn resource_instances(
        &self,
        m: &ModuleInst,
        mode: Mode,
        r: ItemRef,
    ) -> Arc<[ResourceInstance]> {
        let block = m.def.block(r).expect("resource block");
        let file = m.def.spans(r);
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        let (rtype, name) = (labels[0], labels[1]);
        let loc = resource_header(m, r);
        let block_loc = file.loc(block.span());
        let local_addr = if mode == Mode::Data {
            format!("data.{rtype}.{name}")
        } else {
            format!("{rtype}.{name}")
        };
        let names = super::ResourceNames::new(mode, &m.addr, rtype, name);
        let scope = Scope::module(m, file);
        let expansion = self
            .resource_expansion(m, &local_addr)
            .expect("declared resource");
        let mut out = Vec::with_capacity(match &*expansion {
            Expansion::Count(n) => *n,
            Expansion::ForEach(items) => items.len(),
            Expansion::Single | Expansion::Unknown(_) => 1,
        });
        let mut make = |key: Option<String>, scope: &Scope, unknown: Option<Arc<Unknown>>| {
            let mut body = self.eval_body(&block.body, scope, true);
            if mode == Mode::Data && rtype == "aws_iam_policy_document" {
                body = self.render_policy_document(body);
            }
            out.push(ResourceInstance {
                mode,
                names: names.clone(),
                key,
                body,
                loc,
                block_loc,
                call_chain: m.chain.clone(),
                existence_unknown: unknown,
                provider: block
                    .body
                    .get_attribute("provider")
                    .map(|a| a.value.to_string().trim().to_string()),
            });
        };
        match &*expansion {
            Expansion::Single => make(None, &scope, None),
            Expansion::Count(n) => {
                for i in 0..*n {
                    let s = scope.with_count(Value::number(i as f64));
                    make(Some(i.to_string()), &s, None);
                }
            }
            Expansion::ForEach(items) => {
                for (k, v) in items {
                    let s = scope.with_each(Value::string(k.clone()), v.clone());
                    make(Some(format!("{k:?}")), &s, None);
                }
            }
            Expansion::Unknown(u) => {
                let uv = Value::unknown((**u).clone());
                let s = scope
                    .with_count(uv.clone())
                    .with_each_owned(uv.clone(), uv.clone());
                make(None, &s, Some(u.clone()));
            }
        }
        // One allocation with the counts (a Vec in an Arc would be two).
        Arc::from(out)
    }

    fn render_policy_document(&self, mut body: Value) -> Value {
        let rendered = {
            let unit = self.unit.borrow();
            super::policydoc::render(&body, &|v| unit.decode_json(v).ok())
        };
        let loc = body.loc();
        let json = super::funcs::call(
            "jsonencode",
            vec![rendered.clone()],
            &super::funcs::CallCtx {
                loc: loc.unwrap_or(Location::new(FileId(0), 0..0)),
            },
        );
        if let Some(Ok(mut s)) = json {
            s.origin = body.origin.clone();
            if let Some((key, _)) = super::placeholder_text(&s) {
                self.unit.borrow_mut().add_json_doc(key, s.loc(), rendered);
            }
            if let Kind::Object(map) = &mut body.kind {
                let map = Arc::make_mut(map);
                map.insert("json".into(), s.clone());
                map.insert("minified_json".into(), s);
            }
        }
        body
    }

    /// Evaluates a block body into an object: attributes by name, nested blocks as lists of
    /// objects under their type, `dynamic` blocks expanded. `top` skips meta-arguments.
    pub fn eval_body(&self, body: &Body, scope: &Scope, top: bool) -> Value {
        let mut map: ObjMap = ObjMap::new();
        for s in body.iter() {
            if let Some(a) = s.as_attribute() {
                let k = a.key.as_str();
                if top && matches!(k, "count" | "for_each" | "depends_on" | "provider") {
                    continue;
                }
                let v = match self.eval(&a.value, scope) {
                    Ok(v) => v,
                    Err(e) => e.into_unknown(),
                };
                map.insert(k.to_string(), v);
            } else if let Some(b) = s.as_block() {
                let ident = b.ident.as_str();
                if top && matches!(ident, "lifecycle" | "provisioner" | "connection") {
                    continue;
                }
                if ident == "dynamic" {
                    self.expand_dynamic(b, scope, &mut map);
                    continue;
                }
                let v = self
                    .eval_body(&b.body, scope, false)
                    .with_origin(Origin::at(scope.file.loc(b.span())));
                push_block(&mut map, ident, v);
            }
        }
        // Kept as long as the unit: without the room for more entries.
        map.shrink_to_fit();
        Value::new(Kind::Object(map.into()), Origin::none())
    }

    fn expand_dynamic(&self, b: &Block, scope: &Scope, map: &mut ObjMap) {
        let Some(name) = b.labels.first().map(|l| l.as_str().to_string()) else {
            return;
        };
        let iter_name = b
            .body
            .get_attribute("iterator")
            .and_then(|a| a.value.as_variable().map(|v| v.as_str().to_string()))
            .unwrap_or_else(|| name.clone());
        let Some(content) = b.body.get_blocks("content").next() else {
            return;
        };
        let Some(fe) = b.body.get_attribute("for_each") else {
            return;
        };
        let coll = match self.eval(&fe.value, scope) {
            Ok(v) => v,
            Err(_) => return,
        };
        let origin = Origin::at(scope.file.loc(b.span()));
        let items: Vec<(Value, Value)> = match &coll.kind {
            Kind::List(_) | Kind::Object(_) => {
                super::expr::iteration_items(&coll).unwrap_or_default()
            }
            Kind::Null => vec![],
            _ => {
                // Unknown collection: one block of unknown content, so rules see "unknown".
                let u = coll.clone();
                let s = scope.with_var(&iter_name, iterator_obj(u.clone(), u));
                let v = self
                    .eval_body(&content.body, &s, false)
                    .with_origin(origin.clone());
                push_block(map, &name, v);
                return;
            }
        };
        for (k, v) in items.into_iter().take(limits::MAX_INSTANCES) {
            let s = scope.with_var(&iter_name, iterator_obj(k, v));
            let v = self
                .eval_body(&content.body, &s, false)
                .with_origin(origin.clone());
            push_block(map, &name, v);
        }
    }

    // ---------------------------------------------------------------- module calls

    pub fn call(&self, m: &ModuleInst, name: &str) -> Option<Rc<CallResult>> {
        let r = *m.def.modules.get(name)?;
        let loc = m.def.block(r).map(|b| m.def.spans(r).loc(b.ident.span()));
        Some(self.graph.node(
            &m.calls,
            m.node(NodeKind::Call, name),
            || m.label(&format!("module.{name}")),
            loc,
            |c| {
                let at = loc.unwrap_or(m.def.spans(r).loc(None));
                Rc::new(CallResult::Unknown(Arc::new(self.cycle_unknown(c, at))))
            },
            || Rc::new(self.call_inner(m, name, r)),
        ))
    }

    fn call_inner(&self, m: &ModuleInst, name: &str, r: ItemRef) -> CallResult {
        let block = m.def.block(r).expect("module block");
        let file = m.def.spans(r);
        let block_loc = file.loc(block.span());
        let call_addr = if m.addr.is_empty() {
            format!("module.{name}")
        } else {
            format!("{}.module.{name}", m.addr)
        };
        self.unit
            .borrow_mut()
            .module_calls
            .push((call_addr.clone(), block_loc));
        let source = block
            .body
            .get_attribute("source")
            .and_then(|a| a.value.as_str().map(str::to_string))
            .unwrap_or_default();
        let unknown = |reason: Reason| CallResult::Unknown(Arc::new(Unknown::new(reason)));
        let header = call_header(&block, file);
        let manifest_key = if m.place.key.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", m.place.key)
        };
        let local = source.starts_with("./") || source.starts_with("../");
        let dir = if local {
            let dir = m.def.dir.join(&source);
            let Some(dir) = self.loader.canonical(&dir) else {
                return unknown(Reason::Other(format!(
                    "module source `{source}` of `{call_addr}` does not exist"
                )));
            };
            dir
        } else {
            match self.installed(m, &manifest_key, &source, &block, header) {
                Ok(dir) => dir,
                Err(why) => {
                    let mut unit = self.unit.borrow_mut();
                    if !unit.remote_calls.iter().any(|c| c.addr == call_addr) {
                        unit.remote_calls.push(super::RemoteCall {
                            addr: call_addr.clone(),
                            source: source.clone(),
                            loc: header,
                            why: why.clone(),
                        });
                    }
                    drop(unit);
                    return unknown(Reason::RemoteModule {
                        call: call_addr,
                        source,
                        why,
                    });
                }
            }
        };
        if m.depth + 1 > limits::MAX_MODULE_DEPTH || m.place.stack.contains(&dir) {
            self.diag(
                block_loc,
                format!(
                    "`{call_addr}` calls `{source}`, which is already being evaluated (modules call each other in a loop) or nests deeper than {} levels; its outputs are unknown",
                    limits::MAX_MODULE_DEPTH
                ),
            );
            return unknown(Reason::Limit(format!("module recursion at `{call_addr}`")));
        }
        let Some(def) = self.def_for(&dir) else {
            return unknown(Reason::Other(format!(
                "module source `{source}` of `{call_addr}` cannot be read"
            )));
        };
        // A module reached through a registry or git call stays "installed" all the way down,
        // with the repository call it was reached through.
        let entry = m.place.entry.or((!local).then_some(header));
        let scope = Scope::module(m, file);
        let expansion = self.expand(&block.body, &scope).unwrap_or_else(|e| {
            Expansion::Unknown(Arc::new(Unknown {
                reason: Reason::Other(e.message),
                loc: Some(e.loc),
                reference: None,
            }))
        });
        let path_module = {
            let rel = crate::source::display_path(&dir, &self.root_dir);
            if rel == "." {
                ".".to_string()
            } else {
                rel
            }
        };
        let make = |key: Option<Value>, count: Option<Value>, each: Option<(Value, Value)>| {
            let addr = match &key {
                None => call_addr.clone(),
                Some(k) => match &k.kind {
                    Kind::String(s) => format!("{call_addr}[{s:?}]"),
                    _ => format!(
                        "{call_addr}[{}]",
                        k.to_tf_string().unwrap_or_else(|| "?".into())
                    ),
                },
            };
            let mut chain = m.chain.clone();
            chain.push(Hop {
                loc: block_loc,
                label: format!("in `{addr}`"),
            });
            let mut stack = m.place.stack.clone();
            stack.push(dir.clone());
            let inputs = Inputs::Call(CallSite {
                parent: m.me.clone(),
                block: r,
                call_addr: call_addr.clone(),
                count,
                each,
            });
            ModuleInst::new(
                def.clone(),
                addr,
                chain,
                m.depth + 1,
                inputs,
                Place {
                    path_module: path_module.clone(),
                    stack,
                    key: manifest_key.clone(),
                    entry,
                },
            )
        };
        // Calls fan out multiplicatively (each instance of a module calls its modules again):
        // without a budget for the whole unit, 16 levels of `for_each` are billions of instances.
        let n = match &expansion {
            Expansion::Count(n) => *n,
            Expansion::ForEach(items) => items.len(),
            Expansion::Single | Expansion::Unknown(_) => 1,
        };
        let total = self.module_instances.get() + n;
        if total > limits::MAX_MODULE_INSTANCES {
            self.diag(
                block_loc,
                format!(
                    "`{call_addr}` would bring this root module above policy-lint's limit of {} module instances; its outputs are unknown and its resources are not checked",
                    limits::MAX_MODULE_INSTANCES
                ),
            );
            return unknown(Reason::Limit(format!("module instances at `{call_addr}`")));
        }
        self.module_instances.set(total);
        let instances = match expansion {
            Expansion::Single => vec![(None, make(None, None, None))],
            Expansion::Count(n) => (0..n)
                .map(|i| {
                    let k = Value::number(i as f64);
                    (Some(k.clone()), make(Some(k.clone()), Some(k), None))
                })
                .collect(),
            Expansion::ForEach(items) => items
                .into_iter()
                .map(|(k, v)| {
                    let kv = Value::string(k);
                    (
                        Some(kv.clone()),
                        make(Some(kv.clone()), None, Some((kv, v))),
                    )
                })
                .collect(),
            Expansion::Unknown(u) => {
                let uv = Value::unknown((*u).clone());
                vec![(None, make(None, Some(uv.clone()), Some((uv.clone(), uv))))]
            }
        };
        CallResult::Local(instances)
    }

    /// The directory `terraform init` installed the registry or git module call `key` in (its
    /// block in `m` says `source`), or why it cannot be evaluated. The module is recorded in the
    /// unit, with the repository call through which it is reached.
    fn installed(
        &self,
        m: &ModuleInst,
        key: &str,
        source: &str,
        block: &Block,
        header: Location,
    ) -> Result<PathBuf, String> {
        if source.is_empty() {
            return Err("its `source` is not a literal string".into());
        }
        let version = block
            .body
            .get_attribute("version")
            .and_then(|a| a.value.as_str().map(str::to_string));
        let modules = self.modules.get_or_init(|| {
            super::manifest::load(&self.root_dir, self.opts.tf_data_dir.as_deref())
        });
        let entry = modules.resolve(key, source, version.as_deref())?;
        let (pkg_source, pkg_dir, _) = entry.package();
        let (Some(dir), Some(package)) = (
            self.loader.canonical(&entry.dir),
            self.loader.canonical(&pkg_dir),
        ) else {
            return Err(format!(
                "its directory `{}` named in `{}` cannot be read",
                entry.dir.display(),
                modules.file()
            ));
        };
        self.loader.vendor(&package);
        let v = super::Vendored {
            package,
            source: pkg_source,
            version: entry.version.clone(),
            call: m.place.entry.unwrap_or(header),
        };
        let mut unit = self.unit.borrow_mut();
        if !unit.vendored.contains(&v) {
            unit.vendored.push(v);
        }
        Ok(dir)
    }

    /// `module.NAME.OUTPUT` of one module instance.
    pub fn output(&self, child: &ModuleInst, name: &str, at: Location) -> Value {
        let Some(r) = child.def.outputs.get(name).copied() else {
            return Value::unknown(Unknown {
                reason: Reason::Other(format!("`{}` has no output `{name}`", child.addr)),
                loc: Some(at),
                reference: None,
            });
        };
        let block = child.def.block(r).expect("output block");
        let file = child.def.spans(r);
        let decl = file.loc(block.ident.span());
        self.graph.node(
            &child.outputs,
            child.node(NodeKind::Output, name),
            || child.label(&format!("output.{name}")),
            Some(decl),
            |c| self.cyclic(c, at),
            || {
                let v = match block.body.get_attribute("value") {
                    Some(a) => match self.eval(&a.value, &Scope::module(child, file)) {
                        Ok(v) => v,
                        Err(e) => e.into_bare_unknown(),
                    },
                    None => Value::null(),
                };
                v.with_hop(
                    file.loc(block.span()),
                    &format!("output `{name}` of `{}`", child.addr),
                )
            },
        )
    }

    /// All outputs of a module instance as an object (for `module.NAME` used as a value).
    pub fn outputs_object(&self, child: &ModuleInst, at: Location) -> Value {
        let names: Vec<String> = child.def.outputs.keys().cloned().collect();
        let map = names
            .into_iter()
            .map(|n| {
                let v = self.output(child, &n, at);
                (n, v)
            })
            .collect();
        Value::object(map)
    }

    // ---------------------------------------------------------------- collection

    /// Evaluates every resource, data source and module call reachable from `m` and moves the
    /// instances into the unit.
    fn collect(&self, m: &Rc<ModuleInst>) {
        let providers = m.def.cloud_providers();
        self.unit
            .borrow_mut()
            .module_providers
            .insert(m.addr.clone(), providers);
        let def = m.def.clone();
        for k in def.resources.keys() {
            // Types no rule looks at are evaluated only if a value refers to them.
            if let Some(types) = &self.opts.types {
                let rtype = k.strip_prefix("data.").unwrap_or(k);
                let rtype = rtype.split('.').next().unwrap_or(rtype);
                if !types.wants(rtype) {
                    continue;
                }
            }
            if let Some(Ok(insts)) = self.resource_group(m, k) {
                self.collected.borrow_mut().push(insts);
            }
        }
        // Outputs are evaluated too, so that errors in them surface like Terraform's would.
        let names: Vec<String> = m.def.modules.keys().cloned().collect();
        for n in names {
            if let Some(res) = self.call(m, &n) {
                if let CallResult::Local(insts) = &*res {
                    for (_, child) in insts {
                        self.collect(child);
                    }
                }
            }
        }
    }
}

impl Ev<'_> {
    /// Regions of the root module's `provider "aws"` blocks, and what its `provider "databricks"`
    /// blocks say about their cloud (`host`, and the names of the arguments they set).
    fn aws_providers(&self, root: &ModuleInst) {
        let mut out = Vec::new();
        let mut databricks = Vec::new();
        for f in root.def.files.iter() {
            for (i, b) in f.tree.blocks_where(|ident, _| ident == "provider") {
                let name = b.labels.first().map(|l| l.as_str());
                if name != Some("aws") && name != Some("databricks") {
                    continue;
                }
                let scope = Scope::module(root, f.spans(i));
                let alias = b
                    .body
                    .get_attribute("alias")
                    .and_then(|a| a.value.as_str().map(str::to_string));
                if name == Some("databricks") {
                    let host =
                        b.body
                            .get_attribute("host")
                            .map(|a| match self.eval(&a.value, &scope) {
                                Ok(v) => v,
                                Err(e) => e.into_bare_unknown(),
                            });
                    let arguments = b
                        .body
                        .attributes()
                        .map(|a| a.key.as_str().to_string())
                        .collect();
                    databricks.push(super::DatabricksProvider {
                        alias,
                        host,
                        arguments,
                    });
                    continue;
                }
                let region = match b.body.get_attribute("region") {
                    Some(a) => match self.eval(&a.value, &scope) {
                        Ok(v) => v,
                        Err(e) => e.into_bare_unknown(),
                    },
                    None => continue,
                };
                out.push((alias, region));
            }
        }
        let mut unit = self.unit.borrow_mut();
        unit.aws_regions = out;
        unit.databricks_providers = databricks;
    }
}

impl ModuleInst {
    /// A module instance with no inputs, for evaluating tfvars and CLI values (which may not
    /// refer to variables, locals, resources or modules).
    pub fn bare(def: Rc<ModuleDef>) -> Rc<ModuleInst> {
        ModuleInst::new(
            def,
            String::new(),
            vec![],
            0,
            Inputs::Values(HashMap::default()),
            Place {
                path_module: ".".into(),
                stack: vec![],
                key: String::new(),
                entry: None,
            },
        )
    }

    pub fn new(
        def: Rc<ModuleDef>,
        addr: String,
        chain: Vec<Hop>,
        depth: usize,
        inputs: Inputs,
        place: Place,
    ) -> Rc<ModuleInst> {
        Rc::new_cyclic(|me| ModuleInst {
            def,
            addr,
            chain,
            depth,
            inputs,
            place,
            me: me.clone(),
            locals: RefCell::new(HashMap::default()),
            vars: RefCell::new(HashMap::default()),
            resources: RefCell::new(HashMap::default()),
            expansions: RefCell::new(HashMap::default()),
            calls: RefCell::new(HashMap::default()),
            outputs: RefCell::new(HashMap::default()),
        })
    }

    /// The graph node `name` of kind `kind` in this instance.
    fn node(&self, kind: NodeKind, name: &str) -> NodeKey {
        NodeKey {
            inst: self as *const ModuleInst as usize,
            kind,
            name: name.to_string(),
        }
    }

    /// `what` as addressed from the root (`module.a.local.x`).
    pub(crate) fn label(&self, what: &str) -> String {
        if self.addr.is_empty() {
            what.to_string()
        } else {
            format!("{}.{what}", self.addr)
        }
    }
}

impl ModuleInst {
    /// The module instance and provider alias that provide this instance's AWS provider `alias`
    /// (None: the default provider): the call's `providers` map (`{ aws = aws.west }`,
    /// `{ "aws.x" = aws }`), else, for the default provider, the caller's default provider
    /// (implicit inheritance). None for the root module.
    pub(crate) fn caller_provider(
        &self,
        alias: Option<&str>,
    ) -> Option<(Rc<ModuleInst>, Option<String>)> {
        let Inputs::Call(site) = &self.inputs else {
            return None;
        };
        let parent = site.parent.upgrade()?;
        let block = parent.def.block(site.block)?;
        let wanted = match alias {
            None => "aws".to_string(),
            Some(a) => format!("aws.{a}"),
        };
        if let Some(p) = block.body.get_attribute("providers") {
            if let hcl_edit::expr::Expression::Object(obj) = &p.value {
                for (k, v) in obj.iter() {
                    let key = match k {
                        hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                        hcl_edit::expr::ObjectKey::Expression(e) => e
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| e.to_string().trim().to_string()),
                    };
                    if key != wanted {
                        continue;
                    }
                    let target = v.expr().to_string();
                    let target = target.trim();
                    return match target {
                        "aws" => Some((parent.clone(), None)),
                        t => t
                            .strip_prefix("aws.")
                            .map(|a| (parent.clone(), Some(a.trim().to_string()))),
                    };
                }
            }
            // A `providers` map without this provider passes nothing for it.
            return None;
        }
        alias.is_none().then(|| (parent.clone(), None))
    }
}

/// The header of a `module` block: from the keyword to the end of its label.
fn call_header(block: &Block, file: SpanFile) -> Location {
    let span = block.span().unwrap_or(0..0);
    let end = block
        .labels
        .last()
        .and_then(|l| l.span())
        .map(|l| l.end)
        .unwrap_or(span.end);
    file.loc(Some(span.start..end))
}

/// The location of a resource block's header (`resource "type" "name"`).
fn resource_header(m: &ModuleInst, r: ItemRef) -> Location {
    let block = m.def.block(r).expect("resource block");
    let file = m.def.spans(r);
    let end = block
        .labels
        .last()
        .and_then(|l| l.span())
        .map(|s| s.end)
        .unwrap_or(0);
    let start = block.ident.span().map(|s| s.start).unwrap_or(0);
    file.loc(Some(start..end.max(start)))
}

/// `var.NAME` (or a local) read at `at`. A variable without any value, or a node on a dependency
/// cycle, is reported where it is used (the expression a rule could not decide), with the place
/// it was evaluated as a hop.
fn at_reference(v: Value, at: Location, name: &str) -> Read {
    if let Kind::Unknown(u) = &v.kind {
        if matches!(u.reason, Reason::Variable { .. } | Reason::Cycle(_)) {
            let mut u2 = (**u).clone();
            let decl = u2.loc;
            u2.loc = Some(at);
            let mut out = Value::unknown(u2).at(at);
            if let Some(d) = decl {
                let what = match u.reason {
                    Reason::Cycle(_) => format!("`{name}` is evaluated here"),
                    _ => format!("variable `{name}` is declared here"),
                };
                out = out.with_hop(d, &what);
            }
            return Read {
                value: out,
                hop: None,
            };
        }
    }
    Read {
        value: v,
        hop: Some((at, format!("via `var.{name}`"))),
    }
}

/// A variable or local as a reference reads it: the node's value and the hop the reference adds
/// to it and to everything in it ([`Value::with_hop`]). A traversal (`local.m[each.key].name`)
/// reaches into the value first and adds the hop to what it reached only
/// ([`crate::value::HopPath`]), instead of copying the whole value to index it.
pub(crate) struct Read {
    pub value: Value,
    pub hop: Option<(Location, String)>,
}

fn push_block(map: &mut ObjMap, ident: &str, v: Value) {
    match map.get_mut(ident) {
        Some(Value {
            kind: Kind::List(items),
            ..
        }) => Arc::make_mut(items).push(v),
        // A nested block written once as a JSON object (Terraform's JSON syntax) next to a
        // `dynamic` block of the same type: both are blocks.
        Some(
            one @ Value {
                kind: Kind::Object(_),
                ..
            },
        ) => {
            let first = one.clone();
            *one = Value::list(vec![first, v]);
        }
        _ => {
            map.insert(ident.to_string(), Value::list(vec![v]));
        }
    }
}

fn iterator_obj(key: Value, value: Value) -> Value {
    let mut m = ObjMap::new();
    m.insert("key".to_string(), key);
    m.insert("value".to_string(), value);
    Value::object(m)
}
