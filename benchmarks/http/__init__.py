"""Helpers of benchmarks/bench_http.py: the benchmarked apps and the in-process driver."""
