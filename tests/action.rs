//! The GitHub Action's installation (action/install.sh against a local release server), its
//! cache and upload steps (structure of action.yml), and what report.py shows (annotation caps,
//! only-changed, links and plurals in the job summary).

mod common;

use common::{root, LocalServer};
use serde_norway::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn action() -> Value {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

fn steps(a: &Value) -> Vec<Value> {
    a["runs"]["steps"].as_sequence().unwrap().clone()
}

fn field<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn step_index(st: &[Value], pred: impl Fn(&Value) -> bool, what: &str) -> usize {
    st.iter()
        .position(pred)
        .unwrap_or_else(|| panic!("no step {what}"))
}

#[test]
fn the_build_cache_is_saved_before_the_verdict_can_fail() {
    let a = action();
    let st = steps(&a);
    let uses = |needle: &'static str| move |s: &Value| field(s, "uses").starts_with(needle);
    // No `actions/cache@`: its post-job save runs only when the job succeeds, so a run that found
    // violations would never save it.
    assert!(
        !st.iter()
            .any(|s| field(s, "uses").starts_with("actions/cache@")),
        "use actions/cache/restore + actions/cache/save"
    );
    let restore = step_index(&st, uses("actions/cache/restore@"), "restore");
    let build = step_index(&st, |s| field(s, "id") == "build", "build");
    let save = step_index(&st, uses("actions/cache/save@"), "save");
    let run = step_index(&st, |s| field(s, "id") == "run", "run");
    let verdict = step_index(&st, |s| field(s, "name") == "Verdict", "verdict");
    assert!(restore < build && build < save && save < run && run < verdict);
    assert_eq!(verdict, st.len() - 1, "the verdict is the last step");
    // Saved right after a successful build, whatever comes later.
    assert_eq!(field(&st[save], "if"), "steps.build.outcome == 'success'");
    assert!(field(&st[verdict], "if").contains("failed"));
    // Same path and key.
    for k in ["path", "key"] {
        assert_eq!(
            st[restore]["with"][k], st[save]["with"][k],
            "restore and save differ in {k}"
        );
    }
    assert_eq!(
        field(&st[save]["with"], "key"),
        "${{ steps.resolve.outputs.key }}"
    );
    // The build runs only on a cache miss when no release was installed.
    let cond = field(&st[build], "if");
    assert!(
        cond.contains("steps.restore.outputs.cache-hit != 'true'"),
        "{cond}"
    );
    assert!(
        cond.contains("steps.download.outputs.installed != 'true'"),
        "{cond}"
    );
    assert!(field(&st[restore], "if").contains("steps.download.outputs.installed != 'true'"));
    // No step between the save and the verdict is needed for the save: nothing before the save
    // depends on policy-lint's verdict.
    for s in &st[..save] {
        let c = field(s, "if");
        assert!(
            !c.contains("steps.report") && !c.contains("steps.run"),
            "{c}"
        );
    }
}

#[test]
fn sarif_upload_is_safe_by_default() {
    let a = action();
    let inputs = &a["inputs"];
    assert_eq!(field(&inputs["upload-sarif"], "default"), "auto");
    assert_eq!(field(&inputs["annotations"], "default"), "auto");
    assert_eq!(field(&inputs["only-changed"], "default"), "false");
    assert_eq!(field(&inputs["args"], "default"), "");
    let st = steps(&a);
    let upload = step_index(
        &st,
        |s| field(s, "uses").starts_with("github/codeql-action/upload-sarif@"),
        "upload",
    );
    let s = &st[upload];
    assert_eq!(field(s, "id"), "upload");
    // auto and false never fail the job on the upload; true does.
    assert_eq!(
        field(s, "continue-on-error"),
        "${{ inputs.upload-sarif != 'true' }}"
    );
    let cond = field(s, "if");
    assert!(cond.contains("inputs.upload-sarif == 'true'"), "{cond}");
    assert!(cond.contains("inputs.upload-sarif == 'auto'"), "{cond}");
    assert!(
        cond.contains("!github.event.pull_request.head.repo.fork"),
        "{cond}"
    );
    // A failed or skipped upload under auto becomes a notice.
    let notice = &st[upload + 1];
    assert!(field(notice, "if").contains("steps.upload.outcome != 'success'"));
    assert!(field(notice, "run").contains("::notice"));
    assert!(!field(notice, "run").contains("exit 1"));
    // Annotations come after the upload and know its outcome.
    let ann = step_index(&st, |s| field(s, "name") == "Annotations", "annotations");
    assert!(ann > upload);
    assert_eq!(
        field(&st[ann]["env"], "SARIF_UPLOADED"),
        "${{ steps.upload.outcome == 'success' }}"
    );
    // The summary (and baseline filtering of the uploaded SARIF) comes before the upload.
    let report = step_index(&st, |s| field(s, "id") == "report", "report");
    assert!(report < upload);
}

// ---------------------------------------------------------------------------------------------
// install.sh against a local release server.
// ---------------------------------------------------------------------------------------------

fn cargo_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        Runner {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn outputs(&self) -> HashMap<String, String> {
        let text = std::fs::read_to_string(self.path().join("output.txt")).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn install(&self, phase: &str, env: &[(&str, &str)]) -> (i32, String) {
        let mut c = Command::new("bash");
        c.arg(root().join("action/install.sh"))
            .arg(phase)
            .current_dir(self.path())
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_OUTPUT", self.path().join("output.txt"))
            .env("RUNNER_TEMP", self.path())
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env_remove("VERSION");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    }
}

fn have_bash() -> bool {
    common::require(
        common::runs("bash", &["--version"]),
        "bash",
        "apt-get install bash",
    )
}

/// A release of this very source for `target`, made by the release workflow's packaging script
/// from the test binary: (files to serve under `/v<version>/`, the archive's name). Made once per
/// target (the debug binary is large).
/// Files served by the local release server: URL path → body.
type Served = HashMap<String, Vec<u8>>;

fn release_files(target: &str) -> (Served, String) {
    static MADE: std::sync::Mutex<Vec<(String, Served, String)>> =
        std::sync::Mutex::new(Vec::new());
    let mut made = MADE.lock().unwrap();
    if let Some((_, files, name)) = made.iter().find(|(t, _, _)| t == target) {
        return (files.clone(), name.clone());
    }
    let (files, name) = make_release_files(target);
    made.push((target.to_string(), files.clone(), name.clone()));
    (files, name)
}

fn make_release_files(target: &str) -> (HashMap<String, Vec<u8>>, String) {
    let out = tempfile::tempdir().unwrap();
    // The debug binary without its debug info (a tenth of the size, quicker to archive), when
    // `strip` is there; else as it is.
    let stripped = out.path().join("policy-lint-stripped");
    let binary = if Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(env!("CARGO_BIN_EXE_policy-lint"))
        .status()
        .is_ok_and(|s| s.success())
    {
        stripped
    } else {
        PathBuf::from(env!("CARGO_BIN_EXE_policy-lint"))
    };
    let dist = out.path().join("dist");
    let o = Command::new("bash")
        .arg(root().join("scripts/package-release.sh"))
        .arg(target)
        .arg(&binary)
        .arg(&dist)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let archive = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim().to_string());
    let name = archive.file_name().unwrap().to_str().unwrap().to_string();
    let v = cargo_version();
    assert_eq!(
        name,
        format!(
            "policy-lint-{v}-{target}.{}",
            if target.contains("windows") {
                "zip"
            } else {
                "tar.gz"
            }
        )
    );
    // The checksum file reads as `sha256sum -c` expects.
    let sum = std::fs::read_to_string(archive.with_file_name(format!("{name}.sha256"))).unwrap();
    assert!(sum.ends_with(&format!("  {name}\n")), "{sum}");
    let check = Command::new("sha256sum")
        .args(["-c", &format!("{name}.sha256")])
        .current_dir(&dist)
        .output();
    if let Ok(check) = check {
        assert!(check.status.success(), "sha256sum -c: {check:?}");
    }
    // The source digest, as the release workflow publishes it.
    let r = Runner::new();
    let (c, digest) = r.install("digest", &[]);
    assert_eq!(c, 0, "{digest}");
    let digest = digest.trim().to_string();
    assert_eq!(digest.len(), 64, "{digest}");
    let mut files = HashMap::new();
    files.insert(
        format!("/v{v}/policy-lint-{v}-source.sha256"),
        format!("{digest}  policy-lint-{v}-source\n").into_bytes(),
    );
    files.insert(format!("/v{v}/{name}"), std::fs::read(&archive).unwrap());
    files.insert(format!("/v{v}/{name}.sha256"), sum.into_bytes());
    (files, name)
}

fn resolve(r: &Runner, version: &str) -> HashMap<String, String> {
    let (c, out) = r.install("resolve", &[("VERSION", version)]);
    assert_eq!(c, 0, "{out}");
    r.outputs()
}

fn download(r: &Runner, o: &HashMap<String, String>, base: &str) -> (i32, String) {
    r.install(
        "download",
        &[
            ("VERSION", &o["version"]),
            ("MODE", &o["mode"]),
            ("TARGET", &o["target"]),
            ("ROOT", &o["root"]),
            ("RELEASE_BASE_URL", base),
        ],
    )
}

#[test]
fn resolve_reads_the_actions_own_version() {
    if !have_bash() {
        return;
    }
    let r = Runner::new();
    let o = resolve(&r, "");
    assert_eq!(o["version"], cargo_version());
    assert_eq!(o["mode"], "auto");
    assert_eq!(o["target"], "x86_64-unknown-linux-musl");
    assert_eq!(o["digest"].len(), 64);
    assert!(o["key"].starts_with(&format!(
        "policy-lint-Linux-X64-{}-{}",
        cargo_version(),
        &o["digest"][..16]
    )));
    assert!(o["root"].starts_with(r.path().to_str().unwrap()));
    for (os, arch, target) in [
        ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
        ("macOS", "ARM64", "aarch64-apple-darwin"),
        ("macOS", "X64", "x86_64-apple-darwin"),
        ("Windows", "X64", "x86_64-pc-windows-msvc"),
        ("Windows", "ARM64", ""),
    ] {
        let r = Runner::new();
        let (c, out) = r.install(
            "resolve",
            &[("VERSION", ""), ("RUNNER_OS", os), ("RUNNER_ARCH", arch)],
        );
        assert_eq!(c, 0, "{out}");
        assert_eq!(r.outputs()["target"], target, "{os} {arch}");
    }
    // `v1.2.3` and `1.2.3` name a release; `source` builds; anything else is refused.
    let r = Runner::new();
    assert_eq!(resolve(&r, "v9.8.7")["mode"], "release");
    assert_eq!(r.outputs()["version"], "9.8.7");
    let r = Runner::new();
    assert_eq!(resolve(&r, "source")["mode"], "source");
    let r = Runner::new();
    assert_eq!(
        resolve(&r, &format!("v{}", cargo_version()))["mode"],
        "auto"
    );
    let r = Runner::new();
    let (c, out) = r.install("resolve", &[("VERSION", "main; rm -rf /")]);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("version must be"), "{out}");
}

