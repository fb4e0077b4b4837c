"""stag demo."""
