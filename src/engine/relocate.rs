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
use std::path::Path;

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
        modules.dedup_by(|a, b| a.package == b.package && a.call == b.call);
        Installed { modules }
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The installed module `loc` is in, if any. A package reached through several repository
    /// calls (one directory shared by several manifest entries) is taken with the call among
    /// `chain` (the `module` blocks a finding's resource sits in), else with the first.
    fn containing(&self, path: &Path, chain: &[Location]) -> Option<&Vendored> {
        if self.modules.is_empty() {
            return None;
        }
        let mut found = self.modules.iter().filter(|m| path.starts_with(&m.package));
        let first = found.next()?;
        let same: Vec<&Vendored> = std::iter::once(first)
            .chain(found.filter(|m| m.package == first.package))
            .collect();
        if same.len() == 1 {
            return Some(first);
        }
        Some(
            same.iter()
                .find(|m| {
                    chain
                        .iter()
                        .any(|c| c.file == m.call.file && c.start == m.call.start)
                })
                .copied()
                .unwrap_or(first),
        )
    }

    /// Where a location inside an installed module is reported (the repository `module` block),
    /// and how the message names the place inside (`SOURCE@VERSION//path:line`).
    pub fn place(&self, sources: &SourceMap, loc: Location) -> Option<(Location, String)> {
        if self.modules.is_empty() {
            return None;
        }
        let m = self.containing(&sources.get(loc.file).path, &[])?;
        Some((m.call, m.describe(sources, loc)))
    }

    /// Moves every finding out of installed modules (see the module documentation).
    pub fn relocate(&self, findings: &mut [Finding], sources: &SourceMap) {
        if self.modules.is_empty() {
            return;
        }
        // Paths by file id, read once (asking the source map for each location would read the
        // texts it has let go of again).
        let files = sources.all();
        let path_of = |l: Location| files[l.file.0 as usize].path.as_path();
        for f in findings.iter_mut() {
            self.relocate_one(f, sources, &path_of);
        }
    }

    fn relocate_one<'p>(
        &self,
        f: &mut Finding,
        sources: &SourceMap,
        path_of: &dyn Fn(Location) -> &'p Path,
    ) {
        let chain: Vec<Location> = f
            .related
            .iter()
            .filter(|r| r.label.starts_with("in `module."))
            .map(|r| r.loc)
            .collect();
        let inside = |l: Location| self.containing(path_of(l), &[]).is_some();
        let mut place: Option<String> = None;
        if let Some(m) = self.containing(path_of(f.loc), &chain) {
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
            if let Some(m) = self.containing(path_of(a), &chain) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::Arc;

    #[test]
    fn findings_move_to_the_repository_call_they_came_through() {
        let sources = SourceMap::new();
        let root = sources.add(
            PathBuf::from("/r/main.tf"),
            "main.tf".into(),
            Arc::from("module \"a\" {\n}\nmodule \"b\" {\n  x = 1\n}\n"),
        );
        let inner = sources.add(
            PathBuf::from("/r/.terraform/modules/a/main.tf"),
            ".terraform/modules/a/main.tf".into(),
            Arc::from("variable \"x\" {}\nresource \"t\" \"n\" {\n  y = 2\n}\n"),
        );
        // One package reached through two calls (`module "a"` at 0, `module "b"` at 16).
        let vendored = |start: usize, end: usize| Vendored {
            package: PathBuf::from("/r/.terraform/modules/a"),
            source: "registry.terraform.io/acme/m/aws".into(),
            version: Some("1.0.0".into()),
            call: Location::new(root, start..end),
        };
        let installed = Installed::new(vec![vendored(16, 26), vendored(0, 10)]);
        let at_b = Location::new(root, 16..36);
        let written = Location::new(inner, 37..42);
        let f = Finding::new("NET002", written, "bad")
            .with_anchor(Location::new(inner, 16..34))
            .with_related(Location::new(inner, 0..8), "variable `x`")
            .with_related(at_b, "in `module.b`");
        let mut fs = vec![f.clone()];
        installed.relocate(&mut fs, &sources);
        assert_eq!(fs[0].loc, Location::new(root, 16..26));
        assert_eq!(fs[0].anchor, None);
        assert_eq!(
            fs[0].message,
            "bad (in registry.terraform.io/acme/m/aws@1.0.0//main.tf:3)"
        );
        assert_eq!(fs[0].related.len(), 1);
        assert_eq!(fs[0].related[0].loc, at_b);

        // The value was passed on by an argument in the repository: reported there.
        let arg = Location::new(root, 30..35);
        let mut fs = vec![f.with_related(arg, "passed to `module.b` as `x`")];
        installed.relocate(&mut fs, &sources);
        assert_eq!(fs[0].loc, arg);
        assert_eq!(fs[0].anchor, Some(Location::new(root, 16..26)));

        // Findings in the repository are left alone.
        let mut fs = vec![Finding::new("NET002", arg, "bad")];
        installed.relocate(&mut fs, &sources);
        assert_eq!(fs[0].loc, arg);
        assert_eq!(fs[0].message, "bad");
    }
}
