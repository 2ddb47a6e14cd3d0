#!/usr/bin/env python3
"""Benchmark policy-lint against a bare parse of the same files.

Python 3.11 standard library only. Usage (from the repository root):

    cargo build --release --bin policy-lint --examples
    python3 scripts/bench.py [--workspaces 2500] [--runs 3] [--keep DIR]

It generates a corpus of Databricks-on-AWS Terraform in a temporary directory (one root module and
one local `cmk` module per workspace; key policies written every way: aws_iam_policy_document,
jsonencode, heredoc, file(), templatefile(), standalone JSON; network policies with destinations;
tfvars; filler resources), then measures, each `--runs` times (the median is reported):

  (a) bare:   target/release/examples/bare_parse <corpus>  (one thread: policy-lint's discovery,
              hcl-edit + serde_json over the files policy-lint parses)
  (b) full:   target/release/policy-lint check <corpus> --format json --output /dev/null
  (c) small:  target/release/policy-lint check <one small .tf file> --format json --output /dev/null

and prints files/s, MB/s, the ratio (b)/(a) and the peak RSS of each child (getrusage via wait4).

Then it generates exported `system.access.outbound_network` logs of `--egress-rows` rows (default
one million; rows of the table itself, every column, as the SQL editor exports them) for a small
configuration of network policies and workspace bindings, and measures

  (d) egress: target/release/policy-lint egress-report --log <log> <config> --format json

for each of `--egress-formats` (csv, json, jsonl), twice: on a log with few distinct destinations
(memory must not grow with the rows: target 10 s and 100 MiB) and on one with many (what each
distinct destination adds). It prints wall time, rows/s and peak RSS. `--egress-only` skips (a)
to (c).

Real repositories (`--real [DIR]`, scripts/bench_real.py): the ecosystem corpus (or every
subdirectory of DIR) at `--copies 1,4,20`, interleaved bare parse and policy-lint runs, the ratio,
CPU ratio, peak RSS and scaling; `--callgrind` (instruction counts), `--check-files` (bare_parse
parses exactly the files policy-lint reads, by strace), `--precommit` (three named files in the
largest tree: time to first output), `--only issue19` (the three repositories of issue 19),
`--checkov PATH` (also time checkov on each tree, offline, and the ratio checkov / policy-lint).

    python3 scripts/bench.py --real --runs 5 --check-files --callgrind --precommit

One huge module (`--big-file`, scripts/gen_big_module.py): 400,000 aws_kms_key resources in one
file (37.9 MB) and in 16 modules, each with and without `ulimit -v 2097152`: exit code, time,
peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))

ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
]
GRANTS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]


def key_policy_json(account: str, rng: random.Random, placeholder: str | None = None) -> str:
    """A KMS key policy as JSON text (optionally with a template placeholder for the account)."""
    acct = placeholder or account
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableRootAccess",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AllowDatabricksToUseKeyForDBFS",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::414351767826:root"},
                "Action": ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "AllowDatabricksToUseKeyForDBFSGrants",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::414351767826:root"},
                "Action": GRANTS,
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ],
    }
    if rng.random() < 0.3:
        doc["Statement"][1]["Condition"] = {
            "StringEquals": {"aws:PrincipalTag/DatabricksAccountId": ["0000-" + str(rng.randint(1000, 9999))]}
        }
    return json.dumps(doc, indent=2)


def hcl_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def filler(i: int, n: int, rng: random.Random) -> str:
    """Ordinary resources that make files realistic in size (buckets, roles, security groups)."""
    out = []
    for j in range(n):
        kind = j % 3
        if kind == 0:
            out.append(
                f'''resource "aws_s3_bucket" "data_{j}" {{
  bucket = "${{local.prefix}}-data-{j}"
  tags = merge(local.tags, {{
    Name  = "data-{j}"
    Index = "{j}"
  }})
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "data_{j}" {{
  bucket = aws_s3_bucket.data_{j}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.jsonencoded.arn
    }}
  }}
}}
'''
            )
        elif kind == 1:
            out.append(
                f'''resource "aws_iam_role" "role_{j}" {{
  name = "${{local.prefix}}-role-{j}"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {{ AWS = "arn:aws:iam::414351767826:root" }}
      Condition = {{ StringEquals = {{ "sts:ExternalId" = var.databricks_account_id }} }}
    }}]
  }})
  tags = local.tags
}}
'''
            )
        else:
            ports = rng.sample([22, 80, 443, 3306, 5432, 6379, 8443, 9000], 3)
            ingress = "\n".join(
                f'''  ingress {{
    from_port   = {p}
    to_port     = {p}
    protocol    = "tcp"
    cidr_blocks = ["10.{i % 250}.0.0/16"]
  }}'''
                for p in ports
            )
            out.append(
                f'''resource "aws_security_group" "sg_{j}" {{
  name   = "${{local.prefix}}-sg-{j}"
  vpc_id = var.vpc_id
{ingress}
  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}
'''
            )
    return "\n".join(out)


def workspace(root: Path, i: int, rng: random.Random, filler_n: int) -> None:
    ws = root / f"team-{i // 100:03d}" / f"ws-{i:05d}"
    (ws / "modules" / "cmk").mkdir(parents=True)
    (ws / "policies").mkdir()
    (ws / "templates").mkdir()
    account = f"{rng.randint(10**11, 10**12 - 1)}"
    dests = rng.sample(
        [
            "pypi.org",
            "files.pythonhosted.org",
            "*.amazonaws.com",
            "github.com",
            "*.github.com",
            "repo.maven.apache.org",
            "conda.anaconda.org",
            "huggingface.co",
        ],
        4,
    )
    enforcement = "MONITOR_ONLY" if i % 7 == 0 else "ENFORCED"
    heredoc = key_policy_json(account, rng)
    (ws / "main.tf").write_text(
        f'''terraform {{
  required_providers {{
    databricks = {{ source = "databricks/databricks" }}
    aws        = {{ source = "hashicorp/aws" }}
  }}
}}

locals {{
  prefix = "${{var.project}}-${{var.environment}}-{i}"
  tags = {{
    Project     = var.project
    Environment = var.environment
    Workspace   = "{i}"
  }}
}}

resource "databricks_account_network_policy" "egress" {{
  account_id        = var.databricks_account_id
  network_policy_id = "${{local.prefix}}-egress"
  egress = {{
    network_access = {{
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        for d in var.allowed_destinations : {{
          destination               = d
          internet_destination_type = "DNS_NAME"
        }}
      ]
      allowed_storage_destinations = [{{
        bucket_name              = "${{local.prefix}}-root"
        region                   = var.region
        storage_destination_type = "AWS_S3"
      }}]
      policy_enforcement = {{
        enforcement_mode = "{enforcement}"
      }}
    }}
  }}
}}

resource "databricks_workspace_network_policy_binding" "this" {{
  workspace_id      = databricks_mws_workspaces.this.workspace_id
  network_policy_id = databricks_account_network_policy.egress.network_policy_id
}}

module "storage_key" {{
  source                = "./modules/cmk"
  alias                 = "${{local.prefix}}-storage"
  databricks_account_id = var.databricks_aws_account
}}

resource "aws_kms_key" "jsonencoded" {{
  description = "managed services"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid       = "EnableRootAccess"
        Effect    = "Allow"
        Principal = {{ AWS = "arn:aws:iam::{account}:root" }}
        Action    = "kms:*"
        Resource  = "*"
      }},
      {{
        Sid       = "AllowDatabricksToUseKey"
        Effect    = "Allow"
        Principal = {{ AWS = "arn:aws:iam::${{var.databricks_aws_account}}:root" }}
        Action    = {hcl_list(ACTIONS)}
        Resource  = "*"
      }},
    ]
  }})
}}

resource "aws_kms_key" "heredoc" {{
  description = "workspace storage (heredoc)"
  policy      = <<-EOF
{heredoc}
  EOF
}}

resource "aws_kms_key" "from_file" {{
  description = "ebs"
  policy      = file("${{path.module}}/policies/key.json")
}}

resource "aws_kms_key" "from_template" {{
  description = "logs"
  policy = templatefile("${{path.module}}/templates/key.json.tpl", {{
    account_id = "{account}"
  }})
}}

resource "databricks_mws_customer_managed_keys" "storage" {{
  account_id = var.databricks_account_id
  aws_key_info {{
    key_arn   = module.storage_key.key_arn
    key_alias = module.storage_key.alias
  }}
  use_cases = ["STORAGE"]
}}

resource "databricks_mws_customer_managed_keys" "managed" {{
  account_id = var.databricks_account_id
  aws_key_info {{
    key_arn = aws_kms_key.jsonencoded.arn
  }}
  use_cases = ["MANAGED_SERVICES"]
}}

resource "databricks_mws_workspaces" "this" {{
  account_id                               = var.databricks_account_id
  workspace_name                           = local.prefix
  aws_region                               = var.region
  credentials_id                           = "cred-{i}"
  storage_configuration_id                 = "storage-{i}"
  storage_customer_managed_key_id          = databricks_mws_customer_managed_keys.storage.customer_managed_key_id
  managed_services_customer_managed_key_id = databricks_mws_customer_managed_keys.managed.customer_managed_key_id
}}

{filler(i, filler_n, rng)}
'''
    )
    (ws / "variables.tf").write_text(
        '''variable "project" {
  type    = string
  default = "analytics"
}

variable "environment" {
  type    = string
  default = "prod"
}

variable "databricks_account_id" {
  type = string
}

variable "databricks_aws_account" {
  type    = string
  default = "414351767826"
}

variable "region" {
  type    = string
  default = "us-west-2"
}

variable "vpc_id" {
  type    = string
  default = "vpc-0123456789abcdef0"
}

variable "allowed_destinations" {
  type = list(string)
}
'''
    )
    (ws / "terraform.tfvars").write_text(
        f'''databricks_account_id = "{rng.randint(10**7, 10**8 - 1)}-0000-0000-0000-000000000000"
allowed_destinations = {hcl_list(dests)}
'''
    )
    (ws / "policies" / "key.json").write_text(key_policy_json(account, rng) + "\n")
    (ws / "templates" / "key.json.tpl").write_text(
        key_policy_json(account, rng, placeholder="${account_id}") + "\n"
    )
    (ws / "modules" / "cmk" / "main.tf").write_text(
        f'''variable "alias" {{
  type = string
}}

variable "databricks_account_id" {{
  type = string
}}

data "aws_caller_identity" "current" {{}}

data "aws_iam_policy_document" "cmk" {{
  statement {{
    sid       = "EnableRootAccess"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:root"]
    }}
  }}

  statement {{
    sid       = "AllowDatabricksToUseKeyForDBFS"
    actions   = {hcl_list(ACTIONS)}
    resources = ["*"]
    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::${{var.databricks_account_id}}:root"]
    }}
  }}

  statement {{
    sid       = "AllowDatabricksToUseKeyForDBFSGrants"
    actions   = {hcl_list(GRANTS)}
    resources = ["*"]
    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::${{var.databricks_account_id}}:root"]
    }}
    condition {{
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }}
  }}
}}

resource "aws_kms_key" "this" {{
  description         = "Databricks workspace storage"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.cmk.json
}}

resource "aws_kms_alias" "this" {{
  name          = "alias/${{var.alias}}"
  target_key_id = aws_kms_key.this.key_id
}}

output "key_arn" {{
  value = aws_kms_key.this.arn
}}

output "alias" {{
  value = aws_kms_alias.this.name
}}
'''
    )


def generate(root: Path, n: int, filler_n: int) -> tuple[int, int]:
    rng = random.Random(20260101)
    for i in range(n):
        workspace(root, i, rng, filler_n)
    files = 0
    size = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            if not name.endswith((".tf", ".tfvars", ".json")):
                continue  # templates are read through templatefile(), not as files of their own
            files += 1
            size += os.path.getsize(os.path.join(dirpath, name))
    return files, size


def egress_config(root: Path, policies: int, per_policy: int, workspaces: int) -> None:
    """Network policies with `per_policy` allowed hosts each, and bindings for all but the last
    two workspaces (their events are unattributed)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)
    out = []
    for p in range(policies):
        hosts = "\n".join(
            f'        {{ destination = "h{h}.example.com", internet_destination_type = "DNS_NAME" }},'
            for h in range(p * per_policy, (p + 1) * per_policy)
        )
        out.append(f"""resource "databricks_account_network_policy" "p{p}" {{
  network_policy_id = "team-{p}-egress"
  egress = {{
    network_access = {{
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
{hosts}
      ]
      allowed_storage_destinations = [
        {{ bucket_name = "bucket-{p}", region = "us-east-1", storage_destination_type = "AWS_S3" }},
      ]
      policy_enforcement = {{
        enforcement_mode = "DRY_RUN"
      }}
    }}
  }}
}}
""")
    for w in range(workspaces - 2):
        out.append(f"""resource "databricks_workspace_network_option" "w{w}" {{
  workspace_id      = "{1000000000000000 + w}"
  network_policy_id = databricks_account_network_policy.p{w % policies}.network_policy_id
}}
""")
    (root / "main.tf").write_text("\n".join(out))


