"""`scripts/bench.py --real`: policy-lint over real repositories, against the bare parse.

Python 3.11 standard library only; imported by scripts/bench.py (see its --help).

The repositories are the ecosystem corpus (ecosystem/corpus.toml, extracted by scripts/ecosystem.py
into `<cache>/<owner>+<name>@<commit12>`, default $POLICY_LINT_ECO_CACHE or
/tmp/policy-lint-ecosystem), or, for a directory that holds no such extraction, every
subdirectory of it. For each copy count (--copies, default 1,4,20) a tree is built in a temporary
directory: `copy-NN/<repository>/...` for each copy, the files hard-linked (the corpus is never
modified), each repository's `.git` left out and one `.git` at the top, so the tree is one large
monorepo. Then, interleaved (bare, policy-lint, bare, ...) --runs times, the medians of

  (a) bare:  target/release/examples/bare_parse <tree>   (one thread; policy-lint's discovery, the
             files policy-lint parses, hcl-edit + serde_json)
  (b) check: target/release/policy-lint check <tree> --format json --output FILE

wall and CPU time, the ratio (b)/(a), and peak RSS (wait4). With --callgrind also the instruction
counts of (a) and of (b) with --threads 1 (valgrind --tool=callgrind) on the first copy count, the
steadiest figure on a shared machine. With --check-files it checks first that bare_parse parses exactly the files
policy-lint opens and parses (strace), and says where they differ.

With --checkov PATH also, interleaved with (a) and (b) after one untimed run whose JSON report gives
checkov's counts (resource_count, passed, failed, skipped, parsing_errors),

  (c) checkov: PATH -d <tree> --framework terraform --quiet --compact -o json --skip-download
               --download-external-modules false  (offline: see CHECKOV_ENV; stdout to /dev/null)

its wall and CPU time, peak RSS and the ratios (c)/(b) (issue 19: at least 300x). A checkov run
that exits other than 0 or 1 (1: failed checks found) gives no figure: its stderr tail is printed
and the script exits nonzero at the end.

The pre-commit case (--precommit, on the largest tree): `policy-lint check FILE...` for three
files of the first copy (a root module's .tf file, a child module's .tf file, a .tfvars file) run
from the top of the tree, as the pre-commit hook runs it: time to the first byte of output, wall
time, peak RSS.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS_TOML = REPO / "ecosystem" / "corpus.toml"
# The three repositories of issue 19 (a quick, smaller corpus: `--only issue19`).
ISSUE19 = [
    "databricks/terraform-databricks-sra",
    "databricks/terraform-databricks-examples",
    "ajaen4/terraform-databricks-aws",
]


def corpus_repos(root: Path, only: str | None) -> list[tuple[str, Path, list[str]]]:
    """(name, checkout, paths) of each repository found under `root`."""
    wanted = None
    if only:
        wanted = set(ISSUE19) if only == "issue19" else set(only.split(","))
    out = []
    if CORPUS_TOML.exists():
        for r in tomllib.loads(CORPUS_TOML.read_text())["repo"]:
            if wanted is not None and r["name"] not in wanted:
                continue
            dest = root / f"{r['name'].replace('/', '+')}@{r['commit'][:12]}"
            if dest.is_dir():
                out.append((r["name"], dest, r.get("paths", ["."])))
    if not out:  # not the ecosystem cache: every subdirectory is a repository
        for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if wanted is None or d.name in wanted:
                out.append((d.name, d, ["."]))
    return out


def build_tree(dest: Path, repos: list[tuple[str, Path, list[str]]], copies: int) -> tuple[int, int]:
    """Hard-links `copies` copies of the repositories under `dest`; returns (files, bytes) of the
    .tf/.tfvars/.json files in it."""
    files = size = 0
    for c in range(copies):
        for name, src, paths in repos:
            for p in paths:
                top = src / p
                for dirpath, dirnames, filenames in os.walk(top):
                    dirnames[:] = [d for d in dirnames if d != ".git"]
                    rel = Path(dirpath).relative_to(src)
                    out = dest / f"copy-{c:02d}" / name.replace("/", "+") / rel
                    out.mkdir(parents=True, exist_ok=True)
                    for f in filenames:
                        s = Path(dirpath) / f
                        if s.is_symlink() or not s.is_file():
                            continue
                        t = out / f
                        try:
                            os.link(s, t)
                        except OSError:
                            shutil.copyfile(s, t)
                        if f.endswith((".tf", ".tfvars", ".json")):
                            files += 1
                            size += t.stat().st_size
    (dest / ".git").mkdir(exist_ok=True)
    return files, size


def run(cmd: list[str], env: dict | None = None, cwd: Path | None = None, stdout=subprocess.PIPE,
        echo_stderr: bool = True) -> dict:
    """Runs cmd; wall and CPU seconds, peak RSS (KiB), exit code, seconds to the first output
    byte, stdout bytes (when `stdout` is a pipe, else it goes to that file or DEVNULL) and stderr
    bytes (also copied to this script's stderr when `echo_stderr`). CPU time counts the children
    cmd waited for; peak RSS is that of its largest process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env, cwd=cwd)
    first = None
    out, err = [], []
    pipes = [f for f in (p.stdout, p.stderr) if f is not None]
    while pipes:
        ready, _, _ = select.select(pipes, [], [])
        for f in ready:
            chunk = os.read(f.fileno(), 65536)
            if not chunk:
                pipes.remove(f)
                continue
            if first is None:
                first = time.perf_counter() - t0
            if f is p.stdout:
                out.append(chunk)
            else:
                err.append(chunk)
                if echo_stderr and not chunk.isspace():
                    sys.stderr.buffer.write(chunk)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    return {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "rss_kib": ru.ru_maxrss,
        "rc": os.waitstatus_to_exitcode(status),
        "first": first if first is not None else wall,
        "out": b"".join(out),
        "err": b"".join(err),
    }


