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

The pre-commit case (--precommit, on the largest tree): `policy-lint check FILE...` for three
files of the first copy (a root module's .tf file, a child module's .tf file, a .tfvars file) run
from the top of the tree, as the pre-commit hook runs it: time to the first byte of output, wall
time, peak RSS.
"""

from __future__ import annotations

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


def run(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Runs cmd; wall and CPU seconds, peak RSS (KiB), exit code, seconds to the first output
    byte, stdout bytes."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    first = None
    out = []
    pipes = [p.stdout, p.stderr]
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
            elif not chunk.isspace():
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


def real_bench(args, target: Path) -> None:
    lint = target / "release" / "policy-lint"
    bare = target / "release" / "examples" / "bare_parse"
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
    print(f"real repositories: {len(repos)} from {root}; cores: {os.cpu_count()}; {args.runs} interleaved runs "
          f"each, medians; policy-lint --threads {args.threads}"
          + (f"; env {' '.join(args.env)}" if args.env else ""))
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
            a, b = [], []
            for _ in range(args.runs):
                a.append(run(bare_cmd))
                r = run(lint_cmd, env)
                if r["rc"] not in (0, 1):
                    raise SystemExit(f"policy-lint exited {r['rc']} on {tree}")
                b.append(r)
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
