//! The modules manifest that `terraform init` writes (`.terraform/modules/modules.json`, or
//! `$TF_DATA_DIR/modules/modules.json`): where each registry or git module call was installed.
//!
//! A call whose key (`vpc`, `a.b` for `module.a.module.b`) is in the manifest, with the source the
//! block names and a version that meets the block's `version` constraint, is evaluated from its
//! `Dir` like a local module. Anything else (no `terraform init`, a stale or malformed manifest)
//! leaves the call unevaluated, with a reason that says which.

use crate::hash::HashMap;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Largest manifest read (a real one is a few KiB per module call).
const MAX_MANIFEST: u64 = 16 * 1024 * 1024;

/// One installed module call.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// `vpc`, `a.b`
    pub key: String,
    /// The normalised source `terraform init` installed (`registry.terraform.io/ns/name/provider`).
    pub source: String,
    /// The registry version installed; None for git and other sources.
    pub version: Option<String>,
    /// The module directory (the manifest's `Dir`, resolved against the root module directory).
    pub dir: PathBuf,
}

impl Entry {
    /// The package the module was installed from: the source without its `//subdir`, the
    /// directory of the package, and the subdirectory (empty when the module is the package).
    pub fn package(&self) -> (String, PathBuf, String) {
        let (pkg, sub) = split_subdir(&self.source);
        let sub = sub.trim_matches('/').to_string();
        let mut dir = self.dir.clone();
        if !sub.is_empty() && self.dir.ends_with(&sub) {
            for _ in Path::new(&sub).components() {
                dir.pop();
            }
        }
        (pkg, dir, sub)
    }
}

/// What `terraform init` left for a root module.
#[derive(Debug, Clone)]
pub enum Modules {
    /// No manifest: `terraform init` has not run (or installed no module).
    NotInstalled { file: String },
    /// The manifest could not be read or is not a modules manifest.
    Invalid { file: String, error: String },
    Read {
        file: String,
        /// The directory the manifest is in (`.terraform/modules`): installed modules are read
        /// only below it.
        dir: PathBuf,
        entries: HashMap<String, Entry>,
    },
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(rename = "Modules")]
    modules: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Source", default)]
    source: String,
    #[serde(rename = "Version", default)]
    version: Option<String>,
    #[serde(rename = "Dir")]
    dir: String,
}

/// Terraform's data directory for a root module: `TF_DATA_DIR` (relative to the root module
/// directory, as Terraform resolves it when run there), else `.terraform`.
pub fn data_dir(root: &Path, tf_data_dir: Option<&Path>) -> PathBuf {
    match tf_data_dir {
        Some(d) if !d.as_os_str().is_empty() => root.join(d),
        _ => root.join(".terraform"),
    }
}

/// Reads the modules manifest of the root module in `root`. Never fails: a missing or bad
/// manifest is a state of its own.
pub fn load(root: &Path, tf_data_dir: Option<&Path>) -> Modules {
    let path = data_dir(root, tf_data_dir)
        .join("modules")
        .join("modules.json");
    let file = match path.strip_prefix(root) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => path.to_string_lossy().into_owned(),
    };
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Modules::NotInstalled { file }
        }
        Err(e) => {
            return Modules::Invalid {
                file,
                error: e.to_string(),
            }
        }
    };
    if !meta.is_file() {
        return Modules::Invalid {
            file,
            error: "not a regular file".into(),
        };
    }
    if meta.len() > MAX_MANIFEST {
        return Modules::Invalid {
            file,
            error: format!("larger than {} MiB", MAX_MANIFEST / 1024 / 1024),
        };
    }
    let text = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            return Modules::Invalid {
                file,
                error: e.to_string(),
            }
        }
    };
    match parse(&text, root) {
        Ok(entries) => Modules::Read {
            file,
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            entries,
        },
        Err(error) => Modules::Invalid { file, error },
    }
}

/// The entries of a manifest text, by key; `Dir`s resolved against `root`.
pub fn parse(text: &[u8], root: &Path) -> Result<HashMap<String, Entry>, String> {
    let raw: RawManifest = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    let mut out = HashMap::default();
    for e in raw.modules {
        // The root module's own entry (key "") is not a call.
        if e.key.is_empty() {
            continue;
        }
        // Terraform writes native separators; a manifest from Windows still resolves here.
        let dir = root.join(e.dir.replace('\\', "/"));
        out.entry(e.key.clone()).or_insert(Entry {
            key: e.key,
            source: e.source,
            version: e.version.filter(|v| !v.is_empty()),
            dir,
        });
    }
    Ok(out)
}

impl Modules {
    /// The manifest file, as shown in messages (relative to the root module when inside it).
    pub fn file(&self) -> &str {
        match self {
            Modules::NotInstalled { file }
            | Modules::Invalid { file, .. }
            | Modules::Read { file, .. } => file,
        }
    }

