"""Benchmarks of issue 9: ``python -m bench`` (see README, "Benchmarks")."""
