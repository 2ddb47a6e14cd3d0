#!/usr/bin/env python3
"""One huge Terraform module: a single `main.tf` of N `aws_kms_key` resources (issue 19, item 6).

Python 3.11 standard library only.

    python3 scripts/gen_big_module.py DIR [--resources 400000] [--modules 1]

writes DIR/main.tf (400,000 resources: 37.9 MB, the size of issue 19's file), or with --modules M the same resources split
over M root modules (DIR/keys00/main.tf, ...: separate units, so memory follows the largest one). `scripts/bench.py --big-file` generates it in a
temporary directory and measures `policy-lint check` on it with and without a 2 GiB address-space
limit (`ulimit -v 2097152`), which must end with exit 0 or 1, or with a clear error (exit 2) naming
the file and the limit, never an abort.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def resource_text(i: int) -> str:
    return (
        f'resource "aws_kms_key" "k{i:06d}" {{\n'
        f'  description = "key {i}"\n'
        f"  enable_key_rotation = true\n"
        f"}}\n"
    )


def write_keys(path: Path, start: int, end: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        chunk = []
        for i in range(start, end):
            chunk.append(resource_text(i))
            if len(chunk) == 10_000:
                f.write("".join(chunk))
                chunk.clear()
        f.write("".join(chunk))


def generate(root: Path, resources: int, modules: int = 1) -> int:
    """Writes the configuration; returns its size in bytes."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)
    if modules <= 1:
        write_keys(root / "main.tf", 0, resources)
        return (root / "main.tf").stat().st_size
    per = -(-resources // modules)
    size = 0
    for m in range(modules):
        d = root / f"keys{m:02d}"
        d.mkdir(parents=True, exist_ok=True)
        write_keys(d / "main.tf", m * per, min(resources, (m + 1) * per))
        size += (d / "main.tf").stat().st_size
    return size


def limited(limit_kib: int):
    def pre() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_kib * 1024, limit_kib * 1024))

    return pre


def run(cmd: list[str], limit_kib: int | None) -> dict:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=limited(limit_kib) if limit_kib else None)
    err = p.stderr.read()  # type: ignore[union-attr]
    _, status, ru = os.wait4(p.pid, 0)
    return {
        "wall": time.perf_counter() - t0,
        "rss_kib": ru.ru_maxrss,
        "status": status,
        "rc": os.waitstatus_to_exitcode(status),
        "stderr": err.decode(errors="replace"),
    }


def big_bench(args, target: Path) -> None:
    lint = target / "release" / "policy-lint"
    if not lint.exists():
        raise SystemExit(f"{lint} is missing: run `cargo build --release --bin policy-lint` first")
    tmp = Path(tempfile.mkdtemp(prefix="policy-lint-big-"))
    try:
        for modules in (1, 16):
            root = tmp / f"m{modules}"
            size = generate(root, args.big_resources, modules)
            print(f"\n{args.big_resources} aws_kms_key resources in {modules} root module(s): {size / 1e6:.1f} MB")
            cmd = [str(lint), "check", str(root), "--format", "json", "--output", "/dev/null",
                   "--threads", str(args.threads)]
            for label, limit in (("no limit", None), ("ulimit -v 2097152", 2097152)):
                r = run(cmd, limit)
                rc = r["rc"]
                verdict = "ok" if rc in (0, 1) else ("clear error" if rc == 2 else "ABORT/CRASH")
                print(f"  {label:18} exit {rc} ({verdict}), wall {r['wall']:.2f} s, peak RSS "
                      f"{r['rss_kib'] / 1024:.0f} MiB ({r['rss_kib'] * 1024 / size:.1f}x the input)")
                if rc not in (0, 1):
                    tail = r["stderr"].strip().splitlines()[-3:]
                    for line in tail:
                        print(f"      stderr: {line[:200]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--resources", type=int, default=400_000)
    ap.add_argument("--modules", type=int, default=1)
    a = ap.parse_args()
    size = generate(a.dir, a.resources, a.modules)
    print(f"{a.dir}: {a.resources} aws_kms_key resources, {a.modules} module(s), {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