def egress_log(path: Path, rows: int, fmt: str, hosts: int, buckets: int, workspaces: int) -> int:
    """Writes `rows` rows of system.access.outbound_network; returns the number of distinct
    (workspace, destination) pairs."""
    rng = random.Random(20260102)
    sources = ["General Compute", "DBSQL", "MLServing", "ML Build", "Apps"]
    seen = set()
    with open(path, "w", encoding="utf-8", newline="") as f:
        if fmt == "csv":
            f.write("account_id,workspace_id,event_id,destination_type,destination,dns_event,"
                    "storage_event,event_time,access_type,network_source_type\r\n")
        elif fmt == "json":
            f.write("[\n")
        for i in range(rows):
            ws = 1000000000000000 + rng.randrange(workspaces)
            r = rng.random()
            if r < 0.9:
                # A skewed choice: a few hosts get most events, as in real logs.
                d = f"h{int(hosts * rng.random() ** 3)}.example.com"
                dtype, dns, storage = "DNS", {"domain_name": d, "rcode": 3}, None
            elif r < 0.98:
                b = f"bucket-{rng.randrange(buckets)}"
                d = f"s3://{b}"
                dtype, dns, storage = "STORAGE", None, {"hostname": d, "path": "/data", "rejection_reason": "storage-bucket-path-denied"}
            else:
                d = f"203.0.113.{rng.randrange(256)}"
                dtype, dns, storage = "IP", None, None
            seen.add((ws, d))
            event = f"{i:08x}-7a0a-4d49-b742-7ae5f06bc4b2"
            when = f"2025-05-{1 + i % 28:02d}T01:01:01.123"
            src = sources[i % len(sources)]
            if fmt == "csv":
                dj = json.dumps(dns).replace('"', '""') if dns else ""
                sj = json.dumps(storage).replace('"', '""') if storage else ""
                f.write(f'7af234db-66d7-4db3-bbf0-956098224879,{ws},{event},{dtype},{d},'
                        f'"{dj}","{sj}",{when},DROP,{src}\r\n')
            else:
                row = json.dumps({
                    "account_id": "7af234db-66d7-4db3-bbf0-956098224879", "workspace_id": str(ws),
                    "event_id": event, "destination_type": dtype, "destination": d,
                    "dns_event": dns, "storage_event": storage, "event_time": when,
                    "access_type": "DROP", "network_source_type": src,
                })
                if fmt == "json":
                    f.write(("  " if i == 0 else ",\n  ") + row)
                else:
                    f.write(row + "\n")
        if fmt == "json":
            f.write("\n]\n")
    return len(seen)


