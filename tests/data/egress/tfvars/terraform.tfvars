# Rollout: still in log-only mode.
enforcement_mode = "DRY_RUN"

allowed_destinations = [
  "pypi.org", # Python packages
  # Wheels are served from here:
  "files.pythonhosted.org",
]
