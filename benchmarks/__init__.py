"""Benchmarks of qrkt's backends (scripts, not part of the installed package)."""
