resource "databricks_account_network_policy" "analytics" {
  network_policy_id = "analytics-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        { destination = "pypi.org", internet_destination_type = "DNS_NAME" },
      ]
      policy_enforcement = {
        enforcement_mode = "DRY_RUN"
      }
    }
  }
}

resource "databricks_account_network_policy" "ml" {
  network_policy_id = "ml-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        { destination = "huggingface.co", internet_destination_type = "DNS_NAME" },
      ]
      policy_enforcement = {
        enforcement_mode = "ENFORCED"
      }
    }
  }
}

resource "databricks_workspace_network_option" "analytics" {
  workspace_id      = "1111111111111111"
  network_policy_id = databricks_account_network_policy.analytics.network_policy_id
}

resource "databricks_workspace_network_option" "ml" {
  workspace_id      = "2222222222222222"
  network_policy_id = "ml-egress"
}

# A workspace bound to a policy this configuration does not manage.
resource "databricks_workspace_network_option" "legacy" {
  workspace_id      = "3333333333333333"
  network_policy_id = "default-policy"
}
