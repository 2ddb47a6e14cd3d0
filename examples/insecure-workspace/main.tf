# An example Databricks-on-AWS workspace with the mistakes policy-lint exists to catch.
# Run: cargo run --release -- check examples/insecure-workspace

terraform {
  required_providers {
    databricks = { source = "databricks/databricks" }
    aws        = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = var.region
}

locals {
  prefix = "${var.project}-${var.environment}"
}

# Serverless egress: the shape of a popular blog post, with its two mistakes.
resource "databricks_account_network_policy" "egress" {
  account_id        = var.databricks_account_id
  network_policy_id = "${local.prefix}-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        for d in var.allowed_destinations : {
          destination               = d
          internet_destination_type = "DNS_NAME"
        }
      ]
      policy_enforcement = {
        enforcement_mode = "MONITOR_ONLY"
      }
    }
  }
}

resource "databricks_workspace_network_policy_binding" "this" {
  workspace_id      = databricks_mws_workspaces.this.workspace_id
  network_policy_id = databricks_account_network_policy.egress.network_policy_id
}

# Customer-managed keys, built by a local module from a policy document.
module "storage_key" {
  source                = "./modules/cmk"
  alias                 = "${local.prefix}-storage"
  databricks_account_id = var.databricks_aws_account
}

resource "databricks_mws_customer_managed_keys" "storage" {
  account_id = var.databricks_account_id
  aws_key_info {
    key_arn   = module.storage_key.key_arn
    key_alias = module.storage_key.alias
  }
  use_cases = ["MANAGED_SERVICES"]
}

resource "databricks_mws_workspaces" "this" {
  account_id                      = var.databricks_account_id
  workspace_name                  = local.prefix
  aws_region                      = var.region
  credentials_id                  = "cred-123"
  storage_configuration_id        = "storage-123"
  storage_customer_managed_key_id = databricks_mws_customer_managed_keys.storage.customer_managed_key_id
}
