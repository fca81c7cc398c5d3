"""obscode: observability as code."""