def run_child(cmd: list[str]) -> tuple[float, int, int, bytes, float]:
    """Runs cmd; returns (wall seconds, peak RSS in KiB, exit code, stdout, CPU seconds)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = b"", b""
    # Read the pipes before reaping so a chatty child cannot block.
    out, err = p.stdout.read(), p.stderr.read()  # type: ignore[union-attr]
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"{cmd[0]} failed with exit code {p.returncode}")
    return wall, ru.ru_maxrss, p.returncode, out, ru.ru_utime + ru.ru_stime


def measure(name: str, cmd: list[str], runs: int) -> dict:
    walls, rss, cpus = [], [], []
    for _ in range(runs):
        w, m, _, out, cpu = run_child(cmd)
        walls.append(w)
        rss.append(m)
        cpus.append(cpu)
    return {
        "name": name,
        "walls": walls,
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "rss_kib": max(rss),
        "out": out,
    }


def main() -> None:
    if len(sys.argv) == 8 and sys.argv[1] == "--egress-generate":
        # Internal: generate one egress log (see egress_bench) and print its distinct pairs.
        _, _, path, rows, fmt, hosts, buckets, workspaces = sys.argv
        print(egress_log(Path(path), int(rows), fmt, int(hosts), int(buckets), int(workspaces)))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspaces", type=int, default=2500, help="root modules to generate (default 2500)")
    ap.add_argument("--filler", type=int, default=45, help="filler resources per root module (default 45)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is reported")
    ap.add_argument("--threads", type=int, default=0, help="policy-lint --threads (0 = one per core)")
    ap.add_argument("--keep", type=Path, help="generate the corpus here and keep it")
    ap.add_argument("--egress-rows", type=int, default=1_000_000, help="rows of the egress log (default 1000000; 0 skips)")
    ap.add_argument("--egress-formats", default="csv", help="log formats to measure: csv,json,jsonl (default csv)")
    ap.add_argument("--egress-only", action="store_true", help="measure only egress-report")
    real = ap.add_argument_group("real repositories (--real; see scripts/bench_real.py)")
    real.add_argument("--real", nargs="?", metavar="DIR",
                      const=os.environ.get("POLICY_LINT_ECO_CACHE", "/tmp/policy-lint-ecosystem"),
                      help="measure on real repositories instead of a generated corpus: the ecosystem "
                           "corpus extracted by scripts/ecosystem.py (default $POLICY_LINT_ECO_CACHE or "
                           "/tmp/policy-lint-ecosystem), or every subdirectory of DIR")
    real.add_argument("--only", help="only these repositories (owner/name,...; `issue19`: the three of issue 19)")
    real.add_argument("--copies", default="1,4,20", help="copies of the corpus to measure (default 1,4,20)")
    real.add_argument("--callgrind", action="store_true", help="also count instructions (valgrind)")
    real.add_argument("--check-files", action="store_true",
                      help="check (strace) that bare_parse parses exactly the files policy-lint reads")
    real.add_argument("--precommit", action="store_true",
                      help="also time a few named files in the largest tree (time to first output)")
    real.add_argument("--checkov", metavar="PATH",
                      help="also run this checkov executable on each tree (offline, --framework terraform), "
                           "--runs times: wall, CPU, peak RSS and the ratio to policy-lint")
    real.add_argument("--env", action="append", metavar="K=V", help="environment of the policy-lint runs")
    real.add_argument("--keep-trees", action="store_true", help="keep the copies (printed)")
    big = ap.add_argument_group("one huge module (--big-file; see scripts/gen_big_module.py)")
    big.add_argument("--big-file", action="store_true",
                     help="measure one generated file of --big-resources aws_kms_key resources, also "
                          "under a 2 GiB address-space limit")
    big.add_argument("--big-resources", type=int, default=400_000, help="resources (default 400000: 37.9 MB)")
    args = ap.parse_args()
    if args.real:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_real

        bench_real.real_bench(args, TARGET)
        return
    if args.big_file:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import gen_big_module

        gen_big_module.big_bench(args, TARGET)
        return
    if args.egress_only:
        egress_bench(args)
        return

    lint = TARGET / "release" / "policy-lint"
    bare = TARGET / "release" / "examples" / "bare_parse"
    for b in (lint, bare):
        if not b.exists():
            raise SystemExit(f"{b} is missing: run `cargo build --release --bin policy-lint --examples` first")

    tmp = None
    if args.keep:
        root = args.keep
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
    else:
        tmp = tempfile.mkdtemp(prefix="policy-lint-bench-")
        root = Path(tmp)
    try:
        t0 = time.perf_counter()
        files, size = generate(root, args.workspaces, args.filler)
        mb = size / 1e6
        print(f"corpus: {root}: {files} files, {mb:.1f} MB, {args.workspaces} workspaces "
              f"({2 * args.workspaces} module directories), generated in {time.perf_counter() - t0:.1f}s")
        print(f"cores: {os.cpu_count()}; {args.runs} runs each, median wall time; peak RSS is the max over runs")

        small = root / "team-000" / "ws-00000" / "modules" / "cmk" / "main.tf"
        lint_common = ["--format", "json", "--output", "/dev/null", "--threads", str(args.threads)]
        # Warm the page cache so the first measurement is not penalised.
        run_child([str(bare), str(root)])
        a = measure("(a) bare parse, 1 thread", [str(bare), str(root)], args.runs)
        b = measure("(b) policy-lint check corpus", [str(lint), "check", str(root), *lint_common], args.runs)
        c = measure("(c) policy-lint check 1 small file", [str(lint), "check", str(small), *lint_common], max(args.runs, 5))
        print(f"bare_parse says: {a['out'].decode().strip()}")
        print()
        print(f"{'measurement':38} {'median s':>9} {'runs (s)':>26} {'files/s':>10} {'MB/s':>8} {'CPU s':>8} {'peak RSS MiB':>13}")
        for m, nfiles, nmb in ((a, files, mb), (b, files, mb), (c, 1, small.stat().st_size / 1e6)):
            runs = ", ".join(f"{w:.3f}" for w in m["walls"])
            print(
                f"{m['name']:38} {m['wall']:9.3f} {runs:>26} {nfiles / m['wall']:10.0f} "
                f"{nmb / m['wall']:8.1f} {m['cpu']:8.3f} {m['rss_kib'] / 1024:13.1f}"
            )
        ratio = b["wall"] / a["wall"]
        print()
        print(f"ratio (b)/(a) = {ratio:.2f} wall  (target <= 1.0); CPU-time ratio {b['cpu'] / a['cpu']:.2f}")
        print(f"small file: {c['wall'] * 1000:.1f} ms  (target well under 50 ms)")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.egress_rows > 0:
        print()
        egress_bench(args)


def egress_bench(args: argparse.Namespace) -> None:
    """(d): policy-lint egress-report on a generated log of --egress-rows rows."""
    lint = TARGET / "release" / "policy-lint"
    if not lint.exists():
        raise SystemExit(f"{lint} is missing: run `cargo build --release --bin policy-lint` first")
    tmp = Path(tempfile.mkdtemp(prefix="policy-lint-egress-bench-"))
    try:
        workspaces, policies = 20, 4
        egress_config(tmp / "config", policies, 250, workspaces)
        # Two logs of the same size: few distinct destinations (what memory costs per row: it
        # must not grow) and many (what each distinct destination costs).
        for fmt in [f.strip() for f in args.egress_formats.split(",") if f.strip()]:
            base = None
            for label, hosts, buckets in (("few destinations", 200, 20), ("many destinations", 20_000, 500)):
                log = tmp / f"outbound_network.{fmt}"
                t0 = time.perf_counter()
                # In a child process: a child's peak RSS (wait4) counts the high-water mark of
                # the process it was started from, so this one must stay small.
                gen = subprocess.run(
                    [sys.executable, __file__, "--egress-generate", str(log), str(args.egress_rows), fmt,
                     str(hosts), str(buckets), str(workspaces)],
                    check=True, capture_output=True, text=True,
                )
                distinct = int(gen.stdout.strip())
                size = log.stat().st_size / 1e6
                print(f"egress log: {args.egress_rows} rows ({fmt}, {label}), {size:.0f} MB, {distinct} distinct "
                      f"(workspace, destination) pairs, generated in {time.perf_counter() - t0:.1f}s")
                cmd = [str(lint), "egress-report", "--log", str(log), str(tmp / "config"),
                       "--format", "json", "--output", "/dev/null", "--threads", str(args.threads)]
                run_child(cmd)  # warm the page cache
                d = measure(f"(d) egress-report {fmt}", cmd, args.runs)
                runs = ", ".join(f"{w:.3f}" for w in d["walls"])
                mib = d["rss_kib"] / 1024
                print(f"{d['name']:38} {d['wall']:9.3f} s  runs {runs}  {args.egress_rows / d['wall']:,.0f} rows/s  "
                      f"{size / d['wall']:.0f} MB/s  peak RSS {mib:.1f} MiB "
                      f"(floor: this script's own {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")
                if base is None:
                    base = (mib, distinct)
                    ok = d["wall"] <= 10 and mib <= 100
                    print(f"  target: at most 10 s and 100 MiB with few destinations: {'met' if ok else 'NOT met'}")
                else:
                    per = (mib - base[0]) * 2**20 / max(1, distinct - base[1])
                    print(f"  target: at most 10 s: {'met' if d['wall'] <= 10 else 'NOT met'}; "
                          f"{per:.0f} bytes of peak memory per additional distinct pair")
                log.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
