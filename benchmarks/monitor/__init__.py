"""Helpers of benchmarks/bench_monitor.py."""
