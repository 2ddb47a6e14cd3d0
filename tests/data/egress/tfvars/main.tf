resource "databricks_account_network_policy" "prod" {
  network_policy_id = "prod-egress"
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
        enforcement_mode = var.enforcement_mode
      }
    }
  }
}

resource "databricks_workspace_network_option" "prod" {
  workspace_id      = "1111111111111111"
  network_policy_id = databricks_account_network_policy.prod.network_policy_id
}
