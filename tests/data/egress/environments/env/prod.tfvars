environment = "prod"
allowed_destinations = [
  "pypi.org",
]