    /// The directory the manifest is in, when it was read.
    fn dir(&self) -> Option<&Path> {
        match self {
            Modules::Read { dir, .. } => Some(dir),
            _ => None,
        }
    }

    /// The installed module for the call `key` whose block says `source` (and `version`, when a
    /// literal), or why it cannot be used.
    pub fn resolve(
        &self,
        key: &str,
        source: &str,
        version: Option<&str>,
    ) -> Result<&Entry, String> {
        let entries = match self {
            Modules::NotInstalled { file } => {
                return Err(format!(
                    "`terraform init` has not installed it (there is no `{file}`); policy-lint evaluates registry and git modules after `terraform init`"
                ))
            }
            Modules::Invalid { file, error } => {
                return Err(format!(
                    "`{file}` cannot be read as a modules manifest ({error}); run `terraform init` again"
                ))
            }
            Modules::Read { entries, .. } => entries,
        };
        let file = self.file();
        let Some(e) = entries.get(key) else {
            return Err(format!(
                "`{file}` has no entry for it: `terraform init` has not installed it since the call was added; run `terraform init`"
            ));
        };
        if !same_source(&e.source, source) {
            return Err(format!(
                "`{file}` records source `{}` for it, not `{source}`: the manifest is stale; run `terraform init`",
                e.source
            ));
        }
        if let (Some(installed), Some(wanted)) = (e.version.as_deref(), version) {
            if version_meets(installed, wanted) == Some(false) {
                return Err(format!(
                    "`{file}` records version {installed}, which does not meet the block's `version = \"{wanted}\"`: the manifest is stale; run `terraform init`"
                ));
            }
        }
        if !e.dir.is_dir() {
            return Err(format!(
                "its directory `{}` named in `{file}` does not exist; run `terraform init` again",
                e.dir.display()
            ));
        }
        // `terraform init` installs below the manifest's directory; a manifest naming any other
        // directory (`/`, `../..`) would make policy-lint read files it was not asked to.
        let (_, package, _) = e.package();
        let inside = match (
            std::fs::canonicalize(&package),
            self.dir().and_then(|d| std::fs::canonicalize(d).ok()),
        ) {
            (Ok(p), Some(base)) => p.starts_with(&base) && p != base,
            _ => false,
        };
        if !inside {
            return Err(format!(
                "its directory `{}` named in `{file}` is not below `{}`, where `terraform init` installs modules; policy-lint does not read it",
                e.dir.display(),
                Path::new(file).parent().unwrap_or(Path::new("")).display()
            ));
        }
        Ok(e)
    }
}

/// `source` split at its `//subdir` (after any `scheme://`, before any `?query`).
fn split_subdir(source: &str) -> (String, &str) {
    let (body, query) = match source.find('?') {
        Some(q) => (&source[..q], &source[q..]),
        None => (source, ""),
    };
    let from = body.find("://").map(|p| p + 3).unwrap_or(0);
    match body[from..].find("//") {
        Some(p) => {
            let at = from + p;
            (format!("{}{query}", &body[..at]), &body[at + 2..])
        }
        None => (source.to_string(), ""),
    }
}

/// The source as `terraform init` records it: registry shorthands gain their host
/// (`ns/name/provider` → `registry.terraform.io/ns/name/provider`), GitHub shorthands become git
/// URLs, like Terraform's own normalisation of module source addresses.
pub fn normalize_source(source: &str) -> String {
    let (pkg, sub) = split_subdir(source);
    let (base, query) = match pkg.find('?') {
        Some(q) => (&pkg[..q], &pkg[q..]),
        None => (pkg.as_str(), ""),
    };
    let sub = if sub.is_empty() {
        String::new()
    } else {
        format!("//{sub}")
    };
    let is_label = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let parts: Vec<&str> = base.split('/').collect();
    if !base.contains(':') {
        if query.is_empty() && parts.len() == 3 && parts.iter().all(|p| is_label(p)) {
            return format!("registry.terraform.io/{}{sub}", base.to_ascii_lowercase());
        }
        if query.is_empty()
            && parts.len() == 4
            && parts[0].contains('.')
            && parts[0] != "github.com"
            && parts[0] != "bitbucket.org"
            && parts[1..].iter().all(|p| is_label(p))
        {
            return format!("{}{sub}", base.to_ascii_lowercase());
        }
        if parts.len() >= 3 && parts[0] == "github.com" {
            let path = base.trim_end_matches(".git");
            return format!("git::https://{path}.git{sub}{query}");
        }
    }
    if let Some(rest) = base.strip_prefix("git@") {
        // git@github.com:org/repo.git → git::ssh://git@github.com/org/repo.git
        if let Some((host, path)) = rest.split_once(':') {
            return format!("git::ssh://git@{host}/{path}{sub}{query}");
        }
    }
    format!("{base}{sub}{query}")
}

