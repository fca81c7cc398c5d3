"""Every Alertmanager integration, typed: each compiles to YAML Alertmanager reads, secrets as
``*_file``. Integrations the installed amtool (Debian's 0.25) knows are checked by it; newer ones
target the release that has them and are checked against the field list of Alertmanager v0.34.0
(``alertmanager_0_34_fields.json``, written by ``derive_fields.py`` from that release's source)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from obscode import (
    AlertmanagerConfig, AlertmanagerGlobal, DiscordConfig, IncidentioConfig, JiraConfig, MSTeamsConfig,
    MSTeamsV2Config, OpsgenieConfig, OpsgenieResponder, PushoverConfig, Receiver, RocketchatConfig, Route,
    SecretRef, SigV4Config, SNSConfig, Stack, TelegramConfig, VictorOpsConfig, WebexConfig, WechatConfig,
)
from obscode.checks import CheckContext, run_checks
from obscode.emit.alertmanager import emit
from obscode.errors import DefinitionError
from tests.conftest import require_tool

HERE = Path(__file__).parent
UPSTREAM = json.loads((HERE / "alertmanager_0_34_fields.json").read_text())
FIELDS: dict[str, list[str]] = UPSTREAM["fields"]
HTTP_CONFIG_KEYS = {"authorization": {"type", "credentials_file"}, "basic_auth": {"username", "password_file"}}


def secret(name: str) -> SecretRef:
    return SecretRef(file=f"/etc/alertmanager/secrets/{name}")


def stack(version: str, global_: AlertmanagerGlobal | None = None, **integrations: list[Any]) -> Stack:
    receiver = Receiver(name="team", **integrations)
    config = AlertmanagerConfig(global_=global_ or AlertmanagerGlobal(), route=Route(receiver="team"),
                                receivers=[receiver])
    return Stack(name="receivers", alertmanager=config, alertmanager_version=version)


def written(the_stack: Stack) -> dict[str, Any]:
    return yaml.safe_load(emit(the_stack)["alertmanager/alertmanager.yml"])


#: Integrations the installed amtool 0.25 knows, with a config using every secret obscode writes.
AMTOOL_CASES = {
    "opsgenie_configs": OpsgenieConfig(api_key=secret("opsgenie"), message="{{ .CommonLabels.alertname }}",
                                       responders=[OpsgenieResponder(name="sre", type="team")], priority="P2",
                                       tags="prod", details={"runbook": "https://runbooks.example.com"}),
    "victorops_configs": VictorOpsConfig(api_key=secret("victorops"), routing_key="sre",
                                         custom_fields={"team": "sre"}),
    "sns_configs": SNSConfig(topic_arn="arn:aws:sns:eu-west-1:123456789012:alerts",
                             sigv4=SigV4Config(region="eu-west-1", role_arn="arn:aws:iam::123456789012:role/am"),
                             subject="{{ .CommonLabels.alertname }}", attributes={"team": "sre"}),
    "webex_configs": WebexConfig(room_id="Y2lzY29zcGFyazovL3VzL1JPT00v", bot_token=secret("webex"),
                                 message="{{ .CommonAnnotations.summary }}"),
}

#: Integrations newer than amtool 0.25 (or whose *_file came later), each at the release that has it.
NEWER_CASES = {
    "telegram_configs": ("0.26", TelegramConfig(bot_token=secret("telegram"), chat_id=-100123, parse_mode="HTML")),
    "discord_configs": ("0.27", DiscordConfig(webhook_url=secret("discord"), title="{{ .CommonLabels.alertname }}")),
    "msteams_configs": ("0.27", MSTeamsConfig(webhook_url=secret("teams"), title="alerts", summary="s")),
    "msteamsv2_configs": ("0.28", MSTeamsV2Config(webhook_url=secret("teams-flow"), title="alerts")),
    "pushover_configs": ("0.26", PushoverConfig(user_key=secret("po-user"), token=secret("po-token"), retry="1m")),
    "wechat_configs": ("0.31", WechatConfig(api_secret=secret("wechat"), corp_id="corp", to_user="@all",
                                            message_type="markdown")),
    "jira_configs": ("0.28", JiraConfig(api_url="https://example.atlassian.net", project="OPS", issue_type="Bug",
                                        username="bot@example.com", api_token=secret("jira"), labels=["alert"],
                                        reopen_duration="1h")),
    "rocketchat_configs": ("0.28", RocketchatConfig(token_id=secret("rc-id"), token=secret("rc-token"),
                                                    channel="#alerts")),
    "incidentio_configs": ("0.29", IncidentioConfig(url="https://api.incident.io/v2/alert_events/http/01ABC",
                                                    alert_source_token=secret("incidentio"), max_alerts=10)),
}


@pytest.mark.parametrize("integration", sorted(AMTOOL_CASES))
def test_integration_amtool_knows_is_accepted_by_amtool(integration: str, tmp_path: Path) -> None:
    the_stack = stack("0.25", **{integration: [AMTOOL_CASES[integration]]})
    path = tmp_path / "alertmanager.yml"
    path.write_bytes(emit(the_stack)["alertmanager/alertmanager.yml"])
    proc = subprocess.run([require_tool("amtool"), "check-config", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "/etc/alertmanager/secrets/" in path.read_text() or integration == "sns_configs"


def _within_upstream_fields(integration: str, rendered: dict[str, Any]) -> None:
    assert set(rendered) <= set(FIELDS[integration]), set(rendered) - set(FIELDS[integration])
    for block, keys in (rendered.get("http_config") or {}).items():
        assert set(keys) <= HTTP_CONFIG_KEYS[block], (block, keys)


@pytest.mark.parametrize("integration", sorted(NEWER_CASES))
def test_newer_integration_writes_only_fields_of_alertmanager_0_34(integration: str) -> None:
    version, config = NEWER_CASES[integration]
    rendered = written(stack(version, **{integration: [config]}))["receivers"][0][integration][0]
    assert UPSTREAM["source"] == "prometheus/alertmanager v0.34.0"
    _within_upstream_fields(integration, rendered)
    secrets = [v for k, v in rendered.items() if k.endswith("_file")] + [
        v for block in (rendered.get("http_config") or {}).values() for k, v in block.items() if k.endswith("_file")]
    assert secrets and all(s.startswith("/etc/alertmanager/secrets/") for s in secrets)


@pytest.mark.parametrize("integration", sorted(AMTOOL_CASES))
def test_amtool_integrations_also_fit_alertmanager_0_34(integration: str) -> None:
    rendered = written(stack("0.25", **{integration: [AMTOOL_CASES[integration]]}))["receivers"][0][integration][0]
    _within_upstream_fields(integration, rendered)


def test_secrets_are_written_as_files_never_inline() -> None:
    rendered = written(stack("0.28", telegram_configs=[NEWER_CASES["telegram_configs"][1]],
                             webex_configs=[AMTOOL_CASES["webex_configs"]],
                             jira_configs=[NEWER_CASES["jira_configs"][1]]))["receivers"][0]
    assert rendered["telegram_configs"][0]["bot_token_file"] == "/etc/alertmanager/secrets/telegram"
    assert rendered["webex_configs"][0]["http_config"] == {
        "authorization": {"credentials_file": "/etc/alertmanager/secrets/webex"}}
    assert rendered["jira_configs"][0]["http_config"] == {
        "basic_auth": {"username": "bot@example.com", "password_file": "/etc/alertmanager/secrets/jira"}}


def test_global_fields_are_written_with_secrets_as_files() -> None:
    global_ = AlertmanagerGlobal(opsgenie_api_key=secret("og"), opsgenie_api_url="https://api.eu.opsgenie.com/",
                                 victorops_api_key=secret("vo"), telegram_api_url="https://api.telegram.org",
                                 webex_api_url="https://webexapis.com/v1/messages")
    out = written(stack("0.25", global_=global_, opsgenie_configs=[OpsgenieConfig()],
                        victorops_configs=[VictorOpsConfig(routing_key="sre")]))
    assert out["global"] == {"opsgenie_api_url": "https://api.eu.opsgenie.com/",
                             "opsgenie_api_key_file": "/etc/alertmanager/secrets/og",
                             "victorops_api_key_file": "/etc/alertmanager/secrets/vo",
                             "telegram_api_url": "https://api.telegram.org",
                             "webex_api_url": "https://webexapis.com/v1/messages"}
    assert set(out["global"]) <= set(FIELDS["global"])


# --- errors ---------------------------------------------------------------------------------

def error_of(build: Any) -> str:
    with pytest.raises(DefinitionError) as info:
        build()
    return str(info.value)


@pytest.mark.parametrize("build, message", [
    (lambda: TelegramConfig(bot_token=secret("t")), "telegram_config, field 'chat_id': is required"),
    (lambda: SNSConfig(subject="x"), "an SNS config needs topic_arn, phone_number or target_arn"),
    (lambda: WebexConfig(bot_token=secret("w")), "webex_config, field 'room_id': is required"),
    (lambda: DiscordConfig(), "discord_config, field 'webhook_url': is required"),
    (lambda: VictorOpsConfig(api_key=secret("v")), "victorops_config, field 'routing_key': is required"),
    (lambda: PushoverConfig(token=secret("p")), "pushover_config, field 'user_key': is required"),
    (lambda: JiraConfig(project="OPS", issue_type="Bug"),
     "a Jira config authenticates with username and api_token (Jira Cloud) or with bearer_token (Data Center)"),
    (lambda: JiraConfig(project="OPS", issue_type="Bug", username="bot"),
     "Jira Cloud authentication needs both username and api_token"),
    (lambda: IncidentioConfig(url="https://api.incident.io/x"), "field 'alert_source_token': is required"),
    (lambda: OpsgenieResponder(type="team"), "an Opsgenie responder needs one of id, name or username"),
    (lambda: OpsgenieConfig(priority="urgent"), "priority 'urgent' is not one of P1..P5"),
    (lambda: SigV4Config(region="eu-west-1", secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
     "Alertmanager reads the SigV4 access and secret keys only inline (no secret_key_file in any release up to 0.34)"),
])
def test_missing_or_invalid_field_is_named(build: Any, message: str) -> None:
    assert message in error_of(build)


@pytest.mark.parametrize("integration, other, message", [
    ("opsgenie_configs", OpsgenieConfig(), "receiver 'team': its opsgenie_config has no Opsgenie API key"),
    ("victorops_configs", VictorOpsConfig(routing_key="sre"), "has no VictorOps API key"),
    ("telegram_configs", TelegramConfig(chat_id=1), "give the telegram_config bot_token=SecretRef(file=...) or "
                                                      "global telegram_bot_token"),
    ("wechat_configs", WechatConfig(api_secret=secret("w")), "give the wechat_config corp_id=... or global "
                                                              "wechat_api_corp_id"),
    ("rocketchat_configs", RocketchatConfig(token=secret("t")), "or global rocketchat_token_id"),
])
def test_a_secret_left_to_global_needs_the_global(integration: str, other: Any, message: str) -> None:
    assert message in error_of(lambda: stack("0.31", **{integration: [other]}))


@pytest.mark.parametrize("build, field", [
    (lambda v: OpsgenieConfig(api_key=v), "api_key"),
    (lambda v: MSTeamsConfig(webhook_url=v), "webhook_url"),
    (lambda v: MSTeamsV2Config(webhook_url=v), "webhook_url"),
    (lambda v: TelegramConfig(bot_token=v, chat_id=1), "bot_token"),
    (lambda v: DiscordConfig(webhook_url=v), "webhook_url"),
    (lambda v: WebexConfig(room_id="r", bot_token=v), "bot_token"),
    (lambda v: VictorOpsConfig(api_key=v, routing_key="r"), "api_key"),
    (lambda v: PushoverConfig(user_key=v, token=secret("t")), "user_key"),
    (lambda v: WechatConfig(api_secret=v), "api_secret"),
    (lambda v: JiraConfig(project="P", issue_type="Bug", username="u", api_token=v), "api_token"),
    (lambda v: RocketchatConfig(token=v), "token"),
    (lambda v: IncidentioConfig(url="https://api.incident.io/x", alert_source_token=v), "alert_source_token"),
    (lambda v: AlertmanagerGlobal(opsgenie_api_key=v), "opsgenie_api_key"),
    (lambda v: AlertmanagerGlobal(telegram_bot_token=v), "telegram_bot_token"),
])
def test_a_secret_given_as_a_string_is_refused(build: Any, field: str) -> None:
    message = error_of(lambda: build("0123456789abcdef0123456789abcdef"))
    assert f"field '{field}': {field} looks like a literal secret; secrets never go into definitions or " \
           "generated files" in message


def test_a_secret_from_the_environment_is_refused() -> None:
    message = error_of(lambda: DiscordConfig(webhook_url=SecretRef(env="DISCORD_URL")))
    assert "Alertmanager does not expand environment variables in its configuration; use SecretRef(file=...)" in message


def test_a_url_carrying_a_token_is_refused() -> None:
    message = error_of(lambda: IncidentioConfig(url="https://api.incident.io/x?token=0123456789abcdef0123",
                                                alert_source_token=secret("i")))
    assert "field 'url': url carries a token" in message


@pytest.mark.parametrize("integration, version, needs", [
    ("telegram_configs", "0.23", "telegram_configs needs Alertmanager >= 0.24; the stack targets 0.23"),
    ("discord_configs", "0.24", "discord_configs needs Alertmanager >= 0.25; the stack targets 0.24"),
    ("msteams_configs", "0.25", "msteams_configs needs Alertmanager >= 0.26; the stack targets 0.25"),
    ("msteamsv2_configs", "0.27", "msteamsv2_configs needs Alertmanager >= 0.28; the stack targets 0.27"),
    ("jira_configs", "0.27", "jira_configs needs Alertmanager >= 0.28"),
    ("rocketchat_configs", "0.27", "rocketchat_configs needs Alertmanager >= 0.28"),
    ("incidentio_configs", "0.28", "incidentio_configs needs Alertmanager >= 0.29; the stack targets 0.28"),
])
def test_a_target_without_the_integration_is_refused(integration: str, version: str, needs: str) -> None:
    _, config = NEWER_CASES[integration]
    assert needs in error_of(lambda: stack(version, **{integration: [config]}))


@pytest.mark.parametrize("integration, version, message", [
    ("opsgenie_configs", "0.23", "api_key (written as api_key_file; earlier releases read it only inline, which "
                                 "would put the secret in the generated file) needs Alertmanager >= 0.24"),
    ("victorops_configs", "0.24", "api_key (written as api_key_file; "),
])
def test_a_target_that_reads_the_secret_only_inline_is_refused(integration: str, version: str, message: str) -> None:
    assert message in error_of(lambda: stack(version, **{integration: [AMTOOL_CASES[integration]]}))


@pytest.mark.parametrize("integration, version, needs", [
    ("telegram_configs", "0.25", "bot_token (written as bot_token_file; earlier releases read it only inline, "
                                 "which would put the secret in the generated file) needs Alertmanager >= 0.26"),
    ("discord_configs", "0.26", "webhook_url (written as webhook_url_file; "),
    ("msteams_configs", "0.26", "webhook_url (written as webhook_url_file; "),
    ("pushover_configs", "0.25", "user_key (written as user_key_file; "),
    ("wechat_configs", "0.30", "api_secret (written as api_secret_file; "),
])
def test_a_late_secret_file_is_refused_for_an_older_target(integration: str, version: str, needs: str) -> None:
    _, config = NEWER_CASES[integration]
    assert needs in error_of(lambda: stack(version, **{integration: [config]}))


def test_a_global_field_newer_than_the_target_is_refused() -> None:
    message = error_of(lambda: stack("0.30", global_=AlertmanagerGlobal(telegram_bot_token=secret("t")),
                                     telegram_configs=[TelegramConfig(chat_id=1)]))
    assert "alertmanager global, field 'telegram_bot_token': telegram_bot_token (written as telegram_bot_token_file)" \
           " needs Alertmanager >= 0.31" in message


# --- checks that read receivers generically -----------------------------------------------------

@pytest.mark.parametrize("integration", sorted(NEWER_CASES) + sorted(AMTOOL_CASES))
def test_checks_count_every_integration_as_notifying(integration: str) -> None:
    version, config = NEWER_CASES.get(integration) or ("0.25", AMTOOL_CASES[integration])
    the_stack = stack(version, **{integration: [config]})
    problems = run_checks(CheckContext(stack=the_stack, files=emit(the_stack)),
                          only=["alertmanager/receivers", "alerts/severity"])
    assert [p.message for p in problems if "notify no one" in p.message or "no integration" in p.message] == []


def test_checks_still_report_a_receiver_without_integration() -> None:
    the_stack = stack("0.25")
    problems = run_checks(CheckContext(stack=the_stack, files=emit(the_stack)), only=["alertmanager/receivers"])
    assert any("the receiver has no integration" in p.message for p in problems)


@pytest.mark.parametrize("integration, config, version, message", [
    ("telegram_configs", TelegramConfig(bot_token=secret("t"), chat_id=1, message_thread_id=7), "0.27",
     "telegram_config in receiver team, field 'message_thread_id': telegram message_thread_id needs Alertmanager >= 0.28"),
    ("discord_configs", DiscordConfig(webhook_url=secret("d"), avatar_url="https://example.com/a.png"), "0.27",
     "discord_config in receiver team, field 'avatar_url': discord content, username, avatar_url needs "
     "Alertmanager >= 0.28"),
])
def test_a_field_newer_than_the_target_is_refused(integration: str, config: Any, version: str, message: str) -> None:
    assert message in error_of(lambda: stack(version, **{integration: [config]}))
    written(stack("0.28", **{integration: [config]}))  # the release that added it takes it


@pytest.mark.parametrize("integration, refusal", [
    ("telegram_configs", "field bot_token_file not found"),
    ("discord_configs", "field webhook_url_file not found"),
    ("msteams_configs", "field msteams_configs not found"),
    ("pushover_configs", "field user_key_file not found"),
    ("wechat_configs", "field api_secret_file not found"),
    ("incidentio_configs", "field incidentio_configs not found"),
])
def test_the_installed_amtool_refuses_what_the_gates_refuse_for_its_release(integration: str, refusal: str,
                                                                             tmp_path: Path) -> None:
    """Why the gates exist: written for the release that has them, these fail amtool 0.25, whose
    target obscode refuses them for (see the tests above)."""
    amtool = require_tool("amtool")
    version, config = NEWER_CASES[integration]
    path = tmp_path / "alertmanager.yml"
    path.write_bytes(emit(stack(version, **{integration: [config]}))["alertmanager/alertmanager.yml"])
    proc = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and refusal in proc.stdout + proc.stderr, proc.stdout + proc.stderr
