resource "databricks_mws_workspaces" "prod" {
  account_id     = "0d5c7a3e-1b2f-4c8d-9e6a-7f1b2c3d4e5f"
  workspace_name = "acme-prod"
  aws_region     = "eu-west-1"
}

resource "databricks_account_network_policy" "prod" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        { destination = "pypi.org", internet_destination_type = "DNS_NAME" },
      ]
      allowed_storage_destinations = []
      policy_enforcement = {
        enforcement_mode = "DRY_RUN"
      }
    }
  }
}

resource "databricks_workspace_network_option" "prod" {
  workspace_id      = databricks_mws_workspaces.prod.workspace_id
  network_policy_id = databricks_account_network_policy.prod.network_policy_id
}
