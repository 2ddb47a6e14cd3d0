locals {
  teams = {
    analytics = { workspace_id = "1234567890123456", destinations = ["pypi.org", "files.pythonhosted.org"] }
    ml        = { workspace_id = "2345678901234567", destinations = ["huggingface.co", "cdn-lfs.huggingface.co"] }
  }
}

resource "databricks_account_network_policy" "team" {
  for_each          = local.teams
  account_id        = "0d5c7a3e-1b2f-4c8d-9e6a-7f1b2c3d4e5f"
  network_policy_id = "prod-${each.key}"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        for d in each.value.destinations : { destination = d, internet_destination_type = "DNS_NAME" }
      ]
      policy_enforcement = {
        enforcement_mode = "ENFORCED"
      }
    }
  }
}

resource "databricks_workspace_network_option" "team" {
  for_each          = local.teams
  workspace_id      = each.value.workspace_id
  network_policy_id = databricks_account_network_policy.team[each.key].network_policy_id
}
