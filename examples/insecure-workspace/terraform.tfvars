databricks_account_id  = "00000000-0000-0000-0000-000000000000"
databricks_aws_account = "414351767862"
allowed_destinations = [
  "pypi.org",
  "https://files.pythonhosted.org/simple",
  "*.amazonaws.com",
]