/// Whether the manifest's source and the block's source name the same module.
fn same_source(recorded: &str, written: &str) -> bool {
    recorded == written
        || normalize_source(recorded).eq_ignore_ascii_case(&normalize_source(written))
}

/// A version: numeric segments and an optional pre-release tag.
#[derive(Debug, Clone, PartialEq)]
struct Version {
    segments: Vec<u64>,
    pre: Option<String>,
}

fn parse_version(s: &str) -> Option<Version> {
    let s = s.trim().trim_start_matches('v');
    let s = s.split('+').next()?;
    let (core, pre) = match s.split_once('-') {
        Some((c, p)) => (c, Some(p.to_string())),
        None => (s, None),
    };
    let segments: Option<Vec<u64>> = core.split('.').map(|p| p.parse().ok()).collect();
    let segments = segments?;
    if segments.is_empty() || segments.len() > 3 {
        return None;
    }
    Some(Version { segments, pre })
}

fn cmp_versions(a: &Version, b: &Version) -> std::cmp::Ordering {
    let n = a.segments.len().max(b.segments.len()).max(3);
    for i in 0..n {
        let (x, y) = (
            a.segments.get(i).copied().unwrap_or(0),
            b.segments.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x.cmp(&y);
        }
    }
    match (&a.pre, &b.pre) {
        (None, None) => std::cmp::Ordering::Equal,
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    }
}

