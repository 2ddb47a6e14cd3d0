# One policy in dry run, bound to one workspace, with literal allow-lists.
provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "landing" {
  bucket = "acme-landing"
}

resource "databricks_account_network_policy" "prod" {
  account_id        = "0d5c7a3e-1b2f-4c8d-9e6a-7f1b2c3d4e5f"
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        # Python packages
        { destination = "pypi.org", internet_destination_type = "DNS_NAME" },
        { destination = "files.pythonhosted.org", internet_destination_type = "DNS_NAME" }, # wheels
      ]
      allowed_storage_destinations = [
        { bucket_name = "acme-raw", region = "us-east-1", storage_destination_type = "AWS_S3" },
      ]
      blocked_internet_destinations = [
        { destination = "pastebin.com", internet_destination_type = "DNS_NAME" },
      ]
      policy_enforcement = {
        enforcement_mode = "DRY_RUN"
      }
    }
  }
}

resource "databricks_workspace_network_option" "prod" {
  workspace_id      = "1111111111111111"
  network_policy_id = databricks_account_network_policy.prod.network_policy_id
}
