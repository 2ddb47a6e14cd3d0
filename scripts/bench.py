#!/usr/bin/env python3
"""Benchmark policy-lint against a bare parse of the same files.

Python 3.11 standard library only. Usage (from the repository root):

    cargo build --release --bin policy-lint --examples
    python3 scripts/bench.py [--workspaces 2500] [--runs 3] [--keep DIR]

It generates a corpus of Databricks-on-AWS Terraform in a temporary directory (one root module and
one local `cmk` module per workspace; key policies written every way: aws_iam_policy_document,
jsonencode, heredoc, file(), templatefile(), standalone JSON; network policies with destinations;
tfvars; filler resources), then measures, each `--runs` times (the median is reported):

  (a) bare:   target/release/examples/bare_parse <corpus>  (one thread: hcl-edit + serde_json)
  (b) full:   target/release/policy-lint check <corpus> --format json --output /dev/null
  (c) small:  target/release/policy-lint check <one small .tf file> --format json --output /dev/null

and prints files/s, MB/s, the ratio (b)/(a) and the peak RSS of each child (getrusage via wait4).
"""

from __future__ import annotations

import argparse
import json
import os
import random
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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspaces", type=int, default=2500, help="root modules to generate (default 2500)")
    ap.add_argument("--filler", type=int, default=45, help="filler resources per root module (default 45)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is reported")
    ap.add_argument("--threads", type=int, default=0, help="policy-lint --threads (0 = one per core)")
    ap.add_argument("--keep", type=Path, help="generate the corpus here and keep it")
    args = ap.parse_args()

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


if __name__ == "__main__":
    main()
