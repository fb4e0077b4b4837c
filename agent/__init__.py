"""stag agent."""