def callgrind(cmd: list[str], tmp: Path, env: dict | None = None) -> int:
    """Instructions executed by cmd (valgrind --tool=callgrind), all threads."""
    outf = tmp / "callgrind.out"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={outf}", *cmd],
                   check=False, capture_output=True, env=env)
    total = 0
    for line in outf.read_text(errors="replace").splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            total = max(total, int(line.split()[1]))
    outf.unlink()
    return total


def opened_files(cmd: list[str], tmp: Path, env: dict | None = None) -> set[str]:
    """Files with a .tf/.tfvars/.json name that cmd opens (strace)."""
    log = tmp / "strace.log"
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", str(log), *cmd],
                   check=False, capture_output=True, env=env)
    out = set()
    for line in log.read_text(errors="replace").splitlines():
        if "ENOENT" in line or '"' not in line:
            continue
        path = line.split('"')[1]
        if path.endswith((".tf", ".tfvars", ".json")):
            out.add(path)
    log.unlink()
    return out


def check_files(bare: Path, lint: Path, tree: Path, tmp: Path) -> bool:
    """True when bare_parse parses exactly the files policy-lint opens (both ways)."""
    listed = subprocess.run([str(bare), "--list", str(tree)], check=True, capture_output=True, text=True)
    parsed = set(listed.stdout.splitlines())
    lint_cmd = [str(lint), "check", str(tree), "--format", "json", "--output", str(tmp / "out.json"),
                "--threads", "1"]
    opened = {p for p in opened_files(lint_cmd, tmp) if Path(p).is_relative_to(tree)}
    # policy-lint opens every discovered .json file, and keeps only those naming "Statement"
    # (engine::load); bare_parse reads them all too and parses the same ones.
    bare_opened = {p for p in opened_files([str(bare), str(tree)], tmp) if Path(p).is_relative_to(tree)}
    only_lint = opened - bare_opened
    only_bare = bare_opened - opened
    print(f"  files: bare_parse parses {len(parsed)}, opens {len(bare_opened)}; policy-lint opens "
          f"{len(opened)} (.tf/.tfvars/.json)")
    for what, s in (("opened by policy-lint only", only_lint), ("opened by bare_parse only", only_bare)):
        for p in sorted(s)[:10]:
            print(f"    {what}: {p}")
        if len(s) > 10:
            print(f"    ... {len(s) - 10} more {what}")
    return not only_lint and not only_bare


def fmt_runs(rs: list[dict], key: str, scale: float = 1.0, digits: int = 3) -> str:
    return ", ".join(f"{r[key] * scale:.{digits}f}" for r in rs)


def median(xs: list[float]) -> float:
    return statistics.median(xs)


