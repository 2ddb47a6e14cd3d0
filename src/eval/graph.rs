//! Terraform's graph granularity.
//!
//! Terraform plans a configuration as a graph with one node per input variable, local value,
//! output, module call expansion and resource (see `internal/terraform/graph_builder_plan.go` in
//! Terraform). The evaluator follows the same granularity: each such node of a module instance is
//! evaluated on first use and cached in a [`Slot`]. A node met again while it is being evaluated
//! closes a cycle; the cycle is reported at the definition of every node on it, as Terraform
//! reports the members of a cycle, and the node that was met gets an unknown value.
//!
//! A value computed while one of the nodes it depends on was still in progress (it saw the
//! unknown of an unfinished node) is not the node's final value: it is returned to the caller,
//! which is itself part of the cycle or depends on it, but not cached, so the node is evaluated
//! again on its next use, when the node it met may be finished.

use crate::hash::{HashMap, HashSet};
use crate::source::Location;
use std::cell::RefCell;

/// A cached node: being evaluated, or done.
pub(crate) enum Slot<T> {
    InProgress,
    Done(T),
}

/// The kinds of nodes of a module instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum NodeKind {
    Var,
    Local,
    Output,
    /// A resource's arguments (every instance).
    Resource,
    /// A resource's `count`/`for_each`.
    Expansion,
    /// A module call's `count`/`for_each` and source.
    Call,
}

/// One node: a module instance (by address of its state) and the node's name in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct NodeKey {
    pub inst: usize,
    pub kind: NodeKind,
    pub name: String,
}

struct Frame {
    key: NodeKey,
    label: String,
    loc: Option<Location>,
}

/// The nodes being evaluated (a stack, since evaluation is depth-first) and the in-progress
/// nodes met since each of them started.
#[derive(Default)]
pub(crate) struct Graph {
    stack: RefCell<Vec<Frame>>,
    hits: RefCell<Vec<NodeKey>>,
    reported: RefCell<HashSet<NodeKey>>,
}

/// A cycle closed by meeting a node in progress.
pub(crate) struct Cycle {
    /// `local.a → local.b → local.a`
    pub path: String,
    /// Definitions of the nodes on the cycle not reported before, with their labels.
    pub report: Vec<(Location, String)>,
}

impl Graph {
    /// A node starts; returns the mark to give to [`Graph::leave`].
    fn enter(&self, key: NodeKey, label: String, loc: Option<Location>) -> usize {
        self.stack.borrow_mut().push(Frame { key, label, loc });
        self.hits.borrow().len()
    }

    /// A node ends; true when its value is final (it met no other node in progress).
    fn leave(&self, key: &NodeKey, mark: usize) -> bool {
        self.stack.borrow_mut().pop();
        let mut hits = self.hits.borrow_mut();
        let mark = mark.min(hits.len());
        let rest: Vec<NodeKey> = hits.drain(mark..).filter(|k| k != key).collect();
        let fin = rest.is_empty();
        // The nodes still in progress that were met are for the callers to see.
        hits.extend(rest);
        fin
    }

    /// `key`, in progress, is met again.
    fn closes(&self, key: &NodeKey) -> Cycle {
        self.hits.borrow_mut().push(key.clone());
        let stack = self.stack.borrow();
        let pos = stack.iter().rposition(|f| &f.key == key).unwrap_or(0);
        let members = &stack[pos..];
        let mut path: Vec<&str> = members.iter().map(|f| f.label.as_str()).collect();
        if let Some(first) = members.first() {
            path.push(first.label.as_str());
        }
        let path = path.join(" → ");
        let mut reported = self.reported.borrow_mut();
        let report = members
            .iter()
            .filter_map(|f| {
                let loc = f.loc?;
                reported
                    .insert(f.key.clone())
                    .then(|| (loc, f.label.clone()))
            })
            .collect();
        Cycle { path, report }
    }

    /// The value of a node: cached, or computed by `compute` (and cached when final). A node in
    /// progress gives `cyclic(cycle)`.
    pub fn node<T: Clone>(
        &self,
        slots: &RefCell<HashMap<String, Slot<T>>>,
        key: NodeKey,
        label: impl FnOnce() -> String,
        loc: Option<Location>,
        cyclic: impl FnOnce(Cycle) -> T,
        compute: impl FnOnce() -> T,
    ) -> T {
        let state = match slots.borrow().get(&key.name) {
            Some(Slot::Done(v)) => Some(Some(v.clone())),
            Some(Slot::InProgress) => Some(None),
            None => None,
        };
        match state {
            Some(Some(v)) => return v,
            Some(None) => return cyclic(self.closes(&key)),
            None => {}
        }
        slots
            .borrow_mut()
            .insert(key.name.clone(), Slot::InProgress);
        let mark = self.enter(key.clone(), label(), loc);
        let v = compute();
        if self.leave(&key, mark) {
            slots
                .borrow_mut()
                .insert(key.name.clone(), Slot::Done(v.clone()));
        } else {
            slots.borrow_mut().remove(&key.name);
        }
        v
    }
}
