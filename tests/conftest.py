"""Shared test helpers: real tools that never skip in CI, free ports, the project root."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def require_tool(name: str) -> str:
    """Path of a system tool; in CI (CI=true) a missing tool fails the test instead of skipping."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (run scripts/system-deps.sh)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(proc: subprocess.Popen, timeout: float = 15) -> None:  # type: ignore[type-arg]
    """Stop a process started with ``start_new_session=True``, and its children: SIGTERM to its
    group, SIGKILL if it is not gone within ``timeout`` seconds. Nothing if it already exited."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        proc.wait()
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture
def project_root() -> Path:
    return ROOT


@pytest.fixture
def in_project(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test with the project root as working directory (where stacks/ lives)."""
    monkeypatch.chdir(ROOT)
    return ROOT
