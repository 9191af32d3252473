"""Benchmarks run by `make bench` (never by the test suite); each prints its figures."""