#[test]
fn download_installs_a_verified_release_of_the_same_source() {
    if !have_bash() {
        return;
    }
    let (files, name) = release_files("x86_64-unknown-linux-musl");
    let server = LocalServer::start(files);
    let r = Runner::new();
    let o = resolve(&r, "");
    let started = std::time::Instant::now();
    let (c, out) = download(&r, &o, &server.base);
    assert_eq!(c, 0, "{out}");
    assert_eq!(r.outputs()["installed"], "true", "{out}");
    assert!(out.contains("verified"), "{out}");
    assert!(started.elapsed().as_secs() < 60);
    let bin = Path::new(&o["root"]).join("bin/policy-lint");
    let v = Command::new(&bin).arg("--version").output().unwrap();
    assert!(v.status.success());
    assert!(String::from_utf8_lossy(&v.stdout).contains(&cargo_version()));
    let asked = server.asked();
    let ver = cargo_version();
    assert_eq!(
        asked,
        vec![
            format!("/v{ver}/policy-lint-{ver}-source.sha256"),
            format!("/v{ver}/{name}"),
            format!("/v{ver}/{name}.sha256"),
        ]
    );
}

#[test]
fn download_fails_closed_on_a_wrong_checksum() {
    if !have_bash() {
        return;
    }
    let (mut files, name) = release_files("x86_64-unknown-linux-musl");
    let key = format!("/v{}/{name}.sha256", cargo_version());
    files.insert(key, format!("{}  {name}\n", "0".repeat(64)).into_bytes());
    let server = LocalServer::start(files);
    let r = Runner::new();
    let o = resolve(&r, "");
    let (c, out) = download(&r, &o, &server.base);
    assert_eq!(c, 1, "{out}");
    assert!(
        out.contains("::error::") && out.contains("checksum mismatch"),
        "{out}"
    );
    assert!(
        !r.outputs().contains_key("installed"),
        "no fallback to a build"
    );
    assert!(!Path::new(&o["root"]).join("bin/policy-lint").exists());

    // A corrupted archive (the published checksum is right, the bytes are not): same.
    let (mut files, name) = release_files("x86_64-unknown-linux-musl");
    let key = format!("/v{}/{name}", cargo_version());
    let mut bytes = files[&key].clone();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    files.insert(key, bytes);
    let server = LocalServer::start(files);
    let r = Runner::new();
    let o = resolve(&r, "");
    let (c, out) = download(&r, &o, &server.base);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("checksum mismatch"), "{out}");

    // A release whose archive is missing: fails, no silent build.
    let (mut files, name) = release_files("x86_64-unknown-linux-musl");
    files.remove(&format!("/v{}/{name}", cargo_version()));
    let server = LocalServer::start(files);
    let r = Runner::new();
    let o = resolve(&r, "");
    let (c, out) = download(&r, &o, &server.base);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("could not be downloaded (HTTP 404)"), "{out}");
}

