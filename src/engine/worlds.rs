//! Deciding for every possible value of an input that has none.
//!
//! A root variable without a value is unknown, and a rule that needs it reports EVAL001. Some such
//! variables can only take a few values: `type = bool`, or a `validation` whose condition is
//! `contains([...], var.NAME)` over literals (the evaluator lists them in
//! [`Unit::finite_inputs`](crate::eval::Unit::finite_inputs)). When an EVAL001 of a root
//! names one, the root is evaluated once per combination of their values (at most
//! [`MAX_WORLDS`]): a finding every combination gives is reported (it holds whatever the value),
//! nothing is reported where no combination gives one, and a finding only some combinations give
//! is an EVAL001 that names the values that fail. A conditional on such a variable whose branches
//! all pass is therefore decided too.
//!
//! A conditional expression whose condition is unknown otherwise (`var.name == "prod" ? a : b`)
//! is an input of two values, its branches: evaluated once with each, what both branches give is
//! reported, what neither gives is quiet, and a finding of one branch only is an EVAL001 naming
//! the condition and the branch that fails.

use crate::eval::{choice_branches, choice_text};
use crate::finding::Finding;
use crate::source::Location;
use crate::value::{Value, CONDITION_UNKNOWN};

/// The most combinations a root is evaluated in.
pub const MAX_WORLDS: usize = 16;

/// The findings of a root, decided over the possible values of its finite inputs. `base` are the
/// findings of the evaluation without them; `run` evaluates and checks the root with the given
/// variables bound.
pub fn decide(
    base: Vec<Finding>,
    finite: &[(String, Vec<Value>)],
    run: &dyn Fn(Vec<(String, Value)>) -> Vec<Finding>,
) -> Vec<Finding> {
    // The finite inputs some EVAL001 is about: variables first, then conditionals with an
    // unknown condition, as many as the limit allows (each one doubles the evaluations).
    let about_choice = base
        .iter()
        .any(|f| f.code == "EVAL001" && f.message.contains(CONDITION_UNKNOWN));
    let mut relevant: Vec<&(String, Vec<Value>)> = finite
        .iter()
        .filter(|(name, _)| {
            choice_text(name).is_none() && {
                let needle = format!("`var.{name}`");
                base.iter()
                    .any(|f| f.code == "EVAL001" && f.message.contains(&needle))
            }
        })
        .collect();
    let mut count = relevant
        .iter()
        .try_fold(1usize, |n, (_, d)| n.checked_mul(d.len()))
        .unwrap_or(usize::MAX);
    if count > MAX_WORLDS || count == 0 {
        return base;
    }
    if about_choice {
        for c in finite
            .iter()
            .filter(|(name, _)| choice_text(name).is_some())
        {
            match count.checked_mul(c.1.len()) {
                Some(n) if n <= MAX_WORLDS && n > 0 => {
                    count = n;
                    relevant.push(c);
                }
                _ => break,
            }
        }
    }
    if relevant.is_empty() {
        return base;
    }
    // Every combination, in order.
    let mut worlds: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (name, domain) in &relevant {
        worlds = worlds
            .into_iter()
            .flat_map(|w| {
                domain.iter().map(move |v| {
                    let mut w = w.clone();
                    w.push((name.clone(), v.clone()));
                    w
                })
            })
            .collect();
    }
    let results: Vec<Vec<Finding>> = worlds.iter().map(|w| run(w.clone())).collect();
    combine(&worlds, results)
}

/// Identity of a finding across evaluations ([`Key`]). A finding at one branch of a conditional bound to
/// a branch (`branches`) stands at the other branch too, so that the finding of one branch and
/// the same finding of the other are one.
fn key(f: &Finding, branches: &[[Location; 2]]) -> Key {
    let msg = if f.code == "EVAL001" {
        f.message.clone()
    } else {
        String::new()
    };
    let loc = branches
        .iter()
        .find(|[_, other]| *other == f.loc)
        .map(|[first, _]| *first)
        .unwrap_or(f.loc);
    (f.code.clone(), loc, f.address.clone(), msg)
}