# checkov (--checkov PATH), run offline as a user scans Terraform: no Bridgecrew/Prisma API key
# (unset; without one checkov scans locally), no platform download (--skip-download,
# BC_SKIP_MAPPING), no PyPI update check (CKV_SKIP_PACKAGE_UPDATE_CHECK), no external module
# download; in the temporary directory, so that no .checkov.yaml of the working directory applies.
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
CHECKOV_UNSET = ("BC_API_KEY", "PRISMA_API_URL", "BC_API_URL", "CKV_FRAMEWORK", "CKV_CHECK", "CKV_SKIP_CHECK")
# Prints, as JSON, the summary of each framework of a checkov `-o json` report (a child process, so
# that the report's objects do not raise the peak RSS that children of this script inherit).
CHECKOV_SUMMARY_PY = """
import json, sys
d = json.load(open(sys.argv[1]))
reports = d if isinstance(d, list) else [d]
out = []
for r in reports:
    s = r.get("summary", r)  # a scan that finds no file prints the bare summary
    out.append({"check_type": r.get("check_type", "-"), **{k: s.get(k) for k in
                ("resource_count", "passed", "failed", "skipped", "parsing_errors", "checkov_version")}})
print(json.dumps(out))
"""


def checkov_cmd(checkov: Path, tree: Path) -> list[str]:
    return [str(checkov), "-d", str(tree), "--framework", "terraform", "--quiet", "--compact", "-o", "json",
            "--skip-download", "--download-external-modules", "false"]


def checkov_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CHECKOV_UNSET}
    env.update(CHECKOV_ENV)
    return env


