#!/usr/bin/env python3
"""Write tests/realworld/classification.yaml: the hand classification of every error finding
`obscode check` reports on the corpus, kept as data.

Each finding was read with its query (scripts/real_world.py --unclassified lists them, with
where they are); the verdicts and reasons below are that reading, grouped by the kind of
mistake. A finding matching no group is left unclassified (verdict null), for a person to
read; entries already in the file keep their verdict and reason.

    .venv/bin/python scripts/classify_findings.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.realworld import harness  # noqa: E402

#: (check, pattern on the cause, verdict, why). First match wins.
READINGS: list[tuple[str, str, bool, str]] = [
    ("catalog/label", r"\(legend ", True,
     "the legend names a label the query's result does not carry (an aggregation drops it, or no selected "
     "series has it): Grafana renders it empty"),
    ("catalog/label", r"label_replace source label", True,
     "label_replace reads a label that the aggregation before it dropped: it copies an empty value"),
    ("alerts/annotations", r"^annotation (summary|description) is missing", True,
     "the alert has no such annotation (the check's rule, which the alert breaks)"),
    ("alerts/annotations", r"\$labels\.", True,
     "the annotation reads a label the alert expression's result does not carry (dropped by an aggregation, "
     "absent(), or a typo of a kept label): it renders empty"),
    ("dashboard/promql", r"%\(\w+\)s", True, "a jsonnet format placeholder left in the query: Prometheus rejects it"),
    ("dashboard/promql", r"\{,", True, "a selector starting with a comma: Prometheus 2.42 rejects it (promtool too)"),
    ("dashboard/promql", r"ranges only allowed for vector selectors", True,
     "a range on an arithmetic expression (rate(x * 8[$__rate_interval])): Prometheus rejects it"),
    ("dashboard/variables", r"\$DS_\w+", True,
     "a datasource input placeholder that only Grafana's import dialog fills; provisioned from a file, the "
     "dashboard keeps the literal text and its queries fail"),
    ("dashboard/variables", r"which the dashboard does not define", True,
     "the dashboard references a variable it does not define: Grafana leaves the text in the query, which "
     "then matches nothing"),
    ("dashboard/datasource", r"", True,
     "the panel names a datasource (uid or placeholder) that no datasource of the stack has: it cannot load"),
    ("dashboard/schema", r"'time_series', 'table' or 'heatmap' \(got 'timeseries'\)", True,
     "the target's format is not a value Grafana knows (time_series)"),
    ("catalog/metric", r"kube_pod_windows_container_resource_", True,
     "the dashboard queries the output of kubernetes-mixin's Windows recording rules, which the mixin's "
     "rules.yaml does not contain: nothing produces the series in this stack"),
    ("promql/histogram", r"drops le", True, "an aggregation drops le before histogram_quantile(): the quantile is NaN"),
    ("promql/rate", r"which is a gauge", True,
     "rate() over a gauge (a timestamp): rate() is for counters and reads every drop as a reset; deriv() is meant"),
]


#: Findings read one by one that no group above covers: (mixin, check, cause) -> (verdict, why).
SINGLE: dict[tuple[str, str, str], tuple[bool, str]] = {
    ("blackbox_exporter", "catalog/label", "label version is not emitted by job blackbox-exporter"): (
        True, "the legend {{version}} reads a label probe_http_version does not have (the HTTP version is "
              "its value): it renders empty"),
}


def reading(mixin: str, check: str, cause: str) -> tuple[bool | None, str]:
    if (mixin, check, cause) in SINGLE:
        return SINGLE[(mixin, check, cause)]
    for rule_check, pattern, verdict, why in READINGS:
        if rule_check == check and re.search(pattern, cause):
            return verdict, why
    return None, ""


def main() -> int:
    known = harness.load_classification()
    figures = harness.figures(list(harness.run_corpus()))
    entries = []
    for key, problem in sorted(figures.errors.items()):
        entry = known.get(key)
        if entry is None or entry.get("verdict") not in (True, False):
            verdict, why = reading(*key)
            fld = f", field {problem.field!r}" if problem.field else ""
            entry = {"mixin": key[0], "check": key[1], "cause": key[2], "verdict": verdict, "why": why,
                     "where": f"{problem.file}: {problem.obj}{fld}"}
        entries.append(entry)
    header = ("# Hand classification of the error findings of `obscode check` on the shared corpus\n"
              "# (scripts/classify_findings.py writes it; docs/real-world.md reports the share).\n")
    harness.CLASSIFICATION.write_text(header + yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=120))
    missing = sum(e["verdict"] is None for e in entries)
    print(f"{len(entries)} error findings, {missing} unclassified", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
