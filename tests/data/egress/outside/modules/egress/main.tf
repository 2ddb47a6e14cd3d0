resource "databricks_account_network_policy" "this" {
  network_policy_id = "shared-egress"
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
