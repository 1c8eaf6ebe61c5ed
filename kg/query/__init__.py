"""kg/query."""