/// A finding's identity across evaluations: code, location, resource instance (instances of a
/// `for_each` share their locations) and, for EVAL001, the message.
type Key = (String, Location, Option<String>, String);

/// How an input is named in messages: `var.NAME`, or the condition of a conditional.
fn input_name(name: &str) -> String {
    match choice_text(name) {
        Some(text) => format!("the condition `{text}`"),
        None => format!("`var.{name}`"),
    }
}

fn describe(world: &[(String, Value)]) -> String {
    world
        .iter()
        .map(|(n, v)| {
            let shown = match v.as_str() {
                Some(s) => format!("{s:?}"),
                None => v.to_tf_string().unwrap_or_else(|| "?".into()),
            };
            match choice_text(n) {
                Some(text) => format!("`{text}` is {shown}"),
                None => format!("`var.{n}` = {shown}"),
            }
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The variables (indices into each world) the failing set depends on: those for which some
/// failing world, with only that variable changed, does not fail.
fn deciding(worlds: &[Vec<(String, Value)>], failing: &[usize]) -> Vec<usize> {
    let nvars = worlds.first().map(Vec::len).unwrap_or(0);
    (0..nvars)
        .filter(|&j| {
            failing.iter().any(|&w| {
                worlds.iter().enumerate().any(|(o, other)| {
                    !failing.contains(&o)
                        && (0..nvars).all(|k| k == j || other[k].1 == worlds[w][k].1)
                })
            })
        })
        .collect()
}

fn combine(worlds: &[Vec<(String, Value)>], results: Vec<Vec<Finding>>) -> Vec<Finding> {
    let mut order: Vec<Key> = Vec::new();
    let mut found: crate::hash::HashMap<Key, Vec<(usize, Finding)>> =
        crate::hash::HashMap::default();
    let branches: Vec<[Location; 2]> = worlds
        .first()
        .map(|w| w.iter().filter_map(|(n, _)| choice_branches(n)).collect())
        .unwrap_or_default();
    for (i, fs) in results.into_iter().enumerate() {
        for f in fs {
            let k = key(&f, &branches);
            let e = found.entry(k.clone()).or_default();
            if e.is_empty() {
                order.push(k);
            }
            if !e.iter().any(|(w, _)| *w == i) {
                e.push((i, f));
            }
        }
    }
    let mut out = Vec::new();
    for k in order {
        let hits = found.remove(&k).unwrap_or_default();
        let Some((_, first)) = hits.first().cloned() else {
            continue;
        };
        if hits.len() == worlds.len() {
            // Whatever the value: the finding holds.
            out.push(first);
            continue;
        }
        if first.code == "EVAL001" {
            // Undecided in some combinations only: still undecided.
            out.push(first);
            continue;
        }
        let failing: Vec<usize> = hits.iter().map(|(w, _)| *w).collect();
        let vars = deciding(worlds, &failing);
        let project = |w: usize| -> Vec<(String, Value)> {
            vars.iter().map(|&j| worlds[w][j].clone()).collect()
        };
        let mut cases: Vec<String> = failing.iter().map(|&w| describe(&project(w))).collect();
        cases.dedup();
        let names: Vec<String> = vars.iter().map(|&j| input_name(&worlds[0][j].0)).collect();
        let mut f = Finding::new(
            "EVAL001",
            first.loc,
            format!(
                "cannot be decided: it depends on {}, which {} not known; it fails when {} ({})",
                names.join(" and "),
                if names.len() == 1 { "is" } else { "are" },
                cases.join(", or when "),
                first.message
            ),
        )
        .blocking(std::slice::from_ref(&first.code))
        .with_help(if vars.iter().any(|&j| choice_text(&worlds[0][j].0).is_some()) {
            "give the inputs of the condition their values (tfvars, --var, --var-file, TF_VAR_, --plan): policy-lint reports neither a pass nor a failure until then"
        } else {
            "give the variable its value (tfvars, --var, --var-file, TF_VAR_, --plan): policy-lint reports neither a pass nor a failure until then"
        });
        f.anchor = first.anchor;
        f.related = first.related.clone();
        f.address = first.address.clone();
        f.attr_path = first.attr_path.clone();
        out.push(f);
    }
    out
}
