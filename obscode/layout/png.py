"""SVG → PNG with a real browser engine: headless Chromium's screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from obscode.errors import UsageError
from obscode.layout.svg import svg_size

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIMEOUT_SECONDS = 60


def find_chromium() -> str | None:
    """``$OBSCODE_CHROMIUM`` or the first Chromium on PATH."""
    configured = os.environ.get("OBSCODE_CHROMIUM")
    if configured:
        return configured
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium_args(binary: str, profile: Path) -> list[str]:
    """Flags for a quiet, offline headless run with a throwaway profile."""
    return [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", f"--user-data-dir={profile}"]


def svg_to_png(svg_path: Path, png_path: Path) -> None:
    """Render ``svg_path`` at its own size into ``png_path``."""
    binary = find_chromium()
    if binary is None:
        raise UsageError("PNG pictures need Chromium: install it (Debian: apt-get install chromium) "
                         "or set OBSCODE_CHROMIUM, or pass --no-png for SVG only")
    width, height = svg_size(svg_path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="obscode-chromium-") as profile:
        args = chromium_args(binary, Path(profile)) + [
            f"--window-size={width},{height}", f"--screenshot={png_path.resolve()}", svg_path.resolve().as_uri()]
        try:
            result = subprocess.run(args, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise UsageError(f"Chromium did not finish rendering {svg_path} within {TIMEOUT_SECONDS}s") from None
        except OSError as exc:
            raise UsageError(f"cannot run Chromium at {binary} ({exc.strerror}): install it "
                             "(Debian: apt-get install chromium), fix OBSCODE_CHROMIUM, or pass --no-png") from None
    if not png_path.is_file() or not png_path.read_bytes().startswith(PNG_SIGNATURE):
        detail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise UsageError(f"Chromium did not render {svg_path} to PNG (exit {result.returncode}: {detail[0]})")
