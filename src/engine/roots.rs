//! The evaluations of a root module: which environment each is in and which var files it reads.
//!
//! The environment belongs to the root that deploys, not to the file: a module shared by a dev
//! root and a production root is checked once per root, in that root's environment. A root is
//! evaluated once, in the environment `--environment` names or its `[environments]` glob gives
//! (else `production`), unless a `[[roots]]` entry of the configuration lists var files per
//! environment: then it is evaluated once per environment with that environment's var files, as
//! `terraform plan -var-file=...` would be run per environment.

use super::Options;
use crate::config::Config;
use std::path::{Path, PathBuf};

/// One evaluation of a root module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The root directory relative to the project root (`.` for the project root).
    pub root: String,
    pub environment: String,
    /// Var files after the automatic ones (absolute), in the order Terraform applies them.
    pub var_files: Vec<PathBuf>,
}

/// The evaluations of the root module in `dir` (canonical). `base` is the directory that
/// configuration paths are relative to; `cli_var_files` are the `--var-file` paths (absolute).
pub fn evaluations(
    dir: &Path,
    base: &Path,
    config: &Config,
    opts: &Options,
    cli_var_files: &[PathBuf],
) -> Vec<Evaluation> {
    let root = relative_dir(dir, base);
    let declared = config.root(&root);
    let single = |environment: String, var_files: Vec<PathBuf>| {
        vec![Evaluation {
            root: root.clone(),
            environment,
            var_files,
        }]
    };
    // `--var-file` asks for one evaluation with those files, as `terraform plan` would do.
    if !cli_var_files.is_empty() || declared.is_none() {
        let env = match &opts.environment {
            Some(e) => e.clone(),
            None => config.environment_of_root(&root, &file_names(dir)),
        };
        return single(env, cli_var_files.to_vec());
    }
    let declared = declared.expect("checked above");
    let files_of = |files: &[String]| files.iter().map(|f| dir.join(f)).collect::<Vec<_>>();
    match &opts.environment {
        Some(e) => {
            let files = declared
                .var_files
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(e))
                .map(|(_, f)| files_of(f))
                .unwrap_or_default();
            single(e.clone(), files)
        }
        None => declared
            .var_files
            .iter()
            .map(|(env, files)| Evaluation {
                root: root.clone(),
                environment: env.clone(),
                var_files: files_of(files),
            })
            .collect(),
    }
}

/// `dir` relative to `base`, `/`-separated; `.` for `base` itself; the path as it is when it is
/// not below `base`.
pub fn relative_dir(dir: &Path, base: &Path) -> String {
    match dir.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => dir.to_string_lossy().replace('\\', "/"),
    }
}

/// Names of the files directly in `dir`, sorted.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(text, "policy-lint.toml").expect("valid config")
    }

    #[test]
    fn one_evaluation_per_declared_environment() {
        let c = config(
            "[[roots]]\npath = \"infra\"\n[roots.var_files]\ndev = [\"env/dev.tfvars\"]\nprod = [\"env/prod.tfvars\", \"extra.tfvars\"]\n",
        );
        let base = Path::new("/repo");
        let dir = Path::new("/repo/infra");
        let evs = evaluations(dir, base, &c, &Options::default(), &[]);
        assert_eq!(
            evs,
            vec![
                Evaluation {
                    root: "infra".into(),
                    environment: "dev".into(),
                    var_files: vec![dir.join("env/dev.tfvars")],
                },
                Evaluation {
                    root: "infra".into(),
                    environment: "prod".into(),
                    var_files: vec![dir.join("env/prod.tfvars"), dir.join("extra.tfvars")],
                },
            ]
        );
        // --environment picks one of them (case-insensitively) ...
        let opts = Options {
            environment: Some("PROD".into()),
            ..Options::default()
        };
        let evs = evaluations(dir, base, &c, &opts, &[]);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].environment, "PROD");
        assert_eq!(evs[0].var_files.len(), 2);
        // ... and --var-file asks for a single evaluation with those files only.
        let cli = vec![PathBuf::from("/tmp/x.tfvars")];
        let evs = evaluations(dir, base, &c, &Options::default(), &cli);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].environment, "production");
        assert_eq!(evs[0].var_files, cli);
        // Other roots are evaluated once.
        let evs = evaluations(Path::new("/repo/other"), base, &c, &Options::default(), &[]);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].root, "other");
    }

    #[test]
    fn relative_dirs() {
        assert_eq!(relative_dir(Path::new("/a/b"), Path::new("/a/b")), ".");
        assert_eq!(
            relative_dir(Path::new("/a/b/c/d"), Path::new("/a/b")),
            "c/d"
        );
        assert_eq!(relative_dir(Path::new("/x/y"), Path::new("/a")), "/x/y");
    }
}
