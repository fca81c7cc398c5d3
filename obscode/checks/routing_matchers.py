"""``routing/matchers``: every route and inhibit-rule matcher can select some alert.

The labels alerts can carry are known offline (obscode.alert_labels): the rules' labels,
the labels their expressions keep, the external labels, and ``alertname``. A matcher on a
label no alert carries (``tema="payments"``) or on a value no alert has
(``severity="crtical"``, ``alertname="HighCpuUsge"``) makes its route or inhibit rule dead:
an error, with the closest label or value. A negative matcher on a label no alert carries
(``tema!="x"``) holds for every alert: a warning. Labels whose value is known only at run
time (an expression label, a templated rule label) are not judged."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.checks import CheckContext, Problem
from obscode.checks._routing import ALERTMANAGER_FILE, alert_shapes, matcher_problem

CHECK_ID = "routing/matchers"


def run(ctx: CheckContext) -> Iterator[Problem]:
    config = ctx.stack.alertmanager
    if config is None or not ctx.stack.alerts():
        return
    alerts = alert_shapes(ctx)
    for path, route in config.route.walk():
        for matcher in route.matchers:
            found = matcher_problem(matcher, alerts)
            if found:
                severity, message = found
                verdict = "" if severity == "warning" else "; no alert takes this route"
                yield Problem(check=CHECK_ID, stack=ctx.name, file=ALERTMANAGER_FILE,
                              obj=f"{path} {route.describe_path()}", field="matchers",
                              message=message + verdict, severity=severity,  # type: ignore[arg-type]
                              source=route.source, cause=message)
    for index, rule in enumerate(config.inhibit_rules):
        for side in ("source_matchers", "target_matchers"):
            for matcher in getattr(rule, side):
                found = matcher_problem(matcher, alerts)
                if found:
                    severity, message = found
                    verdict = "" if severity == "warning" else "; this inhibit rule never mutes anything"
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=ALERTMANAGER_FILE,
                                  obj=f"inhibit_rules[{index}]", field=side, message=message + verdict,
                                  severity=severity, source=rule.source, cause=message)  # type: ignore[arg-type]
