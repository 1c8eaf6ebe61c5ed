"""kg/analysis."""
