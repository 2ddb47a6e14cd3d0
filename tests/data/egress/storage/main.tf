provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

resource "aws_s3_bucket" "exports" {
  provider = aws.west
  bucket   = "acme-exports"
}

resource "databricks_account_network_policy" "prod" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_storage_destinations = [
        { bucket_name = "acme-landing", region = "us-east-1", storage_destination_type = "AWS_S3" },
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
