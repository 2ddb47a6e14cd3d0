//! Which `policy-lint.toml` applies where.
//!
//! Without `--config`, every directory follows the `policy-lint.toml` nearest to it: in the
//! directory itself or the closest parent, up to the repository root (the first directory with a
//! `.git`, inclusive); with none, the defaults apply, relative to the repository root. A root
//! module and the modules it calls follow the configuration of the root's directory; a standalone
//! JSON policy, syntax errors and suppression comments follow the one of their own file;
//! discovery keeps a file when the configuration of its directory includes it. With `--config`,
//! that one file applies everywhere.
//!
//! Configurations are read when discovery first meets a directory they cover, validated once
//! discovery is done ([`Configs::validate`]), and each is read once however many directories it
//! covers. The order in which paths are given never decides which configuration applies.

use crate::config::{Config, ConfigError, CONFIG_FILE};
use crate::discover::Filter;
use crate::hash::HashMap;
use crate::registry::{Registry, RegistryError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Why a run could not start: a configuration or a rules directory that does not load, or
/// anything else (a path that does not exist).
#[derive(Debug)]
pub enum SetupError {
    Config(Box<ConfigError>),
    Rules(Box<RegistryError>),
    Other(String),
}

impl From<String> for SetupError {
    fn from(s: String) -> Self {
        SetupError::Other(s)
    }
}

impl From<ConfigError> for SetupError {
    fn from(e: ConfigError) -> Self {
        SetupError::Config(Box::new(e))
    }
}

impl From<RegistryError> for SetupError {
    fn from(e: RegistryError) -> Self {
        SetupError::Rules(Box::new(e))
    }
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::Config(e) => write!(f, "{e}"),
            SetupError::Rules(e) => write!(f, "{e}"),
            SetupError::Other(s) => f.write_str(s),
        }
    }
}

/// One configuration of the run.
#[derive(Debug, Clone)]
pub struct Entry {
    pub config: Config,
    /// The directory its globs and paths are relative to: the file's directory (the repository
    /// root for the defaults).
    pub base: PathBuf,
    filter: Filter,
    /// The users' rules (codes) its `rules_dirs` load; `None` when every rule of the run's
    /// registry is its own (`--config`, or a run with a single rule set).
    own_rules: Option<BTreeSet<String>>,
}

impl Entry {
    fn new(config: Config, base: PathBuf) -> Result<Entry, String> {
        let filter = Filter::new(&config.include, &config.exclude)?;
        Ok(Entry {
            config,
            base,
            filter,
            own_rules: None,
        })
    }

    /// Whether a rule of the run's registry belongs to this configuration: built-in rules always
    /// do; users' rules when this configuration's `rules_dirs` load them.
    pub fn owns(&self, registry: &Registry, code: &str) -> bool {
        match &self.own_rules {
            None => true,
            Some(own) => registry
                .get(code)
                .map(|r| r.builtin || own.contains(&r.code))
                .unwrap_or(false),
        }
    }

    /// The path of the file, or `None` for the defaults.
    pub fn path(&self) -> Option<&Path> {
        self.config.path.as_deref()
    }
}

#[derive(Default)]
struct Inner {
    /// Directory -> its configuration's index.
    nearest: HashMap<PathBuf, usize>,
    entries: Vec<Arc<Entry>>,
    /// Config file (canonical) -> index.
    by_path: HashMap<PathBuf, usize>,
    errors: Vec<(PathBuf, SetupError)>,
    /// The built-in rules, kept to validate configurations met after [`Configs::validate`].
    builtin: Option<Registry>,
}

/// The configurations of a run.
pub struct Configs {
    /// `--config` (or a library caller's configuration): entry 0 applies everywhere.
    fixed: bool,
    /// Distinguishes this run's configurations from another's in per-thread memos.
    id: u64,
    inner: Mutex<Inner>,
}

/// A number no other [`Configs`] of the process has.
fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Index of the defaults (no `policy-lint.toml`) or of the `--config` file.
const FIRST: usize = 0;

impl Configs {
    /// One configuration for every file, already validated; paths relative to its directory.
    pub fn fixed(config: &Config, repo_root: &Path) -> Result<Configs, String> {
        let base = config
            .path
            .as_ref()
            .and_then(|p| std::fs::canonicalize(p).ok())
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or(repo_root.to_path_buf());
        let entry = Entry::new(config.clone(), base)?;
        Ok(Configs {
            fixed: true,
            id: next_id(),
            inner: Mutex::new(Inner {
                entries: vec![Arc::new(entry)],
                ..Inner::default()
            }),
        })
    }