#[test]
fn download_falls_back_to_a_build_only_when_no_release_matches() {
    if !have_bash() {
        return;
    }
    // No release at all.
    let server = LocalServer::start(HashMap::new());
    let r = Runner::new();
    let o = resolve(&r, "");
    let (c, out) = download(&r, &o, &server.base);
    assert_eq!(c, 0, "{out}");
    assert_eq!(r.outputs()["installed"], "false");
    assert!(out.contains("no release"), "{out}");
    assert_eq!(
        server.asked().len(),
        1,
        "only the source digest was asked for"
    );

    // A release of the same version from other sources (an unreleased commit).
    let (mut files, _) = release_files("x86_64-unknown-linux-musl");
    let v = cargo_version();
    files.insert(
        format!("/v{v}/policy-lint-{v}-source.sha256"),
        format!("{}  policy-lint-{v}-source\n", "a".repeat(64)).into_bytes(),
    );
    let server = LocalServer::start(files);
    let r = Runner::new();
    let o = resolve(&r, "");
    let (c, out) = download(&r, &o, &server.base);
    assert_eq!(c, 0, "{out}");
    assert_eq!(r.outputs()["installed"], "false");
    assert!(out.contains("unreleased commit"), "{out}");
    assert_eq!(server.asked().len(), 1, "the binary was not downloaded");

    // No release binary for this runner.
    let r = Runner::new();
    let (c, _) = r.install(
        "resolve",
        &[
            ("VERSION", ""),
            ("RUNNER_OS", "Windows"),
            ("RUNNER_ARCH", "ARM64"),
        ],
    );
    assert_eq!(c, 0);
    let o = r.outputs();
    let (c, out) = download(&r, &o, &server.base);
    assert_eq!(c, 0, "{out}");
    assert_eq!(r.outputs()["installed"], "false");

    // A version asked for explicitly must exist: no build of other sources under its name.
    let r = Runner::new();
    let o = resolve(&r, "9.8.7");
    let server = LocalServer::start(HashMap::new());
    let (c, out) = download(&r, &o, &server.base);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("no release v9.8.7"), "{out}");

    // Plain http only on the loopback interface.
    let r = Runner::new();
    let o = resolve(&r, "");
    let (c, out) = download(&r, &o, "http://example.com/releases");
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("must be an https URL"), "{out}");
}

