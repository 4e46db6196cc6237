"""Routing computations over the shared model: pure functions, no I/O."""