def checkov_version(checkov: Path) -> str:
    try:
        r = subprocess.run([str(checkov), "--version"], capture_output=True, text=True, env=checkov_env(),
                           timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SystemExit(f"--checkov {checkov}: cannot run it: {e}")
    if r.returncode != 0 or not r.stdout.strip():
        raise SystemExit(f"--checkov {checkov}: `--version` exited {r.returncode}: {r.stderr.strip()[-2000:]}")
    return r.stdout.strip()


def tail(err: bytes, lines: int = 15) -> str:
    text = err.decode(errors="replace").strip().splitlines()[-lines:] or ["(empty)"]
    return "\n".join("      " + line for line in text)


def checkov_failure(r: dict) -> str | None:
    """Why a checkov run does not count, or None. Exit 1 is checkov's "failed checks found"."""
    if r["rc"] in (0, 1):
        return None
    return f"exit {r['rc']}; stderr tail:\n{tail(r['err'])}"


def checkov_summary(report: Path) -> tuple[list[dict] | None, str]:
    """checkov's per-framework summary of its JSON report, or None and why not."""
    p = subprocess.run([sys.executable, "-c", CHECKOV_SUMMARY_PY, str(report)], capture_output=True, text=True)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"its output is not a JSON report ({report.stat().st_size} bytes): {last}"
    return json.loads(p.stdout), ""


def real_bench(args, target: Path) -> None:
    # Absolute: the pre-commit case runs in the tree (CARGO_TARGET_DIR may be relative).
    lint = (target / "release" / "policy-lint").resolve()
    bare = (target / "release" / "examples" / "bare_parse").resolve()
    for b in (lint, bare):
        if not b.exists():
            raise SystemExit(f"{b} is missing: run `cargo build --release --bin policy-lint --examples` first")
    root = Path(args.real)
    if not root.is_dir():
        print(f"bench --real: no corpus at {root} (scripts/ecosystem.py extracts it; see docs/ecosystem.md): skipped")
        return
    repos = corpus_repos(root, args.only)
    if not repos:
        print(f"bench --real: no repositories under {root}: skipped")
        return
    env = dict(os.environ)
    for kv in args.env or []:
        k, _, v = kv.partition("=")
        env[k] = v
    copies = [int(c) for c in args.copies.split(",") if c.strip()]
    checkov = Path(args.checkov) if args.checkov else None
    ckv_env = checkov_env()
    print(f"real repositories: {len(repos)} from {root}; cores: {os.cpu_count()}; {args.runs} interleaved runs "
          f"each, medians; policy-lint --threads {args.threads}"
          + (f"; env {' '.join(args.env)}" if args.env else ""))
    if checkov:
        print(f"checkov: {checkov}, version {checkov_version(checkov)}; `{' '.join(checkov_cmd(checkov, Path('TREE')))}` "
              f"with {' '.join(f'{k}={v}' for k, v in CHECKOV_ENV.items())}, stdout to /dev/null (one more run "
              f"first, untimed, keeps its report for the counts)")
    ckv_failed = False
    tmp = Path(tempfile.mkdtemp(prefix="policy-lint-bench-real-"))
    rows = []
    try:
        for n in copies:
            tree = tmp / f"x{n}"
            t0 = time.perf_counter()
            files, size = build_tree(tree, repos, n)
            print(f"\n{n}x: {tree}: {files} .tf/.tfvars/.json files, {size / 1e6:.1f} MB "
                  f"(built in {time.perf_counter() - t0:.1f}s)")
            out_file = tmp / f"out-x{n}.json"
            lint_cmd = [str(lint), "check", str(tree), "--format", "json", "--output", str(out_file),
                        "--threads", str(args.threads)]
            bare_cmd = [str(bare), str(tree)]
            if args.check_files and n == copies[0]:
                same = check_files(bare, lint, tree, tmp)
                print(f"  bare_parse parses exactly the files policy-lint reads: {'yes' if same else 'NO'}")
            run(bare_cmd)  # warm the page cache
            run(lint_cmd, env)
            ckv, ckv_why = None, None
            if checkov:
                ckv, ckv_why, ckv_summary = checkov_first(checkov, tree, tmp, ckv_env)
            a, b, c = [], [], []
            for _ in range(args.runs):
                a.append(run(bare_cmd))
                r = run(lint_cmd, env)
                if r["rc"] not in (0, 1):
                    raise SystemExit(f"policy-lint exited {r['rc']} on {tree}")
                b.append(r)
                if ckv and not ckv_why:
                    k = run(ckv, ckv_env, cwd=tmp, stdout=subprocess.DEVNULL, echo_stderr=False)
                    ckv_why = checkov_failure(k)
                    c.append(k)
            said = a[-1]["out"].decode().strip()
            wa, wb = median([x["wall"] for x in a]), median([x["wall"] for x in b])
            ca, cb = median([x["cpu"] for x in a]), median([x["cpu"] for x in b])
            ra, rb = max(x["rss_kib"] for x in a), max(x["rss_kib"] for x in b)
            print(f"  bare_parse says: {said}")
            print(f"  (a) bare parse, 1 thread   wall {wa:.3f} s (runs {fmt_runs(a, 'wall')})"
                  f"  CPU {ca:.3f} s  peak RSS {ra / 1024:.1f} MiB")
            print(f"  (b) policy-lint check      wall {wb:.3f} s (runs {fmt_runs(b, 'wall')})"
                  f"  CPU {cb:.3f} s  peak RSS {rb / 1024:.1f} MiB")
            print(f"  ratio (b)/(a): wall {wb / wa:.2f} (target <= 1.0), CPU {cb / ca:.2f}; "
                  f"{files / wb:.0f} files/s, {size / 1e6 / wb:.1f} MB/s")
            row = {"copies": n, "files": files, "mb": size / 1e6, "bare": wa, "lint": wb,
                   "ratio": wb / wa, "cpu_ratio": cb / ca, "rss_mib": rb / 1024}
            if ckv:
                if ckv_why:
                    ckv_failed = True
                    row["checkov"] = None
                    print(f"  (c) checkov FAILED on {tree} (no figure): {ckv_why}")
                else:
                    wc, cc = median([x["wall"] for x in c]), median([x["cpu"] for x in c])
                    rc = max(x["rss_kib"] for x in c)
                    for fw in ckv_summary:
                        print(f"  checkov says ({fw['check_type']}): resource_count {fw['resource_count']}, passed "
                              f"{fw['passed']}, failed {fw['failed']}, skipped {fw['skipped']}, parsing_errors "
                              f"{fw['parsing_errors']}; exit {c[-1]['rc']}; "
                              f"{len(c[-1]['err'].decode(errors='replace').splitlines())} stderr lines")
                    print(f"  (c) checkov -d             wall {wc:.3f} s (runs {fmt_runs(c, 'wall')})"
                          f"  CPU {cc:.3f} s  peak RSS {rc / 1024:.1f} MiB")
                    print(f"  ratio (c)/(b), checkov / policy-lint: wall {wc / wb:.0f}x (issue 19: at least 300x), "
                          f"CPU {cc / cb:.0f}x")
                    row["checkov"] = {"wall": wc, "cpu": cc, "rss_mib": rc / 1024, "ratio": wc / wb,
                                      "cpu_ratio": cc / cb, "lint_cpu": cb}
            if args.callgrind and n == copies[0]:  # under valgrind, 20x would take many minutes
                ia = callgrind(bare_cmd, tmp)
                one = [*lint_cmd[:-1], "1"]
                ib = callgrind(one, tmp, env)
                print(f"  callgrind: bare parse {ia / 1e6:.1f} M instructions, policy-lint --threads 1 "
                      f"{ib / 1e6:.1f} M: ratio {ib / ia:.2f}")
                row["ir_bare"], row["ir_lint"] = ia, ib
            rows.append(row)
        if args.precommit:
            precommit(lint, tmp / f"x{copies[-1]}", args.runs, env)
        print("\nsummary (copies, files, MB, bare s, check s, wall ratio, CPU ratio, peak RSS MiB):")
        for r in rows:
            print(f"  {r['copies']:>3}x {r['files']:>7} {r['mb']:7.1f} {r['bare']:7.3f} {r['lint']:7.3f} "
                  f"{r['ratio']:6.2f} {r['cpu_ratio']:6.2f} {r['rss_mib']:8.1f}"
                  + (f"   Ir {r['ir_lint'] / r['ir_bare']:.2f}" if "ir_bare" in r else ""))
        if checkov:
            print("checkov (copies, check s, checkov s, wall ratio, check CPU s, checkov CPU s, CPU ratio, "
                  "checkov peak RSS MiB):")
            for r in rows:
                k = r["checkov"]
                if k is None:
                    print(f"  {r['copies']:>3}x  checkov FAILED (see above)")
                else:
                    print(f"  {r['copies']:>3}x {r['lint']:7.3f} {k['wall']:9.3f} {k['ratio']:7.0f}x "
                          f"{k['lint_cpu']:7.3f} {k['cpu']:9.3f} {k['cpu_ratio']:7.0f}x {k['rss_mib']:8.1f}")
        if len(rows) > 1:
            base = rows[0]
            for r in rows[1:]:
                k = r["copies"] / base["copies"]
                print(f"  scaling {base['copies']}x -> {r['copies']}x ({k:.0f}x the files): check time "
                      f"{r['lint'] / base['lint']:.1f}x, bare parse {r['bare'] / base['bare']:.1f}x, "
                      f"peak RSS {r['rss_mib'] / base['rss_mib']:.1f}x")
    finally:
        if args.keep_trees:
            print(f"trees kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if ckv_failed:
        raise SystemExit("checkov failed on at least one tree (see above)")


def checkov_first(checkov: Path, tree: Path, tmp: Path, env: dict) -> tuple[list[str], str | None, list[dict]]:
    """The untimed first checkov run (its stdout kept, for the counts): the command, why checkov's
    figures do not count (None when they do) and its per-framework summary."""
    cmd = checkov_cmd(checkov, tree)
    report = tmp / "checkov.json"
    with open(report, "wb") as f:
        r = run(cmd, env, cwd=tmp, stdout=f, echo_stderr=False)
    why = checkov_failure(r)
    summary: list[dict] = []
    if why is None:
        got, bad = checkov_summary(report)
        if got is None:
            why = f"exit {r['rc']}, but {bad}; stderr tail:\n{tail(r['err'])}"
        elif not any(s.get("resource_count") for s in got):
            why = f"it scanned no resource ({got}): the comparison would be meaningless"
        else:
            summary = got
    report.unlink(missing_ok=True)
    return cmd, why, summary


def precommit(lint: Path, tree: Path, runs: int, env: dict) -> None:
    """A few named files in a large tree: time to first output."""
    first_copy = sorted(p for p in tree.iterdir() if p.name.startswith("copy-"))[0]
    tfs = sorted(p for p in first_copy.rglob("*.tf") if ".terraform" not in p.parts)
    child = next((p for p in tfs if "modules" in p.relative_to(first_copy).parts), None)
    rootf = next((p for p in tfs if "modules" not in p.relative_to(first_copy).parts), None)
    tfvars = next(iter(sorted(first_copy.rglob("*.tfvars"))), None)
    named = [p for p in (rootf, child, tfvars) if p is not None]
    rel = [str(p.relative_to(tree)) for p in named]
    print(f"\npre-commit case: in {tree} (one repository of "
          f"{sum(1 for _ in tree.rglob('*.tf'))} .tf files), `policy-lint check {' '.join(rel)}`")
    cmd = [str(lint), "check", *rel, "--color", "never"]
    run(cmd, env, cwd=tree)
    rs = [run(cmd, env, cwd=tree) for _ in range(max(runs, 5))]
    first = median([r["first"] for r in rs])
    wall = median([r["wall"] for r in rs])
    rss = max(r["rss_kib"] for r in rs)
    print(f"  time to first output {first * 1000:.0f} ms (runs {fmt_runs(rs, 'first', 1000, 0)}), "
          f"wall {wall * 1000:.0f} ms, peak RSS {rss / 1024:.1f} MiB, exit {rs[-1]['rc']}")