#[test]
fn windows_archives_are_zips() {
    if !have_bash()
        || !common::require(
            common::python_module("zipfile"),
            "python3",
            "apt-get install python3",
        )
    {
        return;
    }
    let (files, name) = release_files("x86_64-pc-windows-msvc");
    assert!(name.ends_with(".zip"));
    let v = cargo_version();
    let bytes = &files[&format!("/v{v}/{name}")];
    assert_eq!(&bytes[..2], b"PK");
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join(&name), bytes).unwrap();
    let o = Command::new("python3")
        .args(["-m", "zipfile", "-l"])
        .arg(d.path().join(&name))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&o.stdout);
    assert!(
        listing.contains(&format!(
            "policy-lint-{v}-x86_64-pc-windows-msvc/policy-lint.exe"
        )),
        "{listing}"
    );
}

// ---------------------------------------------------------------------------------------------
// report.py: annotation caps, only-changed, summary links and plurals.
// ---------------------------------------------------------------------------------------------

fn have_python() -> bool {
    common::require(
        common::runs("python3", &["--version"]),
        "python3",
        "apt-get install python3",
    )
}

/// A SARIF log with `n` results of each level in files `f0.tf`, `f1.tf`...
fn sarif(errors: usize, warnings: usize, notes: usize) -> String {
    let mut results = Vec::new();
    for (level, n) in [("note", notes), ("warning", warnings), ("error", errors)] {
        for i in 0..n {
            results.push(serde_json::json!({
                "ruleId": "NET002", "level": level,
                "message": {"text": format!("{level} {i}")},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": format!("dir/f{i}.tf")},
                    "region": {"startLine": i + 1, "startColumn": 3}
                }}]
            }));
        }
    }
    serde_json::json!({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "policy-lint", "rules": [
            {"id": "NET002", "name": "egress-unrestricted", "helpUri": "https://example.invalid/NET002"}
        ]}},
        "results": results
    }]})
    .to_string()
}

