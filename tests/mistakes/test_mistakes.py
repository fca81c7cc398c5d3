"""One row per mistake a new user makes that used to pass `obscode check` silently (issue 14):
each now fails `check` and `generate` with a message naming the object, the field and the
line that defines it, and `generate` writes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.mistakes.harness import run


@dataclass
class Mistake:
    id: str
    #: old text -> new text in the base stack; the new text marks the faulty object's line with ``#!``.
    replace: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)
    #: 1: a check finds it; 2: the definition does not load.
    exit_code: int = 1
    #: Strings the message holds: check id, object, field, what to do.
    expect: list[str] = field(default_factory=list)
    folder: str = "shop"
    #: Whether the message must name the marked line.
    line: bool = True


LATENCY = '    AlertRule(alert="HighLatency", for_="10m", labels={"severity": "warning"}, annotations=NOTES,'
ERRORS = '    AlertRule(alert="HighErrorRatio", for_="5m", labels={"severity": "warning"}, annotations=NOTES,'
DOWN = '    AlertRule(alert="ApiDown", for_="1m", labels={"severity": "critical"}, annotations=NOTES,'
SLACK_ROUTE = "Route(matchers=['team=\"payments\"'], receiver=\"payments-slack\"),"

MISTAKES = [
    # -- routing that can be proved
    Mistake("route matcher on a label no alert carries",
            {SLACK_ROUTE: "Route(matchers=['tema=\"payments\"'], receiver=\"payments-slack\"),  #!"},
            expect=["error[routing/matchers]", "route.routes[1]", "field 'matchers'",
                    "matches label tema, which no alert carries; did you mean team?"]),
    Mistake("route matcher on a value no alert has",
            {"Route(matchers=['severity=\"critical\"'], receiver=\"pager\", continue_=True),":
             "Route(matchers=['severity=\"crtical\"'], receiver=\"pager\", continue_=True),  #!"},
            expect=["error[routing/matchers]", "route.routes[0]", "severity=\"crtical\" matches no alert",
                    "did you mean critical?"]),
    Mistake("route on an alert name nobody defines",
            parts={"EXTRA_ROUTES": "Route(matchers=['alertname=\"HighLatncy\"'], receiver=\"pager\"),  #!"},
            expect=["error[routing/matchers]", "route.routes[2]", "did you mean HighLatency?"]),
    Mistake("group_by a label no alert carries",
            {'group_by=["alertname", "jobb"], routes=[': 'group_by=["alertname", "jobb"], routes=[  #!'},
            parts={"GROUP_BY": '["alertname", "jobb"]'},
            expect=["error[routing/labels]", "field 'group_by'", "group_by names jobb, which no alert carries",
                    "did you mean job?"]),
    Mistake("inhibit equal on a label no alert carries",
            parts={"INHIBIT": "InhibitRule(source_matchers=['severity=\"critical\"'], "
                              "target_matchers=['severity=\"warning\"'], equal=[\"alertname\", \"jobb\"]),  #!"},
            expect=["error[routing/labels]", "inhibit_rules[0]", "field 'equal'", "equal names jobb",
                    "did you mean job?"]),
    Mistake("inhibit matcher on a value no alert has",
            parts={"INHIBIT": "InhibitRule(source_matchers=['severity=\"critical\"'], "
                              "target_matchers=['severity=\"warn\"'], equal=[\"alertname\", \"job\"]),  #!"},
            expect=["error[routing/matchers]", "inhibit_rules[0]", "field 'target_matchers'",
                    "this inhibit rule never mutes anything"]),
    Mistake("route naming a receiver nobody defines",
            {SLACK_ROUTE: "Route(matchers=['team=\"payments\"'], receiver=\"payments-slak\"),  #!"}, exit_code=2,
            expect=["route.routes[1] names receiver 'payments-slak', which is not defined",
                    "did you mean payments-slack?"]),
    Mistake("root route with matchers",
            {'route=Route(receiver="team-email", group_by=["alertname", "job"], routes=[':
             'route=Route(receiver="team-email", matchers=[\'team="x"\'], group_by=["alertname", "job"], routes=[  #!'},
            exit_code=2, expect=["the root route takes every alert, so it cannot have matchers"]),
    Mistake("group_by '...' beside other labels",
            {'group_by=["...", "alertname"], routes=[': 'group_by=["...", "alertname"], routes=[  #!'},
            parts={"GROUP_BY": '["...", "alertname"]'}, exit_code=2,
            expect=["'...' groups by every label, so it stands alone"]),
    Mistake("alerts and routes, but Prometheus sends alerts to no Alertmanager",
            {'                                alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["am:9093"])])]),':
             '                                ),'},
            expect=["error[routing/delivery]", "field 'alertmanagers'", "sends alerts to no Alertmanager"], line=False),
    # -- control characters, names and folders
    Mistake("label value with a newline",
            {'AlertRule(alert="ApiDown", for_="1m", labels={"severity": "critical"}, annotations=NOTES,':
             'AlertRule(alert="ApiDown", for_="1m", labels={"severity": "critical", "team": "payments\\n"},  #!\n'
             '              annotations=NOTES,'},
            exit_code=2, expect=["alert ApiDown", "field 'labels'", "label team 'payments\\n' holds a newline",
                                 "did you mean 'payments'?"]),
    Mistake("matcher value with a newline",
            {SLACK_ROUTE: "Route(matchers=['team=\"payments\\n\"'], receiver=\"payments-slack\"),  #!"}, exit_code=2,
            expect=["holds a newline"], line=False),
    Mistake("stack name differs from its folder", parts={"NAME": '"shopp"'}, exit_code=2,
            expect=["the stack in folder shop/ is named 'shopp': name it 'shop'"], line=False),
    Mistake("stack name with spaces and symbols", parts={"NAME": '"my shop!"'}, exit_code=2,
            folder="shop", expect=["stack name 'my shop!' becomes a folder", "e.g. 'my-shop'"], line=False),
    Mistake("slack receiver without a webhook URL",
            parts={"SLACK": 'Receiver(name="payments-slack", slack_configs=[SlackConfig(channel="#payments")]),  #!'},
            exit_code=2, expect=["receiver 'payments-slack' posts to Slack but has no webhook URL"]),
    # -- thresholds and expressions that make sense
    Mistake("latency threshold in milliseconds on a seconds histogram",
            {LATENCY: LATENCY + "  #!", "rate(http_request_duration_seconds_bucket[5m]))) > 0.3": "rate(http_request_duration_seconds_bucket[5m]))) > 300"},
            expect=["error[alerts/threshold]", "alert HighLatency", "seconds"]),
    Mistake("error ratio threshold in percent",
            {ERRORS: ERRORS + "  #!", "sum by (job, team) (rate(http_requests_total[5m])) > 0.02": "sum by (job, team) (rate(http_requests_total[5m])) > 2"},
            expect=["error[alerts/threshold]", "alert HighErrorRatio", "0.02"]),
    Mistake("quantile 99 instead of 0.99",
            {LATENCY: LATENCY + "  #!", "histogram_quantile(0.99, sum by (le, job, team) (rate(http_request_duration_seconds_bucket[5m]))) > 0.3":
             "histogram_quantile(99, sum by (le, job, team) (rate(http_request_duration_seconds_bucket[5m]))) > 0.3"},
            expect=["alert HighLatency", "0.99"]),
    Mistake("a threshold below zero on a non-negative metric",
            {ERRORS: ERRORS + "  #!", "sum by (job, team) (rate(http_requests_total[5m])) > 0.02": "sum by (job, team) (rate(http_requests_total[5m])) > -0.02"},
            expect=["error[alerts/threshold]", "alert HighErrorRatio", "always"]),
    Mistake("an alert with no comparison",
            {DOWN: DOWN + "  #!", "expr=\'up{job=\"api\"} == 0\'": "expr=\'up{job=\"api\"}\'"},
            expect=["error[alerts/threshold]", "alert ApiDown"]),
    Mistake("a for of 45 days",
            {DOWN: DOWN.replace('for_="1m"', 'for_="45d"') + "  #!"},
            expect=["error[alerts/for]", "alert ApiDown", "field 'for'"]),
    Mistake("rate() over a recorded ratio",
            parts={"RECORD": 'RecordingRule(record="job:http_errors:ratio_rate5m", expr=\'sum by (job) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))\'),\n'
                             '    AlertRule(alert="ErrorsRising", labels={"severity": "warning"}, annotations=NOTES,  #!\n'
                             '              expr="rate(job:http_errors:ratio_rate5m[10m]) > 0.01"),'},
            expect=["error[promql/rate]", "alert ErrorsRising", "job:http_errors:ratio_rate5m"]),
    Mistake("a recording rule that shadows a metric a catalog lists",
            parts={"RECORD": 'RecordingRule(record="http_requests_total", expr="sum by (job) (rate(http_requests_total[5m]))"),  #!'},
            expect=["error[rules/naming]", "http_requests_total", "instrumentation-http"]),
    # -- what only the real tools see: generate runs them too
    Mistake("broken annotation template",
            {'AlertRule(alert="ApiDown", for_="1m", labels={"severity": "critical"}, annotations=NOTES,':
             'AlertRule(alert="ApiDown", for_="1m", labels={"severity": "critical"}, '
             'annotations={"summary": "{{ $labels.job ", "description": "d"},  #!'},
            expect=["error[tools/promtool]", "alert ApiDown in group payments", "field 'annotations.summary'",
                    "unclosed action"]),
    # -- dashboards
    Mistake("two targets with one refId",
            {'PANEL_TARGETS = [': 'PANEL_TARGETS = [g.Target(expr="up", refId="A"),\n    ',
             'refId="A")]\n': 'refId="A")]  #!\n'},
            expect=["error[dashboard/targets]", "payments", "refId"]),
    Mistake("a dashboard variable defined twice",
            parts={"VARIABLES": 'g.Template(name="job", query="label_values(up, job)", dataSource=None),\n'
                                '        g.Template(name="job", query="label_values(up, job)", dataSource=None)  #!'},
            expect=["error[dashboard/variables]", "job"]),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_each_mistake_fails_check_and_generate_and_writes_nothing(mistake: Mistake, tmp_path: Path, monkeypatch) -> None:
    outcome = run(tmp_path, monkeypatch, mistake.replace, mistake.parts, mistake.folder)
    for result in (outcome.check, outcome.generate):
        assert result.exit_code == mistake.exit_code, result.output
        for text in mistake.expect:
            assert text in result.output, (text, result.output)
        if mistake.line:
            assert outcome.line is not None
            assert f"stacks/{mistake.folder}/__init__.py:{outcome.line})" in result.output, result.output
    assert outcome.written == []
    assert "nothing written" in outcome.generate.output or mistake.exit_code == 2
