"""kg/data."""
