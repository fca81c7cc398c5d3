"""Runtime instrumentation for FastAPI services."""
