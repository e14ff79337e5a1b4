"""Hadir's stack and its constructs, one module per concern."""
