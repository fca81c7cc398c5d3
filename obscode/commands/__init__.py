"""Extra CLI commands, one module each, discovered by obscode.cli."""
