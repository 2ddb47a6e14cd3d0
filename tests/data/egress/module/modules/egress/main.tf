variable "name" {
  type = string
}

variable "destinations" {
  type = list(string)
}

resource "databricks_account_network_policy" "this" {
  network_policy_id = "${var.name}-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        for d in var.destinations : { destination = d, internet_destination_type = "DNS_NAME" }
      ]
      policy_enforcement = {
        enforcement_mode = "ENFORCED"
      }
    }
  }
}

output "network_policy_id" {
  value = databricks_account_network_policy.this.network_policy_id
}
