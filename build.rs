//! Embeds every file under `rules/` into the binary: `$OUT_DIR/embedded_rules.rs` defines
//! `pub static EMBEDDED: &[(&str, &str)]`, (path relative to `rules/` with `/` separators, contents),
//! sorted by path so the output is deterministic, and `pub static EMBEDDED_JSON`, the same for the
//! `.toml` files converted to JSON here, once, so that start-up reads JSON instead of parsing TOML
//! (a file that is not valid TOML is left out and reported, with its line, when it is loaded).
//!
//! It also sets `POLICY_LINT_COMMIT` and `POLICY_LINT_BUILD_DATE` for `policy-lint --version`
//! (`src/build_info.rs`: `unknown` when the commit cannot be known, as in a source tarball).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

include!("src/toml_json.rs");
include!("src/build_info.rs");

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// `POLICY_LINT_COMMIT` and `POLICY_LINT_BUILD_DATE` for `--version`.
fn version_info(manifest: &Path) {
    println!("cargo:rerun-if-env-changed=POLICY_LINT_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    for f in git_head_files(manifest) {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let vcs_info = manifest.join(".cargo_vcs_info.json");
    if vcs_info.is_file() {
        println!("cargo:rerun-if-changed={}", vcs_info.display());
    }
    let commit = commit_of(
        manifest,
        std::env::var("POLICY_LINT_COMMIT").ok().as_deref(),
    )
    .unwrap_or_else(|| "unknown".to_string());
    let date = build_date(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref());
    println!("cargo:rustc-env=POLICY_LINT_COMMIT={commit}");
    println!("cargo:rustc-env=POLICY_LINT_BUILD_DATE={date}");
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    version_info(&manifest);
    let rules = manifest.join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect(&rules, &mut files);
    let mut items: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&rules).expect("under rules/");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (rel, p)
        })
        .collect();
    items.sort();

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let mut f =
        fs::File::create(out_dir.join("embedded_rules.rs")).expect("create embedded_rules.rs");
    writeln!(
        f,
        "/// Every file under `rules/`: (path relative to `rules/`, contents), sorted by path."
    )
    .unwrap();
    writeln!(f, "pub static EMBEDDED: &[(&str, &str)] = &[").unwrap();
    for (rel, path) in &items {
        writeln!(
            f,
            "    ({rel:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    writeln!(f, "];").unwrap();

    writeln!(
        f,
        "/// The `.toml` files of `EMBEDDED` as JSON (those that parse), sorted by path."
    )
    .unwrap();
    writeln!(f, "pub static EMBEDDED_JSON: &[(&str, &str)] = &[").unwrap();
    for (rel, path) in items.iter().filter(|(rel, _)| rel.ends_with(".toml")) {
        let text =
            fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let Ok(table) = toml::from_str::<toml::Table>(&text) else {
            continue;
        };
        let json = serde_json::to_string(&toml_value_to_json(toml::Value::Table(table)))
            .expect("JSON values serialize");
        let name = format!("{}.json", rel.replace('/', "__"));
        fs::write(out_dir.join(&name), json).expect("write converted rule file");
        writeln!(
            f,
            "    ({rel:?}, include_str!(concat!(env!(\"OUT_DIR\"), \"/{name}\"))),"
        )
        .unwrap();
    }
    writeln!(f, "];").unwrap();
}
