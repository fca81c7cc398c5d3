"""A real tool's rejection is shown once, without its progress lines, on the object at fault."""

from __future__ import annotations

from obscode.tools import run_tools
from tests.conftest import require_tool

SLACK_WITHOUT_URL = b"""\
route:
  receiver: team
receivers:
  - name: team
    webhook_configs:
      - url: http://127.0.0.1:9/team
  - name: payments-slack
    slack_configs:
      - channel: '#payments'
"""

BROKEN_TEMPLATE = b"""\
groups:
  - name: payments
    rules:
      - alert: ApiDown
        expr: up == 0
      - alert: HighLatency
        expr: up == 0
        annotations:
          summary: "{{ $labels.job "
"""


def test_amtool_rejection_names_the_receiver_that_fails_alone() -> None:
    require_tool("amtool")
    problems, _notes = run_tools("shop", {"alertmanager/alertmanager.yml": SLACK_WITHOUT_URL})
    assert [(p.check, p.obj) for p in problems] == [("tools/amtool", "receiver payments-slack")]
    message = problems[0].message
    assert message == "amtool: no global Slack API URL set either inline or in a file"
    assert "Checking" not in message and "failed to validate" not in message


def test_promtool_rejection_names_the_rule_group_and_annotation() -> None:
    require_tool("promtool")
    problems, _notes = run_tools("shop", {"prometheus/rules/payments.yml": BROKEN_TEMPLATE})
    assert [(p.obj, p.field) for p in problems] == [("alert HighLatency in group payments", "annotations.summary")]
    assert problems[0].file == "prometheus/rules/payments.yml"
    assert problems[0].message.startswith("promtool: template: __alert_HighLatency:1: unclosed action")
