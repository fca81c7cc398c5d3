"""alerts/severity: an allowed severity on every alert, and each severity reaches a receiver
that notifies someone."""

from __future__ import annotations

from obscode import AlertmanagerConfig, EmailConfig, Receiver, Route
from tests.catalog.helpers import alert, messages, stack

CHECK = "alerts/severity"


def test_allowed_severity_passes() -> None:
    assert messages(CHECK, stack([alert("up == 0", severity="critical"), alert("up == 0", "B", "warning")])) == []


def test_missing_severity_fails() -> None:
    found = messages(CHECK, stack([alert("up == 0", severity=None)]))
    assert found == ["t: error[alerts/severity] prometheus/rules/rules.yml: alert A, field 'labels.severity': "
                     "the severity label is missing; set one of critical, warning, info (tests/catalog/helpers.py:51)"]


def test_unknown_severity_fails() -> None:
    found = messages(CHECK, stack([alert("up == 0", severity="page")], allowed_severities=["critical", "warning"]))
    assert len(found) == 1 and "severity 'page' is not allowed in this stack; use one of critical, warning" in found[0]


def test_severity_routed_to_silent_receiver_fails() -> None:
    am = AlertmanagerConfig(
        route=Route(receiver="team", routes=[Route(match={"severity": "info"}, receiver="null")]),
        receivers=[Receiver(name="team", email_configs=[EmailConfig(to="t@example.com", smarthost="smtp:587",
                                                                    from_="am@example.com")]),
                   Receiver(name="null")],
    )
    found = messages(CHECK, stack([alert("up == 0", severity="info")], alertmanager=am))
    assert any("alert A" in f and "routed only to receiver(s) null, which notify no one" in f for f in found)
    assert any("alertmanager/alertmanager.yml: route" in f and "severity=info reach only receiver(s) null" in f
               for f in found)


def test_quantis_severities_reach_receivers() -> None:
    from obscode import build

    built = build.build("stacks/quantis")
    assert [p for p in built.check() if p.check == CHECK] == []
