"""Benchmarks: numbers with the machine's context, never timed tests (`make bench`)."""
