module "egress" {
  source = "./modules/egress"
  name   = "prod-analytics"
  destinations = [
    "pypi.org", # packages
    "files.pythonhosted.org",
  ]
}

resource "databricks_workspace_network_option" "analytics" {
  workspace_id      = "1111111111111111"
  network_policy_id = module.egress.network_policy_id
}