/// Whether `version` meets the constraint string (`"5.0.0"`, `"~> 5.1"`, `">= 4, < 6"`), with
/// the semantics of Terraform's module version constraints: `~>` lets only the rightmost given
/// segment grow, and a pre-release meets only constraints naming that pre-release's version.
/// None when either cannot be parsed (then the manifest is not called stale).
pub fn version_meets(version: &str, constraints: &str) -> Option<bool> {
    let v = parse_version(version)?;
    let mut ok = true;
    for c in constraints.split(',') {
        let c = c.trim();
        if c.is_empty() {
            return None;
        }
        let (op, rest) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| c.strip_prefix(op).map(|r| (*op, r)))
            .unwrap_or(("=", c));
        let want = parse_version(rest)?;
        if v.pre.is_some()
            && (want.pre.is_none() || {
                let core = |x: &Version| {
                    let mut s = x.segments.clone();
                    s.resize(3, 0);
                    s
                };
                core(&v) != core(&want)
            })
        {
            ok = false;
            continue;
        }
        use std::cmp::Ordering::*;
        let ord = cmp_versions(&v, &want);
        let this = match op {
            "=" => ord == Equal,
            "!=" => ord != Equal,
            ">" => ord == Greater,
            ">=" => ord != Less,
            "<" => ord == Less,
            "<=" => ord != Greater,
            _ => {
                // ~>: at least `want`, and equal in every given segment but the last.
                let n = want.segments.len();
                ord != Less
                    && (0..n.saturating_sub(1))
                        .all(|i| v.segments.get(i).copied().unwrap_or(0) == want.segments[i])
            }
        };
        ok &= this;
    }
    Some(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_normalise_like_terraform_records_them() {
        assert_eq!(
            normalize_source("terraform-aws-modules/vpc/aws"),
            "registry.terraform.io/terraform-aws-modules/vpc/aws"
        );
        assert_eq!(
            normalize_source("terraform-aws-modules/iam/aws//modules/iam-role"),
            "registry.terraform.io/terraform-aws-modules/iam/aws//modules/iam-role"
        );
        assert_eq!(
            normalize_source("app.terraform.io/acme/kms/aws"),
            "app.terraform.io/acme/kms/aws"
        );
        assert_eq!(
            normalize_source("github.com/acme/tf-kms?ref=v1.2.0"),
            "git::https://github.com/acme/tf-kms.git?ref=v1.2.0"
        );
        assert_eq!(
            normalize_source("git@github.com:acme/tf-kms.git"),
            "git::ssh://git@github.com/acme/tf-kms.git"
        );
        assert_eq!(
            normalize_source("git::https://example.com/kms.git//sub?ref=v1"),
            "git::https://example.com/kms.git//sub?ref=v1"
        );
        assert!(same_source(
            "registry.terraform.io/acme/kms/aws",
            "acme/kms/aws"
        ));
        assert!(!same_source(
            "registry.terraform.io/acme/kms/aws",
            "acme/kms2/aws"
        ));
    }

    #[test]
    fn packages_split_their_subdirectory() {
        let e = Entry {
            key: "role".into(),
            source: "registry.terraform.io/acme/iam/aws//modules/role".into(),
            version: Some("1.0.0".into()),
            dir: PathBuf::from("/r/.terraform/modules/role/modules/role"),
        };
        assert_eq!(
            e.package(),
            (
                "registry.terraform.io/acme/iam/aws".to_string(),
                PathBuf::from("/r/.terraform/modules/role"),
                "modules/role".to_string()
            )
        );
        let g = Entry {
            key: "g".into(),
            source: "git::https://example.com/kms.git//sub?ref=v1".into(),
            version: None,
            dir: PathBuf::from("/r/.terraform/modules/g/sub"),
        };
        assert_eq!(g.package().0, "git::https://example.com/kms.git?ref=v1");
        assert_eq!(g.package().1, PathBuf::from("/r/.terraform/modules/g"));
    }

    #[test]
    fn version_constraints() {
        let yes = |v: &str, c: &str| assert_eq!(version_meets(v, c), Some(true), "{v} {c}");
        let no = |v: &str, c: &str| assert_eq!(version_meets(v, c), Some(false), "{v} {c}");
        yes("5.0.0", "5.0.0");
        yes("5.0.0", "= 5.0.0");
        no("5.0.1", "5.0.0");
        yes("5.4.2", "~> 5.1");
        no("6.0.0", "~> 5.1");
        yes("5.1.9", "~> 5.1.0");
        no("5.2.0", "~> 5.1.0");
        yes("5.0.0", ">= 4, < 6");
        no("6.1.0", ">= 4, < 6");
        no("5.0.0-beta1", ">= 4");
        yes("5.0.0-beta1", "5.0.0-beta1");
        yes("1.2.3", "!= 1.2.4");
        assert_eq!(version_meets("1.2", "~> banana"), None);
    }

    #[test]
    fn manifests_resolve_or_say_why_not() {
        let root = Path::new("/nonexistent-policy-lint-root");
        let text = br#"{"Modules":[{"Key":"","Source":"","Dir":"."},
            {"Key":"kms","Source":"registry.terraform.io/acme/kms/aws","Version":"1.2.0","Dir":".terraform/modules/kms"},
            {"Key":"kms.inner","Source":"registry.terraform.io/acme/inner/aws","Version":"0.3.0","Dir":".terraform\\modules\\kms.inner"}]}"#;
        let entries = parse(text, root).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries["kms.inner"].dir,
            root.join(".terraform/modules/kms.inner")
        );
        let m = Modules::Read {
            file: ".terraform/modules/modules.json".into(),
            dir: root.join(".terraform/modules"),
            entries,
        };
        let e = m
            .resolve("kms", "acme/kms/aws", Some("~> 1.2"))
            .unwrap_err();
        // Everything matched except the directory, which this test does not create.
        assert!(e.contains("does not exist"), "{e}");
        let e = m.resolve("kms", "acme/other/aws", None).unwrap_err();
        assert!(
            e.contains("records source `registry.terraform.io/acme/kms/aws`"),
            "{e}"
        );
        let e = m.resolve("kms", "acme/kms/aws", Some("2.0.0")).unwrap_err();
        assert!(e.contains("records version 1.2.0"), "{e}");
        let e = m.resolve("vpc", "acme/vpc/aws", None).unwrap_err();
        assert!(e.contains("has no entry"), "{e}");
        assert!(parse(b"{\"Modules\": 3}", root).is_err());
        assert!(parse(b"not json", root).is_err());
        assert!(parse(b"", root).is_err());
    }

    #[test]
    fn installed_modules_are_read_only_below_the_manifest() {
        let d = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(d.path()).unwrap();
        for dir in [".terraform/modules/ok", "elsewhere"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        std::fs::write(
            root.join(".terraform/modules/modules.json"),
            r#"{"Modules":[{"Key":"ok","Source":"registry.terraform.io/acme/ok/aws","Version":"1.0.0","Dir":".terraform/modules/ok"},
            {"Key":"escape","Source":"registry.terraform.io/acme/escape/aws","Version":"1.0.0","Dir":"elsewhere"},
            {"Key":"up","Source":"registry.terraform.io/acme/up/aws","Version":"1.0.0","Dir":".terraform/modules/.."}]}"#,
        )
        .unwrap();
        let m = load(&root, None);
        assert_eq!(
            m.resolve("ok", "acme/ok/aws", Some("1.0.0")).unwrap().dir,
            root.join(".terraform/modules/ok")
        );
        for (key, source) in [("escape", "acme/escape/aws"), ("up", "acme/up/aws")] {
            let e = m.resolve(key, source, None).unwrap_err();
            assert!(e.contains("is not below `.terraform/modules`"), "{e}");
        }
        // TF_DATA_DIR moves the manifest; without one there, nothing is installed.
        assert!(matches!(
            load(&root, Some(Path::new("tfdata"))),
            Modules::NotInstalled { file } if file == "tfdata/modules/modules.json"
        ));
    }
}
