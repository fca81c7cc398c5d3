"""Definition models, one module per domain."""