    /// The nearest `policy-lint.toml` of each directory, up to the repository root.
    pub fn nearest(repo_root: &Path) -> Result<Configs, String> {
        let mut entry = Entry::new(Config::default(), repo_root.to_path_buf())?;
        // Users' rules belong to the configurations that load them.
        entry.own_rules = Some(BTreeSet::new());
        Ok(Configs {
            fixed: false,
            id: next_id(),
            inner: Mutex::new(Inner {
                entries: vec![Arc::new(entry)],
                ..Inner::default()
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The index of the configuration of `dir` (canonical): read on first use. A configuration
    /// that does not load is recorded (see [`Configs::take_error`]) and the defaults stand in.
    pub fn index_of(&self, dir: &Path) -> usize {
        if self.fixed {
            return FIRST;
        }
        if let Some(i) = self.lock().nearest.get(dir) {
            return *i;
        }
        // Walk up to the first configuration (or the repository root), outside the lock.
        let mut visited = Vec::new();
        let mut found: Option<PathBuf> = None;
        let mut known: Option<usize> = None;
        let mut cur = Some(dir);
        while let Some(d) = cur {
            if let Some(i) = self.lock().nearest.get(d) {
                known = Some(*i);
                break;
            }
            visited.push(d.to_path_buf());
            let candidate = d.join(CONFIG_FILE);
            if candidate.is_file() {
                found = Some(std::fs::canonicalize(&candidate).unwrap_or(candidate));
                break;
            }
            if d.join(".git").exists() {
                break;
            }
            cur = d.parent();
        }
        let index = match (known, found) {
            (Some(i), _) => i,
            (None, None) => FIRST,
            (None, Some(path)) => self.load(&path),
        };
        let mut inner = self.lock();
        for d in visited {
            inner.nearest.insert(d, index);
        }
        index
    }

    /// Reads the configuration at `path` (canonical) once; validated at once when the run's
    /// configurations already are.
    fn load(&self, path: &Path) -> usize {
        if let Some(i) = self.lock().by_path.get(path) {
            return *i;
        }
        let builtin = self.lock().builtin.clone();
        let loaded = Config::load(path).map_err(SetupError::from).and_then(|c| {
            let base = path.parent().unwrap_or(path).to_path_buf();
            let mut e = Entry::new(c, base)
                .map_err(|m| SetupError::Other(format!("{}: {m}", path.display())))?;
            if let Some(b) = &builtin {
                validate_entry(&mut e, b)?;
            }
            Ok(e)
        });
        let mut inner = self.lock();
        if let Some(i) = inner.by_path.get(path) {
            return *i;
        }
        match loaded {
            Ok(e) => {
                let i = inner.entries.len();
                inner.entries.push(Arc::new(e));
                inner.by_path.insert(path.to_path_buf(), i);
                i
            }
            Err(e) => {
                inner.errors.push((path.to_path_buf(), e));
                inner.by_path.insert(path.to_path_buf(), FIRST);
                FIRST
            }
        }
    }

    /// Discovery's filter: whether the configuration of the file's directory includes it.
    pub fn accepts(&self, path: &Path) -> bool {
        let Some(dir) = path.parent() else {
            return true;
        };
        let e = self.entry_of_dir(dir);
        e.filter.is_everything()
            || e.filter
                .accepts(&crate::source::display_path(path, &e.base))
    }

    /// The configuration of `dir`, for [`Configs::accepts`]: remembered per thread for the last
    /// directory asked about, as discovery asks for each file and a directory's files come
    /// together (no lock, no hashing of the path). Only the entry's filter and base are read,
    /// which never change ([`Configs::validate`] replaces an entry to set its own rules).
    fn entry_of_dir(&self, dir: &Path) -> Arc<Entry> {
        type Last = Option<(u64, PathBuf, Arc<Entry>)>;
        thread_local! {
            static LAST: std::cell::RefCell<Last> = const { std::cell::RefCell::new(None) };
        }
        LAST.with(|last| {
            if let Some((id, d, e)) = &*last.borrow() {
                if *id == self.id && d.as_os_str() == dir.as_os_str() {
                    return e.clone();
                }
            }
            let e = self.entry(self.index_of(dir));
            *last.borrow_mut() = Some((self.id, dir.to_path_buf(), e.clone()));
            e
        })
    }

    pub fn entry(&self, i: usize) -> Arc<Entry> {
        self.lock().entries[i].clone()
    }

    /// Every configuration read so far, by index.
    pub fn entries(&self) -> Vec<Arc<Entry>> {
        self.lock().entries.clone()
    }

    /// The first configuration that did not load (by path, so the order of discovery does not
    /// decide which one is reported).
    pub fn take_error(&self) -> Option<SetupError> {
        let mut inner = self.lock();
        inner.errors.sort_by(|a, b| a.0.cmp(&b.0));
        if inner.errors.is_empty() {
            None
        } else {
            Some(inner.errors.remove(0).1)
        }
    }

    /// Validates every configuration read so far against the built-in rules and the rules of
    /// its own `rules_dirs`, and returns the run's registry: the built-in rules and the rules of
    /// every configuration's `rules_dirs`, each directory read once. A rule belongs only to the
    /// configurations whose `rules_dirs` load it. Does nothing with `--config` (validated by the
    /// caller), returning `builtin`.
    pub fn validate(&self, builtin: Registry) -> Result<Registry, SetupError> {
        if let Some(e) = self.take_error() {
            return Err(e);
        }
        if self.fixed {
            return Ok(builtin);
        }
        let mut inner = self.lock();
        // Validated in path order, so the error reported does not depend on discovery.
        let mut order: Vec<(PathBuf, usize)> =
            inner.by_path.iter().map(|(p, i)| (p.clone(), *i)).collect();
        order.sort();
        let mut dirs: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
        for (_, i) in &order {
            let mut e = (*inner.entries[*i]).clone();
            validate_entry(&mut e, &builtin)?;
            for d in &e.config.rules_dirs {
                let c = std::fs::canonicalize(d).unwrap_or(d.clone());
                dirs.entry(c).or_insert(d.clone());
            }
            inner.entries[*i] = Arc::new(e);
        }
        let mut registry = builtin.clone();
        for d in dirs.values() {
            registry.load_dir(d)?;
        }
        // The run's documentation page (SARIF, rule listings): the configurations' `docs_url`
        // when they agree; each finding follows its own configuration's.
        let bases: std::collections::BTreeSet<&str> = inner
            .entries
            .iter()
            .filter_map(|e| e.config.docs_url.as_deref())
            .collect();
        if bases.len() == 1 {
            registry.docs_base = bases.into_iter().next().map(str::to_string);
        }
        inner.builtin = Some(builtin);
        Ok(registry)
    }
}

/// Validates a configuration against the built-in rules and its own `rules_dirs`, rewrites rule
/// names to codes, and records which users' rules are its own.
fn validate_entry(e: &mut Entry, builtin: &Registry) -> Result<(), SetupError> {
    let mut reg = builtin.clone();
    for d in &e.config.rules_dirs {
        reg.load_dir(d)?;
    }
    e.config.validate(&reg)?;
    e.config.canonicalize(&reg);
    e.own_rules = Some(
        reg.rules
            .iter()
            .filter(|r| !r.builtin)
            .map(|r| r.code.clone())
            .collect(),
    );
    Ok(())
}

/// The directory of the repository that holds `paths`: the git top level of each (or its
/// directory when there is none); when they differ, the deepest directory that holds them all.
/// The order of the paths does not change it.
pub fn repo_root_of(paths: &[PathBuf]) -> PathBuf {
    let mut roots: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            let c = std::fs::canonicalize(p).unwrap_or(p.clone());
            let dir = if c.is_dir() {
                c
            } else {
                c.parent().map(Path::to_path_buf).unwrap_or(c)
            };
            super::git_root(&dir).unwrap_or(dir)
        })
        .collect();
    roots.sort();
    roots.dedup();
    let mut common = roots.first().cloned().unwrap_or_default();
    for r in &roots[1..] {
        while !r.starts_with(&common) {
            match common.parent() {
                Some(p) => common = p.to_path_buf(),
                None => break,
            }
        }
    }
    common
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_root_does_not_depend_on_the_order_of_paths() {
        let d = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(d.path()).unwrap();
        std::fs::create_dir_all(root.join("a/x")).unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        let (a, b) = (root.join("a/x"), root.join("b"));
        assert_eq!(repo_root_of(&[a.clone(), b.clone()]), root);
        assert_eq!(repo_root_of(&[b.clone(), a.clone()]), root);
        assert_eq!(repo_root_of(std::slice::from_ref(&a)), a);
        std::fs::create_dir(root.join(".git")).unwrap();
        assert_eq!(repo_root_of(&[a]), root);
    }

    #[test]
    fn nearest_configuration_up_to_the_repository_root() {
        let d = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(d.path()).unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("a/envs/prod")).unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join("a/policy-lint.toml"), "exclude = [\"skip/**\"]\n").unwrap();
        let configs = Configs::nearest(&root).unwrap();
        let ia = configs.index_of(&root.join("a/envs/prod"));
        assert_eq!(ia, configs.index_of(&root.join("a")));
        assert_eq!(configs.index_of(&root.join("b")), FIRST);
        assert_eq!(configs.entry(ia).base, root.join("a"));
        assert!(!configs.accepts(&root.join("a/skip/main.tf")));
        assert!(configs.accepts(&root.join("b/skip/main.tf")));
        // Read once.
        assert_eq!(configs.entries().len(), 2);
        // A configuration that does not load is reported, naming it.
        std::fs::write(root.join("b/policy-lint.toml"), "stirct = true\n").unwrap();
        let configs = Configs::nearest(&root).unwrap();
        configs.index_of(&root.join("b"));
        let e = configs.validate(Registry::default()).unwrap_err();
        assert!(e.to_string().contains("b/policy-lint.toml"), "{e}");
    }
}
