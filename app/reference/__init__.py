"""Reference data the service ships, with its sources (see README.md in this folder)."""
