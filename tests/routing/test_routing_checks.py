"""The routing findings that warn rather than fail (after amlint's checks, worked out offline
from the alerts' labels): each is printed with its object, field and line; check exits 0."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.mistakes.harness import run
from tests.mistakes.test_mistakes import SLACK_ROUTE

CRITICAL_ROUTE = "Route(matchers=['severity=\"critical\"'], receiver=\"pager\", continue_=True),"


@dataclass
class Finding:
    id: str
    replace: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)
    expect: list[str] = field(default_factory=list)


FINDINGS = [
    Finding("a catch-all sibling shadows the routes after it",
            {CRITICAL_ROUTE: "Route(receiver=\"pager\"),"},
            expect=["warning[routing/tree]", "route.routes[1]", "never reached: route.routes[0] before it has no "
                    "matchers, so it takes every alert"]),
    Finding("a broader sibling shadows a narrower one",
            parts={"EXTRA_ROUTES": "Route(matchers=['team=\"payments\"', 'severity=\"warning\"'], receiver=\"pager\"),"},
            expect=["warning[routing/tree]", "route.routes[2]", "route.routes[1] before it matches {team=\"payments\"}"]),
    Finding("a route whose matchers no alert satisfies together",
            parts={"EXTRA_ROUTES": "Route(matchers=['alertname=\"ApiDown\"', 'severity=\"warning\"'], receiver=\"pager\"),"},
            expect=["warning[routing/tree]", "route.routes[2]", "no alert of the stack reaches this route"]),
    Finding("continue on the last route",
            {SLACK_ROUTE: "Route(matchers=['team=\"payments\"'], receiver=\"payments-slack\", continue_=True),"},
            expect=["warning[routing/tree]", "field 'continue'", "changes nothing"]),
    Finding("repeat_interval shorter than group_interval",
            {'route=Route(receiver="team-email",': 'route=Route(receiver="team-email", group_interval="10m", '
                                                  'repeat_interval="5m",'},
            expect=["warning[routing/tree]", "field 'repeat_interval'", "repeat_interval 5m is shorter than "
                    "group_interval 10m"]),
    Finding("group_wait longer than group_interval",
            {'route=Route(receiver="team-email",': 'route=Route(receiver="team-email", group_wait="10m",'},
            expect=["warning[routing/tree]", "field 'group_wait'", "group_wait 10m is longer than group_interval 5m"]),
    Finding("a negative matcher on a label no alert carries",
            parts={"EXTRA_ROUTES": "Route(matchers=['tema!=\"payments\"'], receiver=\"pager\"),"},
            expect=["warning[routing/matchers]", "tema!=\"payments\" matches label tema, which no alert carries, "
                    "so it holds for every alert; did you mean team?"]),
    Finding("a typo in one alternative of a regex matcher",
            parts={"EXTRA_ROUTES": "Route(matchers=['severity=~\"critical|warnig\"'], receiver=\"pager\"),"},
            expect=["warning[routing/matchers]", "the alternative 'warnig' matches no alert (severity is only ever "
                    "critical, warning); did you mean warning?"]),
    Finding("a routed receiver without integrations",
            parts={"SLACK": 'Receiver(name="payments-slack"),'},
            expect=["warning[alertmanager/receivers]", "receiver payments-slack", "they are dropped"]),
    Finding("an inhibit rule without equal",
            parts={"INHIBIT": "InhibitRule(source_matchers=['severity=\"critical\"'], target_matchers=['severity=\"warning\"']),"},
            expect=["warning[routing/inhibit]", "inhibit_rules[0]", "field 'equal'", "no equal: one source alert "
                    "anywhere mutes every target alert everywhere"]),
    Finding("an inhibit rule whose sides are the same",
            parts={"INHIBIT": "InhibitRule(source_matchers=['severity=\"critical\"'], target_matchers=['severity=\"critical\"'], "
                              "equal=['job']),"},
            expect=["warning[routing/inhibit]", "source and target matchers are the same"]),
    Finding("an inhibit rule no pair of alerts satisfies",
            parts={"INHIBIT": "InhibitRule(source_matchers=['alertname=\"ApiDown\"'], "
                              "target_matchers=['alertname=\"HighErrorRatio\"'], equal=['alertname']),"},
            expect=["warning[routing/inhibit]", "this inhibit rule never mutes anything: no source alert (ApiDown) can "
                    "share the values of alertname with a target alert (HighErrorRatio)"]),
]


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda f: f.id)
def test_each_routing_warning_is_reported_and_does_not_fail(finding: Finding, tmp_path: Path, monkeypatch) -> None:
    outcome = run(tmp_path, monkeypatch, finding.replace, finding.parts)
    assert outcome.check.exit_code == 0, outcome.check.output
    for text in finding.expect:
        assert text in outcome.check.output, (text, outcome.check.output)
    assert "(stacks/shop/__init__.py:" in outcome.check.output
    assert outcome.generate.exit_code == 0, outcome.generate.output


def test_alerts_only_the_default_receiver_gets_are_a_note(tmp_path: Path, monkeypatch) -> None:
    outcome = run(tmp_path, monkeypatch, {SLACK_ROUTE: "Route(matchers=['alertname=\"ApiDown\"'], receiver=\"payments-slack\"),"})
    assert outcome.check.exit_code == 0, outcome.check.output
    assert ("info[routing/default] alertmanager/alertmanager.yml: route, field 'routes': 2 alert(s) with "
            "severity=warning match no child route and go only to the default receiver team-email: "
            "HighErrorRatio, HighLatency") in outcome.check.output
    assert "1 note(s)" in outcome.check.output