fn report(dir: &Path, env: &[(&str, &str)]) -> (i32, String) {
    let mut c = Command::new("python3");
    c.arg(root().join("action/report.py"))
        .current_dir(dir)
        .env("SARIF_FILE", dir.join("r.sarif"))
        .env("GITHUB_OUTPUT", dir.join("output.txt"))
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("ANNOTATIONS")
        .env_remove("SARIF_UPLOADED")
        .env_remove("ONLY_CHANGED")
        .env_remove("PART");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn annotations(out: &str, kind: &str) -> usize {
    out.lines()
        .filter(|l| l.starts_with(&format!("::{kind} file=")))
        .count()
}

#[test]
fn annotations_are_capped_errors_first() {
    if !have_python() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("r.sarif"), sarif(14, 12, 3)).unwrap();
    let (c, out) = report(d.path(), &[("PART", "annotations")]);
    assert_eq!(c, 0, "{out}");
    assert_eq!(annotations(&out, "error"), 10, "{out}");
    assert_eq!(annotations(&out, "warning"), 10, "{out}");
    assert_eq!(annotations(&out, "notice"), 3, "{out}");
    let first = out.lines().find(|l| l.starts_with("::")).unwrap();
    assert!(first.starts_with("::error "), "errors first: {first}");
    assert!(out.contains("6 more findings not annotated"), "{out}");

    // annotations: auto after a successful upload → none; false → none; true → all.
    let (_, out) = report(
        d.path(),
        &[("PART", "annotations"), ("SARIF_UPLOADED", "true")],
    );
    assert_eq!(annotations(&out, "error"), 0, "{out}");
    assert!(out.contains("code scanning shows"), "{out}");
    let (_, out) = report(
        d.path(),
        &[
            ("PART", "annotations"),
            ("SARIF_UPLOADED", "true"),
            ("ANNOTATIONS", "true"),
        ],
    );
    assert_eq!(annotations(&out, "error"), 10, "{out}");
    let (_, out) = report(
        d.path(),
        &[("PART", "annotations"), ("ANNOTATIONS", "false")],
    );
    assert_eq!(annotations(&out, "error"), 0, "{out}");
}

