environment          = "dev"
allowed_destinations = ["pypi.org"]
