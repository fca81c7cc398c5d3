"""Reading the versions of the promtool and amtool on this machine, to tell whether they can
check output for a target (an amtool 0.25 refuses webhook url_file, which 0.26 has)."""

from __future__ import annotations

from obscode.versions import DEFAULT_ALERTMANAGER_VERSION, DEFAULT_PROMETHEUS_VERSION, covers, installed_version
from tests.conftest import require_tool


def test_the_installed_tools_report_a_version_that_covers_the_defaults() -> None:
    require_tool("promtool")
    require_tool("amtool")
    promtool, amtool = installed_version("promtool"), installed_version("amtool")
    assert promtool and amtool
    assert covers(promtool, DEFAULT_PROMETHEUS_VERSION) and covers(amtool, DEFAULT_ALERTMANAGER_VERSION)


def test_an_older_tool_does_not_cover_a_newer_target() -> None:
    assert covers("0.25.0", "0.25") and covers("0.26.1", "0.25")
    assert not covers("0.25.0", "0.26")
    assert not covers("2.42.0", "3.0")


def test_a_tool_not_on_path_has_no_version() -> None:
    assert installed_version("no-such-tool-obscode") is None