#[test]
fn only_changed_annotates_the_pull_requests_files() {
    if !have_python() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("r.sarif"), sarif(3, 0, 0)).unwrap();
    std::fs::write(
        d.path().join("event.json"),
        r#"{"pull_request": {"number": 7}}"#,
    )
    .unwrap();
    let mut files = HashMap::new();
    files.insert(
        "/repos/acme/infra/pulls/7/files?per_page=100&page=1".to_string(),
        br#"[{"filename": "dir/f1.tf"}, {"filename": "README.md"}]"#.to_vec(),
    );
    let server = LocalServer::start(files);
    let api = server.base.clone();
    let event = d.path().join("event.json");
    let env = [
        ("PART", "annotations"),
        ("ONLY_CHANGED", "true"),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ("GITHUB_REPOSITORY", "acme/infra"),
        ("GITHUB_API_URL", api.as_str()),
        ("GITHUB_TOKEN", "t0ken"),
    ];
    let (c, out) = report(d.path(), &env);
    assert_eq!(c, 0, "{out}");
    assert_eq!(annotations(&out, "error"), 1, "{out}");
    assert!(out.contains("::error file=dir/f1.tf,"), "{out}");
    assert!(
        out.contains("2 findings in files the pull request does not change"),
        "{out}"
    );
    // The API does not answer: every file, with a notice.
    drop(server);
    let (c, out) = report(d.path(), &env);
    assert_eq!(c, 0, "{out}");
    assert_eq!(annotations(&out, "error"), 3, "{out}");
    assert!(out.contains("::notice::only-changed: cannot list"), "{out}");
    // Not a pull request.
    std::fs::write(&event, r#"{"push": {}}"#).unwrap();
    let (_, out) = report(d.path(), &env);
    assert_eq!(annotations(&out, "error"), 3, "{out}");
}

#[test]
fn the_summary_links_findings_and_counts_in_words() {
    if !have_python() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("r.sarif"), sarif(1, 2, 0)).unwrap();
    let env = [
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/infra"),
        ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("ANNOTATIONS", "false"),
    ];
    let (c, out) = report(d.path(), &env);
    assert_eq!(c, 0, "{out}");
    // The console listing ends with the counts, as `policy-lint check --format concise` does.
    assert!(
        out.lines().any(|l| l == "1 error, 2 warnings, 0 notes"),
        "{out}"
    );
    let summary = std::fs::read_to_string(d.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("**1 error, 2 warnings, 0 notes**"),
        "{summary}"
    );
    assert!(
        summary.contains("[`dir/f0.tf:1`](https://github.com/acme/infra/blob/0123456789abcdef0123456789abcdef01234567/dir/f0.tf#L1)"),
        "{summary}"
    );
}

#[test]
fn args_pass_extra_flags_but_not_the_format() {
    if !have_bash() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    std::fs::write(
        d.path().join("main.tf"),
        "resource \"databricks_account_network_policy\" \"p\" {\n  network_policy_id = \"p\"\n  egress = {\n    network_access = {\n      restriction_mode = \"FULL_ACCESS\"\n    }\n  }\n}\n",
    )
    .unwrap();
    let run = |args: &str| {
        let o = Command::new("bash")
            .arg(root().join("action/run.sh"))
            .current_dir(d.path())
            .env("POLICY_LINT", env!("CARGO_BIN_EXE_policy-lint"))
            .env("GITHUB_OUTPUT", d.path().join("output.txt"))
            .env("SARIF_FILE", "out.sarif")
            .env("ARGS", args)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let results = || -> Vec<String> {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.path().join("out.sarif")).unwrap())
                .unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap().to_string())
            .collect()
    };
    let (c, out) = run("");
    assert_eq!(c, 0, "{out}");
    assert!(results().len() > 1);
    let (c, out) = run("--select NET002  --strict");
    assert_eq!(c, 0, "{out}");
    assert!(out.contains("--select NET002 --strict --"), "{out}");
    assert_eq!(results(), vec!["NET002"]);
    for bad in ["--format json", "--output=x", "-o x", "--fail-on never"] {
        let (c, out) = run(bad);
        assert_eq!(c, 2, "{bad}: {out}");
        assert!(out.contains("::error::args:"), "{out}");
    }
}
