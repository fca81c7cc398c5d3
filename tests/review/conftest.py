"""Fixtures of the review tests: a live Prometheus and a headless Chromium."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.conftest import free_port, require_tool
from tests.review.servers import Browser, start_browser, start_prometheus, stop, wait_until


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[str]:
    """URL of a real Prometheus on a free 127.0.0.1 port, scraping itself every second,
    returned once its own series have samples."""
    binary = require_tool("prometheus")
    port = free_port()
    workdir = tmp_path / "prometheus"
    workdir.mkdir()
    process = start_prometheus(binary, port, workdir)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/-/ready", timeout=2).status_code == 200, "Prometheus ready", process=process)
        yield url
    finally:
        stop(process)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    binary = os.environ.get("OBSCODE_CHROMIUM") or require_tool("chromium")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    session = start_browser(binary, profile)
    try:
        yield session
    finally:
        session.socket.close()
        stop(session.process)

