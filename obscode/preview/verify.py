"""Loading the written preview pages in headless Chromium: a page whose script fails (it
would show blank panels) makes ``obscode preview`` fail instead of reporting success."""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from pathlib import Path

from obscode.layout.png import chromium_args, find_chromium

TIMEOUT_SECONDS = 60
#: Virtual time the page gets to run its script before the DOM is read.
SCRIPT_BUDGET_MS = 5000
_BODY = re.compile(r"<body\b([^>]*)>", re.S)
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


def page_problem(page: Path, binary: str) -> str | None:
    """Why ``page`` did not draw in Chromium (its script error), or None when it did."""
    with tempfile.TemporaryDirectory(prefix="obscode-chromium-") as profile:
        args = chromium_args(binary, Path(profile)) + [
            f"--virtual-time-budget={SCRIPT_BUDGET_MS}", "--dump-dom", page.resolve().as_uri()]
        try:
            result = subprocess.run(args, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            return f"Chromium did not finish loading it within {TIMEOUT_SECONDS}s"
        except OSError as exc:
            return f"cannot run Chromium at {binary} ({exc.strerror})"
    body = _BODY.search(result.stdout.decode("utf-8", errors="replace"))
    if body is None:
        detail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return f"Chromium rendered no page (exit {result.returncode}: {detail[0]})"
    attributes = {k: html.unescape(v) for k, v in _ATTRIBUTE.findall(body.group(1))}
    if "data-script-error" in attributes:
        return f"its script failed: {attributes['data-script-error']}"
    if attributes.get("data-ready") != "true":
        return "its script did not finish drawing the panels"
    return None


def verify_pages(pages: list[Path]) -> tuple[list[str], str | None]:
    """(``page: problem`` for every page that failed, a note when no browser could check them)."""
    binary = find_chromium()
    if binary is None:
        return [], ("pages were not loaded in a browser to check them: Chromium was not found "
                    "(Debian: apt-get install chromium, or set OBSCODE_CHROMIUM)")
    failed = []
    for page in pages:
        problem = page_problem(page, binary)
        if problem:
            failed.append(f"{page.name}: {problem}")
    return failed, None
