"""One full-text search across the oversight records."""
