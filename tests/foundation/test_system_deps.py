"""scripts/system-deps.sh: installs what pip cannot, or says exactly what to install."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "system-deps.sh"


def test_installed_packages_need_nothing() -> None:
    proc = subprocess.run([str(SCRIPT), "coreutils"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stderr == ""


def test_without_root_it_names_the_packages_to_install() -> None:
    command = ["bash", str(SCRIPT), "obscode-no-such-package"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv (util-linux) is needed to drop root")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "missing system packages: obscode-no-such-package" in proc.stderr
    assert "sudo apt-get install obscode-no-such-package" in proc.stderr
