"""``python -m obscode.cli_entry``: the console script, for environments without it on PATH."""

from obscode.cli import main

if __name__ == "__main__":
    main()
