//! Findings inside modules that `terraform init` installed (`.terraform/modules/...`) are moved
//! to the repository: nobody edits an installed module, and SARIF never points into one.
//!
//! A finding whose location is inside an installed module is reported at the argument of a
//! repository `module` block that supplied the value, when the value travelled through one,
//! else at the header of the repository `module` block through which the module is reached.
//! The message names the place inside the module as `SOURCE@VERSION//path:line`. An anchor
//! inside an installed module moves to that `module` block too, and related locations inside
//! installed modules are dropped. Suppression comments at the `module` block then apply like
//! anywhere else.

use crate::eval::Vendored;
use crate::finding::Finding;
use crate::source::{Location, SourceMap};

/// The installed modules of a run, to look locations up in.
pub struct Installed {
    modules: Vec<Vendored>,
}

impl Installed {
    /// The installed modules the units evaluated (in any order; duplicates are ignored).
    pub fn new(mut modules: Vec<Vendored>) -> Installed {
        // Longest package first: the innermost package containing a file wins.
        modules.sort_by(|a, b| {
            b.package
                .as_os_str()
                .len()
                .cmp(&a.package.as_os_str().len())
                .then_with(|| a.package.cmp(&b.package))
                .then_with(|| a.call.cmp(&b.call))
        });
        modules.dedup_by(|a, b| a.package == b.package);
        Installed { modules }
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The installed module `loc` is in, if any.
    pub fn containing(&self, sources: &SourceMap, loc: Location) -> Option<&Vendored> {
        if self.modules.is_empty() {
            return None;
        }
        let f = sources.get(loc.file);
        self.modules.iter().find(|m| f.path.starts_with(&m.package))
    }

    /// Where a location inside an installed module is reported (the repository `module` block),
    /// and how the message names the place inside (`SOURCE@VERSION//path:line`).
    pub fn place(&self, sources: &SourceMap, loc: Location) -> Option<(Location, String)> {
        let m = self.containing(sources, loc)?;
        Some((m.call, m.describe(sources, loc)))
    }

    /// Moves every finding out of installed modules (see the module documentation).
    pub fn relocate(&self, findings: &mut [Finding], sources: &SourceMap) {
        if self.modules.is_empty() {
            return;
        }
        for f in findings.iter_mut() {
            self.relocate_one(f, sources);
        }
    }

    fn relocate_one(&self, f: &mut Finding, sources: &SourceMap) {
        let inside = |l: Location| self.containing(sources, l).is_some();
        let mut place: Option<String> = None;
        if let Some(m) = self.containing(sources, f.loc) {
            place = Some(m.describe(sources, f.loc));
            // The argument of a repository `module` block that passed the value on, nearest to
            // where it was used; else the block through which the module is reached.
            let argument = f
                .related
                .iter()
                .rev()
                .find(|r| r.label.starts_with("passed to `module.") && !inside(r.loc))
                .map(|r| r.loc);
            f.loc = argument.unwrap_or(m.call);
        }
        if let Some(a) = f.anchor {
            if let Some(m) = self.containing(sources, a) {
                if place.is_none() {
                    place = Some(m.describe(sources, a));
                }
                f.anchor = (m.call != f.loc).then_some(m.call);
            }
        }
        f.related.retain(|r| !inside(r.loc) && r.loc != f.loc);
        if let Some(p) = place {
            f.message = format!("{} (in {p})", f.message);
        }
    }
}
