"""stag tools."""
