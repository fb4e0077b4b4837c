"""stag serving."""
