"""kg/viz."""
