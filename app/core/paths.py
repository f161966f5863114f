"""Where the API is mounted, for the links answers carry to other resources."""

API_PREFIX = "/api/v1"
