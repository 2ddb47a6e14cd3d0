//! How policy-lint is built and shipped: the minimum Rust version, the build profiles, `--version`,
//! the release and CI workflows (actionlint, zizmor), the container image, the Python wheel and
//! the pre-commit hook repository.

mod common;

use common::root;
use serde_norway::Value as Yaml;
use std::process::Command;

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Yaml {
    serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn manifest() -> toml::Table {
    toml::from_str(&read("Cargo.toml")).unwrap()
}

fn parse_version(v: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = v
        .split('.')
        .map(|p| p.parse().unwrap_or_else(|_| panic!("version `{v}`")))
        .collect();
    parts.resize(3, 0);
    parts
}

fn host_triple() -> String {
    let o = Command::new("rustc").arg("-vV").output().expect("rustc");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host")
}

#[test]
fn msrv_is_what_the_locked_dependencies_accept() {
    let m = manifest();
    let declared = m["package"]["rust-version"].as_str().expect("rust-version");
    // `cargo metadata` reads every locked package's manifest. Offline: the registry cache has the
    // host's packages once the crate has been built (platform-specific ones of other targets are
    // filtered out; they were checked when this version was chosen, see CHANGELOG.md).
    let o = Command::new(env!("CARGO"))
        .args(["metadata", "--offline", "--locked", "--format-version", "1"])
        .args(["--filter-platform", &host_triple()])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let resolved: std::collections::HashSet<&str> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let mut highest: Option<(Vec<u64>, String)> = None;
    for p in meta["packages"].as_array().unwrap() {
        if !resolved.contains(p["id"].as_str().unwrap()) || p["name"] == "policy-lint" {
            continue;
        }
        if let Some(rv) = p["rust_version"].as_str() {
            let v = parse_version(rv);
            if highest.as_ref().is_none_or(|(h, _)| v > *h) {
                highest = Some((v, format!("{} {} (rust-version {rv})", p["name"], p["version"])));
            }
        }
    }
    let (highest, who) = highest.expect("some dependency declares a rust-version");
    assert!(
        parse_version(declared) >= highest,
        "Cargo.toml says rust-version {declared}, but {who} needs more"
    );
    assert_eq!(
        parse_version(declared),
        highest,
        "rust-version {declared} is higher than any locked dependency needs ({who}): lower it, or say why"
    );
    // The README promises the same version.
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("Rust {declared} or newer")),
        "README.md does not say `Rust {declared} or newer`"
    );
}

#[test]
fn release_profile_is_small_and_profiling_keeps_symbols() {
    let m = manifest();
    let profile = m["profile"].as_table().expect("[profile]");
    let release = profile["release"].as_table().expect("[profile.release]");
    assert_eq!(release.get("debug").and_then(|d| d.as_bool()), Some(false));
    assert_eq!(release.get("strip").and_then(|d| d.as_bool()), Some(true));
    let profiling = profile["profiling"].as_table().expect("[profile.profiling]");
    assert_eq!(profiling["inherits"].as_str(), Some("release"));
    assert_eq!(profiling["strip"].as_bool(), Some(false));
    assert!(profiling["debug"].as_integer().unwrap_or(0) >= 1 || profiling["debug"].as_bool() == Some(true));
}

#[test]
fn version_names_the_commit_and_date() {
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    let rest = out
        .trim()
        .strip_prefix(&format!("policy-lint {} (commit ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{out}"));
    let (commit, date) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", built "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        commit == "unknown" || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{out}"
    );
    // In a git checkout (this test's usual home) the commit is known.
    let in_git = Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(root())
        .output()
        .map(|o| o.status.success() && std::path::Path::new(String::from_utf8_lossy(&o.stdout).trim()) == root())
        .unwrap_or(false);
    if in_git {
        assert_ne!(commit, "unknown", "{out}");
    }
    assert!(
        date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        "{out}"
    );
}
