"""`obscode check` runs promtool and amtool only where they can judge the targeted release:
an amtool older than the Alertmanager a stack targets refuses fields that release accepts."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from obscode.cli import main
from tests.conftest import require_tool

WEBHOOK_STACK = """
from obscode import AlertmanagerConfig, Receiver, Route, SecretRef, Stack, WebhookConfig

stack = Stack(
    name="hooks",
    alertmanager_version="{version}",
    alertmanager=AlertmanagerConfig(
        route=Route(receiver="hook"),
        receivers=[Receiver(name="hook", webhook_configs=[
            WebhookConfig(url_file=SecretRef(file="/etc/alertmanager/secrets/hook-url")),
        ])],
    ),
)
"""


def _check(tmp_path: Path, version: str) -> object:
    module = tmp_path / "hooks.py"
    module.write_text(WEBHOOK_STACK.format(version=version))
    return CliRunner().invoke(main, ["check", str(module)])


def test_an_amtool_older_than_the_target_is_skipped_with_a_note(tmp_path: Path) -> None:
    require_tool("amtool")
    result = _check(tmp_path, "0.27")
    assert result.exit_code == 0, result.output
    assert "hooks: amtool here is 0.25" in result.output and "older than the targeted 0.27" in result.output
    assert "alertmanager.yml were checked by obscode's typed model only" in result.output
    assert "field url_file not found" not in result.output


def test_the_same_field_for_the_installed_release_is_a_definition_error(tmp_path: Path) -> None:
    result = _check(tmp_path, "0.25")
    assert result.exit_code == 2
    assert "url_file" in result.output and "needs Alertmanager >= 0.26" in result.output
