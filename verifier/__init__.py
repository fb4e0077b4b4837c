"""stag verifier."""
