#!/usr/bin/env python3
"""Ecosystem check: run policy-lint over public Databricks Terraform repositories and compare with a triage.

Python 3.11 standard library only. Usage (from the repository root):

    python3 scripts/ecosystem.py [--bin target/release/policy-lint] [--corpus DIR] [--cache DIR]
                                 [--json] [--update] [--check] [--timeout 300]

The corpus is `ecosystem/corpus.toml` (repositories pinned by commit). Each repository is read from a
local git snapshot, `<corpus>/<owner>+<name>/repo` (or `<corpus>/<owner>+<name>` if that is the git
directory itself); `--corpus` or `POLICY_LINT_CORPUS` sets the root, default `/work/.mirror`. The
pinned commit is extracted once into `<cache>/<owner>+<name>@<commit12>` (default
`$POLICY_LINT_ECO_CACHE` or `/tmp/policy-lint-ecosystem`; an empty `git init` there makes file paths
repository-relative), then checked with

    policy-lint check [PATHS] --format json --fail-on never

Every finding is keyed by (repo, path, line, code, n), n counting identical (path, line, code) in
output order, and looked up in `ecosystem/triage.tsv` (verdict TP/FP for errors and warnings,
genuine/gap for EVAL001, `?` not yet triaged). The report gives per-rule precision of errors and
warnings, findings not in the triage, triaged findings that disappeared, EVAL001 by cause, crashes.

Exit 0 (it is a report) unless --check: then 1 when a finding is untriaged, a run crashed, or the
precision of errors and warnings is below 0.98. Without the corpus it says so and exits 0.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS_TOML = REPO / "ecosystem" / "corpus.toml"
TRIAGE = REPO / "ecosystem" / "triage.tsv"
COLUMNS = ["repo", "path", "line", "code", "n", "severity", "verdict", "reason"]
GOOD = {"TP", "genuine"}  # verdicts counted as correct (EVAL001: `genuine` unknown, `gap` of the evaluator)
TARGET_PRECISION = 0.98


def snapshot(root: Path, name: str) -> Path | None:
    """The git directory holding `owner/name`, or None."""
    base = root / name.replace("/", "+")
    for cand in (base / "repo", base):
        if (cand / "HEAD").is_file() and (cand / "objects").is_dir():
            return cand
    return None


def materialise(gitdir: Path, commit: str, dest: Path) -> None:
    """Extract `commit` of `gitdir` into `dest` once (a `.complete` marker makes it reusable)."""
    if (dest / ".complete").exists():
        return
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    proc = subprocess.Popen(["git", "--git-dir", str(gitdir), "archive", commit],
                            stdout=subprocess.PIPE)
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        if hasattr(tarfile, "data_filter"):  # refuse links and paths out of `tmp` (3.11.4+)
            tar.extractall(tmp, filter="data")
        else:
            tar.extractall(tmp)
    if proc.wait() != 0:
        raise RuntimeError(f"git archive {commit} failed in {gitdir}")
    subprocess.run(["git", "init", "-q", str(tmp)], check=True)
    (tmp / ".complete").write_text(commit + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


def count_files(dest: Path, paths: list[str]) -> collections.Counter:
    """Files policy-lint may read (Terraform, tfvars, JSON) under the checked paths."""
    counts: collections.Counter = collections.Counter()
    for p in paths:
        for dirpath, dirnames, filenames in os.walk(dest / p):
            dirnames[:] = [d for d in dirnames if d not in (".git", ".terraform")]
            for f in filenames:
                if f.endswith((".tf", ".tf.json")):
                    counts["terraform"] += 1
                elif f.endswith((".tfvars", ".tfvars.json")):
                    counts["tfvars"] += 1
                elif f.endswith(".json"):
                    counts["json"] += 1
    return counts


def run_repo(binary: Path, dest: Path, paths: list[str], timeout: float) -> dict:
    """Run policy-lint on one checkout; returns findings, exit status, time, stderr."""
    cmd = [str(binary), "check", *paths, "--format", "json", "--fail-on", "never", "--color", "never"]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=dest, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "rc": None, "seconds": timeout, "findings": [], "stderr": ""}
    seconds = time.monotonic() - start
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode < 0:
        status = f"signal {-proc.returncode}"
    elif proc.returncode == 2:
        status = "error (exit 2)"
    elif proc.returncode not in (0, 1):
        status = f"exit {proc.returncode}"
    else:
        status = "ok"
    findings = []
    if status == "ok":
        try:
            findings = json.loads(proc.stdout)["findings"]
        except (ValueError, KeyError) as e:
            status = f"bad JSON ({e})"
    if "panicked" in stderr:
        status = "panic"
    return {"status": status, "rc": proc.returncode, "seconds": seconds, "findings": findings,
            "stderr": stderr}


def keyed(repo: str, findings: list[dict]) -> dict[tuple, dict]:
    """Key each finding by (repo, path, line, code, n) in output order."""
    seen: collections.Counter = collections.Counter()
    out = {}
    for f in findings:
        base = (repo, f["file"], int(f["start"]["line"]), f["code"])
        key = base + (seen[base],)
        seen[base] += 1
        out[key] = f
    return out


def read_triage(path: Path) -> dict[tuple, dict]:
    """Rows of the triage (tab-separated, header first; `#` lines are comments)."""
    rows = {}
    if not path.exists():
        return rows
    lines = path.read_text(encoding="utf-8").splitlines()
    for no, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != len(COLUMNS):
            raise SystemExit(f"{path}:{no}: expected {len(COLUMNS)} tab-separated fields")
        row = dict(zip(COLUMNS, fields))
        rows[(row["repo"], row["path"], int(row["line"]), row["code"], int(row["n"]))] = row
    return rows


def append_triage(path: Path, new: list[tuple[tuple, dict]]) -> None:
    """Append untriaged findings with verdict `?` and their message as the reason to fill in."""
    with path.open("a", encoding="utf-8") as fh:
        if path.stat().st_size == 0:
            fh.write("\t".join(COLUMNS) + "\n")
        for key, f in new:
            msg = " ".join(f["message"].split())
            fields = [*map(str, key), f["severity"], "?", "message: " + msg]
            fh.write("\t".join(fields) + "\n")


def precision(tp: int, fp: int) -> float | None:
    return tp / (tp + fp) if tp + fp else None


def fmt(p: float | None) -> str:
    return "-" if p is None else f"{p:.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=str(REPO / "target" / "release" / "policy-lint"))
    ap.add_argument("--corpus", default=os.environ.get("POLICY_LINT_CORPUS", "/work/.mirror"),
                    help="root of the repository snapshots (<owner>+<name>/repo)")
    ap.add_argument("--cache", default=os.environ.get("POLICY_LINT_ECO_CACHE",
                                                      "/tmp/policy-lint-ecosystem"))
    ap.add_argument("--triage", default=str(TRIAGE))
    ap.add_argument("--only", help="only these repositories (comma-separated owner/name)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per repository")
    ap.add_argument("--json", action="store_true", help="print a machine-readable summary")
    ap.add_argument("--update", action="store_true",
                    help="append untriaged findings to the triage with verdict `?`")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 on untriaged findings, crashes or precision < 0.98")
    args = ap.parse_args()

    corpus = tomllib.loads(CORPUS_TOML.read_text())["repo"]
    if args.only:
        wanted = set(args.only.split(","))
        corpus = [r for r in corpus if r["name"] in wanted]
    root, cache, binary = Path(args.corpus), Path(args.cache), Path(args.bin).resolve()
    present = [(r, snapshot(root, r["name"])) for r in corpus]
    missing = [r["name"] for r, g in present if g is None]
    present = [(r, g) for r, g in present if g is not None]
    if not present:
        print(f"ecosystem: no snapshot of the corpus under {root} (set --corpus or "
              "POLICY_LINT_CORPUS; see docs/ecosystem.md): skipped")
        return 0
    if not binary.is_file():
        print(f"ecosystem: no policy-lint binary at {binary} (build it or pass --bin)", file=sys.stderr)
        return 2

    triage = read_triage(Path(args.triage))
    found: dict[tuple, dict] = {}
    runs, files = {}, collections.Counter()
    for repo, gitdir in present:
        name, commit = repo["name"], repo["commit"]
        dest = cache / f"{name.replace('/', '+')}@{commit[:12]}"
        try:
            materialise(gitdir, commit, dest)
        except (RuntimeError, subprocess.CalledProcessError, tarfile.TarError) as e:
            runs[name] = {"status": f"not materialised: {e}", "seconds": 0.0, "findings": 0}
            continue
        paths = repo.get("paths", ["."])
        files.update(count_files(dest, paths))
        r = run_repo(binary, dest, paths, args.timeout)
        runs[name] = {"status": r["status"], "rc": r["rc"], "seconds": round(r["seconds"], 3),
                      "findings": len(r["findings"])}
        if r["status"] != "ok":
            runs[name]["stderr"] = r["stderr"][-2000:]
        found.update(keyed(name, r["findings"]))

    ran = {n for n, r in runs.items() if r["status"] == "ok"}
    crashes = {n: r for n, r in runs.items() if r["status"] != "ok"}
    # Per rule: counts by verdict among errors and warnings; EVAL001 (and other notes) by cause.
    rules: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    severities: dict[str, set] = collections.defaultdict(set)
    notes: collections.Counter = collections.Counter()
    untriaged, changed = [], []
    for key, f in sorted(found.items()):
        row = triage.get(key)
        verdict = row["verdict"] if row else "?"
        if row is None or verdict == "?":
            untriaged.append((key, f, row is None))
        elif row["severity"] != f["severity"]:
            changed.append((key, row["severity"], f["severity"]))
        severities[key[3]].add(f["severity"])
        if f["severity"] == "note":
            notes[(key[3], verdict)] += 1
        else:
            rules[key[3]][verdict] += 1
    gone = [(k, row) for k, row in sorted(triage.items()) if k[0] in ran and k not in found]

    tp = sum(c["TP"] for c in rules.values())
    fp = sum(c["FP"] for c in rules.values())
    overall = precision(tp, fp)
    summary = {
        "binary": str(binary),
        "repos": {"listed": len(corpus), "checked": len(ran), "missing": missing},
        "files": dict(files),
        "seconds": round(sum(r["seconds"] for r in runs.values()), 3),
        "rules": {code: {"severity": sorted(severities[code]), "findings": sum(c.values()),
                         "TP": c["TP"], "FP": c["FP"], "untriaged": c["?"],
                         "precision": precision(c["TP"], c["FP"])}
                  for code, c in sorted(rules.items())},
        "precision": overall,
        "notes": {f"{code} {verdict}": n for (code, verdict), n in sorted(notes.items())},
        "untriaged": [{"key": list(k), "severity": f["severity"], "message": f["message"],
                       "new": new} for k, f, new in untriaged],
        "disappeared": [list(k) for k, _ in gone],
        "severity_changed": [{"key": list(k), "was": a, "now": b} for k, a, b in changed],
        "crashes": crashes,
        "runs": runs,
    }
    if args.update:
        new = [(k, f) for k, f, is_new in untriaged if is_new]
        append_triage(Path(args.triage), new)
        summary["appended"] = len(new)

    failed = bool(untriaged or crashes or (overall is not None and overall < TARGET_PRECISION))
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        print()
    else:
        report(summary)
    return 1 if args.check and failed else 0


def report(s: dict) -> None:
    files = s["files"]
    print(f"policy-lint ecosystem check ({s['binary']})")
    print(f"repositories: {s['repos']['checked']} checked of {s['repos']['listed']} listed; files: "
          f"{files.get('terraform', 0)} Terraform, {files.get('tfvars', 0)} tfvars, "
          f"{files.get('json', 0)} JSON; policy-lint time {s['seconds']:.2f} s")
    if s["repos"]["missing"]:
        print(f"  not present (skipped): {', '.join(s['repos']['missing'])}")
    print("\nerrors and warnings by rule:")
    print(f"  {'code':8} {'severity':16} {'found':>6} {'TP':>5} {'FP':>5} {'?':>5} {'precision':>10}")
    for code, r in s["rules"].items():
        print(f"  {code:8} {'/'.join(r['severity']):16} {r['findings']:>6} {r['TP']:>5} {r['FP']:>5} "
              f"{r['untriaged']:>5} {fmt(r['precision']):>10}")
    tp = sum(r["TP"] for r in s["rules"].values())
    fp = sum(r["FP"] for r in s["rules"].values())
    print(f"  {'all':25} {tp + fp:>6} {tp:>5} {fp:>5} {'':>5} {fmt(s['precision']):>10}"
          f"   (target {TARGET_PRECISION})")
    print("\nnotes by cause:")
    for k, n in s["notes"].items():
        print(f"  {k:24} {n:>5}")
    print(f"\nuntriaged findings: {len(s['untriaged'])}")
    for u in s["untriaged"]:
        repo, path, line, code, n = u["key"]
        tag = "new" if u["new"] else "?"
        msg = " ".join(u["message"].split())
        print(f"  [{tag}] {repo} {path}:{line} {code}#{n} {u['severity']}: {msg[:160]}")
    print(f"triaged findings that disappeared: {len(s['disappeared'])}")
    for repo, path, line, code, n in s["disappeared"]:
        print(f"  {repo} {path}:{line} {code}#{n}")
    for c in s["severity_changed"]:
        repo, path, line, code, n = c["key"]
        print(f"  severity changed: {repo} {path}:{line} {code}#{n}: {c['was']} -> {c['now']}")
    print(f"crashes: {len(s['crashes']) or 'none'}")
    for name, r in s["crashes"].items():
        print(f"  !!! {name}: {r['status']}\n{r.get('stderr', '').rstrip()}")
    if "appended" in s:
        print(f"appended {s['appended']} rows with verdict `?` to the triage")


if __name__ == "__main__":
    sys.exit(main())
